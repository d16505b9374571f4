//! The audit log and security events, as the caller may read them (admins: everything; team
//! members: their teams'), and the audit chain's verification.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::ssr::{NO_BODY, query, rest};
#[cfg(feature = "ssr")]
use http::Method;

use crate::contract::ApiError;
use crate::contract::audit::{AuditLogListResponse, AuditVerifyResponse};
use crate::contract::security::SecurityEventListResponse;

/// Audit filters, as `GET /api/v1/audit-logs` takes them (`None` = no filter).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Comma-separated event types.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// The actor's identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_identity: Option<String>,
    /// A team's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// Inclusive lower bound (RFC 3339 or `YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Inclusive upper bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
}

/// Security-event filters (`team_id` set: the team's own list, which members may read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityFilter {
    /// Comma-separated event types.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// Comma-separated severities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// The actor's identity (admins' list only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_identity: Option<String>,
    /// The team (members: required, one of theirs); it picks the route, it is not a query parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    /// Inclusive lower bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Inclusive upper bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
}

/// A page of the audit log the caller may read (`GET /api/v1/audit-logs`).
#[server(prefix = "/api/ui", endpoint = "audit/list", input = Json)]
pub async fn audit_page(filter: AuditFilter) -> Result<AuditLogListResponse, ApiError> {
    rest(Method::GET, format!("/api/v1/audit-logs?{}", query(&filter)?), NO_BODY).await
}

/// Admins: recomputes the audit chain (`GET /api/v1/admin/audit-logs/verify`).
#[server(prefix = "/api/ui", endpoint = "audit/verify", input = Json)]
pub async fn verify_audit_chain() -> Result<AuditVerifyResponse, ApiError> {
    rest(Method::GET, "/api/v1/admin/audit-logs/verify".into(), NO_BODY).await
}

/// A page of security events: every event for admins (`GET /api/v1/admin/security-events`),
/// one team's for its members (`GET /api/v1/admin/teams/{id}/security-events`).
#[server(prefix = "/api/ui", endpoint = "security/list", input = Json)]
pub async fn security_page(filter: SecurityFilter) -> Result<SecurityEventListResponse, ApiError> {
    let mut filter = filter;
    let team_id = filter.team_id.take();
    let q = query(&filter)?;
    match team_id {
        Some(team) => {
            let r: crate::contract::security::TeamSecurityEventListResponse =
                rest(Method::GET, format!("/api/v1/admin/teams/{team}/security-events?{q}"), NO_BODY).await?;
            Ok(SecurityEventListResponse { events: r.events, total: r.total, limit: r.limit, offset: r.offset })
        }
        None => rest(Method::GET, format!("/api/v1/admin/security-events?{q}"), NO_BODY).await,
    }
}
