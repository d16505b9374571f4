//! Reading the audit log (API.md §12): filtered, caller-scoped, paged lists, and the pages an
//! export walks through. Filtering, ordering and paging all happen in SQL ([`super::filter`]).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::filter::{Arg, Filters, bind_args};
use super::models::AuditRow;
use super::plan::ListStatements;
use super::{Db, DbError};

/// Which rows a caller may see (API.md §12.2).
#[derive(Debug, Clone)]
pub enum AuditScope {
    /// Every row (admins, and team-scoped routes after their own access check).
    All,
    /// A user or local account: rows of their teams, plus rows where they are the actor
    /// (matched by their bound subject, and for local sessions by their username).
    User {
        /// The user.
        user_id: Uuid,
        /// Their bound OIDC subject.
        oidc_sub: Option<String>,
        /// Their local account name.
        username: Option<String>,
    },
    /// An M2M client: rows of its team, plus rows where it is the actor.
    M2m {
        /// Its team.
        team_id: Uuid,
        /// Its client id (recorded as `oidc_sub`).
        client_id: String,
    },
}

/// Filters of an audit listing; every one given narrows it (AND).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exact event types (any of).
    pub event_types: Vec<String>,
    /// Exact actor identity.
    pub user_identity: Option<String>,
    /// Team constraints (from `team`, `team_id` or the path); the row's team must equal each.
    pub teams: Vec<Uuid>,
    /// Target runner.
    pub runner_id: Option<String>,
    /// Actor types (any of).
    pub actor_types: Vec<String>,
    /// Outcome.
    pub success: Option<bool>,
    /// Inclusive lower bound on `timestamp`.
    pub since: Option<DateTime<Utc>>,
    /// Inclusive upper bound on `timestamp`.
    pub until: Option<DateTime<Utc>>,
}

/// An audit row with its team's name, resolved at read time.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditListRow {
    /// The stored row.
    #[sqlx(flatten)]
    pub row: AuditRow,
    /// The team's current name.
    pub team_name: Option<String>,
}

/// Rows and the team name, newest first.
const LIST_SELECT: &str = "select a.*, t.name as team_name from audit_log a left join teams t on t.id = a.team_id";

/// How a `where` clause is written for one statement on one database. The filter columns have
/// `(column, id)` indexes (migrations 0005, 0007), so a page reads one of them backwards and
/// stops after it, and a total counts one range.
#[derive(Debug, Clone, Copy)]
struct Form {
    /// PostgreSQL: a user's teams as `= any(array(…))`, which is an index condition there
    /// (`in (select …)` would be a filter on every row of the table for the total).
    postgres: bool,
    /// A page on SQLite: the visibility and time columns as `+column`, which SQLite does not
    /// look up in an index. It then reads the rows newest first and stops after the page; with
    /// an index on either it collects every visible match and sorts them all (the total keeps
    /// the plain columns: there collecting is what it has to do).
    scan: bool,
}

impl Form {
    fn of(db: &Db, page: bool) -> Self {
        Form { postgres: !db.is_sqlite(), scan: page && db.is_sqlite() }
    }

    /// `column`, or `+column` on a SQLite page.
    fn col(self, column: &str) -> String {
        if self.scan { format!("+{column}") } else { column.to_owned() }
    }
}

fn filters(scope: &AuditScope, f: &AuditFilter, form: Form) -> Filters {
    let mut w = Filters::default();
    let (team, sub) = (form.col("a.team_id"), form.col("a.oidc_sub"));
    match scope {
        AuditScope::All => {}
        AuditScope::User { user_id, oidc_sub, username } => {
            let member = w.arg(Arg::Uuid(*user_id));
            let teams = format!("select m.team_id from team_members m where m.user_id = {member}");
            let mut any = vec![if form.postgres { format!("{team} = any(array({teams}))") } else { format!("{team} in ({teams})") }];
            if let Some(s) = oidc_sub {
                let mark = w.arg(Arg::Text(s.clone()));
                any.push(format!("(a.actor_type in ('user', 'local_admin') and {sub} = {mark})"));
            }
            if let Some(name) = username {
                let mark = w.arg(Arg::Text(name.clone()));
                any.push(format!("(a.actor_type = 'local_admin' and lower(a.user_identity) = lower({mark}))"));
            }
            w.push(format!("({})", any.join(" or ")));
        }
        AuditScope::M2m { team_id, client_id } => {
            let t = w.arg(Arg::Uuid(*team_id));
            let client = w.arg(Arg::Text(client_id.clone()));
            w.push(format!("({team} = {t} or (a.actor_type = 'm2m' and {sub} = {client}))"));
        }
    }
    w.any_of("a.event_type", &f.event_types);
    w.equals("a.user_identity", f.user_identity.clone().map(Arg::Text));
    for team in &f.teams {
        w.equals("a.team_id", Some(Arg::Uuid(*team)));
    }
    w.equals("a.runner_id", f.runner_id.clone().map(Arg::Text));
    w.any_of("a.actor_type", &f.actor_types);
    w.equals("a.success", f.success.map(Arg::Bool));
    w.between(&form.col("a.timestamp"), f.since, f.until);
    w
}

impl Db {
    /// The page and the total of [`Db::list_audit`] (for their plans, [`Db::query_plan`]).
    pub fn audit_list_statements(&self, scope: &AuditScope, filter: &AuditFilter, limit: i64, offset: i64) -> ListStatements {
        let (count, page) = (filters(scope, filter, Form::of(self, false)), filters(scope, filter, Form::of(self, true)));
        let count_sql = format!("select count(*) from audit_log a{}", count.where_sql());
        let page_where = page.where_sql();
        ListStatements::paged(count_sql, &count, &page, |l, o| format!("{LIST_SELECT}{page_where} order by a.id desc limit {l} offset {o}"), limit, offset)
    }

    /// A page of the rows `scope` may see that match `filter`, newest first, and their total.
    pub async fn list_audit(&self, scope: &AuditScope, filter: &AuditFilter, limit: i64, offset: i64) -> Result<(Vec<AuditListRow>, i64), DbError> {
        self.fetch_list(self.audit_list_statements(scope, filter, limit, offset)).await
    }

    /// The newest audit id now (0 when the log is empty): an export's snapshot bound, so rows
    /// written while it streams (its own `audit_exported` row included) stay out of it.
    pub async fn max_audit_id(&self) -> Result<i64, DbError> {
        let max: Option<i64> = on_pool!(self, p => sqlx::query_scalar("select max(id) from audit_log").fetch_one(p).await?);
        Ok(max.unwrap_or(0))
    }

    /// How many rows `scope` may see that match `filter`, up to `max_id`.
    pub async fn count_audit_upto(&self, scope: &AuditScope, filter: &AuditFilter, max_id: i64) -> Result<i64, DbError> {
        let mut w = filters(scope, filter, Form::of(self, false));
        let upper = w.arg(Arg::Int(max_id));
        w.push(format!("a.id <= {upper}"));
        let sql = format!("select count(*) from audit_log a{}", w.where_sql());
        let args = w.args();
        Ok(on_pool!(self, p => bind_args!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), args).fetch_one(p).await?))
    }

    /// One page of an export: matching rows with `id <= upto`, newest first. The first page
    /// applies the caller's offset; later pages continue below the last id seen (keyset), so
    /// each page costs the same however deep the export goes.
    pub async fn audit_export_page(&self, scope: &AuditScope, filter: &AuditFilter, upto: i64, limit: i64, offset: i64) -> Result<Vec<AuditListRow>, DbError> {
        let mut w = filters(scope, filter, Form::of(self, true));
        let upper = w.arg(Arg::Int(upto));
        w.push(format!("a.id <= {upper}"));
        let (l, o) = (w.arg(Arg::Int(limit)), w.arg(Arg::Int(offset)));
        let sql = format!("{LIST_SELECT}{} order by a.id desc limit {l} offset {o}", w.where_sql());
        let args = w.args();
        Ok(on_pool!(self, p => bind_args!(sqlx::query_as::<_, AuditListRow>(sqlx::AssertSqlSafe(sql)), args).fetch_all(p).await?))
    }

    /// The stored timestamp of one audit row.
    pub async fn audit_timestamp(&self, id: i64) -> Result<Option<DateTime<Utc>>, DbError> {
        Ok(on_pool!(self, p => {
            sqlx::query_scalar::<_, DateTime<Utc>>("select timestamp from audit_log where id = $1").bind(id).fetch_optional(p).await?
        }))
    }
}
