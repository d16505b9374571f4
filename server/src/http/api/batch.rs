//! Batch incident routes on users and teams (API.md §10.7). `delete-runners` is with the runners.

use app::contract::ApiError;
use app::contract::batch::{BatchActionResponse, BatchDeactivateTeamsRequest, BatchDisableUsersRequest, BatchReactivateTeamsRequest, BatchRestoreUsersRequest};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};

use crate::error::AppResult;
use crate::http::extract::{AdminCaller, AppJson};
use crate::services::batch;
use crate::state::AppState;

/// `POST /api/v1/admin/batch/disable-users`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/batch/disable-users",
    tag = "batch",
    request_body = BatchDisableUsersRequest,
    responses(
        (status = 200, description = "Done (or computed, for a dry run)", body = BatchActionResponse),
        (status = 409, description = "LAST_ADMIN", body = ApiError)
    )
)]
pub async fn disable_users(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    AppJson(req): AppJson<BatchDisableUsersRequest>,
) -> AppResult<Json<BatchActionResponse>> {
    Ok(Json(batch::disable_users(&s, &c, req).await?))
}

/// `POST /api/v1/admin/batch/restore-users`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/batch/restore-users",
    tag = "batch",
    request_body = BatchRestoreUsersRequest,
    responses(
        (status = 200, description = "Done (or computed, for a dry run)", body = BatchActionResponse)
    )
)]
pub async fn restore_users(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    AppJson(req): AppJson<BatchRestoreUsersRequest>,
) -> AppResult<Json<BatchActionResponse>> {
    Ok(Json(batch::restore_users(&s, &c, req).await?))
}

/// `POST /api/v1/admin/batch/deactivate-teams`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/batch/deactivate-teams",
    tag = "batch",
    request_body = BatchDeactivateTeamsRequest,
    responses(
        (status = 200, description = "Done (or computed, for a dry run)", body = BatchActionResponse)
    )
)]
pub async fn deactivate_teams(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    AppJson(req): AppJson<BatchDeactivateTeamsRequest>,
) -> AppResult<Json<BatchActionResponse>> {
    Ok(Json(batch::deactivate_teams(&s, &c, req).await?))
}

/// `POST /api/v1/admin/batch/reactivate-teams`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/batch/reactivate-teams",
    tag = "batch",
    request_body = BatchReactivateTeamsRequest,
    responses(
        (status = 200, description = "Done (or computed, for a dry run)", body = BatchActionResponse)
    )
)]
pub async fn reactivate_teams(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    AppJson(req): AppJson<BatchReactivateTeamsRequest>,
) -> AppResult<Json<BatchActionResponse>> {
    Ok(Json(batch::reactivate_teams(&s, &c, req).await?))
}

/// The batch routes on users and teams.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/batch/disable-users", post(disable_users))
        .route("/api/v1/admin/batch/restore-users", post(restore_users))
        .route("/api/v1/admin/batch/deactivate-teams", post(deactivate_teams))
        .route("/api/v1/admin/batch/reactivate-teams", post(reactivate_teams))
}
