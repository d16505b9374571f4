//! Batch incident routes (API.md §10.7): users, runners and teams, each one call to
//! [`crate::services::batch`].

use app::contract::ApiError;
use app::contract::batch::{
    BatchActionResponse, BatchDeactivateTeamsRequest, BatchDeleteRunnersRequest, BatchDisableUsersRequest, BatchReactivateTeamsRequest,
    BatchRestoreUsersRequest,
};
use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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

/// `POST /api/v1/admin/batch/delete-runners`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/batch/delete-runners",
    tag = "batch",
    request_body = BatchDeleteRunnersRequest,
    responses(
        (status = 200, description = "Per-runner outcome; GitHub failures leave rows unchanged", body = BatchActionResponse)
    )
)]
pub async fn batch_delete_runners(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    AppJson(req): AppJson<BatchDeleteRunnersRequest>,
) -> AppResult<Json<BatchActionResponse>> {
    Ok(Json(batch::runners::delete_runners(&s, &c, req).await?))
}

/// The batch incident routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(disable_users))
        .routes(routes!(restore_users))
        .routes(routes!(batch_delete_runners))
        .routes(routes!(deactivate_teams))
        .routes(routes!(reactivate_teams))
}
