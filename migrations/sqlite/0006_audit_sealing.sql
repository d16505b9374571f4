-- The audit chain is sealed after the fact (docs/audit_chain.md): a request inserts its audit
-- row with an id from the table's own rowid and no hash, touching no shared row; the sealer
-- later gives each unsealed row, in id order, its place in the chain (`chain_seq`), the
-- previous row's hash and its own. Existing rows were chained in id order.
-- SQLite cannot drop NOT NULL in place: the table is rebuilt, with its indexes and triggers.
drop trigger audit_log_no_update;
drop trigger audit_log_no_delete;
create table audit_log_sealed (
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
    prev_hash      text,
    hash           text,
    chain_seq      integer
);
insert into audit_log_sealed (id, timestamp, event_type, actor_type, user_identity, oidc_sub, request_ip, user_agent, request_id,
    runner_id, runner_name, team_id, event_data, success, error_message, prev_hash, hash, chain_seq)
select id, timestamp, event_type, actor_type, user_identity, oidc_sub, request_ip, user_agent, request_id,
    runner_id, runner_name, team_id, event_data, success, error_message, prev_hash, hash, id
from audit_log;
drop table audit_log;
alter table audit_log_sealed rename to audit_log;
create index audit_log_timestamp_idx on audit_log (timestamp);
create index audit_log_team_idx on audit_log (team_id);
create index audit_log_event_type_idx on audit_log (event_type);
create unique index audit_log_chain_seq_idx on audit_log (chain_seq);
-- The sealer's work list: small, since rows leave it within a second.
create index audit_log_unsealed_idx on audit_log (id) where hash is null;

-- Still append-only, with one exception: sealing, which fills `chain_seq`, `prev_hash` and
-- `hash` of a row that has none and changes nothing else.
create trigger audit_log_no_update before update on audit_log
when old.hash is not null or old.chain_seq is not null or new.hash is null or new.prev_hash is null or new.chain_seq is null
    or new.id is not old.id or new.timestamp is not old.timestamp or new.event_type is not old.event_type
    or new.actor_type is not old.actor_type or new.user_identity is not old.user_identity or new.oidc_sub is not old.oidc_sub
    or new.request_ip is not old.request_ip or new.user_agent is not old.user_agent or new.request_id is not old.request_id
    or new.runner_id is not old.runner_id or new.runner_name is not old.runner_name or new.team_id is not old.team_id
    or new.event_data is not old.event_data or new.success is not old.success or new.error_message is not old.error_message
begin
    select raise(abort, 'audit_log is append-only');
end;
create trigger audit_log_no_delete before delete on audit_log
begin
    select raise(abort, 'audit_log is append-only');
end;

-- The head is now the sealer's alone; `last_seq` is the chain position of the last sealed row,
-- `last_id` its id.
alter table audit_chain_head add column last_seq integer not null default 0;
update audit_chain_head set last_seq = last_id;
