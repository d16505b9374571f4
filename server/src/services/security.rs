//! Security events for admins and team readers (API.md §3.8, §13).

use app::contract::ErrorCode;
use app::contract::security::{SecurityEventListResponse, SecurityEventResponse, TeamSecurityEventListResponse};
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::readable_team;
use super::teams::{ADMINS_TEAM_ID, ADMINS_TEAM_NAME};
use crate::auth::Caller;
use crate::db::Page;
use crate::db::security_events::{SecurityEventFilter, SecurityEventRow};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The contract shape of a stored event; details that are not a JSON object come back as
/// `{"raw": "<text>"}` instead of failing the whole page.
pub fn event_response(r: SecurityEventRow) -> SecurityEventResponse {
    let violation_data = match serde_json::from_str::<Value>(&r.violation_data) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({ "raw": r.violation_data }),
    };
    let team_name = r.team_name.or_else(|| (r.team_id == Some(ADMINS_TEAM_ID)).then(|| ADMINS_TEAM_NAME.to_owned()));
    SecurityEventResponse {
        id: r.id,
        event_type: r.event_type,
        severity: r.severity,
        runner_id: r.runner_id,
        runner_name: r.runner_name,
        github_runner_id: r.github_runner_id,
        team_id: r.team_id,
        team_name,
        user_identity: r.user_identity,
        oidc_sub: r.oidc_sub,
        violation_data,
        action_taken: r.action_taken,
        timestamp: r.timestamp,
        request_id: r.request_id,
    }
}

/// `GET /api/v1/admin/security-events` (the caller is an admin). `team` is a name; unknown → 404.
pub async fn list(state: &AppState, mut filter: SecurityEventFilter, team: Option<&str>, page: Page) -> AppResult<SecurityEventListResponse> {
    if let Some(name) = team {
        let id = match name {
            ADMINS_TEAM_NAME => ADMINS_TEAM_ID,
            _ => state.db.find_team_by_name(name).await?.map(|t| t.id).ok_or_else(|| AppError::api(ErrorCode::NotFound, format!("Team '{name}' not found")))?,
        };
        filter.teams.push(id);
    }
    let (rows, total) = state.db.list_security_events(&filter, page.limit, page.offset).await?;
    Ok(SecurityEventListResponse { events: rows.into_iter().map(event_response).collect(), total, limit: page.limit, offset: page.offset })
}

/// `GET /api/v1/admin/teams/{team_id}/security-events` (team-reader).
pub async fn team_events(
    state: &AppState,
    caller: &Caller,
    team_id: Uuid,
    filter: SecurityEventFilter,
    page: Page,
) -> AppResult<TeamSecurityEventListResponse> {
    let team_name = readable_team(state, &caller.principal, team_id).await?;
    let filter = SecurityEventFilter { teams: vec![team_id], user_identity: None, ..filter };
    let (rows, total) = state.db.list_security_events(&filter, page.limit, page.offset).await?;
    Ok(TeamSecurityEventListResponse {
        team_id,
        team_name,
        events: rows.into_iter().map(event_response).collect(),
        total,
        limit: page.limit,
        offset: page.offset,
    })
}
