-- GHARTS schema, SQLite dialect. Keep in step with ../postgres/0001_schema.sql.

-- People: OIDC users and local accounts (username + argon2id hash).
create table users (
    id              blob primary key,
    email           text,
    oidc_sub        text unique,
    username        text,
    password_hash   text,
    display_name    text,
    is_admin        boolean not null default false,
    is_active       boolean not null default true,
    can_use_jit     boolean not null default true,
    created_at      text not null,
    updated_at      text not null,
    last_login_at   text,
    created_by      text,
    deactivated_at  text,
    deactivation_comment text
);
create unique index users_email_lower_key on users (lower(email));
create unique index users_username_lower_key on users (lower(username));

-- Teams: label policy, quota, runner-group allowlist and default.
create table teams (
    id                        blob primary key,
    name                      text not null unique,
    description               text,
    required_labels           text not null default '[]',
    optional_label_patterns   text,
    max_runners               bigint,
    max_runners_per_user      bigint,
    allowed_runner_group_ids  text not null default '[]',
    default_runner_group_id   bigint,
    github_repository         text,
    is_active                 boolean not null default true,
    is_system                 boolean not null default false,
    created_at                text not null,
    updated_at                text not null,
    created_by                text,
    deactivated_at            text,
    deactivated_by            text,
    deactivation_reason       text
);

-- The virtual admins team (API.md §3.6) is not stored: it is derived from admin users, and its
-- name is reserved in code.

create table team_members (
    team_id    blob not null references teams (id) on delete cascade,
    user_id    blob not null references users (id) on delete cascade,
    joined_at  text not null,
    added_by   text,
    primary key (team_id, user_id)
);
create index team_members_user_idx on team_members (user_id);

-- M2M (OAuth client-credentials) registrations, each bound to one team.
create table oauth_clients (
    id            blob primary key,
    client_id     text not null unique,
    team_id       blob not null references teams (id),
    description   text,
    is_active     boolean not null default true,
    created_at    text not null,
    updated_at    text not null,
    created_by    text,
    last_used_at  text
);
-- At most one active registration per team.
create unique index oauth_clients_one_active_per_team on oauth_clients (team_id) where is_active = 1;

-- Runners: our lifecycle (status) kept apart from GitHub's report (github_status, busy).
create table runners (
    id                        blob primary key,
    runner_name               text not null,
    status                    text not null check (status in ('pending', 'idle', 'busy', 'offline', 'deleted')),
    github_runner_id          bigint,
    runner_group_id           bigint not null,
    labels                    text not null default '[]',
    ephemeral                 boolean not null default true,
    team_id                   blob references teams (id),
    provisioned_by            text not null,
    actor_type                text not null,
    owner_user_id             blob references users (id),
    owner_client_id           blob references oauth_clients (id),
    github_status             text,
    busy                      boolean,
    idempotency_key           text,
    created_at                text not null,
    updated_at                text not null,
    registered_at             text,
    last_seen_at              text,
    expires_at                text,
    deleted_at                text,
    deletion_reason           text
);
-- A live name is unique across all teams (case-insensitive).
create unique index runners_live_name_key on runners (lower(runner_name)) where status <> 'deleted';
create index runners_github_id_idx on runners (github_runner_id);
create index runners_team_status_idx on runners (team_id, status);
create index runners_owner_idx on runners (owner_user_id);
create index runners_created_idx on runners (created_at, id);

-- Idempotency-Key records for POST /runners/jit; the stored response is erased after the window.
create table idempotency_keys (
    principal_key   text not null,
    idem_key        text not null,
    request_hash    text not null,
    state           text not null check (state in ('in_progress', 'completed')),
    response_body   text,
    runner_id       blob,
    created_at      text not null,
    expires_at      text not null,
    primary key (principal_key, idem_key)
);

-- Append-only, hash-chained audit trail (API.md §3.7). Ids are assigned under the chain-head lock.
create table audit_log (
    id             integer primary key,
    timestamp      text not null,
    event_type     text not null,
    actor_type     text not null check (actor_type in ('user', 'm2m', 'local_admin', 'system')),
    user_identity  text not null,
    oidc_sub       text,
    request_ip     text,
    user_agent     text,
    request_id     text,
    runner_id      text,
    runner_name    text,
    team_id        blob,
    event_data     text,
    success        boolean not null,
    error_message  text,
    prev_hash      text not null,
    hash           text not null
);
create index audit_log_timestamp_idx on audit_log (timestamp);
create index audit_log_team_idx on audit_log (team_id);
create index audit_log_event_type_idx on audit_log (event_type);

create trigger audit_log_no_update before update on audit_log
begin
    select raise(abort, 'audit_log is append-only');
end;
create trigger audit_log_no_delete before delete on audit_log
begin
    select raise(abort, 'audit_log is append-only');
end;

-- One row: the id and hash of the last audit row. Locking it serialises audit inserts.
create table audit_chain_head (
    singleton  integer primary key check (singleton = 1),
    last_id    bigint not null,
    last_hash  text not null
);
insert into audit_chain_head (singleton, last_id, last_hash)
values (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

create table security_events (
    id                integer primary key autoincrement,
    timestamp         text not null,
    event_type        text not null,
    severity          text not null check (severity in ('low', 'medium', 'high', 'critical')),
    runner_id         text,
    runner_name       text,
    github_runner_id  bigint,
    team_id           blob,
    user_identity     text not null,
    oidc_sub          text,
    violation_data    text not null default '{}',
    action_taken      text,
    request_id        text
);
create index security_events_timestamp_idx on security_events (timestamp);
create index security_events_team_idx on security_events (team_id);

-- Sync worker leader election: a lease row taken by compare-and-set.
create table sync_lease (
    name         text primary key,
    holder       text,
    expires_at   text,
    acquired_at  text,
    renewed_at   text
);
insert into sync_lease (name) values ('sync');

-- The sync worker's last results (one row).
create table sync_state (
    singleton              integer primary key check (singleton = 1),
    last_sync_time         text,
    last_sync_result       text,
    last_sync_error        text,
    last_error_time        text,
    last_sync_duration_ms  bigint,
    updated_at             text
);
insert into sync_state (singleton) values (1);

-- GitHub webhook deliveries seen, for de-duplication by X-GitHub-Delivery.
create table webhook_deliveries (
    delivery_id  text primary key,
    event        text not null,
    action       text,
    result       text not null,
    received_at  text not null
);
create index webhook_deliveries_received_idx on webhook_deliveries (received_at);

-- Browser sessions: only a SHA-256 of the cookie value is stored.
create table sessions (
    id_hash              text primary key,
    user_id              blob not null references users (id) on delete cascade,
    auth_method          text not null check (auth_method in ('local', 'oidc')),
    created_at           text not null,
    last_seen_at         text not null,
    idle_expires_at      text not null,
    absolute_expires_at  text not null,
    id_token_hint        text,
    client_ip            text,
    user_agent           text
);
create index sessions_user_idx on sessions (user_id);

-- Failed local logins, for the per (username, IP) limiter.
create table login_failures (
    id              integer primary key autoincrement,
    username_lower  text not null,
    client_ip       text not null,
    failed_at       text not null
);
create index login_failures_key_idx on login_failures (username_lower, client_ip, failed_at);
