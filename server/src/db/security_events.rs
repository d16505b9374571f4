//! Security events (API.md §3.8).

use app::contract::{SecurityEventType, Severity};
use serde_json::Value;
use uuid::Uuid;

use super::filter::{Arg, Filters};
use super::plan::ListStatements;
use super::{Db, DbError, now};
use crate::metrics::Metrics;

/// A security event to record.
#[derive(Debug, Clone)]
pub struct NewSecurityEvent {
    /// What happened.
    pub event_type: SecurityEventType,
    /// How serious.
    pub severity: Severity,
    /// The actor's identity, or `system`.
    pub user_identity: String,
    /// The actor's subject.
    pub oidc_sub: Option<String>,
    /// Team concerned.
    pub team_id: Option<Uuid>,
    /// Details.
    pub violation_data: Value,
    /// What GHARTS did.
    pub action_taken: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// The runner concerned (GHARTS id), if any.
    pub runner_id: Option<String>,
    /// Its name.
    pub runner_name: Option<String>,
    /// Its GitHub id.
    pub github_runner_id: Option<i64>,
}

impl NewSecurityEvent {
    /// An event of this type and severity with every other field empty (fill in with `..`).
    pub fn new(event_type: SecurityEventType, severity: Severity) -> Self {
        Self {
            event_type,
            severity,
            user_identity: String::new(),
            oidc_sub: None,
            team_id: None,
            violation_data: Value::Null,
            action_taken: None,
            request_id: None,
            runner_id: None,
            runner_name: None,
            github_runner_id: None,
        }
    }
}

impl Db {
    /// Stores a security event and counts it in `gharts_security_events_total` (every write
    /// outside a batch transaction goes through here, so the metric and the table agree).
    pub async fn record_security_event(&self, metrics: &Metrics, e: &NewSecurityEvent) -> Result<(), DbError> {
        self.insert_security_event(e).await?;
        metrics.security_event(e.event_type, e.severity);
        Ok(())
    }

    /// Stores a security event without counting it (tests seed rows with this).
    pub async fn insert_security_event(&self, e: &NewSecurityEvent) -> Result<(), DbError> {
        let data = sqlx::types::Json(&e.violation_data);
        on_pool!(self, p => {
            sqlx::query(
                "insert into security_events (timestamp, event_type, severity, team_id, user_identity, oidc_sub, \
                 violation_data, action_taken, request_id, runner_id, runner_name, github_runner_id) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(now())
            .bind(e.event_type.as_str())
            .bind(e.severity.as_str())
            .bind(e.team_id)
            .bind(&e.user_identity)
            .bind(&e.oidc_sub)
            .bind(data)
            .bind(&e.action_taken)
            .bind(&e.request_id)
            .bind(&e.runner_id)
            .bind(&e.runner_name)
            .bind(e.github_runner_id)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }
}

/// Filters of a security event listing; every one given narrows it (AND).
#[derive(Debug, Clone, Default)]
pub struct SecurityEventFilter {
    /// Exact event types (any of).
    pub event_types: Vec<String>,
    /// Severities (any of).
    pub severities: Vec<Severity>,
    /// Exact actor identity.
    pub user_identity: Option<String>,
    /// Team constraints (from `team_id`, `team` or the path); the row's team must equal each.
    pub teams: Vec<Uuid>,
    /// Inclusive lower bound on `timestamp`.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Inclusive upper bound on `timestamp`.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// A stored security event with its team's name, resolved at read time.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecurityEventRow {
    /// Increasing id.
    pub id: i64,
    /// When.
    pub timestamp: chrono::DateTime<chrono::Utc>,
    /// What.
    pub event_type: String,
    /// How serious.
    #[sqlx(try_from = "String")]
    pub severity: Severity,
    /// Runner concerned.
    pub runner_id: Option<String>,
    /// Its name.
    pub runner_name: Option<String>,
    /// Its GitHub id.
    pub github_runner_id: Option<i64>,
    /// Team concerned.
    pub team_id: Option<Uuid>,
    /// The team's current name.
    pub team_name: Option<String>,
    /// The actor's identity.
    pub user_identity: String,
    /// The actor's subject.
    pub oidc_sub: Option<String>,
    /// The details as stored (JSON text; legacy rows may hold anything).
    pub violation_data: String,
    /// What GHARTS did.
    pub action_taken: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
}

/// The filter as a `where` clause; `scan` writes the time column as `+s.timestamp`, which
/// SQLite does not look up in an index, so that a page reads the events newest first and stops
/// after it instead of sorting every event in the range (see `audit_query`).
fn filters(filter: &SecurityEventFilter, scan: bool) -> Filters {
    let mut w = Filters::default();
    w.any_of("s.event_type", &filter.event_types);
    w.any_of("s.severity", &filter.severities.iter().map(|s| s.as_str().to_owned()).collect::<Vec<_>>());
    w.equals("s.user_identity", filter.user_identity.clone().map(Arg::Text));
    for team in &filter.teams {
        w.equals("s.team_id", Some(Arg::Uuid(*team)));
    }
    w.between(if scan { "+s.timestamp" } else { "s.timestamp" }, filter.since, filter.until);
    w
}

impl Db {
    /// The page and the total of [`Db::list_security_events`].
    pub fn security_event_list_statements(&self, filter: &SecurityEventFilter, limit: i64, offset: i64) -> ListStatements {
        let (count, page) = (filters(filter, false), filters(filter, self.is_sqlite()));
        let count_sql = format!("select count(*) from security_events s{}", count.where_sql());
        let page_where = page.where_sql();
        // jsonb (PostgreSQL) and text (SQLite) both read back as text; parsing is the caller's.
        let page_sql = |l: &str, o: &str| {
            format!(
                "select s.id, s.timestamp, s.event_type, s.severity, s.runner_id, s.runner_name, s.github_runner_id, s.team_id, \
                 t.name as team_name, s.user_identity, s.oidc_sub, cast(s.violation_data as text) as violation_data, \
                 s.action_taken, s.request_id from security_events s left join teams t on t.id = s.team_id{page_where} \
                 order by s.id desc limit {l} offset {o}"
            )
        };
        ListStatements::paged(count_sql, &count, &page, page_sql, limit, offset)
    }

    /// A page of security events matching `filter`, newest first, and their total.
    pub async fn list_security_events(&self, filter: &SecurityEventFilter, limit: i64, offset: i64) -> Result<(Vec<SecurityEventRow>, i64), DbError> {
        self.fetch_list(self.security_event_list_statements(filter, limit, offset)).await
    }
}
