-- GitHub webhook processing state (API.md §15.1).
--
-- De-duplication: a delivery id is claimed ('processing') before it runs and counts as seen
-- only once its processing answered 2xx ('processed'); a failed run deletes its claim so
-- GitHub's redelivery runs again. Rows older than the 7-day window are purged.
alter table webhook_deliveries add column state text not null default 'processed'
    check (state in ('processing', 'processed'));

-- `workflow_job` ids whose `completed` event was processed: a later `in_progress` for the same
-- job is a replay (GitHub re-sends old events on re-runs) and must not make the runner busy.
create table webhook_completed_jobs (
    workflow_job_id   bigint primary key,
    github_runner_id  bigint not null,
    completed_at      text not null
);
create index webhook_completed_jobs_completed_idx on webhook_completed_jobs (completed_at);
