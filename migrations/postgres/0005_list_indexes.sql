-- Lists are newest first and paged. A team's view (its M2M client, `?team_id=`) and an owner's
-- view read one index in order and stop after the page, instead of sorting every visible row.
create index runners_team_created_idx on runners (team_id, created_at, id);
create index runners_owner_created_idx on runners (owner_user_id, created_at, id);
drop index runners_owner_idx;
-- The audit log and security events of a team, newest first (SQLite's (team_id) index already
-- carries the integer id in order).
create index audit_log_team_id_idx on audit_log (team_id, id);
drop index audit_log_team_idx;
create index security_events_team_id_idx on security_events (team_id, id);
drop index security_events_team_idx;
