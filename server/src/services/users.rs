//! Users (API.md §10.0–§10.6): creation with memberships, listing, updates with the
//! last-admin guard, soft deletion and activation. Every change and every refusal by a
//! business rule is audited (§3.7).

use app::contract::users::{UserCreateRequest, UserDeactivateRequest, UserListQuery, UserListResponse, UserResponse, UserUpdateRequest};
use app::contract::{ApiError, ErrorCode, FieldError, SecurityEventType, Severity};
use serde_json::{Value, json};
use uuid::Uuid;

use super::teams::ADMINS_TEAM_ID;
use crate::auth::Caller;
use crate::db::DbError;
use crate::db::Page;
use crate::db::audit::NewAudit;
use crate::db::models::UserRow;
use crate::db::security_events::NewSecurityEvent;
use crate::db::user_admin::{CreateUser, NewUser, UserFilter, UserState, UserWrite};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Detail of `409 LAST_ADMIN` on deactivation (API.md §10.5).
pub const LAST_ADMIN_DEACTIVATE: &str = "Cannot deactivate the last active admin user. At least one admin must remain active.";
/// Detail of `409 LAST_ADMIN` when the last admin would lose the role.
pub const LAST_ADMIN_DEMOTE: &str = "Cannot remove admin privileges from the last active admin user. At least one admin must remain active.";

/// The security event of a deactivation: type and severity.
const DEACTIVATED: (SecurityEventType, Severity) = (SecurityEventType::UserDeactivated, Severity::Medium);

/// The contract shape of a stored user (never the password hash).
pub fn user_response(u: UserRow) -> UserResponse {
    UserResponse {
        id: u.id,
        email: u.email,
        oidc_sub: u.oidc_sub,
        display_name: u.display_name,
        is_admin: u.is_admin,
        is_active: u.is_active,
        can_use_jit: u.can_use_jit,
        created_at: u.created_at,
        updated_at: u.updated_at,
        last_login_at: u.last_login_at,
        created_by: u.created_by,
        username: u.username,
    }
}

/// How a user is named in messages: email, else subject, else username, else id.
pub fn user_label(u: &UserRow) -> String {
    u.email.clone().or_else(|| u.oidc_sub.clone()).or_else(|| u.username.clone()).unwrap_or_else(|| u.id.to_string())
}

fn not_found(id: Uuid) -> AppError {
    AppError::api(ErrorCode::NotFound, format!("User not found: {id}"))
}

/// Whether `e` is a plausible email address (RFC 5321 sizes, one `@`, a dotted domain).
pub fn email_ok(e: &str) -> bool {
    if e.chars().count() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = e.split_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty() && l.chars().count() <= 63 && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    local_ok && domain_ok
}

/// The `comment` rule of deletion and batch actions: 10–500 characters.
pub fn comment_error(comment: &str) -> Option<FieldError> {
    let n = comment.chars().count();
    (!(10..=500).contains(&n) || comment.trim().is_empty()).then(|| FieldError { field: "comment".into(), message: "must be 10–500 characters".into() })
}

/// An audit row turned into the record of a refusal (`success: false`, the error's detail).
pub(crate) fn failed(mut audit: NewAudit, err: &AppError) -> NewAudit {
    audit.success = false;
    audit.error_message = Some(err.to_api_error().detail);
    audit
}

/// Audits a refusal by a business rule (in its own transaction) and returns the error.
pub(crate) async fn refuse<T>(state: &AppState, caller: &Caller, event: &str, data: Value, err: AppError) -> AppResult<T> {
    state.db.append_audit(failed(caller.audit(event, data), &err)).await?;
    Err(err)
}

/// `409 USER_ALREADY_EXISTS` if the email (case-insensitively) or the subject is taken.
async fn existing(state: &AppState, req: &UserCreateRequest) -> AppResult<Option<AppError>> {
    let exists = |field: &str, value: &str| AppError::api(ErrorCode::UserAlreadyExists, format!("User with {field} '{value}' already exists"));
    if let Some(e) = &req.email
        && state.db.find_user_by_email(e).await?.is_some()
    {
        return Ok(Some(exists("email", e)));
    }
    if let Some(s) = &req.oidc_sub
        && state.db.find_user_by_sub(s).await?.is_some()
    {
        return Ok(Some(exists("oidc_sub", s)));
    }
    Ok(None)
}

/// `POST /api/v1/admin/users`: the user and its memberships in one transaction.
pub async fn create(state: &AppState, caller: &Caller, req: UserCreateRequest) -> AppResult<UserResponse> {
    let mut errors = Vec::new();
    if req.email.as_deref().is_some_and(|e| !email_ok(e)) {
        errors.push(FieldError { field: "email".into(), message: "must be a valid email address of at most 254 characters".into() });
    }
    if req.oidc_sub.as_ref().is_some_and(|s| !(1..=255).contains(&s.chars().count())) {
        errors.push(FieldError { field: "oidc_sub".into(), message: "must be 1–255 characters".into() });
    }
    if req.display_name.as_ref().is_some_and(|d| d.chars().count() > 255) {
        errors.push(FieldError { field: "display_name".into(), message: "must be at most 255 characters".into() });
    }
    if req.email.is_none() && req.oidc_sub.is_none() {
        errors.push(FieldError { field: "body".into(), message: "at least one of email and oidc_sub is required".into() });
    }
    if !req.is_admin && req.team_ids.is_empty() {
        errors.push(FieldError { field: "team_ids".into(), message: "a non-admin user needs at least one team".into() });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors).into());
    }
    let mut team_ids: Vec<Uuid> = Vec::new();
    for t in &req.team_ids {
        if !team_ids.contains(t) {
            team_ids.push(*t);
        }
    }
    let id = Uuid::new_v4();
    let team_list: Vec<String> = team_ids.iter().map(Uuid::to_string).collect();
    let audit = caller.audit("user_created", json!({ "user_id": id.to_string(), "team_ids": team_list }));
    let refused = json!({ "user_id": null, "team_ids": team_list });

    if let Some(err) = existing(state, &req).await? {
        return refuse(state, caller, "user_created", refused, err).await;
    }
    let missing_team = |t: Uuid| AppError::api(ErrorCode::InvalidReference, format!("Failed to add user to team '{t}': team not found"));
    if team_ids.contains(&ADMINS_TEAM_ID) {
        return refuse(state, caller, "user_created", refused, missing_team(ADMINS_TEAM_ID)).await;
    }

    let display_name = req.display_name.clone().or_else(|| req.email.clone()).or_else(|| req.oidc_sub.clone());
    let new = NewUser {
        id,
        email: req.email.clone(),
        oidc_sub: req.oidc_sub.clone(),
        display_name,
        is_admin: req.is_admin,
        can_use_jit: req.can_use_jit,
        created_by: caller.principal.identity(),
    };
    match state.db.create_user(&new, &team_ids, audit).await {
        Ok(CreateUser::Created) => {}
        Ok(CreateUser::MissingTeam(t)) => return refuse(state, caller, "user_created", refused, missing_team(t)).await,
        // Lost a race with another writer: name the column that clashed.
        Err(DbError::Conflict(_)) => {
            let err = existing(state, &req).await?.unwrap_or_else(|| AppError::api(ErrorCode::UserAlreadyExists, "User already exists"));
            return refuse(state, caller, "user_created", refused, err).await;
        }
        Err(e) => return Err(e.into()),
    }
    let user = state.db.find_user_by_id(id).await?.ok_or_else(|| not_found(id))?;
    Ok(user_response(user))
}

/// `GET /api/v1/admin/users` (API.md §10.2): `active` picks active (`true`) or deactivated
/// (`false`) users only; without it, `include_inactive` adds the deactivated ones to the active.
pub async fn list(state: &AppState, q: &UserListQuery, page: Page) -> AppResult<UserListResponse> {
    let (active, inactive) = match q.active {
        Some(a) => (a, !a),
        None => (true, q.include_inactive.unwrap_or(false)),
    };
    let filter = UserFilter {
        active,
        inactive,
        is_admin: q.is_admin,
        search: q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        not_member_of: q.not_member_of,
    };
    let (rows, total) = state.db.list_users(&filter, page.limit, page.offset).await?;
    Ok(UserListResponse { users: rows.into_iter().map(user_response).collect(), total, limit: page.limit, offset: page.offset })
}

/// `GET /api/v1/admin/users/{id}`.
pub async fn get(state: &AppState, id: Uuid) -> AppResult<UserResponse> {
    Ok(user_response(state.db.find_user_by_id(id).await?.ok_or_else(|| not_found(id))?))
}

fn changes(before: &UserState, after: &UserState) -> serde_json::Map<String, Value> {
    let mut c = serde_json::Map::new();
    let mut diff = |field: &str, old: Value, new: Value| {
        if old != new {
            c.insert(field.into(), json!([old, new]));
        }
    };
    diff("display_name", json!(before.display_name), json!(after.display_name));
    diff("is_admin", json!(before.is_admin), json!(after.is_admin));
    diff("is_active", json!(before.is_active), json!(after.is_active));
    diff("can_use_jit", json!(before.can_use_jit), json!(after.can_use_jit));
    c
}

/// Whether going from `before` to `after` takes away an active admin.
fn removes_active_admin(before: &UserState, after: &UserState) -> bool {
    before.is_admin && before.is_active && !(after.is_admin && after.is_active)
}

/// `PUT /api/v1/admin/users/{id}`: only present, non-null fields apply; guarded by the
/// last-admin rule, checked and written in one serialised transaction.
pub async fn update(state: &AppState, caller: &Caller, id: Uuid, req: UserUpdateRequest) -> AppResult<UserResponse> {
    if req.display_name.as_ref().is_some_and(|d| d.chars().count() > 255) {
        return Err(ApiError::invalid_field("display_name", "must be at most 255 characters").into());
    }
    let outcome = state
        .db
        .change_user(id, |user, other_admins| {
            let before = UserState::of(user);
            let nothing = req.display_name.is_none() && req.is_admin.is_none() && req.is_active.is_none() && req.can_use_jit.is_none();
            let after = UserState {
                display_name: req.display_name.clone().or_else(|| before.display_name.clone()),
                is_admin: req.is_admin.unwrap_or(before.is_admin),
                is_active: req.is_active.unwrap_or(before.is_active),
                can_use_jit: req.can_use_jit.unwrap_or(before.can_use_jit),
            };
            let diff = changes(&before, &after);
            let data = json!({ "user_id": id.to_string(), "changes": diff });
            let audit = caller.audit("user_updated", data);
            if nothing {
                let err = AppError::api(ErrorCode::NothingToUpdate, "No fields to update");
                return (UserWrite { audit: Some(failed(audit, &err)), ..Default::default() }, Err(err));
            }
            if diff.is_empty() {
                return (UserWrite::default(), Ok(()));
            }
            if removes_active_admin(&before, &after) && other_admins == 0 {
                let detail = if after.is_active { LAST_ADMIN_DEMOTE } else { LAST_ADMIN_DEACTIVATE };
                let err = AppError::api(ErrorCode::LastAdmin, detail);
                return (UserWrite { audit: Some(failed(audit, &err)), ..Default::default() }, Err(err));
            }
            // Runner reclamation: see services::runners (owner_deactivated) — the sync worker
            // reclaims a deactivated user's `pending` runners on its next cycle.
            let end_sessions = before.is_active && !after.is_active;
            (UserWrite { state: Some(after), end_sessions, audit: Some(audit), ..Default::default() }, Ok(()))
        })
        .await?;
    outcome.ok_or_else(|| not_found(id))??;
    get(state, id).await
}

/// `DELETE /api/v1/admin/users/{id}`: a soft delete. Ends the user's sessions and writes the
/// security event and the audit row (again, for an already inactive user).
pub async fn deactivate(state: &AppState, caller: &Caller, id: Uuid, req: UserDeactivateRequest) -> AppResult<()> {
    if let Some(e) = comment_error(&req.comment) {
        return Err(ApiError::validation(vec![e]).into());
    }
    let outcome = state
        .db
        .change_user(id, |user, other_admins| {
            let data = json!({
                "comment": req.comment,
                "deactivated_user_id": id.to_string(),
                "deactivated_user_email": user.email,
                "deactivated_user_oidc_sub": user.oidc_sub,
            });
            let audit = caller.audit("user_deactivated", data.clone());
            if user.is_admin && user.is_active && other_admins == 0 {
                let err = AppError::api(ErrorCode::LastAdmin, LAST_ADMIN_DEACTIVATE);
                return (UserWrite { audit: Some(failed(audit, &err)), ..Default::default() }, Err(err));
            }
            let event = NewSecurityEvent {
                action_taken: Some(format!("deactivated user {}", user_label(user))),
                ..caller.security_event(DEACTIVATED.0, DEACTIVATED.1, data)
            };
            // Runner reclamation: see services::runners (owner_deactivated) — the sync worker
            // reclaims a deactivated user's `pending` runners on its next cycle.
            let write = UserWrite {
                state: Some(UserState { is_active: false, ..UserState::of(user) }),
                deactivation_comment: Some(req.comment.clone()),
                end_sessions: true,
                audit: Some(audit),
                event: Some(event),
            };
            (write, Ok(()))
        })
        .await?;
    outcome.ok_or_else(|| not_found(id))??;
    state.metrics.security_event(DEACTIVATED.0, DEACTIVATED.1);
    Ok(())
}

/// `POST /api/v1/admin/users/{id}/activate`: idempotent, audited every time.
pub async fn activate(state: &AppState, caller: &Caller, id: Uuid) -> AppResult<UserResponse> {
    let done = state
        .db
        .change_user(id, |user, _| {
            let audit = caller.audit("user_activated", json!({ "user_id": id.to_string() }));
            let state = (!user.is_active).then(|| UserState { is_active: true, ..UserState::of(user) });
            (UserWrite { state, audit: Some(audit), ..Default::default() }, ())
        })
        .await?;
    done.ok_or_else(|| not_found(id))?;
    get(state, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_for_shape_and_size() {
        for ok in ["a@example.com", "First.Last+tag@sub.example.org", "ü@exämple.de"] {
            assert!(email_ok(ok), "{ok}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        for bad in ["", "a", "a@b", "@example.com", "a@", "a b@example.com", "a@@example.com", "a@-x.com", "a..b@example.com", "a@example.123", &long] {
            assert!(!email_ok(bad), "{bad}");
        }
    }

    #[test]
    fn comments_are_10_to_500_characters() {
        assert!(comment_error("too short").is_some());
        assert!(comment_error("          ").is_some());
        assert!(comment_error("long enough").is_none());
        assert!(comment_error(&"é".repeat(500)).is_none());
        assert!(comment_error(&"x".repeat(501)).is_some());
    }

    #[test]
    fn only_losing_an_active_admin_needs_the_guard() {
        let s = |is_admin, is_active| UserState { display_name: None, is_admin, is_active, can_use_jit: true };
        assert!(removes_active_admin(&s(true, true), &s(false, true)));
        assert!(removes_active_admin(&s(true, true), &s(true, false)));
        assert!(!removes_active_admin(&s(true, false), &s(false, false)));
        assert!(!removes_active_admin(&s(false, true), &s(false, false)));
        assert!(!removes_active_admin(&s(true, true), &s(true, true)));
    }
}
