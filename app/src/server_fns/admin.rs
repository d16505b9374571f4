//! Admin overview: statistics, the sync worker, "sync now" and the GitHub App's health.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::ssr::{NO_BODY, rest};
#[cfg(feature = "ssr")]
use http::Method;

use crate::contract::ApiError;
use crate::contract::admin::{AdminStatsResponse, GitHubHealthResponse, SyncStatusResponse, SyncTriggerResponse};

/// `GET /api/v1/admin/stats`.
#[server(prefix = "/api/ui", endpoint = "admin/stats", input = Json)]
pub async fn admin_stats() -> Result<AdminStatsResponse, ApiError> {
    rest(Method::GET, "/api/v1/admin/stats".into(), NO_BODY).await
}

/// `GET /api/v1/admin/sync/status`.
#[server(prefix = "/api/ui", endpoint = "admin/sync-status", input = Json)]
pub async fn sync_status() -> Result<SyncStatusResponse, ApiError> {
    rest(Method::GET, "/api/v1/admin/sync/status".into(), NO_BODY).await
}

/// `POST /api/v1/admin/sync/trigger`: asks the leader to run a cycle now.
#[server(prefix = "/api/ui", endpoint = "admin/sync-trigger", input = Json)]
pub async fn trigger_sync() -> Result<SyncTriggerResponse, ApiError> {
    rest(Method::POST, "/api/v1/admin/sync/trigger".into(), NO_BODY).await
}

/// `GET /api/v1/admin/github`: the App, its installation, the token and the rate-limit budget.
#[server(prefix = "/api/ui", endpoint = "admin/github", input = Json)]
pub async fn github_health() -> Result<GitHubHealthResponse, ApiError> {
    rest(Method::GET, "/api/v1/admin/github".into(), NO_BODY).await
}

/// Security events of the last 24 hours by severity, most serious first
/// (`GET /api/v1/admin/security-events?severity=…&since=…`, counted by the server).
#[server(prefix = "/api/ui", endpoint = "admin/security-last-day", input = Json)]
pub async fn security_last_day() -> Result<Vec<(crate::contract::Severity, i64)>, ApiError> {
    use crate::contract::security::SecurityEventListResponse;
    let since = (chrono::Utc::now() - chrono::Duration::hours(24)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut counts = Vec::new();
    for s in crate::contract::Severity::ALL.iter().rev() {
        let q = crate::ssr::query(&[("severity", s.as_str()), ("since", since.as_str()), ("limit", "1")])?;
        let list: SecurityEventListResponse = crate::ssr::rest(Method::GET, format!("/api/v1/admin/security-events?{q}"), NO_BODY).await?;
        counts.push((*s, list.total));
    }
    Ok(counts)
}
