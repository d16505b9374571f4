-- Every list page reads one index in its order and stops after the page, and every total is
-- counted from an index, whatever filter the console or the API applies (issue 14; the plans
-- before and after are in docs/performance.md, and server/tests/api/list_plans.rs checks them).

-- The audit log, newest first (`order by id desc`): one (column, id) index per filter.
create index audit_log_event_type_id_idx on audit_log (event_type, id);
drop index audit_log_event_type_idx;
create index audit_log_user_identity_idx on audit_log (user_identity, id);
create index audit_log_runner_idx on audit_log (runner_id, id);
create index audit_log_success_idx on audit_log (success, id);
-- The rows an M2M client or a user (by subject, or by local account name) made themselves:
-- their visibility scope, with their teams' rows.
create index audit_log_oidc_sub_idx on audit_log (oidc_sub, id);
create index audit_log_local_actor_idx on audit_log (lower(user_identity), id) where actor_type = 'local_admin';

-- Security events, newest first (`order by id desc`).
create index security_events_event_type_idx on security_events (event_type, id);
create index security_events_severity_idx on security_events (severity, id);
create index security_events_user_identity_idx on security_events (user_identity, id);

-- Users (all, or admins or not) and M2M registrations (all, or a team's), newest first
-- (`order by created_at desc, id`).
create index users_created_idx on users (created_at desc, id);
create index users_admin_created_idx on users (is_admin, created_at desc, id);
create index oauth_clients_created_idx on oauth_clients (created_at desc, id);
create index oauth_clients_team_created_idx on oauth_clients (team_id, created_at desc, id);
