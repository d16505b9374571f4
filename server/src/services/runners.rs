//! Runner reads and actions (API.md §7.3–§7.6) with the `runner-reader` rule: an admin, the
//! provisioning principal, a member of the runner's team, or the team's M2M client.

use app::contract::runners::{DeprovisionResponse, RunnerListResponse, RunnerStatus};
use app::contract::{ErrorCode, RunnerLifecycle};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Caller;
use crate::auth::Principal;
use crate::auth::principal::Identity;
use crate::db::Page;
use crate::db::audit::NewAudit;
use crate::db::now;
use crate::db::runners::{RunnerFilter, RunnerRow, Visibility};
use crate::error::{AppError, AppResult};
use crate::github::{api_error, configured};
use crate::state::AppState;

/// The contract shape of a runner.
pub fn runner_status(r: RunnerRow) -> RunnerStatus {
    let expires_at = if r.status == RunnerLifecycle::Pending { r.expires_at } else { None };
    RunnerStatus {
        runner_id: r.id,
        runner_name: r.runner_name,
        status: r.status,
        github_runner_id: r.github_runner_id,
        runner_group_id: r.runner_group_id,
        labels: r.labels.0,
        ephemeral: r.ephemeral,
        provisioned_by: r.provisioned_by,
        created_at: r.created_at,
        updated_at: r.updated_at,
        registered_at: r.registered_at,
        deleted_at: r.deleted_at,
        team_id: r.team_id,
        team_name: r.team_name,
        github_status: r.github_status,
        busy: r.busy,
        expires_at,
        deletion_reason: r.deletion_reason,
    }
}

/// Who sees which runners in lists.
pub fn visibility(p: &Principal) -> Visibility {
    match &p.identity {
        _ if p.is_admin() => Visibility::All,
        Identity::M2m(c) => Visibility::Team(c.team_id),
        Identity::User { user, .. } => Visibility::User { id: user.id },
    }
}

/// `GET /api/v1/runners`.
pub async fn list(state: &AppState, c: &Caller, filter: RunnerFilter, page: Page) -> AppResult<RunnerListResponse> {
    let (rows, total) = state.db.list_runners(&visibility(&c.principal), &filter, page.limit, page.offset).await?;
    Ok(RunnerListResponse { runners: rows.into_iter().map(runner_status).collect(), total, limit: page.limit, offset: page.offset })
}

async fn is_reader(state: &AppState, p: &Principal, r: &RunnerRow) -> AppResult<bool> {
    Ok(match &p.identity {
        _ if p.is_admin() => true,
        Identity::M2m(c) => r.team_id == Some(c.team_id),
        Identity::User { user, .. } => {
            r.owner_user_id == Some(user.id)
                || match r.team_id {
                    Some(t) => state.db.is_member(t, user.id).await?,
                    None => false,
                }
        }
    })
}

/// A runner the caller may read, or the same 404 whether it exists or not.
pub async fn readable(state: &AppState, c: &Caller, id: Uuid) -> AppResult<RunnerRow> {
    let not_found = || AppError::api(ErrorCode::NotFound, format!("Runner with ID '{id}' not found or not owned by you"));
    let r = state.db.find_runner(id).await?.ok_or_else(not_found)?;
    if !is_reader(state, &c.principal, &r).await? {
        return Err(not_found());
    }
    Ok(r)
}

fn runner_audit(c: &Caller, r: &RunnerRow, event: &str, data: serde_json::Value) -> NewAudit {
    NewAudit { runner_id: Some(r.id.to_string()), runner_name: Some(r.runner_name.clone()), team_id: r.team_id, ..c.audit(event, data) }
}

fn failed(a: NewAudit, e: &AppError) -> NewAudit {
    let api = e.to_api_error();
    let mut data = a.event_data.clone().unwrap_or_else(|| json!({}));
    data["error_code"] = json!(api.error_code.as_str());
    NewAudit { success: false, error_message: Some(api.detail), event_data: Some(data), ..a }
}

/// `POST /api/v1/runners/{id}/refresh`: GitHub's report by id.
pub async fn refresh(state: &AppState, c: &Caller, id: Uuid) -> AppResult<RunnerStatus> {
    let r = readable(state, c, id).await?;
    let (Some(github_id), false) = (r.github_runner_id, r.status.is_deleted()) else {
        return Ok(runner_status(r));
    };
    let fetched = match configured(state.github.as_ref()) {
        Ok(gh) => gh.get_runner(github_id).await.map_err(api_error),
        Err(e) => Err(e),
    };
    let report = match fetched {
        Ok(report) => report,
        Err(e) => {
            state.db.append_audit(failed(runner_audit(c, &r, "update_status_failed", json!({})), &e)).await?;
            return Err(e);
        }
    };
    match report {
        None => {
            state.db.mark_runner_deleted(id, "not_found_in_github", None).await?;
        }
        Some(g) => {
            let online = g.status == "online";
            let status = super::sync::lifecycle_status(r.status, online, g.busy);
            let first_online = (online && r.registered_at.is_none()).then(now);
            state.db.record_github_state(id, status, &g.status, g.busy, first_online).await?;
        }
    }
    Ok(runner_status(state.db.find_runner(id).await?.ok_or_else(|| AppError::api(ErrorCode::NotFound, "Runner disappeared"))?))
}

/// `DELETE /api/v1/runners/{id}`.
pub async fn delete(state: &AppState, c: &Caller, id: Uuid) -> AppResult<DeprovisionResponse> {
    let r = readable(state, c, id).await?;
    if r.status.is_deleted() {
        return Err(AppError::api(ErrorCode::AlreadyDeleted, format!("Runner '{}' is already deleted", r.runner_name)));
    }
    let data = json!({ "github_runner_id": r.github_runner_id });
    if let Some(github_id) = r.github_runner_id {
        let result = match configured(state.github.as_ref()) {
            Ok(gh) => gh.delete_runner(github_id).await.map_err(api_error),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            state.db.append_audit(failed(runner_audit(c, &r, "deprovision_failed", data), &e)).await?;
            return Err(e);
        }
    }
    state.db.mark_runner_deleted(id, "user_request", Some(runner_audit(c, &r, "deprovision", data))).await?;
    Ok(DeprovisionResponse {
        runner_id: r.id,
        message: format!("Runner '{}' successfully deprovisioned", r.runner_name),
        runner_name: r.runner_name,
        success: true,
    })
}
