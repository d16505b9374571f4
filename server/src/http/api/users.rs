//! User routes (API.md §10.0–§10.6). Thin: parse → authorise → service → map.

use app::contract::users::{UserCreateRequest, UserDeactivateRequest, UserListResponse, UserResponse, UserUpdateRequest};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{StatusCode, header};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::AppResult;
use crate::http::extract::{AdminCaller, ApiPath, ApiQuery, AppJson};
use crate::http::params::{flex_bool, page};
use crate::services::users;
use crate::state::AppState;

/// `GET /api/v1/admin/users` query.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default, deserialize_with = "flex_bool")]
    include_inactive: Option<bool>,
    #[serde(default, deserialize_with = "flex_bool")]
    is_admin: Option<bool>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `POST /api/v1/admin/users`.
pub async fn create_user(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    AppJson(req): AppJson<UserCreateRequest>,
) -> AppResult<(StatusCode, [(header::HeaderName, String); 1], Json<UserResponse>)> {
    let user = users::create(&s, &c, req).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/admin/users/{}", user.id))], Json(user)))
}

/// `GET /api/v1/admin/users`.
pub async fn list_users(State(s): State<AppState>, AdminCaller(_c): AdminCaller, ApiQuery(q): ApiQuery<ListQuery>) -> AppResult<Json<UserListResponse>> {
    let p = page(q.limit, q.offset, 100, 1000)?;
    Ok(Json(users::list(&s, q.include_inactive.unwrap_or(false), q.is_admin, p).await?))
}

/// `GET /api/v1/admin/users/{user_id}`.
pub async fn get_user(State(s): State<AppState>, AdminCaller(_c): AdminCaller, ApiPath(id): ApiPath<Uuid>) -> AppResult<Json<UserResponse>> {
    Ok(Json(users::get(&s, id).await?))
}

/// `PUT /api/v1/admin/users/{user_id}`.
pub async fn update_user(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath(id): ApiPath<Uuid>, AppJson(req): AppJson<UserUpdateRequest>) -> AppResult<Json<UserResponse>> {
    Ok(Json(users::update(&s, &c, id, req).await?))
}

/// `DELETE /api/v1/admin/users/{user_id}` (JSON body; a soft delete).
pub async fn delete_user(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath(id): ApiPath<Uuid>, AppJson(req): AppJson<UserDeactivateRequest>) -> AppResult<StatusCode> {
    users::deactivate(&s, &c, id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/admin/users/{user_id}/activate`.
pub async fn activate_user(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath(id): ApiPath<Uuid>) -> AppResult<Json<UserResponse>> {
    Ok(Json(users::activate(&s, &c, id).await?))
}

/// The user routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/users", post(create_user).get(list_users))
        .route("/api/v1/admin/users/{user_id}", get(get_user).put(update_user).delete(delete_user))
        .route("/api/v1/admin/users/{user_id}/activate", post(activate_user))
}
