//! Teams and memberships. Every team read carries its statistics (members, quota-counting
//! runners), computed in the same query.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::audit::{NewAudit, append_in_tx};
use super::filter::{Arg, Filters};
use super::plan::ListStatements;
use super::{Db, DbError, conflict_or, now};

/// Deactivates (`Some((by, reason))`) or reactivates (`None`) team `$id` inside an open
/// transaction `$tx` (either backend), stamped `$ts`. Evaluates to `Result<u64, sqlx::Error>`:
/// 1 if it changed, 0 if the team already was so (or does not exist).
macro_rules! set_team_active_in_tx {
    ($tx:expr, $id:expr, $ts:expr, $deactivation:expr) => {
        match $deactivation {
            Some((by, reason)) => sqlx::query(
                "update teams set is_active = false, deactivated_at = $2, deactivated_by = $3, deactivation_reason = $4, \
                 updated_at = $2 where id = $1 and is_active",
            )
            .bind($id)
            .bind($ts)
            .bind(by)
            .bind(reason)
            .execute(&mut *$tx)
            .await
            .map(|r| r.rows_affected()),
            None => sqlx::query(
                "update teams set is_active = true, deactivated_at = null, deactivated_by = null, deactivation_reason = null, \
                 updated_at = $2 where id = $1 and not is_active",
            )
            .bind($id)
            .bind($ts)
            .execute(&mut *$tx)
            .await
            .map(|r| r.rows_affected()),
        }
    };
}
pub(crate) use set_team_active_in_tx;

/// A stored team with statistics.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamRow {
    pub id: Uuid,
    /// Unique kebab-case name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Labels merged into every runner.
    pub required_labels: Json<Vec<String>>,
    /// Full-match patterns, `None` when there are none.
    pub optional_label_patterns: Option<Json<Vec<String>>>,
    /// Quota.
    pub max_runners: Option<i64>,
    /// Per-principal quota.
    pub max_runners_per_user: Option<i64>,
    /// Runner-group allowlist.
    pub allowed_runner_group_ids: Json<Vec<i64>>,
    /// Default group.
    pub default_runner_group_id: Option<i64>,
    pub is_active: bool,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
    /// Creator.
    pub created_by: Option<String>,
    /// Deactivation.
    pub deactivated_at: Option<DateTime<Utc>>,
    /// Deactivated by.
    pub deactivated_by: Option<String>,
    /// Why.
    pub deactivation_reason: Option<String>,
    /// Memberships.
    pub member_count: i64,
    /// Runners that count against the quota now.
    pub active_runner_count: i64,
}

/// The writable policy of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamPolicy {
    /// Free text.
    pub description: Option<String>,
    /// Required labels.
    pub required_labels: Vec<String>,
    /// Patterns (`None` for none).
    pub optional_label_patterns: Option<Vec<String>>,
    /// Quota.
    pub max_runners: Option<i64>,
    /// Per-principal quota.
    pub max_runners_per_user: Option<i64>,
    /// Allowlist.
    pub allowed_runner_group_ids: Vec<i64>,
    /// Default group.
    pub default_runner_group_id: i64,
}

/// A member row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    /// User id.
    pub user_id: Uuid,
    pub email: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    pub joined_at: DateTime<Utc>,
    /// Added by.
    pub added_by: Option<String>,
    /// Account active.
    pub is_active: bool,
}

/// The `select` list of a team with statistics, without `from`; `$1` is "now" (expired pending
/// runners do not count).
macro_rules! team_columns {
    () => {
        "select t.id, t.name, t.description, t.required_labels, t.optional_label_patterns, t.max_runners, \
         t.max_runners_per_user, t.allowed_runner_group_ids, t.default_runner_group_id, t.is_active, t.created_at, t.updated_at, \
         t.created_by, t.deactivated_at, t.deactivated_by, t.deactivation_reason, \
         (select count(*) from team_members m where m.team_id = t.id) as member_count, \
         (select count(*) from runners r where r.team_id = t.id and r.status in ('pending', 'idle', 'busy', 'offline') \
            and not (r.status = 'pending' and r.expires_at is not null and r.expires_at <= $1)) as active_runner_count"
    };
}

/// A team with statistics; `$1` is "now".
const TEAM_SELECT: &str = concat!(team_columns!(), " from teams t");

/// Which teams a listing covers.
#[derive(Debug, Clone, Copy)]
pub enum TeamScope {
    /// Every stored team (admins).
    All,
    /// Teams the user is a member of.
    MemberOf(Uuid),
    /// One team (an M2M client's).
    Only(Uuid),
}

impl Db {
    /// One team by id.
    pub async fn find_team(&self, id: Uuid) -> Result<Option<TeamRow>, DbError> {
        let sql = sqlx::AssertSqlSafe(format!("{TEAM_SELECT} where t.id = $2"));
        Ok(on_pool!(self, p => sqlx::query_as::<_, TeamRow>(sql).bind(now()).bind(id).fetch_optional(p).await?))
    }

    /// One team by exact name.
    pub async fn find_team_by_name(&self, name: &str) -> Result<Option<TeamRow>, DbError> {
        let sql = sqlx::AssertSqlSafe(format!("{TEAM_SELECT} where t.name = $2"));
        Ok(on_pool!(self, p => sqlx::query_as::<_, TeamRow>(sql).bind(now()).bind(name).fetch_optional(p).await?))
    }

    /// The page and the total of [`Db::list_teams`].
    pub fn team_list_statements(&self, scope: TeamScope, include_inactive: bool, limit: i64, offset: i64) -> ListStatements {
        let filter = |w: &mut Filters| {
            if !include_inactive {
                w.push("t.is_active".into());
            }
            match scope {
                TeamScope::All => {}
                TeamScope::MemberOf(u) => {
                    let m = w.arg(Arg::Uuid(u));
                    w.push(format!("t.id in (select team_id from team_members where user_id = {m})"));
                }
                TeamScope::Only(t) => w.equals("t.id", Some(Arg::Uuid(t))),
            }
        };
        let mut count = Filters::default();
        filter(&mut count);
        let mut page = Filters::default();
        page.arg(Arg::Time(now()));
        filter(&mut page);
        let (count_sql, page_where) = (format!("select count(*) from teams t{}", count.where_sql()), page.where_sql());
        // PostgreSQL computes the select list (two counts per team) for every row the offset
        // skips, so there the statistics are taken on the page's teams only. SQLite computes
        // them for the returned rows alone (and would sort the page a second time).
        let sqlite = self.is_sqlite();
        let page_sql = |l: &str, o: &str| {
            let order = "order by t.name, t.id";
            if sqlite {
                format!("{TEAM_SELECT}{page_where} {order} limit {l} offset {o}")
            } else {
                format!(concat!(team_columns!(), " from (select * from teams t{} {} limit {} offset {}) t {}"), page_where, order, l, o, order)
            }
        };
        ListStatements::paged(count_sql, &count, &page, page_sql, limit, offset)
    }

    /// A page of teams in `scope`, ordered by name, and the total.
    pub async fn list_teams(&self, scope: TeamScope, include_inactive: bool, limit: i64, offset: i64) -> Result<(Vec<TeamRow>, i64), DbError> {
        self.fetch_list(self.team_list_statements(scope, include_inactive, limit, offset)).await
    }

    /// Creates a team with its audit row.
    pub async fn insert_team(&self, id: Uuid, name: &str, policy: &TeamPolicy, created_by: &str, audit: NewAudit) -> Result<(), DbError> {
        let ts = now();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "insert into teams (id, name, description, required_labels, optional_label_patterns, max_runners, \
                 max_runners_per_user, allowed_runner_group_ids, default_runner_group_id, is_active, created_at, updated_at, created_by) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, true, $10, $10, $11)",
            )
            .bind(id)
            .bind(name)
            .bind(&policy.description)
            .bind(Json(&policy.required_labels))
            .bind(policy.optional_label_patterns.as_ref().map(Json))
            .bind(policy.max_runners)
            .bind(policy.max_runners_per_user)
            .bind(Json(&policy.allowed_runner_group_ids))
            .bind(policy.default_runner_group_id)
            .bind(ts)
            .bind(created_by)
            .execute(&mut *tx)
            .await
            .map_err(conflict_or)?;
            append_in_tx!(tx, audit).await?;
            tx.commit().await?
        });
        Ok(())
    }

    /// Replaces a team's policy with its audit row.
    pub async fn update_team_policy(&self, id: Uuid, policy: &TeamPolicy, audit: NewAudit) -> Result<(), DbError> {
        let ts = now();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "update teams set description = $2, required_labels = $3, optional_label_patterns = $4, max_runners = $5, \
                 max_runners_per_user = $6, allowed_runner_group_ids = $7, default_runner_group_id = $8, updated_at = $9 where id = $1",
            )
            .bind(id)
            .bind(&policy.description)
            .bind(Json(&policy.required_labels))
            .bind(policy.optional_label_patterns.as_ref().map(Json))
            .bind(policy.max_runners)
            .bind(policy.max_runners_per_user)
            .bind(Json(&policy.allowed_runner_group_ids))
            .bind(policy.default_runner_group_id)
            .bind(ts)
            .execute(&mut *tx)
            .await?;
            append_in_tx!(tx, audit).await?;
            tx.commit().await?
        });
        Ok(())
    }

    /// Deactivates (`Some(reason)`) or reactivates (`None`) a team; false if already so.
    pub async fn set_team_active(&self, id: Uuid, deactivation: Option<(&str, &str)>, audit: NewAudit) -> Result<bool, DbError> {
        let ts = now();
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let changed = set_team_active_in_tx!(tx, id, ts, deactivation)?;
            if changed == 1 {
                append_in_tx!(tx, audit).await?;
                tx.commit().await?;
                true
            } else {
                false
            }
        }))
    }

    /// Whether the user is a member of the team.
    pub async fn is_member(&self, team_id: Uuid, user_id: Uuid) -> Result<bool, DbError> {
        let n: i64 = on_pool!(self, p => {
            sqlx::query_scalar("select count(*) from team_members where team_id = $1 and user_id = $2").bind(team_id).bind(user_id).fetch_one(p).await?
        });
        Ok(n > 0)
    }

    /// The user's active team with the earliest membership (ties by name), for provisioning.
    pub async fn default_team_of_user(&self, user_id: Uuid) -> Result<Option<TeamRow>, DbError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{TEAM_SELECT} join team_members m on m.team_id = t.id where m.user_id = $2 and t.is_active \
             order by m.joined_at, t.name limit 1"
        ));
        Ok(on_pool!(self, p => sqlx::query_as::<_, TeamRow>(sql).bind(now()).bind(user_id).fetch_optional(p).await?))
    }

    /// The page and the total of [`Db::list_members`]: the team's memberships through the
    /// primary key, sorted by email (which lives in `users`), so a page sorts the team's members.
    pub fn member_list_statements(&self, team_id: Uuid, limit: i64, offset: i64) -> ListStatements {
        let mut w = Filters::default();
        w.equals("m.team_id", Some(Arg::Uuid(team_id)));
        let filter = w.where_sql();
        let count_sql = format!("select count(*) from team_members m{filter}");
        let page_sql = |l: &str, o: &str| {
            format!(
                "select u.id as user_id, u.email, u.display_name, m.joined_at, m.added_by, u.is_active \
                 from team_members m join users u on u.id = m.user_id{filter} \
                 order by lower(u.email) asc nulls last, u.display_name asc nulls last, u.id limit {l} offset {o}"
            )
        };
        ListStatements::paged(count_sql, &w, &w, page_sql, limit, offset)
    }

    /// A page of a team's members (email, then name, then id) and the total.
    pub async fn list_members(&self, team_id: Uuid, limit: i64, offset: i64) -> Result<(Vec<MemberRow>, i64), DbError> {
        self.fetch_list(self.member_list_statements(team_id, limit, offset)).await
    }

    /// The page and the total of [`Db::list_admins`] (the active admins: a few rows, sorted).
    pub fn admin_list_statements(&self, limit: i64, offset: i64) -> ListStatements {
        let mut w = Filters::default();
        w.push("is_admin and is_active".into());
        let filter = w.where_sql();
        let count_sql = format!("select count(*) from users{filter}");
        let page_sql = |l: &str, o: &str| {
            format!(
                "select id as user_id, email, display_name, created_at as joined_at, 'system' as added_by, is_active \
                 from users{filter} order by lower(email) asc nulls last, display_name asc nulls last, id limit {l} offset {o}"
            )
        };
        ListStatements::paged(count_sql, &w, &w, page_sql, limit, offset)
    }

    /// A page of the active admins (the virtual team's members) and the total.
    pub async fn list_admins(&self, limit: i64, offset: i64) -> Result<(Vec<MemberRow>, i64), DbError> {
        self.fetch_list(self.admin_list_statements(limit, offset)).await
    }

    /// Adds a membership with its audit row; `Conflict` if it exists.
    pub async fn add_member(&self, team_id: Uuid, user_id: Uuid, added_by: &str, audit: NewAudit) -> Result<MemberRow, DbError> {
        let ts = now();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("insert into team_members (team_id, user_id, joined_at, added_by) values ($1, $2, $3, $4)")
                .bind(team_id).bind(user_id).bind(ts).bind(added_by)
                .execute(&mut *tx).await.map_err(conflict_or)?;
            append_in_tx!(tx, audit).await?;
            tx.commit().await?
        });
        let rows = on_pool!(self, p => {
            sqlx::query_as::<_, MemberRow>(
                "select u.id as user_id, u.email, u.display_name, m.joined_at, m.added_by, u.is_active \
                 from team_members m join users u on u.id = m.user_id where m.team_id = $1 and m.user_id = $2",
            )
            .bind(team_id).bind(user_id).fetch_one(p).await?
        });
        Ok(rows)
    }

    /// Removes a membership with its audit row; false if there was none.
    pub async fn remove_member(&self, team_id: Uuid, user_id: Uuid, audit: NewAudit) -> Result<bool, DbError> {
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("delete from team_members where team_id = $1 and user_id = $2")
                .bind(team_id).bind(user_id).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                append_in_tx!(tx, audit).await?;
                tx.commit().await?;
                true
            } else {
                false
            }
        }))
    }

    /// Number of active admins (the virtual team's member count, and the last-admin guard).
    pub async fn count_active_admins(&self) -> Result<i64, DbError> {
        Ok(on_pool!(self, p => sqlx::query_scalar("select count(*) from users where is_admin and is_active").fetch_one(p).await?))
    }
}
