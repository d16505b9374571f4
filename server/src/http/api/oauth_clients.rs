//! OAuth (M2M) client routes (API.md §11). Thin: parse → authorise → service → map.

use app::contract::ApiError;
use app::contract::oauth_clients::{OAuthClientCreateRequest, OAuthClientListResponse, OAuthClientPatchRequest, OAuthClientResponse};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{StatusCode, header};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::AppResult;
use crate::http::extract::{AdminCaller, ApiPath, ApiQuery, AppJson};
use crate::http::params::{flex_bool, page};
use crate::services::oauth_clients;
use crate::state::AppState;

/// `GET /api/v1/admin/oauth-clients` query.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    team_id: Option<Uuid>,
    #[serde(default, deserialize_with = "flex_bool")]
    active_only: Option<bool>,
    limit: Option<i64>,
    offset: Option<i64>,
    /// The Python service's name for `offset`; used only when `offset` is absent.
    skip: Option<i64>,
}

/// `POST /api/v1/admin/oauth-clients`.
pub async fn create_client(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    AppJson(req): AppJson<OAuthClientCreateRequest>,
) -> AppResult<(StatusCode, [(header::HeaderName, String); 1], Json<OAuthClientResponse>)> {
    let client = oauth_clients::create(&s, &c, req).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/admin/oauth-clients/{}", client.id))], Json(client)))
}

/// `GET /api/v1/admin/oauth-clients`.
pub async fn list_clients(State(s): State<AppState>, AdminCaller(_c): AdminCaller, ApiQuery(q): ApiQuery<ListQuery>) -> AppResult<Json<OAuthClientListResponse>> {
    if q.offset.is_none() && q.skip.is_some_and(|n| n < 0) {
        return Err(ApiError::invalid_field("query.skip", "must be 0 or more").into());
    }
    let p = page(q.limit, q.offset.or(q.skip), 50, 200)?;
    Ok(Json(oauth_clients::list(&s, q.team_id, q.active_only.unwrap_or(true), p).await?))
}

/// `GET /api/v1/admin/oauth-clients/{id}`.
pub async fn get_client(State(s): State<AppState>, AdminCaller(_c): AdminCaller, ApiPath(id): ApiPath<Uuid>) -> AppResult<Json<OAuthClientResponse>> {
    Ok(Json(oauth_clients::get(&s, id).await?))
}

/// `PATCH /api/v1/admin/oauth-clients/{id}`.
pub async fn patch_client(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath(id): ApiPath<Uuid>, AppJson(req): AppJson<OAuthClientPatchRequest>) -> AppResult<Json<OAuthClientResponse>> {
    Ok(Json(oauth_clients::patch(&s, &c, id, req).await?))
}

/// `DELETE /api/v1/admin/oauth-clients/{id}`.
pub async fn delete_client(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath(id): ApiPath<Uuid>) -> AppResult<StatusCode> {
    oauth_clients::delete(&s, &c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The OAuth client routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/oauth-clients", post(create_client).get(list_clients))
        .route("/api/v1/admin/oauth-clients/{id}", get(get_client).patch(patch_client).delete(delete_client))
}
