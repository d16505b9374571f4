//! Runner routes (API.md §7).

use app::contract::runners::{
    DeprovisionResponse, DryRunResponse, JitProvisionRequest, JitProvisionResponse, RunnerListQuery, RunnerListResponse, RunnerStatus,
};
use app::contract::{ApiError, RunnerLifecycle};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::db::runners::RunnerFilter;
use crate::error::AppResult;
use crate::http::extract::{ApiPath, ApiQuery, AppJson, Caller, JitCaller};
use crate::http::params::{list, page};
use crate::services::{provisioning, runners};
use crate::state::AppState;

/// The runner routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(provision_runner))
        .routes(routes!(dry_run))
        .routes(routes!(list_runners))
        .routes(routes!(get_runner, delete_runner))
        .routes(routes!(refresh_runner))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else { return Ok(None) };
    match v.to_str() {
        Ok(k) if (1..=255).contains(&k.len()) && k.bytes().all(|b| (0x20..0x7f).contains(&b)) => Ok(Some(k.to_owned())),
        _ => Err(ApiError::invalid_field("header.Idempotency-Key", "must be 1–255 printable ASCII characters")),
    }
}

/// `POST /api/v1/runners/jit`.
#[utoipa::path(
    post,
    path = "/api/v1/runners/jit",
    tag = "runners",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 printable ASCII characters")),
    request_body = JitProvisionRequest,
    responses(
        (status = 201, description = "Runner provisioned (or an idempotent replay)", body = JitProvisionResponse),
        (status = 400, description = "INVALID_REFERENCE", body = ApiError),
        (status = 403, description = "NOT_TEAM_MEMBER, NO_ACTIVE_TEAM, TEAM_INACTIVE, RUNNER_GROUP_NOT_ALLOWED, LABEL_POLICY_VIOLATION", body = ApiError),
        (status = 409, description = "NAME_CONFLICT, IDEMPOTENCY_KEY_IN_PROGRESS", body = ApiError),
        (status = 422, description = "IDEMPOTENCY_KEY_MISMATCH", body = ApiError),
        (status = 429, description = "QUOTA_EXCEEDED", body = ApiError),
        (status = 502, description = "GITHUB_REJECTED", body = ApiError),
        (status = 503, description = "GITHUB_UNAVAILABLE, GITHUB_NOT_CONFIGURED", body = ApiError)
    )
)]
pub async fn provision_runner(
    State(s): State<AppState>,
    JitCaller(c): JitCaller,
    headers: HeaderMap,
    AppJson(req): AppJson<JitProvisionRequest>,
) -> AppResult<Response> {
    let key = idempotency_key(&headers)?;
    let p = provisioning::provision(&s, &c, req, key).await?;
    let mut resp = (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], p.body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/runners/{}", p.runner_id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    if p.replayed {
        resp.headers_mut().insert("idempotency-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

/// `POST /api/v1/runners/jit/dry-run`.
#[utoipa::path(
    post,
    path = "/api/v1/runners/jit/dry-run",
    tag = "runners",
    request_body = JitProvisionRequest,
    responses(
        (status = 200, description = "The request would be accepted", body = DryRunResponse),
        (status = 400, description = "INVALID_REFERENCE", body = ApiError),
        (status = 403, description = "NOT_TEAM_MEMBER, NO_ACTIVE_TEAM, TEAM_INACTIVE, RUNNER_GROUP_NOT_ALLOWED, LABEL_POLICY_VIOLATION", body = ApiError),
        (status = 409, description = "NAME_CONFLICT", body = ApiError),
        (status = 429, description = "QUOTA_EXCEEDED", body = ApiError)
    )
)]
pub async fn dry_run(State(s): State<AppState>, JitCaller(c): JitCaller, AppJson(req): AppJson<JitProvisionRequest>) -> AppResult<Json<DryRunResponse>> {
    Ok(Json(provisioning::dry_run(&s, &c, req).await?))
}

/// The `status` filter: lifecycle values, plus the Python service's `active` and `online`
/// as aliases for `idle` + `busy` (API.md §3.1); case-insensitive, duplicates dropped.
fn statuses(raw: Option<&str>) -> Result<Vec<RunnerLifecycle>, ApiError> {
    let mut out: Vec<RunnerLifecycle> = Vec::new();
    for s in raw.map(list).unwrap_or_default() {
        let expanded = match s.to_ascii_lowercase().as_str() {
            "active" | "online" => vec![RunnerLifecycle::Idle, RunnerLifecycle::Busy],
            other => match other.parse::<RunnerLifecycle>() {
                Ok(one) => vec![one],
                Err(_) => {
                    return Err(ApiError::invalid_field(
                        "query.status",
                        format!("unknown status {s:?} (pending, idle, busy, offline, deleted, active, online)"),
                    ));
                }
            },
        };
        for e in expanded {
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    Ok(out)
}

/// `GET /api/v1/runners`.
#[utoipa::path(
    get,
    path = "/api/v1/runners",
    tag = "runners",
    params(("status" = Option<String>, Query, description = "Comma-separated: pending, idle, busy, offline, deleted, active, online"), ("ephemeral" = Option<bool>, Query), ("team" = Option<String>, Query), ("team_id" = Option<Uuid>, Query), ("runner_name" = Option<String>, Query, description = "Exact name, case-insensitive"), ("name_contains" = Option<String>, Query, max_length = 64, description = "Part of the name, case-insensitive"), ("github_runner_id" = Option<i64>, Query), ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000), ("offset" = Option<i64>, Query, minimum = 0)),
    responses(
        (status = 200, description = "Visible runners", body = RunnerListResponse)
    )
)]
pub async fn list_runners(State(s): State<AppState>, c: Caller, ApiQuery(q): ApiQuery<RunnerListQuery>) -> AppResult<Json<RunnerListResponse>> {
    let p = page(q.limit, q.offset, 50, 1000)?;
    if q.name_contains.as_ref().is_some_and(|n| n.chars().count() > 64) {
        return Err(ApiError::invalid_field("query.name_contains", "must be at most 64 characters").into());
    }
    let filter = RunnerFilter {
        statuses: statuses(q.status.as_deref())?,
        ephemeral: q.ephemeral,
        team_name: q.team,
        team_id: q.team_id,
        runner_name: q.runner_name,
        name_contains: q.name_contains,
        github_runner_id: q.github_runner_id,
        provisioned_by: None,
    };
    Ok(Json(runners::list(&s, &c, filter, p).await?))
}

/// `GET /api/v1/runners/{runner_id}`.
#[utoipa::path(
    get,
    path = "/api/v1/runners/{runner_id}",
    tag = "runners",
    params(("runner_id" = Uuid, Path, description = "Runner id")),
    responses(
        (status = 200, description = "The runner", body = RunnerStatus),
        (status = 404, description = "NOT_FOUND", body = ApiError)
    )
)]
pub async fn get_runner(State(s): State<AppState>, c: Caller, ApiPath(id): ApiPath<Uuid>) -> AppResult<Json<RunnerStatus>> {
    Ok(Json(runners::runner_status(runners::readable(&s, &c, id).await?)))
}

/// `POST /api/v1/runners/{runner_id}/refresh`.
#[utoipa::path(
    post,
    path = "/api/v1/runners/{runner_id}/refresh",
    tag = "runners",
    params(("runner_id" = Uuid, Path, description = "Runner id")),
    responses(
        (status = 200, description = "The runner after GitHub's report", body = RunnerStatus),
        (status = 404, description = "NOT_FOUND", body = ApiError),
        (status = 502, description = "GITHUB_REJECTED", body = ApiError),
        (status = 503, description = "GITHUB_UNAVAILABLE, GITHUB_NOT_CONFIGURED", body = ApiError)
    )
)]
pub async fn refresh_runner(State(s): State<AppState>, c: Caller, ApiPath(id): ApiPath<Uuid>) -> AppResult<Json<RunnerStatus>> {
    Ok(Json(runners::refresh(&s, &c, id).await?))
}

/// `DELETE /api/v1/runners/{runner_id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/runners/{runner_id}",
    tag = "runners",
    params(("runner_id" = Uuid, Path, description = "Runner id")),
    responses(
        (status = 200, description = "Deprovisioned", body = DeprovisionResponse),
        (status = 400, description = "ALREADY_DELETED", body = ApiError),
        (status = 404, description = "NOT_FOUND", body = ApiError),
        (status = 409, description = "RUNNER_BUSY", body = ApiError),
        (status = 502, description = "GITHUB_REJECTED", body = ApiError),
        (status = 503, description = "GITHUB_UNAVAILABLE, GITHUB_NOT_CONFIGURED", body = ApiError)
    )
)]
pub async fn delete_runner(State(s): State<AppState>, c: Caller, ApiPath(id): ApiPath<Uuid>) -> AppResult<Json<DeprovisionResponse>> {
    Ok(Json(runners::delete(&s, &c, id).await?))
}
