//! OAuth (M2M) client routes (API.md §11). Thin: parse → authorise → service → map.

use app::contract::ApiError;
use app::contract::oauth_clients::{OAuthClientCreateRequest, OAuthClientListResponse, OAuthClientPatchRequest, OAuthClientResponse};
use axum::Json;
use axum::extract::State;
use http::{StatusCode, header};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
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
#[utoipa::path(
    post,
    path = "/api/v1/admin/oauth-clients",
    tag = "oauth-clients",
    request_body = OAuthClientCreateRequest,
    responses(
        (status = 201, description = "Registered (with `Location`)", body = OAuthClientResponse),
        (status = 400, description = "SYSTEM_TEAM_IMMUTABLE", body = ApiError),
        (status = 404, description = "NOT_FOUND: no such team", body = ApiError),
        (status = 409, description = "OAUTH_CLIENT_ALREADY_REGISTERED, TEAM_HAS_ACTIVE_CLIENT", body = ApiError)
    )
)]
pub async fn create_client(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    AppJson(req): AppJson<OAuthClientCreateRequest>,
) -> AppResult<(StatusCode, [(header::HeaderName, String); 1], Json<OAuthClientResponse>)> {
    let client = oauth_clients::create(&s, &c, req).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/admin/oauth-clients/{}", client.id))], Json(client)))
}

/// `GET /api/v1/admin/oauth-clients`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/oauth-clients",
    tag = "oauth-clients",
    params(("team_id" = Option<Uuid>, Query), ("active_only" = Option<bool>, Query, description = "Default true"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 200), ("offset" = Option<i64>, Query, minimum = 0), ("skip" = Option<i64>, Query, minimum = 0, description = "Alias of offset, used only when offset is absent")),
    responses(
        (status = 200, description = "Registrations, newest first", body = OAuthClientListResponse)
    )
)]
pub async fn list_clients(
    State(s): State<AppState>,
    AdminCaller(_c): AdminCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<OAuthClientListResponse>> {
    if q.offset.is_none() && q.skip.is_some_and(|n| n < 0) {
        return Err(ApiError::invalid_field("query.skip", "must be 0 or more").into());
    }
    let p = page(q.limit, q.offset.or(q.skip), 50, 200)?;
    Ok(Json(oauth_clients::list(&s, q.team_id, q.active_only.unwrap_or(true), p).await?))
}

/// `GET /api/v1/admin/oauth-clients/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/oauth-clients/{id}",
    tag = "oauth-clients",
    params(("id" = Uuid, Path, description = "Registration id")),
    responses(
        (status = 200, description = "The registration", body = OAuthClientResponse),
        (status = 404, description = "NOT_FOUND: no such registration", body = ApiError)
    )
)]
pub async fn get_client(State(s): State<AppState>, AdminCaller(_c): AdminCaller, ApiPath(id): ApiPath<Uuid>) -> AppResult<Json<OAuthClientResponse>> {
    Ok(Json(oauth_clients::get(&s, id).await?))
}

/// `PATCH /api/v1/admin/oauth-clients/{id}`.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/oauth-clients/{id}",
    tag = "oauth-clients",
    params(("id" = Uuid, Path, description = "Registration id")),
    request_body = OAuthClientPatchRequest,
    responses(
        (status = 200, description = "Updated", body = OAuthClientResponse),
        (status = 404, description = "NOT_FOUND: no such registration", body = ApiError),
        (status = 409, description = "TEAM_HAS_ACTIVE_CLIENT", body = ApiError)
    )
)]
pub async fn patch_client(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(req): AppJson<OAuthClientPatchRequest>,
) -> AppResult<Json<OAuthClientResponse>> {
    Ok(Json(oauth_clients::patch(&s, &c, id, req).await?))
}

/// `DELETE /api/v1/admin/oauth-clients/{id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/oauth-clients/{id}",
    tag = "oauth-clients",
    params(("id" = Uuid, Path, description = "Registration id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "NOT_FOUND: no such registration", body = ApiError)
    )
)]
pub async fn delete_client(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath(id): ApiPath<Uuid>) -> AppResult<StatusCode> {
    oauth_clients::delete(&s, &c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The OAuth client registration routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_client, list_clients)).routes(routes!(get_client, patch_client, delete_client))
}
