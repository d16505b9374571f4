//! Security event routes (API.md §13). Thin: parse → authorise → service → map.

use app::contract::ApiError;
use app::contract::security::{SecurityEventListResponse, TeamSecurityEventListResponse};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

use super::audit::time_range;
use crate::db::security_events::SecurityEventFilter;
use crate::error::AppResult;
use crate::http::extract::{AdminCaller, ApiPath, ApiQuery, Caller};
use crate::http::params::{list, page};
use crate::services::security::{self, SEVERITIES};
use crate::state::AppState;

/// The security event routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/security-events", get(list_security_events))
        .route("/api/v1/admin/teams/{team_id}/security-events", get(list_team_security_events))
}

/// `GET /api/v1/admin/security-events` query.
#[derive(Debug, Deserialize)]
pub struct SecurityEventsQuery {
    event_type: Option<String>,
    severity: Option<String>,
    user_identity: Option<String>,
    team_id: Option<Uuid>,
    team: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
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

fn severities(raw: Option<&str>) -> Result<Vec<String>, ApiError> {
    let values = raw.map(list).unwrap_or_default();
    match values.iter().find(|v| !SEVERITIES.contains(&v.as_str())) {
        Some(bad) => Err(ApiError::invalid_field("query.severity", format!("unknown severity {bad:?} (use {})", SEVERITIES.join(", ")))),
        None => Ok(values),
    }
}

/// `GET /api/v1/admin/security-events`.
pub async fn list_security_events(
    State(s): State<AppState>,
    AdminCaller(_): AdminCaller,
    ApiQuery(q): ApiQuery<SecurityEventsQuery>,
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
