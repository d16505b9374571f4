//! OAuth (M2M) client registrations (API.md §11): at most one active registration per team,
//! never for the virtual admins team. Every change and every refusal by a business rule is
//! audited (§3.7).

use app::contract::oauth_clients::{OAuthClientCreateRequest, OAuthClientListResponse, OAuthClientPatchRequest, OAuthClientResponse};
use app::contract::{ApiError, ErrorCode, FieldError};
use serde_json::{Value, json};
use uuid::Uuid;

use super::teams::ADMINS_TEAM_ID;
use super::users::{failed, refuse};
use crate::auth::Caller;
use crate::db::DbError;
use crate::db::Page;
use crate::db::audit::NewAudit;
use crate::db::oauth_clients::{ClientWrite, NewOAuthClient, OAuthClientRow};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The contract shape of a registration.
pub fn client_response(c: OAuthClientRow) -> OAuthClientResponse {
    OAuthClientResponse {
        id: c.id,
        client_id: c.client_id,
        team_id: c.team_id,
        description: c.description,
        is_active: c.is_active,
        created_at: c.created_at,
        created_by: c.created_by,
        last_used_at: c.last_used_at,
        team_name: c.team_name,
        updated_at: c.updated_at,
    }
}

fn not_found() -> AppError {
    AppError::api(ErrorCode::NotFound, "OAuth client not found.")
}

fn description_error(d: Option<&str>) -> Option<FieldError> {
    d.is_some_and(|d| d.chars().count() > 500).then(|| FieldError { field: "description".into(), message: "must be at most 500 characters".into() })
}

fn already_registered(client_id: &str) -> AppError {
    AppError::api(ErrorCode::OauthClientAlreadyRegistered, format!("OAuth client '{client_id}' already registered."))
}

fn team_has_client(team_id: Uuid, existing: &str) -> AppError {
    AppError::api(
        ErrorCode::TeamHasActiveClient,
        format!(
            "Team '{team_id}' already has an active M2M client (client_id='{existing}'). Disable or delete the existing registration before adding a new one."
        ),
    )
}

/// An audit row about a registration, scoped to its team.
fn audit(caller: &Caller, event: &str, team_id: Option<Uuid>, data: Value) -> NewAudit {
    NewAudit { team_id, ..caller.audit(event, data) }
}

/// `POST /api/v1/admin/oauth-clients`.
pub async fn create(state: &AppState, caller: &Caller, req: OAuthClientCreateRequest) -> AppResult<OAuthClientResponse> {
    let mut errors = Vec::new();
    let len = req.client_id.chars().count();
    if !(1..=255).contains(&len) || req.client_id.chars().any(char::is_whitespace) {
        errors.push(FieldError { field: "client_id".into(), message: "must be 1–255 characters without whitespace".into() });
    }
    errors.extend(description_error(req.description.as_deref()));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors).into());
    }
    let refused = json!({ "id": null, "client_id": req.client_id, "team_id": req.team_id.to_string() });
    if req.team_id == ADMINS_TEAM_ID {
        let err = AppError::api(ErrorCode::SystemTeamImmutable, "The admins system team cannot have an M2M client");
        return refuse(state, caller, "oauth_client_created", refused, err).await;
    }
    let team = state.db.find_team(req.team_id).await?;
    if team.is_none() {
        return Err(AppError::api(ErrorCode::NotFound, format!("Team '{}' not found.", req.team_id)));
    }
    let conflict = |e: &AppError| failed(audit(caller, "oauth_client_created", Some(req.team_id), refused.clone()), e);
    let existing = async || -> AppResult<Option<AppError>> {
        if state.db.find_oauth_client(&req.client_id).await?.is_some() {
            return Ok(Some(already_registered(&req.client_id)));
        }
        Ok(state.db.active_oauth_client_of_team(req.team_id).await?.map(|c| team_has_client(req.team_id, &c.client_id)))
    };
    if let Some(err) = existing().await? {
        state.db.append_audit(conflict(&err)).await?;
        return Err(err);
    }
    let id = Uuid::new_v4();
    let data = json!({ "id": id.to_string(), "client_id": req.client_id, "team_id": req.team_id.to_string() });
    let new = NewOAuthClient {
        id,
        client_id: req.client_id.clone(),
        team_id: req.team_id,
        description: req.description.clone(),
        created_by: caller.principal.identity(),
    };
    match state.db.insert_oauth_client(&new, audit(caller, "oauth_client_created", Some(req.team_id), data)).await {
        Ok(()) => {}
        // Lost a race with another registration: say which rule refused it.
        Err(DbError::Conflict(_)) => {
            let err = existing().await?.unwrap_or_else(|| already_registered(&req.client_id));
            state.db.append_audit(conflict(&err)).await?;
            return Err(err);
        }
        Err(e) => return Err(e.into()),
    }
    get(state, id).await
}

/// `GET /api/v1/admin/oauth-clients`.
pub async fn list(state: &AppState, team_id: Option<Uuid>, active_only: bool, page: Page) -> AppResult<OAuthClientListResponse> {
    let (rows, total) = state.db.list_oauth_clients(team_id, active_only, page.limit, page.offset).await?;
    Ok(OAuthClientListResponse { clients: rows.into_iter().map(client_response).collect(), total, limit: page.limit, offset: page.offset })
}

/// `GET /api/v1/admin/oauth-clients/{id}`.
pub async fn get(state: &AppState, id: Uuid) -> AppResult<OAuthClientResponse> {
    Ok(client_response(state.db.find_oauth_client_by_id(id).await?.ok_or_else(not_found)?))
}

/// `PATCH /api/v1/admin/oauth-clients/{id}` (merge-patch); re-activation respects the
/// one-active-registration-per-team rule.
pub async fn patch(state: &AppState, caller: &Caller, id: Uuid, req: OAuthClientPatchRequest) -> AppResult<OAuthClientResponse> {
    let mut errors = Vec::new();
    if matches!(req.is_active, Some(None)) {
        errors.push(FieldError { field: "is_active".into(), message: "must not be null".into() });
    }
    errors.extend(description_error(req.description.as_ref().and_then(|d| d.as_deref())));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors).into());
    }
    let result = state
        .db
        .patch_oauth_client(id, |row, other_active| {
            let description = req.description.clone().unwrap_or_else(|| row.description.clone());
            let is_active = req.is_active.flatten().unwrap_or(row.is_active);
            let mut changes = serde_json::Map::new();
            if description != row.description {
                changes.insert("description".into(), json!([row.description, description]));
            }
            if is_active != row.is_active {
                changes.insert("is_active".into(), json!([row.is_active, is_active]));
            }
            if changes.is_empty() {
                return (ClientWrite::default(), Ok(()));
            }
            let data = json!({ "id": id.to_string(), "client_id": row.client_id, "team_id": row.team_id.to_string(), "changes": changes });
            let audit = audit(caller, "oauth_client_updated", Some(row.team_id), data);
            if let (true, Some(other)) = (is_active && !row.is_active, other_active) {
                let err = team_has_client(row.team_id, &other);
                return (ClientWrite { update: None, audit: Some(failed(audit, &err)) }, Err(err));
            }
            (ClientWrite { update: Some((description, is_active)), audit: Some(audit) }, Ok(()))
        })
        .await;
    match result {
        Ok(Some(outcome)) => outcome?,
        Ok(None) => return Err(not_found()),
        // Another registration of the team was activated meanwhile (the unique index refused).
        Err(DbError::Conflict(_)) => {
            let row = state.db.find_oauth_client_by_id(id).await?.ok_or_else(not_found)?;
            let other = state.db.active_oauth_client_of_team(row.team_id).await?.map(|c| c.client_id).unwrap_or_default();
            let err = team_has_client(row.team_id, &other);
            let data =
                json!({ "id": id.to_string(), "client_id": row.client_id, "team_id": row.team_id.to_string(), "changes": { "is_active": [false, true] } });
            state.db.append_audit(failed(audit(caller, "oauth_client_updated", Some(row.team_id), data), &err)).await?;
            return Err(err);
        }
        Err(e) => return Err(e.into()),
    }
    get(state, id).await
}

/// `DELETE /api/v1/admin/oauth-clients/{id}`: a hard delete; the audit row keeps the client id.
pub async fn delete(state: &AppState, caller: &Caller, id: Uuid) -> AppResult<()> {
    let row = state.db.find_oauth_client_by_id(id).await?.ok_or_else(not_found)?;
    let data = json!({ "id": id.to_string(), "client_id": row.client_id, "team_id": row.team_id.to_string() });
    if !state.db.delete_oauth_client(id, audit(caller, "oauth_client_deleted", Some(row.team_id), data)).await? {
        return Err(not_found());
    }
    Ok(())
}
