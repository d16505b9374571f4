//! The console's frame: the dashboard and the service status indicator.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::contract::ApiError;
use crate::contract::console::{Dashboard, ServiceStatus};

/// The status indicator's facts (`GET /health`; an unready service is `unhealthy`, not an error).
#[server(prefix = "/api/ui", endpoint = "status", input = Json)]
pub async fn get_service_status() -> Result<ServiceStatus, ApiError> {
    ssr::status().await
}

/// The dashboard, assembled from the runners list (counts), the caller's teams, the audit log
/// and the sync status, each as the caller may see it.
#[server(prefix = "/api/ui", endpoint = "dashboard", input = Json)]
pub async fn get_dashboard() -> Result<Dashboard, ApiError> {
    ssr::dashboard().await
}

#[cfg(feature = "ssr")]
mod ssr {
    use http::Method;

    use crate::contract::admin::SyncStatusResponse;
    use crate::contract::audit::AuditLogListResponse;
    use crate::contract::console::{Dashboard, RunnerCounts, ServiceStatus};
    use crate::contract::runners::RunnerListResponse;
    use crate::contract::teams::TeamResponse;
    use crate::contract::{ApiError, ErrorCode, MeResponse};
    use crate::ssr::{NO_BODY, rest};

    /// Audit events that make up "recent provisioning activity".
    const ACTIVITY_EVENTS: &str = "provision_jit,provision_jit_failed,runner_deleted";

    pub async fn status() -> Result<ServiceStatus, ApiError> {
        let health = match rest::<serde_json::Value>(Method::GET, "/health".into(), NO_BODY).await {
            Err(e) if e.error_code == ErrorCode::NotReady => serde_json::json!({ "status": "unhealthy" }),
            other => other?,
        };
        let text = |v: &serde_json::Value| v.as_str().unwrap_or("unknown").to_owned();
        Ok(ServiceStatus {
            status: text(&health["status"]),
            sync: text(&health["checks"]["sync"]),
            github: text(&health["checks"]["github"]),
            last_sync_time: health["last_sync_time"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&chrono::Utc)),
        })
    }

    async fn count(status: &str) -> Result<i64, ApiError> {
        Ok(rest::<RunnerListResponse>(Method::GET, format!("/api/v1/runners?status={status}&limit=1"), NO_BODY).await?.total)
    }

    pub async fn dashboard() -> Result<Dashboard, ApiError> {
        let me: MeResponse = rest(Method::GET, "/api/v1/auth/me".into(), NO_BODY).await?;
        let counts =
            RunnerCounts { pending: count("pending").await?, idle: count("idle").await?, busy: count("busy").await?, offline: count("offline").await? };
        let mut teams = Vec::with_capacity(me.teams.len());
        for t in &me.teams {
            teams.push(rest::<TeamResponse>(Method::GET, format!("/api/v1/admin/teams/{}", t.id), NO_BODY).await?);
        }
        let recent = rest::<AuditLogListResponse>(Method::GET, format!("/api/v1/audit-logs?event_type={ACTIVITY_EVENTS}&limit=8"), NO_BODY).await?.logs;
        let sync = if me.is_admin { Some(rest::<SyncStatusResponse>(Method::GET, "/api/v1/admin/sync/status".into(), NO_BODY).await?) } else { None };
        Ok(Dashboard { counts, teams, recent, status: status().await?, sync })
    }
}
