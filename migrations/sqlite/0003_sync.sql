-- Runners in the organisation that GHARTS never issued, each reported once
-- (security event `unmanaged_runner_detected`); `last_seen_at` tracks whether it is still there.
create table unmanaged_runners (
    github_runner_id  bigint primary key,
    runner_name       text not null,
    first_seen_at     text not null,
    last_seen_at      text not null
);
-- Runners whose label drift was already reported (audit mode reports a drift once).
create table label_drift_reports (
    runner_id    blob primary key,
    reported_at  text not null
);
