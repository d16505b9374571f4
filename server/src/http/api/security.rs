//! Security event routes (API.md §13). Thin: parse → authorise → service → map.

use app::contract::security::{SecurityEventListResponse, SecurityEventQuery, TeamSecurityEventListResponse};
use app::contract::{ApiError, Severity};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::audit::time_range;
use crate::db::security_events::SecurityEventFilter;
use crate::error::AppResult;
use crate::http::extract::{AdminCaller, ApiPath, ApiQuery, Caller};
use crate::http::params::{list, page};
use crate::services::security;
use crate::state::AppState;

/// The security event routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_security_events)).routes(routes!(list_team_security_events))
}

/// `GET /api/v1/admin/teams/{team_id}/security-events` query.
#[derive(Debug, Deserialize)]
pub struct TeamSecurityEventsQuery {
    event_type: Option<String>,
    severity: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

fn severities(raw: Option<&str>) -> Result<Vec<Severity>, ApiError> {
    raw.map(list)
        .unwrap_or_default()
        .iter()
        .map(|v| {
            v.parse::<Severity>().map_err(|_| {
                let known = Severity::ALL.iter().map(Severity::as_str).collect::<Vec<_>>().join(", ");
                ApiError::invalid_field("query.severity", format!("unknown severity {v:?} (use {known})"))
            })
        })
        .collect()
}

/// `GET /api/v1/admin/security-events`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/security-events",
    tag = "security",
    params(("event_type" = Option<String>, Query, description = "Comma-separated event types"), ("severity" = Option<String>, Query, description = "Comma-separated: low, medium, high, critical"), ("user_identity" = Option<String>, Query), ("team_id" = Option<Uuid>, Query), ("team" = Option<String>, Query, description = "Team name"), ("since" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Inclusive lower bound on timestamp"), ("until" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Inclusive upper bound on timestamp"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000), ("offset" = Option<i64>, Query, minimum = 0)),
    responses(
        (status = 200, description = "Security events, newest first", body = SecurityEventListResponse),
        (status = 404, description = "NOT_FOUND", body = ApiError)
    )
)]
pub async fn list_security_events(
    State(s): State<AppState>,
    AdminCaller(_): AdminCaller,
    ApiQuery(q): ApiQuery<SecurityEventQuery>,
) -> AppResult<Json<SecurityEventListResponse>> {
    let p = page(q.limit, q.offset, 100, 1000)?;
    let (since, until) = time_range(q.since.as_deref(), q.until.as_deref())?;
    let filter = SecurityEventFilter {
        event_types: q.event_type.as_deref().map(list).unwrap_or_default(),
        severities: severities(q.severity.as_deref())?,
        user_identity: q.user_identity,
        teams: q.team_id.into_iter().collect(),
        since,
        until,
    };
    Ok(Json(security::list(&s, filter, q.team.as_deref(), p).await?))
}

/// `GET /api/v1/admin/teams/{team_id}/security-events`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/teams/{team_id}/security-events",
    tag = "security",
    params(("team_id" = Uuid, Path, description = "Team id"), ("event_type" = Option<String>, Query, description = "Comma-separated event types"), ("severity" = Option<String>, Query, description = "Comma-separated: low, medium, high, critical"), ("since" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Inclusive lower bound on timestamp"), ("until" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Inclusive upper bound on timestamp"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 200), ("offset" = Option<i64>, Query, minimum = 0)),
    responses(
        (status = 200, description = "The team's security events, newest first", body = TeamSecurityEventListResponse),
        (status = 404, description = "NOT_FOUND", body = ApiError),
        (status = 403, description = "NOT_TEAM_MEMBER", body = ApiError)
    )
)]
pub async fn list_team_security_events(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(team_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<TeamSecurityEventsQuery>,
) -> AppResult<Json<TeamSecurityEventListResponse>> {
    let p = page(q.limit, q.offset, 50, 200)?;
    let (since, until) = time_range(q.since.as_deref(), q.until.as_deref())?;
    let filter = SecurityEventFilter {
        event_types: q.event_type.as_deref().map(list).unwrap_or_default(),
        severities: severities(q.severity.as_deref())?,
        since,
        until,
        ..SecurityEventFilter::default()
    };
    Ok(Json(security::team_events(&s, &c, team_id, filter, p).await?))
}
