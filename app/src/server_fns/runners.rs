//! Runners: the list, one runner, its audit trail, refresh and delete, and the admins' bulk delete.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::ssr::{NO_BODY, query, rest};
#[cfg(feature = "ssr")]
use http::Method;

use crate::contract::ApiError;
use crate::contract::audit::AuditLogListResponse;
use crate::contract::batch::{BatchActionResponse, BatchDeleteRunnersRequest};
use crate::contract::runners::{DeprovisionResponse, RunnerListQuery, RunnerListResponse, RunnerStatus};

/// A page of the runners the caller may see (`GET /api/v1/runners`).
#[server(prefix = "/api/ui", endpoint = "runners/list", input = Json)]
pub async fn list_runners(filter: RunnerListQuery) -> Result<RunnerListResponse, ApiError> {
    rest(Method::GET, format!("/api/v1/runners?{}", query(&filter)?), NO_BODY).await
}

/// One runner (`GET /api/v1/runners/{id}`).
#[server(prefix = "/api/ui", endpoint = "runners/get", input = Json)]
pub async fn get_runner(runner_id: Uuid) -> Result<RunnerStatus, ApiError> {
    rest(Method::GET, format!("/api/v1/runners/{runner_id}"), NO_BODY).await
}

/// Asks GitHub for the runner's state now (`POST /api/v1/runners/{id}/refresh`).
#[server(prefix = "/api/ui", endpoint = "runners/refresh", input = Json)]
pub async fn refresh_runner(runner_id: Uuid) -> Result<RunnerStatus, ApiError> {
    rest(Method::POST, format!("/api/v1/runners/{runner_id}/refresh"), NO_BODY).await
}

/// Deletes the runner at GitHub and marks it deleted (`DELETE /api/v1/runners/{id}`).
#[server(prefix = "/api/ui", endpoint = "runners/delete", input = Json)]
pub async fn delete_runner(runner_id: Uuid) -> Result<DeprovisionResponse, ApiError> {
    rest(Method::DELETE, format!("/api/v1/runners/{runner_id}"), NO_BODY).await
}

/// The runner's audit trail, newest first (`GET /api/v1/audit-logs?runner_id=…`).
#[server(prefix = "/api/ui", endpoint = "runners/audit", input = Json)]
pub async fn runner_audit(runner_id: Uuid) -> Result<AuditLogListResponse, ApiError> {
    rest(Method::GET, format!("/api/v1/audit-logs?runner_id={runner_id}&limit=50"), NO_BODY).await
}

/// Admins: deletes runners in bulk with a reason; `dry_run` previews (`POST /api/v1/admin/batch/delete-runners`).
#[server(prefix = "/api/ui", endpoint = "runners/batch-delete", input = Json)]
pub async fn batch_delete_runners(request: BatchDeleteRunnersRequest) -> Result<BatchActionResponse, ApiError> {
    rest(Method::POST, "/api/v1/admin/batch/delete-runners".into(), Some(&request)).await
}
