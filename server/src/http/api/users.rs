//! User routes (API.md §10.0–§10.6). Thin: parse → authorise → service → map.

use app::contract::ApiError;
use app::contract::users::{UserCreateRequest, UserDeactivateRequest, UserListQuery, UserListResponse, UserResponse, UserUpdateRequest};
use axum::Json;
use axum::extract::State;
use http::{StatusCode, header};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::AppResult;
use crate::http::extract::{AdminCaller, ApiPath, ApiQuery, AppJson};
use crate::http::params::page;
use crate::services::users;
use crate::state::AppState;

/// `POST /api/v1/admin/users`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users",
    tag = "users",
    request_body = UserCreateRequest,
    responses(
        (status = 201, description = "Created (with `Location`)", body = UserResponse),
        (status = 400, description = "INVALID_REFERENCE", body = ApiError),
        (status = 409, description = "USER_ALREADY_EXISTS", body = ApiError)
    )
)]
pub async fn create_user(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    AppJson(req): AppJson<UserCreateRequest>,
) -> AppResult<(StatusCode, [(header::HeaderName, String); 1], Json<UserResponse>)> {
    let user = users::create(&s, &c, req).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/admin/users/{}", user.id))], Json(user)))
}

/// `GET /api/v1/admin/users`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    tag = "users",
    params(("include_inactive" = Option<bool>, Query), ("active" = Option<bool>, Query, description = "Only active (true) or only deactivated (false) users; overrides include_inactive"), ("is_admin" = Option<bool>, Query), ("search" = Option<String>, Query, description = "Case-insensitive substring of the email, display name, OIDC subject or username"), ("not_member_of" = Option<Uuid>, Query, description = "Only users who are not members of this team"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000), ("offset" = Option<i64>, Query, minimum = 0)),
    responses(
        (status = 200, description = "Users, newest first", body = UserListResponse)
    )
)]
pub async fn list_users(State(s): State<AppState>, AdminCaller(_c): AdminCaller, ApiQuery(q): ApiQuery<UserListQuery>) -> AppResult<Json<UserListResponse>> {
    let p = page(q.limit, q.offset, 100, 1000)?;
    Ok(Json(users::list(&s, &q, p).await?))
}

/// `GET /api/v1/admin/users/{user_id}`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users/{user_id}",
    tag = "users",
    params(("user_id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = UserResponse),
        (status = 404, description = "NOT_FOUND: no such user", body = ApiError)
    )
)]
pub async fn get_user(State(s): State<AppState>, AdminCaller(_c): AdminCaller, ApiPath(id): ApiPath<Uuid>) -> AppResult<Json<UserResponse>> {
    Ok(Json(users::get(&s, id).await?))
}

/// `PUT /api/v1/admin/users/{user_id}`.
#[utoipa::path(
    put,
    path = "/api/v1/admin/users/{user_id}",
    tag = "users",
    params(("user_id" = Uuid, Path, description = "User id")),
    request_body = UserUpdateRequest,
    responses(
        (status = 200, description = "Updated", body = UserResponse),
        (status = 400, description = "NOTHING_TO_UPDATE", body = ApiError),
        (status = 404, description = "NOT_FOUND: no such user", body = ApiError),
        (status = 409, description = "LAST_ADMIN", body = ApiError)
    )
)]
pub async fn update_user(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(req): AppJson<UserUpdateRequest>,
) -> AppResult<Json<UserResponse>> {
    Ok(Json(users::update(&s, &c, id, req).await?))
}

/// `DELETE /api/v1/admin/users/{user_id}` (JSON body; a soft delete).
#[utoipa::path(
    delete,
    path = "/api/v1/admin/users/{user_id}",
    tag = "users",
    params(("user_id" = Uuid, Path, description = "User id")),
    request_body = UserDeactivateRequest,
    responses(
        (status = 204, description = "Deactivated"),
        (status = 404, description = "NOT_FOUND: no such user", body = ApiError),
        (status = 409, description = "LAST_ADMIN", body = ApiError)
    )
)]
pub async fn delete_user(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(req): AppJson<UserDeactivateRequest>,
) -> AppResult<StatusCode> {
    users::deactivate(&s, &c, id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/admin/users/{user_id}/activate`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{user_id}/activate",
    tag = "users",
    params(("user_id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "Active", body = UserResponse),
        (status = 404, description = "NOT_FOUND: no such user", body = ApiError)
    )
)]
pub async fn activate_user(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath(id): ApiPath<Uuid>) -> AppResult<Json<UserResponse>> {
    Ok(Json(users::activate(&s, &c, id).await?))
}

/// The user account routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_user, list_users)).routes(routes!(get_user, update_user, delete_user)).routes(routes!(activate_user))
}
