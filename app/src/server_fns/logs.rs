//! The audit log and security events, as the caller may read them (admins: everything; team
//! members: their teams'), and the audit chain's verification.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::ssr::{NO_BODY, query, rest};
#[cfg(feature = "ssr")]
use http::Method;

use crate::contract::ApiError;
use crate::contract::audit::{AuditLogListResponse, AuditLogQuery, AuditVerifyResponse};
use crate::contract::security::{SecurityEventListResponse, SecurityEventQuery};

/// A page of the audit log the caller may read (`GET /api/v1/audit-logs`).
#[server(prefix = "/api/ui", endpoint = "audit/list", input = Json)]
pub async fn audit_page(filter: AuditLogQuery) -> Result<AuditLogListResponse, ApiError> {
    rest(Method::GET, format!("/api/v1/audit-logs?{}", query(&filter)?), NO_BODY).await
}

/// Admins: recomputes the audit chain (`GET /api/v1/admin/audit-logs/verify`).
#[server(prefix = "/api/ui", endpoint = "audit/verify", input = Json)]
pub async fn verify_audit_chain() -> Result<AuditVerifyResponse, ApiError> {
    rest(Method::GET, "/api/v1/admin/audit-logs/verify".into(), NO_BODY).await
}

/// A page of security events: every event for admins (`GET /api/v1/admin/security-events`),
/// one team's for its members (`GET /api/v1/admin/teams/{id}/security-events`): `team_id` picks
/// the team's own list, which members may read.
#[server(prefix = "/api/ui", endpoint = "security/list", input = Json)]
pub async fn security_page(filter: SecurityEventQuery) -> Result<SecurityEventListResponse, ApiError> {
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
