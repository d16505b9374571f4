//! User administration and the batch incident actions on users and teams (API.md §10).
//!
//! **Serialisation.** Every transaction here that can remove an active admin (or that reads
//! state to decide what to write) starts with [`Db::admin_lock`]: in `PostgreSQL` a
//! transaction-scoped advisory lock, in `SQLite` a write (which takes the database write lock,
//! and satisfies the "start with a write" rule). Under that lock the count of the remaining
//! active admins is read and the change is written in the same transaction, so two admins
//! demoting or deactivating each other at once leave exactly one admin on both backends.
//! The lock is taken before any row lock, and the audit chain head is taken last (as
//! everywhere else), so lock order is consistent and no deadlock can form.
//!
//! The decisions themselves (what to change, which audit row to write) are the services'
//! business: they come in as closures that see a consistent snapshot read under the lock.

use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::audit::{NewAudit, append_in_tx};
use super::filter::{Arg, Filters};
use super::models::UserRow;
use super::plan::ListStatements;
use super::security_events::NewSecurityEvent;
use super::teams::set_team_active_in_tx;
use super::users::USER_COLUMNS;
use super::{Db, DbError, conflict_or, now};

/// Records a security event inside an open transaction `$tx` (either backend).
macro_rules! security_event_in_tx {
    ($tx:expr, $event:expr) => {{
        let e: &NewSecurityEvent = $event;
        sqlx::query(
            "insert into security_events (timestamp, event_type, severity, team_id, user_identity, oidc_sub, \
             violation_data, action_taken, request_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(now())
        .bind(e.event_type.as_str())
        .bind(e.severity.as_str())
        .bind(e.team_id)
        .bind(&e.user_identity)
        .bind(&e.oidc_sub)
        .bind(sqlx::types::Json(&e.violation_data))
        .bind(&e.action_taken)
        .bind(&e.request_id)
        .execute(&mut *$tx)
        .await
    }};
}

/// A user to create through the API.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Id (chosen by the caller so its audit row can name it).
    pub id: Uuid,
    pub email: Option<String>,
    /// OIDC subject.
    pub oidc_sub: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Admin role.
    pub is_admin: bool,
    /// May provision runners.
    pub can_use_jit: bool,
    /// The creating admin's identity.
    pub created_by: String,
}

/// Which users a list shows.
#[derive(Debug, Clone, Default)]
pub struct UserFilter<'a> {
    /// Active users.
    pub active: bool,
    /// Deactivated users.
    pub inactive: bool,
    /// Admins only (`true`) or non-admins only (`false`).
    pub is_admin: Option<bool>,
    /// A case-insensitive substring of the email, display name, subject or username.
    pub search: Option<&'a str>,
    /// Leaves out this team's members.
    pub not_member_of: Option<Uuid>,
}

/// The outcome of [`Db::create_user`] (a unique violation is [`DbError::Conflict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateUser {
    /// The user and every membership were created.
    Created,
    /// This team does not exist; nothing was created.
    MissingTeam(Uuid),
}

/// The writable state of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserState {
    /// Display name.
    pub display_name: Option<String>,
    /// Admin role.
    pub is_admin: bool,
    pub is_active: bool,
    /// May provision runners.
    pub can_use_jit: bool,
}

impl UserState {
    /// The state of a stored user.
    pub fn of(u: &UserRow) -> Self {
        UserState { display_name: u.display_name.clone(), is_admin: u.is_admin, is_active: u.is_active, can_use_jit: u.can_use_jit }
    }
}

/// What [`Db::change_user`] writes, in one transaction.
#[derive(Debug, Default)]
pub struct UserWrite {
    /// The new state; `None` leaves the row as it is.
    pub state: Option<UserState>,
    /// A deactivation comment: `deactivated_at` is stamped again even if already inactive.
    pub deactivation_comment: Option<String>,
    /// End the user's browser sessions.
    pub end_sessions: bool,
    /// The audit row (of a change or of a refusal).
    pub audit: Option<NewAudit>,
    /// A security event to record with it.
    pub event: Option<NewSecurityEvent>,
}

/// What a user batch writes, in one transaction.
#[derive(Debug)]
pub struct UsersBatchWrite {
    /// Users to switch (only those not already in the target state change).
    pub ids: Vec<Uuid>,
    /// Restore (`true`) or disable (`false`).
    pub activate: bool,
    /// Stored as the deactivation comment.
    pub comment: String,
    /// The batch's audit row.
    pub audit: NewAudit,
    /// The batch's security event (`None` for a refusal).
    pub event: Option<NewSecurityEvent>,
}

/// A team as a batch sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamBrief {
    pub id: Uuid,
    pub name: String,
    pub is_active: bool,
}

/// What a team batch writes, in one transaction.
#[derive(Debug)]
pub struct TeamsBatchWrite {
    /// Teams to switch (only those not already in the target state change).
    pub ids: Vec<Uuid>,
    /// `Some((by, reason))` deactivates; `None` reactivates.
    pub deactivation: Option<(String, String)>,
    /// The batch's audit row.
    pub audit: NewAudit,
    /// The batch's security event.
    pub event: Option<NewSecurityEvent>,
}

impl Db {
    /// The first statement of a serialised user-administration transaction (see the module doc).
    fn admin_lock(&self) -> &'static str {
        match self {
            // Any write takes SQLite's database write lock; this one changes nothing.
            Db::Sqlite(_) => "update audit_chain_head set last_id = last_id where singleton = 1",
            // The key is 0x6768_6172_7473_0001 ("gharts", 1), reserved for user administration.
            Db::Postgres(_) => "select pg_advisory_xact_lock(7451312727692345345)",
        }
    }

    /// A user by email, compared case-insensitively.
    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRow>, DbError> {
        let sql = AssertSqlSafe(format!("select {USER_COLUMNS} from users where lower(email) = lower($1)"));
        Ok(on_pool!(self, p => sqlx::query_as::<_, UserRow>(sql).bind(email).fetch_optional(p).await?))
    }

    /// Creates a user, its memberships and its audit row in one transaction: all or nothing.
    pub async fn create_user(&self, u: &NewUser, team_ids: &[Uuid], audit: NewAudit) -> Result<CreateUser, DbError> {
        let ts = now();
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "insert into users (id, email, oidc_sub, display_name, is_admin, is_active, can_use_jit, created_at, \
                 updated_at, created_by) values ($1, $2, $3, $4, $5, true, $6, $7, $7, $8)",
            )
            .bind(u.id)
            .bind(&u.email)
            .bind(&u.oidc_sub)
            .bind(&u.display_name)
            .bind(u.is_admin)
            .bind(u.can_use_jit)
            .bind(ts)
            .bind(&u.created_by)
            .execute(&mut *tx)
            .await
            .map_err(conflict_or)?;
            let mut missing = None;
            for team in team_ids {
                let n = sqlx::query(
                    "insert into team_members (team_id, user_id, joined_at, added_by) \
                     select $1, $2, $3, $4 where exists (select 1 from teams where id = $1)",
                )
                .bind(team)
                .bind(u.id)
                .bind(ts)
                .bind(&u.created_by)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    missing = Some(*team);
                    break;
                }
            }
            match missing {
                Some(team) => {
                    tx.rollback().await?;
                    CreateUser::MissingTeam(team)
                }
                None => {
                    append_in_tx!(tx, audit).await?;
                    tx.commit().await?;
                    CreateUser::Created
                }
            }
        }))
    }

    /// The page and the total of [`Db::list_users`]. Only the filters given are in the SQL, so
    /// a page without a search reads `users_created_idx` in order and stops after it.
    pub fn user_list_statements(&self, filter: &UserFilter<'_>, limit: i64, offset: i64) -> ListStatements {
        let mut w = Filters::default();
        match (filter.active, filter.inactive) {
            (true, true) => {}
            (true, false) => w.push("is_active".into()),
            (false, true) => w.push("not is_active".into()),
            (false, false) => w.push("1 = 0".into()),
        }
        w.equals("is_admin", filter.is_admin.map(Arg::Bool));
        if let Some(search) = filter.search {
            let pattern = format!("%{}%", search.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            let m = w.arg(Arg::Text(pattern));
            let like = format!("like {m} escape '\\'");
            w.push(format!(
                "(lower(coalesce(email, '')) {like} or lower(coalesce(display_name, '')) {like} \
                 or lower(coalesce(oidc_sub, '')) {like} or lower(coalesce(username, '')) {like})"
            ));
        }
        if let Some(team) = filter.not_member_of {
            let t = w.arg(Arg::Uuid(team));
            w.push(format!("not exists (select 1 from team_members m where m.team_id = {t} and m.user_id = users.id)"));
        }
        let filter = w.where_sql();
        let count_sql = format!("select count(*) from users{filter}");
        ListStatements::paged(
            count_sql,
            &w,
            &w,
            |l, o| format!("select {USER_COLUMNS} from users{filter} order by created_at desc, id limit {l} offset {o}"),
            limit,
            offset,
        )
    }

    /// A page of users (`created_at` descending, then id) and the total, as `filter` picks them.
    pub async fn list_users(&self, filter: &UserFilter<'_>, limit: i64, offset: i64) -> Result<(Vec<UserRow>, i64), DbError> {
        self.fetch_list(self.user_list_statements(filter, limit, offset)).await
    }

    /// Changes one user under the user-administration lock. `decide` sees the user and the
    /// number of *other* active admins, read in the same transaction, and says what to write
    /// (a change and its audit row, or only the audit row of a refusal). `None` if no such user.
    pub async fn change_user<R>(&self, id: Uuid, decide: impl FnOnce(&UserRow, i64) -> (UserWrite, R)) -> Result<Option<R>, DbError> {
        let lock = self.admin_lock();
        let select = AssertSqlSafe(format!("select {USER_COLUMNS} from users where id = $1"));
        let ts = now();
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(lock).execute(&mut *tx).await?;
            match sqlx::query_as::<_, UserRow>(select).bind(id).fetch_optional(&mut *tx).await? {
                None => {
                    tx.rollback().await?;
                    None
                }
                Some(user) => {
                    let others: i64 = sqlx::query_scalar("select count(*) from users where is_admin and is_active and id <> $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                    let (write, out) = decide(&user, others);
                    if let Some(s) = &write.state {
                        // Deactivation stamps `deactivated_at` (again, when a comment is given);
                        // activation clears it.
                        let stamp = !s.is_active && (user.is_active || write.deactivation_comment.is_some());
                        sqlx::query(
                            "update users set display_name = $2, is_admin = $3, is_active = $4, can_use_jit = $5, updated_at = $6, \
                             deactivated_at = case when $4 then null when $7 then $6 else deactivated_at end, \
                             deactivation_comment = case when $4 then null when $7 then $8 else deactivation_comment end \
                             where id = $1",
                        )
                        .bind(id)
                        .bind(&s.display_name)
                        .bind(s.is_admin)
                        .bind(s.is_active)
                        .bind(s.can_use_jit)
                        .bind(ts)
                        .bind(stamp)
                        .bind(&write.deactivation_comment)
                        .execute(&mut *tx)
                        .await?;
                    }
                    if write.end_sessions {
                        sqlx::query("delete from sessions where user_id = $1").bind(id).execute(&mut *tx).await?;
                    }
                    if let Some(audit) = write.audit {
                        append_in_tx!(tx, audit).await?;
                    }
                    if let Some(event) = &write.event {
                        security_event_in_tx!(tx, event)?;
                    }
                    tx.commit().await?;
                    Some(out)
                }
            }
        }))
    }

    /// A user batch under the user-administration lock. `ids` names the targets (each paired
    /// with its row, `None` if unknown); without it, the targets are every user whose
    /// `is_active` equals `all_with_active`. `decide` also sees the number of active admins,
    /// and returns what to write (`None`: nothing, e.g. a dry run).
    pub async fn users_batch<R>(
        &self,
        ids: Option<&[Uuid]>,
        all_with_active: bool,
        decide: impl FnOnce(Vec<(Uuid, Option<UserRow>)>, i64) -> (Option<UsersBatchWrite>, R),
    ) -> Result<R, DbError> {
        let lock = self.admin_lock();
        let one = format!("select {USER_COLUMNS} from users where id = $1");
        let all = AssertSqlSafe(format!("select {USER_COLUMNS} from users where is_active = $1 order by created_at desc, id"));
        let ts = now();
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(lock).execute(&mut *tx).await?;
            let mut candidates = Vec::new();
            match ids {
                Some(ids) => {
                    for id in ids {
                        let row = sqlx::query_as::<_, UserRow>(AssertSqlSafe(one.as_str())).bind(id).fetch_optional(&mut *tx).await?;
                        candidates.push((*id, row));
                    }
                }
                None => {
                    let rows = sqlx::query_as::<_, UserRow>(all).bind(all_with_active).fetch_all(&mut *tx).await?;
                    candidates.extend(rows.into_iter().map(|u| (u.id, Some(u))));
                }
            }
            let admins: i64 = sqlx::query_scalar("select count(*) from users where is_admin and is_active").fetch_one(&mut *tx).await?;
            match decide(candidates, admins) {
                (None, out) => {
                    tx.rollback().await?;
                    out
                }
                (Some(write), out) => {
                    for id in &write.ids {
                        let changed = sqlx::query(
                            "update users set is_active = $2, updated_at = $3, \
                             deactivated_at = case when $2 then null else $3 end, \
                             deactivation_comment = case when $2 then null else $4 end \
                             where id = $1 and is_active <> $2",
                        )
                        .bind(id)
                        .bind(write.activate)
                        .bind(ts)
                        .bind(&write.comment)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if changed == 1 && !write.activate {
                            sqlx::query("delete from sessions where user_id = $1").bind(id).execute(&mut *tx).await?;
                        }
                    }
                    append_in_tx!(tx, write.audit).await?;
                    if let Some(event) = &write.event {
                        security_event_in_tx!(tx, event)?;
                    }
                    tx.commit().await?;
                    out
                }
            }
        }))
    }

    /// A team batch under the user-administration lock. `ids` names the targets (each paired
    /// with its team, `None` if unknown); without it, the targets are every stored team whose
    /// `is_active` equals `all_with_active`, by name. `decide` returns what to write.
    pub async fn teams_batch<R>(
        &self,
        ids: Option<&[Uuid]>,
        all_with_active: bool,
        decide: impl FnOnce(Vec<(Uuid, Option<TeamBrief>)>) -> (Option<TeamsBatchWrite>, R),
    ) -> Result<R, DbError> {
        let lock = self.admin_lock();
        let ts = now();
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(lock).execute(&mut *tx).await?;
            let mut candidates = Vec::new();
            match ids {
                Some(ids) => {
                    for id in ids {
                        let row = sqlx::query_as::<_, TeamBrief>("select id, name, is_active from teams where id = $1")
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                        candidates.push((*id, row));
                    }
                }
                None => {
                    let rows = sqlx::query_as::<_, TeamBrief>("select id, name, is_active from teams where is_active = $1 order by name, id")
                        .bind(all_with_active)
                        .fetch_all(&mut *tx)
                        .await?;
                    candidates.extend(rows.into_iter().map(|t| (t.id, Some(t))));
                }
            }
            match decide(candidates) {
                (None, out) => {
                    tx.rollback().await?;
                    out
                }
                (Some(write), out) => {
                    for id in &write.ids {
                        set_team_active_in_tx!(tx, id, ts, &write.deactivation)?;
                    }
                    append_in_tx!(tx, write.audit).await?;
                    if let Some(event) = &write.event {
                        security_event_in_tx!(tx, event)?;
                    }
                    tx.commit().await?;
                    out
                }
            }
        }))
    }
}
