//! From validated token claims to a principal (API.md §2.3 M2M, §2.4 users).

use app::contract::ErrorCode;
use serde_json::{Map, Value, json};

use super::principal::{ActorType, AuthMethod, Identity, M2mClient, Principal};
use crate::db::audit::NewAudit;
use crate::db::models::UserRow;
use crate::db::users::Bind;
use crate::db::{Db, now};
use crate::error::{AppError, AppResult};

/// Claims that mark a token as a person's.
const USER_CLAIMS: &[&str] = &["email", "email_verified", "preferred_username", "name", "given_name", "family_name", "nickname"];

fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// M2M: `gty=client-credentials`, or `client_id`/`azp` equal to `sub` and no user claims.
pub fn is_m2m(claims: &Map<String, Value>) -> bool {
    if claim(claims, "gty") == Some("client-credentials") {
        return true;
    }
    let sub = claim(claims, "sub");
    let client = claim(claims, "client_id").or_else(|| claim(claims, "azp"));
    client.is_some() && client == sub && !USER_CLAIMS.iter().any(|c| claims.contains_key(*c))
}

/// A bearer token's principal.
pub async fn bearer_principal(db: &Db, claims: &Map<String, Value>) -> AppResult<Principal> {
    let identity = if is_m2m(claims) {
        Identity::M2m(m2m_client(db, claims).await?)
    } else {
        Identity::User { user: user_from_claims(db, claims).await?, actor_type: ActorType::User }
    };
    Ok(Principal { identity, auth: AuthMethod::Bearer })
}

async fn m2m_client(db: &Db, claims: &Map<String, Value>) -> AppResult<M2mClient> {
    let sub = claim(claims, "sub").unwrap_or_default();
    let Some(c) = db.find_oauth_client(sub).await? else {
        return Err(AppError::api(
            ErrorCode::M2mClientNotRegistered,
            format!("M2M client '{sub}' is not registered. Register the client ID via the admin API (POST /api/v1/admin/oauth-clients) before use."),
        ));
    };
    if !c.is_active {
        return Err(AppError::api(ErrorCode::M2mClientDisabled, format!("M2M client '{sub}' is disabled. Contact an administrator to re-enable it.")));
    }
    if !c.team_active {
        return Err(AppError::api(ErrorCode::TeamInactive, "Team associated with this M2M client is inactive. Contact an administrator."));
    }
    // Usage bookkeeping never fails the request, and is written at most once a minute: the
    // check is on the row just read, so the hot path takes no write lock.
    let at = now();
    if due(c.last_used_at, at)
        && let Err(e) = db.touch_oauth_client(c.id, at).await
    {
        tracing::warn!(error = %e, "could not record M2M client use");
    }
    Ok(M2mClient { id: c.id, client_id: c.client_id, team_id: c.team_id, team_name: c.team_name, display_name: claim(claims, "name").map(str::to_owned) })
}

fn email_verified(claims: &Map<String, Value>) -> bool {
    match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

/// A person's user row: by subject, else once by verified email (which binds the subject).
pub async fn user_from_claims(db: &Db, claims: &Map<String, Value>) -> AppResult<UserRow> {
    let sub = claim(claims, "sub").unwrap_or_default();
    let mut user = db.find_user_by_sub(sub).await?;
    if user.is_none()
        && email_verified(claims)
        && let Some(email) = claim(claims, "email")
    {
        let mut candidates = db.find_unbound_users_by_email(email).await?;
        if candidates.len() == 1 {
            let candidate = candidates.remove(0);
            if !candidate.is_active {
                return Err(inactive());
            }
            let audit = NewAudit {
                event_type: "user_sub_bound".into(),
                actor_type: "system".into(),
                user_identity: "system".into(),
                oidc_sub: Some(sub.to_owned()),
                event_data: Some(json!({ "user_id": candidate.id.to_string(), "oidc_sub": sub })),
                success: true,
                ..Default::default()
            };
            if db.bind_user_sub(candidate.id, sub, audit).await? == Bind::Bound {
                tracing::info!(user.id = %candidate.id, "bound an OIDC subject to a user by verified email");
            }
            // Whoever won the race, only a user now bound to *this* subject matches.
            user = db.find_user_by_sub(sub).await?;
        }
    }
    let Some(user) = user else {
        return Err(AppError::api(ErrorCode::UserNotRegistered, "User not authorized. Contact administrator to request access."));
    };
    if !user.is_active {
        return Err(inactive());
    }
    let at = now();
    if due(user.last_login_at, at)
        && let Err(e) = db.touch_user_login(user.id, at).await
    {
        tracing::warn!(error = %e, "could not record last login");
    }
    Ok(user)
}

/// Whether a "last used" time read with the row is old enough to be written again.
fn due(last: Option<chrono::DateTime<chrono::Utc>>, at: chrono::DateTime<chrono::Utc>) -> bool {
    last.is_none_or(|t| at - t >= chrono::Duration::seconds(60))
}

fn inactive() -> AppError {
    AppError::api(ErrorCode::UserInactive, "User account is deactivated.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn machine_tokens_are_told_from_people() {
        assert!(is_m2m(&claims(json!({ "sub": "ci", "client_id": "ci" }))));
        assert!(is_m2m(&claims(json!({ "sub": "x@clients", "gty": "client-credentials" }))));
        assert!(!is_m2m(&claims(json!({ "sub": "ci", "client_id": "ci", "email": "a@b" }))));
        assert!(!is_m2m(&claims(json!({ "sub": "alice", "client_id": "ui" }))));
    }
}
