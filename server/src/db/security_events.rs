//! Security events (API.md §3.8).

use serde_json::Value;
use uuid::Uuid;

use super::{Db, DbError, now};

/// A security event to record.
#[derive(Debug, Clone)]
pub struct NewSecurityEvent {
    /// What happened.
    pub event_type: &'static str,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: &'static str,
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
}

impl Db {
    /// Records a security event.
    pub async fn insert_security_event(&self, e: &NewSecurityEvent) -> Result<(), DbError> {
        let data = sqlx::types::Json(&e.violation_data);
        on_pool!(self, p => {
            sqlx::query(
                "insert into security_events (timestamp, event_type, severity, team_id, user_identity, oidc_sub, \
                 violation_data, action_taken, request_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(now())
            .bind(e.event_type)
            .bind(e.severity)
            .bind(e.team_id)
            .bind(&e.user_identity)
            .bind(&e.oidc_sub)
            .bind(data)
            .bind(&e.action_taken)
            .bind(&e.request_id)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Number of security events of a type (tests, diagnostics).
    pub async fn count_security_events(&self, event_type: &str) -> Result<i64, DbError> {
        Ok(on_pool!(self, p => {
            sqlx::query_scalar("select count(*) from security_events where event_type = $1").bind(event_type).fetch_one(p).await?
        }))
    }
}
