//! Team and membership routes (API.md §8, §9). Thin: parse → authorise → service → map.

use app::contract::teams::{MemberResponse, TeamCreateRequest, TeamDeactivateRequest, TeamListResponse, TeamPatchRequest, TeamResponse};
use axum::Json;
use axum::extract::State;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::AppResult;
use crate::http::extract::{AdminCaller, ApiPath, ApiQuery, AppJson, Caller};
use crate::http::params::{flex_bool, page};
use crate::services::teams;
use crate::state::AppState;

/// `GET /api/v1/admin/teams` query.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default, deserialize_with = "flex_bool")]
    include_inactive: Option<bool>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Pagination only.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `POST …/members` body.
#[derive(Debug, Deserialize)]
pub struct AddMember {
    user_id: Uuid,
}

/// `POST /api/v1/admin/teams`.
pub async fn create_team(State(s): State<AppState>, AdminCaller(c): AdminCaller, AppJson(req): AppJson<TeamCreateRequest>) -> AppResult<(StatusCode, Json<TeamResponse>)> {
    Ok((StatusCode::CREATED, Json(teams::create(&s, &c, req).await?)))
}

/// `GET /api/v1/admin/teams`.
pub async fn list_teams(State(s): State<AppState>, c: Caller, ApiQuery(q): ApiQuery<ListQuery>) -> AppResult<Json<TeamListResponse>> {
    let p = page(q.limit, q.offset, 100, 1000)?;
    Ok(Json(teams::list(&s, &c, q.include_inactive.unwrap_or(false), p).await?))
}

/// `GET /api/v1/admin/teams/{team_id}`.
pub async fn get_team(State(s): State<AppState>, c: Caller, ApiPath(id): ApiPath<Uuid>) -> AppResult<Json<TeamResponse>> {
    Ok(Json(teams::readable(&s, &c, id).await?))
}

/// `PATCH /api/v1/admin/teams/{team_id}`.
pub async fn patch_team(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath(id): ApiPath<Uuid>, AppJson(req): AppJson<TeamPatchRequest>) -> AppResult<Json<TeamResponse>> {
    Ok(Json(teams::patch(&s, &c, id, req).await?))
}

/// `POST /api/v1/admin/teams/{team_id}/deactivate`.
pub async fn deactivate_team(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath(id): ApiPath<Uuid>, AppJson(req): AppJson<TeamDeactivateRequest>) -> AppResult<Json<TeamResponse>> {
    Ok(Json(teams::set_active(&s, &c, id, Some(req)).await?))
}

/// `POST /api/v1/admin/teams/{team_id}/reactivate`.
pub async fn reactivate_team(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath(id): ApiPath<Uuid>) -> AppResult<Json<TeamResponse>> {
    Ok(Json(teams::set_active(&s, &c, id, None).await?))
}

/// `GET /api/v1/admin/teams/{team_id}/members`.
pub async fn list_members(State(s): State<AppState>, c: Caller, ApiPath(id): ApiPath<Uuid>, ApiQuery(q): ApiQuery<PageQuery>) -> AppResult<Json<Value>> {
    let p = page(q.limit, q.offset, 1000, 1000)?;
    let (team_name, members, total) = teams::members(&s, &c, id, p).await?;
    Ok(Json(json!({ "team_id": id, "team_name": team_name, "members": members, "total": total, "limit": p.limit, "offset": p.offset })))
}

/// `POST /api/v1/admin/teams/{team_id}/members`.
pub async fn add_member(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath(id): ApiPath<Uuid>, AppJson(req): AppJson<AddMember>) -> AppResult<(StatusCode, Json<MemberResponse>)> {
    Ok((StatusCode::CREATED, Json(teams::add_member(&s, &c, id, req.user_id).await?)))
}

/// `DELETE /api/v1/admin/teams/{team_id}/members/{user_id}`.
pub async fn remove_member(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath((id, user_id)): ApiPath<(Uuid, Uuid)>) -> AppResult<StatusCode> {
    teams::remove_member(&s, &c, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/admin/teams/users/{user_id}/teams`.
pub async fn teams_of_user(State(s): State<AppState>, c: Caller, ApiPath(user_id): ApiPath<Uuid>, ApiQuery(q): ApiQuery<PageQuery>) -> AppResult<Json<Value>> {
    let p = page(q.limit, q.offset, 100, 1000)?;
    let (teams, total) = teams::teams_of_user(&s, &c, user_id, p).await?;
    Ok(Json(json!({ "user_id": user_id, "teams": teams, "total": total, "limit": p.limit, "offset": p.offset })))
}
