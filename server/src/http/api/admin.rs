//! Admin statistics, sync and GitHub health routes (API.md §14). Thin: authorise → service → map.

use app::contract::ApiError;
use app::contract::admin::{AdminStatsResponse, GitHubHealthResponse, SyncStatusResponse, SyncTriggerResponse};
use axum::Json;
use axum::extract::State;
use http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppResult;
use crate::http::extract::AdminCaller;
use crate::services::{admin, github};
use crate::state::AppState;

/// The statistics, sync and GitHub health routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_stats)).routes(routes!(get_sync_status)).routes(routes!(trigger_sync)).routes(routes!(get_github_health))
}

/// `GET /api/v1/admin/stats`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/stats",
    tag = "admin",
    responses(
        (status = 200, description = "Counts", body = AdminStatsResponse)
    )
)]
pub async fn get_stats(State(s): State<AppState>, AdminCaller(_): AdminCaller) -> AppResult<Json<AdminStatsResponse>> {
    Ok(Json(admin::stats(&s).await?))
}

/// `GET /api/v1/admin/sync/status`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/sync/status",
    tag = "admin",
    responses(
        (status = 200, description = "The sync worker's status", body = SyncStatusResponse)
    )
)]
pub async fn get_sync_status(State(s): State<AppState>, AdminCaller(_): AdminCaller) -> AppResult<Json<SyncStatusResponse>> {
    Ok(Json(admin::sync_status(&s).await?))
}

/// `POST /api/v1/admin/sync/trigger` (no body).
#[utoipa::path(
    post,
    path = "/api/v1/admin/sync/trigger",
    tag = "admin",
    responses(
        (status = 202, description = "Scheduled (or already requested)", body = SyncTriggerResponse),
        (status = 409, description = "SYNC_DISABLED", body = ApiError)
    )
)]
pub async fn trigger_sync(State(s): State<AppState>, AdminCaller(c): AdminCaller) -> AppResult<(StatusCode, Json<SyncTriggerResponse>)> {
    Ok((StatusCode::ACCEPTED, Json(admin::trigger(&s, &c).await?)))
}

/// `GET /api/v1/admin/github`: what `gharts github check` reports, without secrets.
#[utoipa::path(
    get,
    path = "/api/v1/admin/github",
    tag = "admin",
    responses(
        (status = 200, description = "The GitHub App connection's health (state `ok`, `not_configured`, `unreachable` or `rejected`), within 10 s", body = GitHubHealthResponse)
    )
)]
pub async fn get_github_health(State(s): State<AppState>, AdminCaller(_): AdminCaller) -> Json<GitHubHealthResponse> {
    let org = s.config.github.as_ref().map(|g| g.org.as_str());
    Json(github::health(s.github.as_deref(), org, github::HEALTH_TIMEOUT).await)
}
