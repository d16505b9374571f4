//! Admin overview: statistics, the sync worker, and "sync now".

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::ssr::{NO_BODY, rest};
#[cfg(feature = "ssr")]
use http::Method;

use crate::contract::ApiError;
use crate::contract::admin::{AdminStatsResponse, SyncStatusResponse, SyncTriggerResponse};

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
