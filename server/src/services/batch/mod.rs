//! Batch incident actions on users and teams (API.md §10.7.1, §10.7.2, §10.7.4, §10.7.5).
//!
//! Each batch runs in one serialised transaction: the targets are read, the plan is made
//! (statuses, the admin-safety check), and the changes, the audit row and the security event
//! are written together. A dry run makes the same plan and writes nothing. `delete-runners`
//! (§10.7.3) calls GitHub per runner and is in [`runners`].

pub mod runners;

use app::contract::batch::{
    BatchActionResponse, BatchDeactivateTeamsRequest, BatchDetail, BatchDisableUsersRequest, BatchReactivateTeamsRequest, BatchRestoreUsersRequest,
    TeamBatchDetail, UserBatchDetail,
};
use app::contract::{ApiError, ErrorCode, FieldError, SecurityEventType, Severity};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db::models::UserRow;
use crate::db::security_events::NewSecurityEvent;
use crate::db::user_admin::{TeamBrief, TeamsBatchWrite, UsersBatchWrite};
use crate::error::{AppError, AppResult};
use crate::services::teams::{ADMINS_TEAM_ID, ADMINS_TEAM_NAME};
use crate::services::users::{comment_error, failed, user_label};
use crate::state::AppState;

/// Detail of `409 LAST_ADMIN` for `disable-users`.
pub const LAST_ADMIN_BATCH: &str = "Cannot deactivate all active admin users. At least one admin must remain active.";

/// `null` and `[]` both mean "all"; repeated ids count once (first position kept).
fn targets(ids: Option<Vec<Uuid>>) -> Option<Vec<Uuid>> {
    let ids = ids.filter(|v| !v.is_empty())?;
    let mut out: Vec<Uuid> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Some(out)
}

fn validate(comment: &str, reason: Option<&str>) -> Result<(), ApiError> {
    let mut errors: Vec<FieldError> = comment_error(comment).into_iter().collect();
    if let Some(r) = reason
        && (r.trim().is_empty() || r.chars().count() > 500)
    {
        errors.push(FieldError { field: "reason".into(), message: "must be 1–500 characters".into() });
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::validation(errors)) }
}

fn event(caller: &Caller, event_type: SecurityEventType, severity: Severity, action: String, data: serde_json::Value) -> NewSecurityEvent {
    NewSecurityEvent { action_taken: Some(action), ..caller.security_event(event_type, severity, data) }
}

/// The plan of a user batch: one detail per candidate, the users to change, and how many of
/// them are active admins.
#[derive(Debug)]
struct UserPlan {
    details: Vec<UserBatchDetail>,
    change: Vec<(Uuid, String)>,
    admins_changed: i64,
}

/// Decides each candidate's fate. `disable`: the caller, inactive users and (under
/// `exclude_admins`) admins are skipped. Restore: active users are skipped.
fn plan_users(candidates: &[(Uuid, Option<UserRow>)], caller: Option<Uuid>, disable: bool, exclude_admins: bool, dry_run: bool) -> UserPlan {
    let word = match (disable, dry_run) {
        (true, false) => "disabled",
        (true, true) => "would_be_disabled",
        (false, false) => "restored",
        (false, true) => "would_be_restored",
    };
    let mut plan = UserPlan { details: Vec::new(), change: Vec::new(), admins_changed: 0 };
    for (id, row) in candidates {
        let Some(u) = row else {
            plan.details.push(UserBatchDetail { user_id: *id, email: None, oidc_sub: None, status: "not_found".into(), error: None });
            continue;
        };
        let skip = if disable { Some(u.id) == caller || !u.is_active || (exclude_admins && u.is_admin) } else { u.is_active };
        let status = if skip { "skipped" } else { word };
        if !skip {
            plan.change.push((u.id, user_label(u)));
            if u.is_admin && u.is_active {
                plan.admins_changed += 1;
            }
        }
        plan.details.push(UserBatchDetail { user_id: u.id, email: u.email.clone(), oidc_sub: u.oidc_sub.clone(), status: status.into(), error: None });
    }
    plan
}

/// Whether disabling `plan` would leave no active admin (`active_admins` counted before it).
fn leaves_no_admin(plan: &UserPlan, active_admins: i64) -> bool {
    plan.admins_changed > 0 && active_admins - plan.admins_changed <= 0
}

async fn users(
    state: &AppState,
    caller: &Caller,
    comment: String,
    dry_run: bool,
    ids: Option<Vec<Uuid>>,
    disable: bool,
    exclude_admins: bool,
) -> AppResult<BatchActionResponse> {
    validate(&comment, None)?;
    let ids = targets(ids);
    let caller_id = caller.principal.user().map(|u| u.id);
    let (action, event_type) =
        if disable { ("disable_users", SecurityEventType::BatchDisableUsers) } else { ("restore_users", SecurityEventType::BatchRestoreUsers) };
    let (severity, verb) = if disable { (Severity::High, "disabled") } else { (Severity::Medium, "restored") };
    let result = state
        .db
        .users_batch(ids.as_deref(), disable, |candidates, active_admins| {
            let plan = plan_users(&candidates, caller_id, disable, exclude_admins, dry_run);
            let affected = plan.change.len() as i64;
            let user_ids: Vec<String> = plan.change.iter().map(|(id, _)| id.to_string()).collect();
            let user_names: Vec<&str> = plan.change.iter().map(|(_, name)| name.as_str()).collect();
            let mut audit_data = json!({
                "comment": comment,
                "affected_count": affected,
                "failed_count": 0,
                "user_ids": user_ids,
                "user_names": user_names,
            });
            let mut event_data = json!({ "comment": comment, "affected_count": affected, "failed_count": 0, "user_ids": user_ids });
            if disable {
                audit_data["exclude_admins"] = json!(exclude_admins);
                event_data["exclude_admins"] = json!(exclude_admins);
            }
            if disable && leaves_no_admin(&plan, active_admins) {
                // Refused as a whole: nothing changes; the audit row names the refused targets.
                audit_data["affected_count"] = json!(0);
                let err = AppError::api(ErrorCode::LastAdmin, LAST_ADMIN_BATCH);
                let audit = failed(caller.audit(event_type.as_str(), audit_data), &err);
                let refusal = UsersBatchWrite { ids: vec![], activate: false, comment: comment.clone(), audit, event: None };
                return ((!dry_run).then_some(refusal), Err(err));
            }
            let audit = caller.audit(event_type.as_str(), audit_data);
            let response = BatchActionResponse {
                success: true,
                action: action.into(),
                affected_count: affected,
                failed_count: 0,
                comment: comment.clone(),
                dry_run,
                details: plan.details.into_iter().map(BatchDetail::User).collect(),
            };
            if dry_run {
                return (None, Ok(response));
            }
            let event = event(caller, event_type, severity, format!("{verb} {affected} users"), event_data);
            // Runner reclamation: see services::runners (owner_deactivated) — the sync worker
            // reclaims the disabled users' `pending` runners on its next cycle.
            let write = UsersBatchWrite {
                ids: plan.change.into_iter().map(|(id, _)| id).collect(),
                activate: !disable,
                comment: comment.clone(),
                audit,
                event: Some(event),
            };
            (Some(write), Ok(response))
        })
        .await?;
    if !dry_run && result.is_ok() {
        state.metrics.security_event(event_type, severity);
    }
    result
}

/// `POST /api/v1/admin/batch/disable-users`.
pub async fn disable_users(state: &AppState, caller: &Caller, req: BatchDisableUsersRequest) -> AppResult<BatchActionResponse> {
    users(state, caller, req.comment, req.dry_run, req.user_ids, true, req.exclude_admins).await
}

/// `POST /api/v1/admin/batch/restore-users`.
pub async fn restore_users(state: &AppState, caller: &Caller, req: BatchRestoreUsersRequest) -> AppResult<BatchActionResponse> {
    users(state, caller, req.comment, req.dry_run, req.user_ids, false, false).await
}

/// Decides each team's fate: the virtual team and teams already in the target state are
/// skipped. Returns the details and the teams to change.
fn plan_teams(candidates: &[(Uuid, Option<TeamBrief>)], deactivate: bool, dry_run: bool) -> (Vec<TeamBatchDetail>, Vec<(Uuid, String)>) {
    let word = match (deactivate, dry_run) {
        (true, false) => "deactivated",
        (true, true) => "would_be_deactivated",
        (false, false) => "reactivated",
        (false, true) => "would_be_reactivated",
    };
    let mut details = Vec::new();
    let mut change = Vec::new();
    for (id, team) in candidates {
        let detail = |name: Option<String>, status: &str| TeamBatchDetail { team_id: *id, team_name: name, status: status.into(), error: None };
        if *id == ADMINS_TEAM_ID {
            details.push(detail(Some(ADMINS_TEAM_NAME.into()), "skipped"));
            continue;
        }
        let Some(t) = team else {
            details.push(detail(None, "not_found"));
            continue;
        };
        if t.is_active == deactivate {
            change.push((t.id, t.name.clone()));
            details.push(detail(Some(t.name.clone()), word));
        } else {
            details.push(detail(Some(t.name.clone()), "skipped"));
        }
    }
    (details, change)
}

async fn teams(
    state: &AppState,
    caller: &Caller,
    comment: String,
    dry_run: bool,
    ids: Option<Vec<Uuid>>,
    reason: Option<String>,
) -> AppResult<BatchActionResponse> {
    validate(&comment, reason.as_deref())?;
    let deactivate = reason.is_some();
    let ids = targets(ids);
    let (action, event_type) =
        if deactivate { ("deactivate_teams", SecurityEventType::BatchDeactivateTeams) } else { ("reactivate_teams", SecurityEventType::BatchReactivateTeams) };
    let (severity, verb) = if deactivate { (Severity::High, "deactivated") } else { (Severity::Medium, "reactivated") };
    let identity = caller.principal.identity();
    let response = state
        .db
        .teams_batch(ids.as_deref(), deactivate, |candidates| {
            let (details, change) = plan_teams(&candidates, deactivate, dry_run);
            let affected = change.len() as i64;
            let response = BatchActionResponse {
                success: true,
                action: action.into(),
                affected_count: affected,
                failed_count: 0,
                comment: comment.clone(),
                dry_run,
                details: details.into_iter().map(BatchDetail::Team).collect(),
            };
            if dry_run {
                return (None, response);
            }
            let team_ids: Vec<String> = change.iter().map(|(id, _)| id.to_string()).collect();
            let team_names: Vec<&str> = change.iter().map(|(_, n)| n.as_str()).collect();
            let mut audit_data = json!({
                "comment": comment,
                "affected_count": affected,
                "failed_count": 0,
                "team_ids": team_ids,
                "team_names": team_names,
            });
            let mut event_data = json!({ "comment": comment, "affected_count": affected, "failed_count": 0, "team_ids": team_ids });
            if let Some(r) = &reason {
                audit_data["reason"] = json!(r);
                event_data["reason"] = json!(r);
            }
            // Runner reclamation: see services::runners (owner_deactivated) — the sync worker
            // reclaims the deactivated teams' `pending` runners on its next cycle.
            let write = TeamsBatchWrite {
                ids: change.into_iter().map(|(id, _)| id).collect(),
                deactivation: reason.clone().map(|r| (identity.clone(), r)),
                audit: caller.audit(event_type.as_str(), audit_data),
                event: Some(event(caller, event_type, severity, format!("{verb} {affected} teams"), event_data)),
            };
            (Some(write), response)
        })
        .await?;
    if !dry_run {
        state.metrics.security_event(event_type, severity);
    }
    Ok(response)
}

/// `POST /api/v1/admin/batch/deactivate-teams`.
pub async fn deactivate_teams(state: &AppState, caller: &Caller, req: BatchDeactivateTeamsRequest) -> AppResult<BatchActionResponse> {
    teams(state, caller, req.comment, req.dry_run, req.team_ids, Some(req.reason)).await
}

/// `POST /api/v1/admin/batch/reactivate-teams`.
pub async fn reactivate_teams(state: &AppState, caller: &Caller, req: BatchReactivateTeamsRequest) -> AppResult<BatchActionResponse> {
    teams(state, caller, req.comment, req.dry_run, req.team_ids, None).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn user(is_admin: bool, is_active: bool) -> UserRow {
        UserRow {
            id: Uuid::new_v4(),
            email: Some(format!("{}@example.com", Uuid::new_v4().simple())),
            oidc_sub: None,
            username: None,
            password_hash: None,
            display_name: None,
            is_admin,
            is_active,
            can_use_jit: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            last_login_at: None,
            created_by: None,
        }
    }

    #[test]
    fn the_caller_inactive_users_and_excluded_admins_are_skipped() {
        let (me, plain, admin, gone) = (user(true, true), user(false, true), user(true, true), user(false, false));
        let unknown = Uuid::new_v4();
        let c: Vec<_> = [&me, &plain, &admin, &gone].iter().map(|u| (u.id, Some((*u).clone()))).chain([(unknown, None)]).collect();
        let plan = plan_users(&c, Some(me.id), true, true, false);
        let statuses: Vec<&str> = plan.details.iter().map(|d| d.status.as_str()).collect();
        assert_eq!(statuses, ["skipped", "disabled", "skipped", "skipped", "not_found"]);
        assert_eq!(plan.change.len(), 1);
        let plan = plan_users(&c, Some(me.id), true, false, true);
        let statuses: Vec<&str> = plan.details.iter().map(|d| d.status.as_str()).collect();
        assert_eq!(statuses, ["skipped", "would_be_disabled", "would_be_disabled", "skipped", "not_found"]);
        assert_eq!(plan.admins_changed, 1);
    }

    #[test]
    fn disabling_every_active_admin_is_refused() {
        // The caller is always left out, so only a caller who lost the role meanwhile can hit this.
        let (a, b) = (user(true, true), user(true, true));
        let c = vec![(a.id, Some(a.clone())), (b.id, Some(b.clone()))];
        let plan = plan_users(&c, None, true, false, false);
        assert!(leaves_no_admin(&plan, 2));
        assert!(!leaves_no_admin(&plan, 3));
        let only_a = plan_users(&c[..1], None, true, false, false);
        assert!(!leaves_no_admin(&only_a, 2));
        assert!(!leaves_no_admin(&plan_users(&c, None, true, true, false), 2));
    }

    #[test]
    fn restore_skips_active_users() {
        let (on, off) = (user(false, true), user(false, false));
        let c = vec![(on.id, Some(on)), (off.id, Some(off))];
        let plan = plan_users(&c, None, false, false, true);
        let statuses: Vec<&str> = plan.details.iter().map(|d| d.status.as_str()).collect();
        assert_eq!(statuses, ["skipped", "would_be_restored"]);
    }

    #[test]
    fn the_virtual_team_and_teams_in_the_target_state_are_skipped() {
        let team = |active| TeamBrief { id: Uuid::new_v4(), name: format!("t-{}", Uuid::new_v4().simple()), is_active: active };
        let (on, off) = (team(true), team(false));
        let c = vec![(ADMINS_TEAM_ID, None), (on.id, Some(on.clone())), (off.id, Some(off.clone())), (Uuid::nil(), None)];
        let (details, change) = plan_teams(&c, true, false);
        let statuses: Vec<&str> = details.iter().map(|d| d.status.as_str()).collect();
        assert_eq!(statuses, ["skipped", "deactivated", "skipped", "not_found"]);
        assert_eq!(details[0].team_name.as_deref(), Some("admins"));
        assert_eq!(change, vec![(on.id, on.name.clone())]);
        let (details, _) = plan_teams(&c, false, true);
        let statuses: Vec<&str> = details.iter().map(|d| d.status.as_str()).collect();
        assert_eq!(statuses, ["skipped", "skipped", "would_be_reactivated", "not_found"]);
    }

    #[test]
    fn empty_target_lists_mean_all_and_repeats_count_once() {
        assert_eq!(targets(None), None);
        assert_eq!(targets(Some(vec![])), None);
        let a = Uuid::new_v4();
        assert_eq!(targets(Some(vec![a, a])), Some(vec![a]));
    }
}
