//! Local login (API.md §6.4): username + password, behind the limits of [`super::throttle`]
//! (per address, concurrent checks) and [`crate::db::login_failures`] (per username and IP,
//! per account).

use std::time::Duration;

use app::contract::{ApiError, ErrorCode, FieldError, LocalLoginRequest, MeResponse, SecurityEventType, Severity};
use http::HeaderValue;
use http::request::Parts;
use secrecy::SecretString;
use serde_json::json;

use super::context::RequestContext;
use super::password::verify_password;
use super::service::{AuthService, chrono_duration};
use super::throttle::Refusal;
use crate::db::audit::NewAudit;
use crate::db::login_failures::{Attempt, AttemptLimits};
use crate::db::now;
use crate::db::security_events::NewSecurityEvent;
use crate::error::{AppError, AppResult};

/// Failures counted per (username, IP) before logins are refused.
pub const LOGIN_MAX_FAILURES: i64 = 5;
/// The sliding window of the login limiter.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

impl AuthService {
    /// `POST /auth/local-login`: returns the caller and the session cookie.
    ///
    /// Order (README "Security"): the per-address limiter and the bound on concurrent password
    /// checks come first (memory only, nothing written); then the attempt is recorded under the
    /// per (username, IP) and per-account limits; only then is the password checked.
    pub async fn local_login(&self, parts: &Parts, body: LocalLoginRequest) -> AppResult<(MeResponse, Vec<HeaderValue>)> {
        self.check_csrf(parts)?;
        if !self.config.local_auth.enabled {
            return Err(AppError::api(ErrorCode::LoginMethodDisabled, "Local login is disabled on this deployment"));
        }
        validate_login(&body)?;
        let ctx = self.context(parts);
        let permit = match self.login_throttle.admit(ctx.client_ip) {
            Ok(permit) => permit,
            Err(Refusal::Address(retry)) => {
                self.count_login("rate_limited");
                return Err(ApiError::new(ErrorCode::RateLimited, "Too many login attempts from this address. Try again later.")
                    .with_retry_after(retry)
                    .into());
            }
            Err(Refusal::Busy) => {
                self.count_login("busy");
                return Err(ApiError::new(ErrorCode::RateLimited, "Too many logins are being checked right now. Try again in a moment.")
                    .with_retry_after(1)
                    .into());
            }
        };
        let ip = ctx.ip_text();
        let key = body.username.to_lowercase();
        let limits = AttemptLimits {
            per_client: LOGIN_MAX_FAILURES,
            per_account: self.config.local_auth.account_max_failures,
            since: now() - chrono_duration(LOGIN_WINDOW),
        };
        let ordinals = match self.db.record_login_attempt(&key, &ip, now(), limits).await? {
            Attempt::Recorded { client_ordinal, account_ordinal } => (client_ordinal, account_ordinal),
            Attempt::ClientLimited(oldest) | Attempt::AccountLimited(oldest) => {
                let retry = oldest.map(|o| (o + chrono_duration(LOGIN_WINDOW) - now()).num_seconds().max(1)).unwrap_or(1);
                self.audit_login_failed(&ctx, &key, "rate_limited").await?;
                self.count_login("rate_limited");
                return Err(ApiError::new(ErrorCode::RateLimited, "Too many failed login attempts. Try again later.")
                    .with_retry_after(u64::try_from(retry).unwrap_or(1))
                    .into());
            }
        };

        // Unknown usernames are checked against a dummy hash: same time, same answer.
        let user = self.db.find_user_by_username(&body.username).await?;
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let ok = verify_password(stored, SecretString::from(body.password), permit).await;
        let Some(user) = user.filter(|_| ok) else {
            // The attempt recorded above stays: it is this failure.
            self.audit_login_failed(&ctx, &key, "invalid_credentials").await?;
            self.count_login("invalid");
            self.lock_event_if_reached(&ctx, &key, ordinals).await?;
            return Err(AppError::api(ErrorCode::InvalidCredentials, "Invalid username or password"));
        };
        self.db.clear_login_failures(&key, &ip).await?;
        if !user.is_active {
            self.audit_login_failed(&ctx, &key, "inactive").await?;
            self.count_login("inactive");
            return Err(AppError::api(ErrorCode::UserInactive, "User account is deactivated."));
        }
        let (principal, cookie) = self.open_session(&ctx, user, "local", None).await?;
        self.count_login("success");
        Ok((self.me(&principal).await?, vec![cookie]))
    }

    /// One `local_login_locked` event per limit reached: the failure that used up the last
    /// allowed attempt for the (username, IP), or for the account, records it (attempts are
    /// numbered one by one, so exactly one failure holds each last number).
    async fn lock_event_if_reached(&self, ctx: &RequestContext, key: &str, (client_ordinal, account_ordinal): (i64, i64)) -> AppResult<()> {
        let ip = ctx.ip_text();
        let scopes = [
            (client_ordinal == LOGIN_MAX_FAILURES).then_some(("client", LOGIN_MAX_FAILURES)),
            (account_ordinal == self.config.local_auth.account_max_failures).then_some(("account", self.config.local_auth.account_max_failures)),
        ];
        for (scope, failures) in scopes.into_iter().flatten() {
            let locked = NewSecurityEvent {
                user_identity: key.to_owned(),
                oidc_sub: None,
                team_id: None,
                violation_data: json!({ "username": key, "client_ip": ip, "failures": failures, "scope": scope }),
                action_taken: Some("rate_limited".to_owned()),
                request_id: ctx.request_id.clone(),
                ..NewSecurityEvent::new(SecurityEventType::LocalLoginLocked, Severity::Medium)
            };
            self.db.record_security_event(&self.metrics, &locked).await?;
            tracing::warn!(client.ip = %ip, scope, "local login locked after repeated failures");
        }
        Ok(())
    }

    fn count_login(&self, result: &str) {
        self.metrics.local_logins.with_label_values(&[result]).inc();
    }

    pub(super) async fn audit_login_failed(&self, ctx: &RequestContext, identity: &str, reason: &str) -> AppResult<()> {
        self.db
            .append_audit(NewAudit {
                event_type: "login_failed".to_owned(),
                actor_type: "local_admin".to_owned(),
                user_identity: identity.to_owned(),
                event_data: Some(json!({ "method": "local", "reason": reason })),
                success: false,
                error_message: Some(reason.to_owned()),
                ..ctx.audit_base()
            })
            .await?;
        Ok(())
    }
}

fn validate_login(body: &LocalLoginRequest) -> AppResult<()> {
    let mut errors = Vec::new();
    let ulen = body.username.chars().count();
    if ulen == 0 || ulen > 150 {
        errors.push(FieldError { field: "username".into(), message: "must be 1–150 characters".into() });
    }
    let plen = body.password.chars().count();
    if plen == 0 || plen > 1024 {
        errors.push(FieldError { field: "password".into(), message: "must be 1–1024 characters".into() });
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::validation(errors).into()) }
}
