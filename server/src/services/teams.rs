//! Teams and memberships (API.md §3.6, §8, §9).

use app::contract::teams::{
    LabelPolicyCheckRequest, LabelPolicyCheckResponse, MemberResponse, TeamCreateRequest, TeamDeactivateRequest, TeamListResponse, TeamPatchRequest,
    TeamResponse,
};
use app::contract::{ApiError, ErrorCode, FieldError};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::is_team_reader;
use super::labels::{dedup, label_errors, pattern_errors};
use crate::auth::Caller;
use crate::auth::principal::Identity;
use crate::db::DbError;
use crate::db::Page;
use crate::db::teams::{MemberRow, TeamPolicy, TeamRow, TeamScope};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The virtual admins team's fixed id.
pub const ADMINS_TEAM_ID: Uuid = Uuid::from_u128(1);
/// Its reserved name.
pub const ADMINS_TEAM_NAME: &str = "admins";
const MAX_RUNNERS_LIMIT: i64 = 100_000;

/// Whether a team name is kebab-case: 2–50 characters of a-z, 0-9 and `-`, not starting or ending with `-`.
pub(crate) fn name_ok(name: &str) -> bool {
    let b = name.as_bytes();
    (2..=50).contains(&b.len())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.first().is_some_and(|c| *c != b'-')
        && b.last().is_some_and(|c| *c != b'-')
}

/// The contract shape of a stored team.
pub fn team_response(t: TeamRow) -> TeamResponse {
    TeamResponse {
        id: t.id,
        name: t.name,
        description: t.description,
        required_labels: t.required_labels.0,
        optional_label_patterns: t.optional_label_patterns.map(|p| p.0).filter(|p| !p.is_empty()),
        max_runners: t.max_runners,
        max_runners_per_user: t.max_runners_per_user,
        allowed_runner_group_ids: t.allowed_runner_group_ids.0,
        default_runner_group_id: t.default_runner_group_id,
        is_active: t.is_active,
        is_system: false,
        created_at: t.created_at,
        updated_at: t.updated_at,
        created_by: t.created_by,
        deactivated_at: t.deactivated_at,
        deactivated_by: t.deactivated_by,
        deactivation_reason: t.deactivation_reason,
        member_count: t.member_count,
        active_runner_count: t.active_runner_count,
    }
}

fn epoch_2000() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single().unwrap_or_default()
}

/// The virtual admins team (API.md §3.6).
pub async fn admins_team(state: &AppState) -> AppResult<TeamResponse> {
    Ok(TeamResponse {
        id: ADMINS_TEAM_ID,
        name: ADMINS_TEAM_NAME.into(),
        description: Some("System team — all admin users".into()),
        required_labels: vec![],
        optional_label_patterns: None,
        max_runners: None,
        max_runners_per_user: None,
        allowed_runner_group_ids: vec![],
        default_runner_group_id: None,
        is_active: true,
        is_system: true,
        created_at: epoch_2000(),
        updated_at: epoch_2000(),
        created_by: Some("system".into()),
        deactivated_at: None,
        deactivated_by: None,
        deactivation_reason: None,
        member_count: state.db.count_active_admins().await?,
        active_runner_count: 0,
    })
}

fn check_quota(field: &str, v: Option<i64>, errors: &mut Vec<FieldError>) {
    if v.is_some_and(|n| !(0..=MAX_RUNNERS_LIMIT).contains(&n)) {
        errors.push(FieldError { field: field.into(), message: format!("must be between 0 and {MAX_RUNNERS_LIMIT}") });
    }
}

/// What is wrong with a label policy (the required labels as sent, and the patterns): the
/// messages team create and update answer, and the console's live check.
fn label_policy_errors(required: &[String], patterns: &[String]) -> Vec<FieldError> {
    let mut errors = label_errors("required_labels", required);
    if dedup(required.iter().cloned()).len() > 50 {
        errors.push(FieldError { field: "required_labels".into(), message: "at most 50 labels".into() });
    }
    errors.extend(pattern_errors(patterns));
    errors
}

/// `POST /api/v1/admin/teams/label-policy/validate`: the field errors a team create or update
/// with this policy would answer, without writing anything.
pub fn check_label_policy(req: LabelPolicyCheckRequest) -> LabelPolicyCheckResponse {
    let errors = label_policy_errors(&req.required_labels, &req.optional_label_patterns);
    LabelPolicyCheckResponse { valid: errors.is_empty(), errors }
}

/// Validates and normalises a policy; the errors list every offending field.
fn validate_policy(mut p: TeamPolicy) -> Result<TeamPolicy, ApiError> {
    let mut errors = Vec::new();
    if p.description.as_ref().is_some_and(|d| d.chars().count() > 500) {
        errors.push(FieldError { field: "description".into(), message: "must be at most 500 characters".into() });
    }
    errors.extend(label_policy_errors(&p.required_labels, p.optional_label_patterns.as_deref().unwrap_or_default()));
    p.required_labels = dedup(p.required_labels);
    p.optional_label_patterns = p.optional_label_patterns.filter(|v| !v.is_empty());
    check_quota("max_runners", p.max_runners, &mut errors);
    check_quota("max_runners_per_user", p.max_runners_per_user, &mut errors);
    let groups = &p.allowed_runner_group_ids;
    let distinct = groups.iter().enumerate().all(|(i, g)| !groups[..i].contains(g));
    if groups.is_empty() || groups.len() > 100 || groups.iter().any(|g| *g < 1) || !distinct {
        errors.push(FieldError { field: "allowed_runner_group_ids".into(), message: "must hold 1–100 distinct integers ≥ 1".into() });
    } else if !groups.contains(&p.default_runner_group_id) {
        errors.push(FieldError { field: "default_runner_group_id".into(), message: "must be one of allowed_runner_group_ids".into() });
    }
    if errors.is_empty() { Ok(p) } else { Err(ApiError::validation(errors)) }
}

async fn stored_team(state: &AppState, id: Uuid) -> AppResult<TeamRow> {
    state.db.find_team(id).await?.ok_or_else(|| AppError::api(ErrorCode::NotFound, format!("Team not found: {id}")))
}

fn immutable() -> AppError {
    AppError::api(ErrorCode::SystemTeamImmutable, "The admins system team cannot be modified")
}

/// `POST /api/v1/admin/teams`.
pub async fn create(state: &AppState, caller: &Caller, req: TeamCreateRequest) -> AppResult<TeamResponse> {
    let mut errors = Vec::new();
    if !name_ok(&req.name) {
        errors.push(FieldError {
            field: "name".into(),
            message: "must be kebab-case: 2–50 characters of a-z, 0-9 and '-', not starting or ending with '-'".into(),
        });
    }
    let default_group = state.config.default_runner_group_id;
    let allowed = req.allowed_runner_group_ids.clone().unwrap_or_else(|| vec![req.default_runner_group_id.unwrap_or(default_group)]);
    let policy = TeamPolicy {
        description: req.description,
        required_labels: req.required_labels,
        optional_label_patterns: req.optional_label_patterns,
        max_runners: req.max_runners,
        max_runners_per_user: req.max_runners_per_user,
        default_runner_group_id: req.default_runner_group_id.or_else(|| allowed.first().copied()).unwrap_or(default_group),
        allowed_runner_group_ids: allowed,
    };
    let policy = match validate_policy(policy) {
        Ok(p) if errors.is_empty() => p,
        Ok(_) => return Err(ApiError::validation(errors).into()),
        Err(mut e) => {
            errors.extend(e.errors.take().unwrap_or_default());
            return Err(ApiError::validation(errors).into());
        }
    };
    let taken = || AppError::api(ErrorCode::TeamNameTaken, format!("Team '{}' already exists", req.name));
    if req.name == ADMINS_TEAM_NAME {
        return Err(taken());
    }
    let id = Uuid::new_v4();
    let audit = caller.audit("team_created", json!({ "team_id": id.to_string(), "team_name": req.name }));
    let audit = crate::db::audit::NewAudit { team_id: Some(id), ..audit };
    match state.db.insert_team(id, &req.name, &policy, &caller.principal.identity(), audit).await {
        Ok(()) => {}
        Err(DbError::Conflict(_)) => return Err(taken()),
        Err(e) => return Err(e.into()),
    }
    Ok(team_response(stored_team(state, id).await?))
}

/// `GET /api/v1/admin/teams`.
pub async fn list(state: &AppState, caller: &Caller, include_inactive: bool, page: Page) -> AppResult<TeamListResponse> {
    let p = &caller.principal;
    let (scope, with_admins) = match &p.identity {
        _ if p.is_admin() => (TeamScope::All, true),
        Identity::M2m(c) => (TeamScope::Only(c.team_id), false),
        Identity::User { user, .. } => (TeamScope::MemberOf(user.id), false),
    };
    // The virtual team is item 0 of the admin's collection.
    let (limit, offset, skip_virtual) = if with_admins {
        let take_virtual = page.offset == 0;
        let offset = (page.offset - 1).max(0);
        let limit = if take_virtual { page.limit - 1 } else { page.limit };
        (limit, offset, !take_virtual)
    } else {
        (page.limit, page.offset, true)
    };
    let (rows, stored_total) = if limit > 0 {
        state.db.list_teams(scope, include_inactive, limit, offset).await?
    } else {
        let (_, total) = state.db.list_teams(scope, include_inactive, 1, 0).await?;
        (vec![], total)
    };
    let mut teams = Vec::new();
    if with_admins && !skip_virtual {
        teams.push(admins_team(state).await?);
    }
    teams.extend(rows.into_iter().map(team_response));
    Ok(TeamListResponse { teams, total: stored_total + i64::from(with_admins), limit: page.limit, offset: page.offset })
}

/// Resolves a team for reading: the virtual team for admins, else a stored team the caller reads.
pub async fn readable(state: &AppState, caller: &Caller, id: Uuid) -> AppResult<TeamResponse> {
    let denied = || AppError::api(ErrorCode::NotTeamMember, "Access denied: not a team member");
    if id == ADMINS_TEAM_ID {
        return if caller.principal.is_admin() { admins_team(state).await } else { Err(denied()) };
    }
    let team = state.db.find_team(id).await?.ok_or_else(|| AppError::api(ErrorCode::NotFound, "Team not found"))?;
    if !is_team_reader(&state.db, &caller.principal, id).await? {
        return Err(denied());
    }
    Ok(team_response(team))
}

fn changes(before: &TeamPolicy, after: &TeamPolicy) -> Value {
    let mut c = serde_json::Map::new();
    let mut diff = |field: &str, old: Value, new: Value| {
        if old != new {
            c.insert(field.into(), json!([old, new]));
        }
    };
    diff("description", json!(before.description), json!(after.description));
    diff("required_labels", json!(before.required_labels), json!(after.required_labels));
    diff("optional_label_patterns", json!(before.optional_label_patterns), json!(after.optional_label_patterns));
    diff("max_runners", json!(before.max_runners), json!(after.max_runners));
    diff("max_runners_per_user", json!(before.max_runners_per_user), json!(after.max_runners_per_user));
    diff("allowed_runner_group_ids", json!(before.allowed_runner_group_ids), json!(after.allowed_runner_group_ids));
    diff("default_runner_group_id", json!(before.default_runner_group_id), json!(after.default_runner_group_id));
    Value::Object(c)
}

fn policy_of(t: &TeamRow) -> TeamPolicy {
    TeamPolicy {
        description: t.description.clone(),
        required_labels: t.required_labels.0.clone(),
        optional_label_patterns: t.optional_label_patterns.as_ref().map(|p| p.0.clone()),
        max_runners: t.max_runners,
        max_runners_per_user: t.max_runners_per_user,
        allowed_runner_group_ids: t.allowed_runner_group_ids.0.clone(),
        default_runner_group_id: t.default_runner_group_id.unwrap_or(1),
    }
}

/// `PATCH /api/v1/admin/teams/{id}` (merge-patch).
pub async fn patch(state: &AppState, caller: &Caller, id: Uuid, req: TeamPatchRequest) -> AppResult<TeamResponse> {
    if id == ADMINS_TEAM_ID {
        return Err(immutable());
    }
    let mut null_errors = Vec::new();
    for (field, is_null) in [
        ("required_labels", matches!(req.required_labels, Some(None))),
        ("allowed_runner_group_ids", matches!(req.allowed_runner_group_ids, Some(None))),
        ("default_runner_group_id", matches!(req.default_runner_group_id, Some(None))),
    ] {
        if is_null {
            null_errors.push(FieldError { field: field.into(), message: "must not be null".into() });
        }
    }
    if !null_errors.is_empty() {
        return Err(ApiError::validation(null_errors).into());
    }
    let team = stored_team(state, id).await?;
    let before = policy_of(&team);
    let mut after = before.clone();
    if let Some(v) = req.description {
        after.description = v;
    }
    if let Some(Some(v)) = req.required_labels {
        after.required_labels = v;
    }
    if let Some(v) = req.optional_label_patterns {
        after.optional_label_patterns = v;
    }
    if let Some(v) = req.max_runners {
        after.max_runners = v;
    }
    if let Some(v) = req.max_runners_per_user {
        after.max_runners_per_user = v;
    }
    if let Some(Some(v)) = req.allowed_runner_group_ids {
        after.allowed_runner_group_ids = v;
    }
    if let Some(Some(v)) = req.default_runner_group_id {
        after.default_runner_group_id = v;
    }
    let after = validate_policy(after)?;
    let diff = changes(&before, &after);
    if diff.as_object().is_some_and(|m| m.is_empty()) {
        return Ok(team_response(team));
    }
    let data = json!({ "team_id": id.to_string(), "team_name": team.name, "changes": diff });
    let audit = crate::db::audit::NewAudit { team_id: Some(id), ..caller.audit("team_updated", data) };
    state.db.update_team_policy(id, &after, audit).await?;
    Ok(team_response(stored_team(state, id).await?))
}

/// `POST …/deactivate` (`Some(req)`) and `POST …/reactivate` (`None`).
pub async fn set_active(state: &AppState, caller: &Caller, id: Uuid, deactivate: Option<TeamDeactivateRequest>) -> AppResult<TeamResponse> {
    if let Some(r) = &deactivate {
        let len = r.reason.trim().chars().count();
        if len == 0 || r.reason.chars().count() > 500 {
            return Err(ApiError::invalid_field("reason", "must be 1–500 characters").into());
        }
    }
    if id == ADMINS_TEAM_ID {
        return Err(immutable());
    }
    let team = stored_team(state, id).await?;
    let identity = caller.principal.identity();
    let (event, data) = match &deactivate {
        Some(r) => ("team_deactivated", json!({ "team_id": id.to_string(), "team_name": team.name, "reason": r.reason })),
        None => ("team_reactivated", json!({ "team_id": id.to_string(), "team_name": team.name })),
    };
    let audit = crate::db::audit::NewAudit { team_id: Some(id), ..caller.audit(event, data) };
    let changed = state.db.set_team_active(id, deactivate.as_ref().map(|r| (identity.as_str(), r.reason.as_str())), audit).await?;
    if !changed {
        let state_word = if deactivate.is_some() { "deactivated" } else { "active" };
        return Err(AppError::api(ErrorCode::AlreadyInState, format!("Team '{}' is already {state_word}", team.name)));
    }
    Ok(team_response(stored_team(state, id).await?))
}

/// The contract shape of a member row.
pub fn member_response(m: MemberRow) -> MemberResponse {
    MemberResponse { user_id: m.user_id, email: m.email, display_name: m.display_name, joined_at: m.joined_at, added_by: m.added_by, is_active: m.is_active }
}

/// `GET …/members`: `(team name, members, total)`.
pub async fn members(state: &AppState, caller: &Caller, id: Uuid, page: Page) -> AppResult<(String, Vec<MemberResponse>, i64)> {
    if id == ADMINS_TEAM_ID {
        if !caller.principal.is_admin() {
            return Err(AppError::api(ErrorCode::Forbidden, "Admin privileges required"));
        }
        let (rows, total) = state.db.list_admins(page.limit, page.offset).await?;
        return Ok((ADMINS_TEAM_NAME.into(), rows.into_iter().map(member_response).collect(), total));
    }
    let team = readable(state, caller, id).await?;
    let (rows, total) = state.db.list_members(id, page.limit, page.offset).await?;
    Ok((team.name, rows.into_iter().map(member_response).collect(), total))
}

/// `POST …/members`.
pub async fn add_member(state: &AppState, caller: &Caller, id: Uuid, user_id: Uuid) -> AppResult<MemberResponse> {
    if id == ADMINS_TEAM_ID {
        return Err(AppError::api(ErrorCode::SystemTeamImmutable, "Admin team membership is managed via user is_admin flag"));
    }
    let team = stored_team(state, id).await?;
    let user = state.db.find_user_by_id(user_id).await?.ok_or_else(|| AppError::api(ErrorCode::InvalidReference, format!("User not found: {user_id}")))?;
    let data = json!({ "team_id": id.to_string(), "user_id": user_id.to_string(), "user_email": user.email });
    let audit = crate::db::audit::NewAudit { team_id: Some(id), ..caller.audit("team_member_added", data) };
    match state.db.add_member(id, user_id, &caller.principal.identity(), audit).await {
        Ok(row) => Ok(member_response(row)),
        Err(DbError::Conflict(_)) => Err(AppError::api(
            ErrorCode::AlreadyMember,
            format!("User {} is already a member of team {}", user.email.unwrap_or_else(|| user_id.to_string()), team.name),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `DELETE …/members/{user_id}`.
pub async fn remove_member(state: &AppState, caller: &Caller, id: Uuid, user_id: Uuid) -> AppResult<()> {
    if id == ADMINS_TEAM_ID {
        return Err(AppError::api(ErrorCode::SystemTeamImmutable, "Admin team membership is managed via user is_admin flag"));
    }
    stored_team(state, id).await?;
    let email = state.db.find_user_by_id(user_id).await?.and_then(|u| u.email);
    let data = json!({ "team_id": id.to_string(), "user_id": user_id.to_string(), "user_email": email });
    let audit = crate::db::audit::NewAudit { team_id: Some(id), ..caller.audit("team_member_removed", data) };
    if !state.db.remove_member(id, user_id, audit).await? {
        return Err(AppError::api(ErrorCode::MembershipNotFound, "User is not a member of this team"));
    }
    Ok(())
}

/// `GET /api/v1/admin/teams/users/{user_id}/teams`.
pub async fn teams_of_user(state: &AppState, caller: &Caller, user_id: Uuid, page: Page) -> AppResult<(Vec<TeamResponse>, i64)> {
    let own = caller.principal.user().is_some_and(|u| u.id == user_id);
    if !own && !caller.principal.is_admin() {
        return Err(AppError::api(ErrorCode::Forbidden, "Access denied: can only view your own teams"));
    }
    let (rows, total) = state.db.list_teams(TeamScope::MemberOf(user_id), true, page.limit, page.offset).await?;
    Ok((rows.into_iter().map(team_response).collect(), total))
}

#[cfg(test)]
mod tests {
    #[test]
    fn team_names_are_kebab_case() {
        for ok in ["ml-infra", "a1", "web"] {
            assert!(super::name_ok(ok), "{ok}");
        }
        for bad in ["a", "-ab", "ab-", "Ab", "a_b", "a b", &"a".repeat(51)] {
            assert!(!super::name_ok(bad), "{bad}");
        }
    }
}
