//! Many rows at once, straight into the tables: one `insert … select` over a generated series
//! per table (a recursive CTE on SQLite, `generate_series` on PostgreSQL), for tests that need
//! a table at the scale the planners see in production. Row `g` (from 1) of each table has a
//! predictable id ([`id`]), so rows of one table can point at rows of another.

use server::db::Db;

use super::Backend;

/// The first eight hex digits of each table's ids.
pub const TEAM: &str = "00000000";
pub const USER: &str = "10000000";
pub const CLIENT: &str = "20000000";
pub const RUNNER: &str = "30000000";

/// The id of row `g` of a table (`prefix` from above), as Rust sees it.
pub fn id(prefix: &str, g: u64) -> uuid::Uuid {
    format!("{prefix}-0000-4000-8000-{g:012x}").parse().expect("uuid")
}

/// Writes SQL for one backend.
#[derive(Debug, Clone, Copy)]
pub struct Sql(pub Backend);

impl Sql {
    /// The id of row `n` (an SQL integer expression) of a table.
    pub fn id(self, prefix: &str, n: &str) -> String {
        match self.0 {
            Backend::Sqlite => format!("unhex('{prefix}000040008000' || printf('%012x', {n}))"),
            Backend::Postgres => format!("('{prefix}-0000-4000-8000-' || lpad(to_hex({n}), 12, '0'))::uuid"),
        }
    }

    /// 2026-01-01 plus `n` (an SQL integer expression) minutes, as each backend stores a time.
    pub fn minutes(self, n: &str) -> String {
        match self.0 {
            Backend::Sqlite => format!("strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-01-01', '+' || ({n}) || ' minutes')"),
            Backend::Postgres => format!("timestamptz '2026-01-01 00:00:00+00' + ({n}) * interval '1 minute'"),
        }
    }

    /// `insert into table (columns) select values` for `g` from 1 to `rows`.
    pub fn rows(self, table: &str, rows: u64, columns: &str, values: &str) -> String {
        match self.0 {
            Backend::Sqlite => format!(
                "with recursive s(g) as (select 1 union all select g + 1 from s where g < {rows}) \
                 insert into {table} ({columns}) select {values} from s"
            ),
            Backend::Postgres => format!("insert into {table} ({columns}) select {values} from generate_series(1, {rows}) g"),
        }
    }
}

/// Runs each statement.
pub async fn insert(db: &Db, statements: &[String]) {
    crate::on_pool!(db, p => {
        for s in statements {
            sqlx::query(sqlx::AssertSqlSafe(s.clone())).execute(p).await.unwrap_or_else(|e| panic!("{e}: {s}"));
        }
    });
}

/// `analyze`: what PostgreSQL's autovacuum does after many inserts, and what SQLite does only
/// when asked.
pub async fn analyze(db: &Db) {
    crate::on_pool!(db, p => sqlx::query("analyze").execute(p).await.map(|_| ()).expect("analyze"));
}

impl Sql {
    /// `n` teams `team-<g>`; every tenth is inactive.
    pub fn teams(self, n: u64) -> String {
        let (id, at) = (self.id(TEAM, "g"), self.minutes("g"));
        self.rows("teams", n, "id, name, description, is_active, created_at, updated_at", &format!("{id}, 'team-' || g, 'seeded', g % 10 <> 0, {at}, {at}"))
    }

    /// `n` users `user<g>@example.com` (subject `sub-<g>`); every 50th also has a local
    /// account, every 500th is an admin, every 20th is deactivated.
    pub fn users(self, n: u64) -> String {
        let (id, at) = (self.id(USER, "g"), self.minutes("g * 5"));
        self.rows(
            "users",
            n,
            "id, email, oidc_sub, username, display_name, is_admin, is_active, created_at, updated_at",
            &format!(
                "{id}, 'user' || g || '@example.com', 'sub-' || g, case when g % 50 = 0 then 'local' || g end, 'User ' || g, \
                 g % 500 = 0, g % 20 <> 0, {at}, {at}"
            ),
        )
    }

    /// `teams` teams and `users` users, each user in two teams.
    pub fn organisation(self, teams: u64, users: u64) -> Vec<String> {
        [vec![self.teams(teams), self.users(users)], self.members(users, teams)].concat()
    }

    /// Every one of `users` users in two of `teams` teams.
    pub fn members(self, users: u64, teams: u64) -> Vec<String> {
        [format!("1 + g % {teams}"), format!("1 + (g + {teams} / 2) % {teams}")]
            .iter()
            .map(|team| {
                let (team, user) = (self.id(TEAM, team), self.id(USER, "g"));
                self.rows("team_members", users, "team_id, user_id, joined_at", &format!("{team}, {user}, {}", self.minutes("g")))
            })
            .collect()
    }

    /// `n` M2M registrations `client-<g>` over `teams` teams; the first `teams` are active (one
    /// per team).
    pub fn clients(self, n: u64, teams: u64) -> String {
        let (id, team, at) = (self.id(CLIENT, "g"), self.id(TEAM, &format!("1 + g % {teams}")), self.minutes("g"));
        self.rows(
            "oauth_clients",
            n,
            "id, client_id, team_id, description, is_active, created_at, updated_at",
            &format!("{id}, 'client-' || g, {team}, 'ci', g <= {teams}, {at}, {at}"),
        )
    }

    /// `n` runners: the first 10,000 in team 1, the rest over the other `teams`; every fifth of
    /// each status; every third owned by a user (of `users`).
    pub fn runners(self, n: u64, teams: u64, users: u64) -> String {
        let (id, at) = (self.id(RUNNER, "g"), self.minutes("g"));
        let team = self.id(TEAM, &format!("case when g <= 10000 then 1 else 2 + g % {} end", teams - 1));
        let user = self.id(USER, &format!("1 + g % {users}"));
        self.rows(
            "runners",
            n,
            "id, runner_name, status, github_runner_id, runner_group_id, team_id, provisioned_by, actor_type, owner_user_id, \
             created_at, updated_at",
            &format!(
                "{id}, 'runner-' || g, case g % 5 when 0 then 'pending' when 1 then 'idle' when 2 then 'busy' when 3 then 'offline' \
                 else 'deleted' end, g, 1, {team}, 'client-1', 'm2m', case when g % 3 = 0 then {user} end, {at}, {at}"
            ),
        )
    }

    /// `n` sealed audit rows, one a minute: 20 event types (`event_<k>`), four actor types,
    /// 200 actors (`user<k>@example.com`, subject `sub-<k>`), 5,000 runners (`r-<k>`), teams 1
    /// to 50 (every tenth row has none); every 20th failed.
    pub fn audit(self, n: u64) -> String {
        let team = self.id(TEAM, "1 + g % 50");
        self.rows(
            "audit_log",
            n,
            "timestamp, event_type, actor_type, user_identity, oidc_sub, runner_id, runner_name, team_id, event_data, success, \
             prev_hash, hash, chain_seq",
            &format!(
                "{}, 'event_' || (g % 20), case g % 4 when 0 then 'user' when 1 then 'm2m' when 2 then 'local_admin' else 'system' end, \
                 'user' || (g % 200) || '@example.com', 'sub-' || (g % 200), 'r-' || (g % 5000), 'runner-' || (g % 5000), \
                 case when g % 10 <> 0 then {team} end, '{{}}', g % 20 <> 0, 'p' || g, 'h' || g, g",
                self.minutes("g")
            ),
        )
    }

    /// `n` security events, one every five minutes: five types, four severities, 200 actors,
    /// teams 1 to 50 (every fifth event has none).
    pub fn security_events(self, n: u64) -> String {
        let team = self.id(TEAM, "1 + g % 50");
        self.rows(
            "security_events",
            n,
            "timestamp, event_type, severity, runner_id, runner_name, team_id, user_identity, oidc_sub, violation_data, action_taken",
            &format!(
                "{}, case g % 5 when 0 then 'label_policy_violation' when 1 then 'quota_exceeded' \
                 when 2 then 'unmanaged_runner_detected' when 3 then 'auth_failure' else 'batch_disable_users' end, \
                 case g % 4 when 0 then 'low' when 1 then 'medium' when 2 then 'high' else 'critical' end, 'r-' || g, 'runner-' || g, \
                 case when g % 5 <> 0 then {team} end, 'user' || (g % 200) || '@example.com', 'sub-' || (g % 200), '{{}}', 'rejected'",
                self.minutes("g * 5")
            ),
        )
    }
}
