//! Team and membership routes (API.md §8, §9). Thin: parse → authorise → service → map.

use app::contract::ApiError;
use app::contract::teams::{
    LabelPolicyCheckRequest, LabelPolicyCheckResponse, MemberListResponse, MemberResponse, TeamCreateRequest, TeamDeactivateRequest, TeamListResponse,
    TeamPatchRequest, TeamResponse, UserTeamsResponse,
};
use axum::Json;
use axum::extract::State;
use http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::AppResult;
use crate::http::extract::{AdminCaller, ApiPath, ApiQuery, AppJson, Caller};
use crate::http::params::{flex_bool, page};
use crate::services::teams;
use crate::state::AppState;

/// The team and membership routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_team, list_teams))
        .routes(routes!(get_team, patch_team))
        .routes(routes!(deactivate_team))
        .routes(routes!(reactivate_team))
        .routes(routes!(list_members, add_member))
        .routes(routes!(remove_member))
        .routes(routes!(teams_of_user))
        .routes(routes!(validate_label_policy))
}

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
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AddMember {
    /// The user to add.
    user_id: Uuid,
}

/// `POST /api/v1/admin/teams`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/teams",
    tag = "teams",
    request_body = TeamCreateRequest,
    responses(
        (status = 201, description = "Created", body = TeamResponse),
        (status = 400, description = "TEAM_NAME_TAKEN", body = ApiError)
    )
)]
pub async fn create_team(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    AppJson(req): AppJson<TeamCreateRequest>,
) -> AppResult<(StatusCode, Json<TeamResponse>)> {
    Ok((StatusCode::CREATED, Json(teams::create(&s, &c, req).await?)))
}

/// `POST /api/v1/admin/teams/label-policy/validate`: the field errors team create and update
/// would answer for a label policy, without writing anything.
#[utoipa::path(
    post,
    path = "/api/v1/admin/teams/label-policy/validate",
    tag = "teams",
    request_body = LabelPolicyCheckRequest,
    responses(
        (status = 200, description = "The verdict: `valid`, and the field errors team create/update would answer", body = LabelPolicyCheckResponse),
        (status = 422, description = "VALIDATION_ERROR (the body is not a policy)", body = ApiError)
    )
)]
pub async fn validate_label_policy(AdminCaller(_): AdminCaller, AppJson(req): AppJson<LabelPolicyCheckRequest>) -> Json<LabelPolicyCheckResponse> {
    Json(teams::check_label_policy(req))
}

/// `GET /api/v1/admin/teams`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/teams",
    tag = "teams",
    params(("include_inactive" = Option<bool>, Query), ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000), ("offset" = Option<i64>, Query, minimum = 0)),
    responses(
        (status = 200, description = "Visible teams", body = TeamListResponse)
    )
)]
pub async fn list_teams(State(s): State<AppState>, c: Caller, ApiQuery(q): ApiQuery<ListQuery>) -> AppResult<Json<TeamListResponse>> {
    let p = page(q.limit, q.offset, 100, 1000)?;
    Ok(Json(teams::list(&s, &c, q.include_inactive.unwrap_or(false), p).await?))
}

/// `GET /api/v1/admin/teams/{team_id}`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/teams/{team_id}",
    tag = "teams",
    params(("team_id" = Uuid, Path, description = "Team id")),
    responses(
        (status = 200, description = "The team", body = TeamResponse),
        (status = 403, description = "NOT_TEAM_MEMBER", body = ApiError),
        (status = 404, description = "NOT_FOUND", body = ApiError)
    )
)]
pub async fn get_team(State(s): State<AppState>, c: Caller, ApiPath(id): ApiPath<Uuid>) -> AppResult<Json<TeamResponse>> {
    Ok(Json(teams::readable(&s, &c, id).await?))
}

/// `PATCH /api/v1/admin/teams/{team_id}`.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/teams/{team_id}",
    tag = "teams",
    params(("team_id" = Uuid, Path, description = "Team id")),
    request_body = TeamPatchRequest,
    responses(
        (status = 200, description = "Updated", body = TeamResponse),
        (status = 400, description = "SYSTEM_TEAM_IMMUTABLE", body = ApiError),
        (status = 404, description = "NOT_FOUND", body = ApiError)
    )
)]
pub async fn patch_team(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(req): AppJson<TeamPatchRequest>,
) -> AppResult<Json<TeamResponse>> {
    Ok(Json(teams::patch(&s, &c, id, req).await?))
}

/// `POST /api/v1/admin/teams/{team_id}/deactivate`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/teams/{team_id}/deactivate",
    tag = "teams",
    params(("team_id" = Uuid, Path, description = "Team id")),
    request_body = TeamDeactivateRequest,
    responses(
        (status = 200, description = "Deactivated", body = TeamResponse),
        (status = 400, description = "ALREADY_IN_STATE, SYSTEM_TEAM_IMMUTABLE", body = ApiError),
        (status = 404, description = "NOT_FOUND", body = ApiError)
    )
)]
pub async fn deactivate_team(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(req): AppJson<TeamDeactivateRequest>,
) -> AppResult<Json<TeamResponse>> {
    Ok(Json(teams::set_active(&s, &c, id, Some(req)).await?))
}

/// `POST /api/v1/admin/teams/{team_id}/reactivate`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/teams/{team_id}/reactivate",
    tag = "teams",
    params(("team_id" = Uuid, Path, description = "Team id")),
    responses(
        (status = 200, description = "Reactivated", body = TeamResponse),
        (status = 400, description = "ALREADY_IN_STATE, SYSTEM_TEAM_IMMUTABLE", body = ApiError),
        (status = 404, description = "NOT_FOUND", body = ApiError)
    )
)]
pub async fn reactivate_team(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath(id): ApiPath<Uuid>) -> AppResult<Json<TeamResponse>> {
    Ok(Json(teams::set_active(&s, &c, id, None).await?))
}

/// `GET /api/v1/admin/teams/{team_id}/members`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/teams/{team_id}/members",
    tag = "members",
    params(("team_id" = Uuid, Path, description = "Team id"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000), ("offset" = Option<i64>, Query, minimum = 0)),
    responses(
        (status = 200, description = "Members", body = MemberListResponse),
        (status = 403, description = "NOT_TEAM_MEMBER", body = ApiError),
        (status = 404, description = "NOT_FOUND", body = ApiError)
    )
)]
pub async fn list_members(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<Json<MemberListResponse>> {
    let p = page(q.limit, q.offset, 1000, 1000)?;
    let (team_name, members, total) = teams::members(&s, &c, id, p).await?;
    Ok(Json(MemberListResponse { team_id: id, team_name, members, total, limit: p.limit, offset: p.offset }))
}

/// `POST /api/v1/admin/teams/{team_id}/members`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/teams/{team_id}/members",
    tag = "members",
    params(("team_id" = Uuid, Path, description = "Team id")),
    request_body = AddMember,
    responses(
        (status = 201, description = "Added", body = MemberResponse),
        (status = 400, description = "INVALID_REFERENCE, ALREADY_MEMBER, SYSTEM_TEAM_IMMUTABLE", body = ApiError),
        (status = 404, description = "NOT_FOUND", body = ApiError)
    )
)]
pub async fn add_member(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(req): AppJson<AddMember>,
) -> AppResult<(StatusCode, Json<MemberResponse>)> {
    Ok((StatusCode::CREATED, Json(teams::add_member(&s, &c, id, req.user_id).await?)))
}

/// `DELETE /api/v1/admin/teams/{team_id}/members/{user_id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/teams/{team_id}/members/{user_id}",
    tag = "members",
    params(("team_id" = Uuid, Path, description = "Team id"), ("user_id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "MEMBERSHIP_NOT_FOUND, SYSTEM_TEAM_IMMUTABLE", body = ApiError),
        (status = 404, description = "NOT_FOUND", body = ApiError)
    )
)]
pub async fn remove_member(State(s): State<AppState>, AdminCaller(c): AdminCaller, ApiPath((id, user_id)): ApiPath<(Uuid, Uuid)>) -> AppResult<StatusCode> {
    teams::remove_member(&s, &c, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/admin/teams/users/{user_id}/teams`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/teams/users/{user_id}/teams",
    tag = "members",
    params(("user_id" = Uuid, Path, description = "User id"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000), ("offset" = Option<i64>, Query, minimum = 0)),
    responses(
        (status = 404, description = "NOT_FOUND (a malformed id)", body = ApiError),
        (status = 200, description = "The user's teams", body = UserTeamsResponse)
    )
)]
pub async fn teams_of_user(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(user_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<Json<UserTeamsResponse>> {
    let p = page(q.limit, q.offset, 100, 1000)?;
    let (teams, total) = teams::teams_of_user(&s, &c, user_id, p).await?;
    Ok(Json(UserTeamsResponse { user_id, teams, total, limit: p.limit, offset: p.offset }))
}
