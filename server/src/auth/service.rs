//! The authentication service: resolves credentials to a [`Principal`], runs local login and
//! logout, and answers `/auth/me`. REST handlers and the UI's server functions both call it.

use std::sync::Arc;
use std::time::Duration;

use app::contract::{ApiError, ErrorCode, LocalLoginRequest, LogoutResponse, MeResponse, TeamRef};
use http::request::Parts;
use http::{HeaderValue, Method};
use secrecy::SecretString;
use serde_json::json;

use super::context::RequestContext;
use super::principal::{ActorType, AuthMethod, Principal};
use super::session::{self, token_from_headers, token_hash};
use super::password::verify_password;
use crate::config::Config;
use crate::db::audit::NewAudit;
use crate::db::security_events::NewSecurityEvent;
use crate::db::sessions::NewSession;
use crate::db::{Db, now};
use crate::error::{AppError, AppResult};

/// Failures counted per (username, IP) before logins are refused.
pub const LOGIN_MAX_FAILURES: i64 = 5;
/// The sliding window of the login limiter.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Session activity is written at most this often.
const SESSION_TOUCH_INTERVAL: chrono::Duration = chrono::Duration::seconds(60);
/// The only value of `X-Requested-With` that satisfies the CSRF rule.
pub const CSRF_HEADER_VALUE: &str = "gharts";

/// Authentication over the database and configuration.
#[derive(Clone)]
pub struct AuthService {
    db: Db,
    config: Arc<Config>,
}

impl AuthService {
    /// A service over `db` and `config`.
    pub fn new(db: Db, config: Arc<Config>) -> Self {
        Self { db, config }
    }

    /// The request's context under this deployment's trusted proxies.
    pub fn context(&self, parts: &Parts) -> RequestContext {
        RequestContext::from_parts(parts, &self.config.trusted_proxies)
    }

    /// Whether cookies must carry `Secure`.
    fn secure_cookies(&self, ctx: &RequestContext) -> bool {
        ctx.https || self.config.public_url.as_ref().is_some_and(|u| u.scheme() == "https")
    }

    /// Resolves the request's credential (API.md §2.1), then applies the CSRF rule to
    /// cookie-authenticated writes (§2.5).
    pub async fn authenticate(&self, parts: &Parts) -> AppResult<Principal> {
        if let Some(auth) = parts.headers.get(http::header::AUTHORIZATION) {
            let is_bearer = auth.to_str().is_ok_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
            let detail = if is_bearer {
                "Bearer tokens are not accepted: OIDC is not configured"
            } else {
                "Unsupported authorization scheme; use Bearer"
            };
            return Err(AppError::api(ErrorCode::Unauthenticated, detail));
        }
        let Some(token) = token_from_headers(&parts.headers) else {
            return Err(ApiError::not_authenticated().into());
        };
        let principal = self.session_principal(&token).await?;
        if is_unsafe(&parts.method) {
            self.check_csrf(parts)?;
        }
        Ok(principal)
    }

    async fn session_principal(&self, token: &str) -> AppResult<Principal> {
        let id_hash = token_hash(token);
        let Some(session) = self.db.find_session(&id_hash).await? else {
            return Err(AppError::SessionExpired);
        };
        let now = now();
        if session.idle_expires_at <= now || session.absolute_expires_at <= now {
            self.db.delete_session(&id_hash).await?;
            return Err(AppError::SessionExpired);
        }
        let Some(user) = self.db.find_user_by_id(session.user_id).await? else {
            self.db.delete_session(&id_hash).await?;
            return Err(AppError::SessionExpired);
        };
        if !user.is_active {
            self.db.delete_user_sessions(user.id).await?;
            return Err(AppError::api(ErrorCode::UserInactive, "User account is deactivated."));
        }
        let mut idle_expires_at = session.idle_expires_at;
        if now - session.last_seen_at >= SESSION_TOUCH_INTERVAL {
            idle_expires_at = (now + chrono_duration(self.config.session.idle_timeout)).min(session.absolute_expires_at);
            self.db.touch_session(&id_hash, now, idle_expires_at).await?;
        }
        let actor_type = if session.auth_method == "local" { ActorType::LocalAdmin } else { ActorType::User };
        Ok(Principal {
            user,
            actor_type,
            auth: AuthMethod::Session { id_hash, expires_at: idle_expires_at.min(session.absolute_expires_at) },
        })
    }

    /// The CSRF rule: `X-Requested-With: gharts`, or an `Origin` equal to our own.
    pub fn check_csrf(&self, parts: &Parts) -> AppResult<()> {
        let header = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok());
        if header("x-requested-with").is_some_and(|v| v.eq_ignore_ascii_case(CSRF_HEADER_VALUE)) {
            return Ok(());
        }
        if let Some(origin) = header("origin") {
            let ctx = self.context(parts);
            let derived = ctx.host.as_ref().map(|h| format!("{}://{}", if ctx.https { "https" } else { "http" }, h));
            let public = self.config.public_url.as_ref().map(|u| u.origin().ascii_serialization());
            if derived.as_deref() == Some(origin) || public.as_deref() == Some(origin) {
                return Ok(());
            }
        }
        Err(AppError::api(
            ErrorCode::CsrfCheckFailed,
            "Cross-site request refused: send X-Requested-With: gharts or a same-origin Origin header",
        ))
    }

    /// `POST /auth/local-login` (API.md §6.4): returns the caller and the session cookie.
    pub async fn local_login(&self, parts: &Parts, body: LocalLoginRequest) -> AppResult<(MeResponse, Vec<HeaderValue>)> {
        self.check_csrf(parts)?;
        if !self.config.local_auth.enabled {
            return Err(AppError::api(ErrorCode::LoginMethodDisabled, "Local login is disabled on this deployment"));
        }
        validate_login(&body)?;
        let ctx = self.context(parts);
        let ip = ctx.ip_text();
        let key = body.username.to_lowercase();
        let window_start = now() - chrono_duration(LOGIN_WINDOW);

        let (failures, oldest) = self.db.recent_login_failures(&key, &ip, window_start).await?;
        if failures >= LOGIN_MAX_FAILURES {
            let retry = oldest
                .map(|o| (o + chrono_duration(LOGIN_WINDOW) - now()).num_seconds().max(1))
                .unwrap_or(1);
            self.audit_login_failed(&ctx, &key, "rate_limited").await?;
            return Err(ApiError::new(ErrorCode::RateLimited, "Too many failed login attempts. Try again later.")
                .with_retry_after(u64::try_from(retry).unwrap_or(1))
                .into());
        }

        let user = self.db.find_user_by_username(&body.username).await?;
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let ok = verify_password(stored, SecretString::from(body.password)).await;
        let Some(user) = user.filter(|_| ok) else {
            let at = now();
            self.db.record_login_failure(&key, &ip, at, window_start).await?;
            self.audit_login_failed(&ctx, &key, "invalid_credentials").await?;
            if failures + 1 == LOGIN_MAX_FAILURES {
                self.db
                    .insert_security_event(&NewSecurityEvent {
                        event_type: "local_login_locked",
                        severity: "medium",
                        user_identity: key.clone(),
                        oidc_sub: None,
                        team_id: None,
                        violation_data: json!({ "username": key, "client_ip": ip, "failures": LOGIN_MAX_FAILURES }),
                        action_taken: Some("rate_limited".to_owned()),
                        request_id: ctx.request_id.clone(),
                    })
                    .await?;
                tracing::warn!(client.ip = %ip, "local login locked after repeated failures");
            }
            return Err(AppError::api(ErrorCode::InvalidCredentials, "Invalid username or password"));
        };
        if !user.is_active {
            self.audit_login_failed(&ctx, &key, "inactive").await?;
            return Err(AppError::api(ErrorCode::UserInactive, "User account is deactivated."));
        }
        self.db.clear_login_failures(&key, &ip).await?;

        let token = session::new_token();
        let created = now();
        let absolute = created + chrono_duration(self.config.session.absolute_timeout);
        let idle = (created + chrono_duration(self.config.session.idle_timeout)).min(absolute);
        let id_hash = token_hash(&token);
        self.db
            .insert_session(&NewSession {
                id_hash: id_hash.clone(),
                user_id: user.id,
                auth_method: "local",
                created_at: created,
                idle_expires_at: idle,
                absolute_expires_at: absolute,
                client_ip: ctx.client_ip.map(|i| i.to_string()),
                user_agent: ctx.user_agent.clone(),
            })
            .await?;
        self.db.touch_user_login(user.id, created).await?;
        let principal = Principal {
            user,
            actor_type: ActorType::LocalAdmin,
            auth: AuthMethod::Session { id_hash, expires_at: idle },
        };
        self.db.append_audit(audit_for(&principal, &ctx, "login", json!({ "method": "local" }))).await?;
        let cookie = session::session_cookie(&token, self.config.session.absolute_timeout, self.secure_cookies(&ctx));
        Ok((self.me(&principal).await?, vec![cookie]))
    }

    /// `POST /auth/logout` (API.md §6.3): always 200; ends the session if there is one.
    pub async fn logout(&self, parts: &Parts) -> AppResult<(LogoutResponse, Vec<HeaderValue>)> {
        self.check_csrf(parts)?;
        let ctx = self.context(parts);
        if let Some(token) = token_from_headers(&parts.headers) {
            let id_hash = token_hash(&token);
            if let Ok(principal) = self.session_principal(&token).await {
                let method = if principal.actor_type == ActorType::LocalAdmin { "local" } else { "oidc" };
                self.db.append_audit(audit_for(&principal, &ctx, "logout", json!({ "method": method }))).await?;
            }
            self.db.delete_session(&id_hash).await?;
        }
        Ok((LogoutResponse { logout_url: None }, vec![session::clear_session_cookie(self.secure_cookies(&ctx))]))
    }

    /// `GET /api/v1/auth/me` (API.md §6.5).
    pub async fn me(&self, p: &Principal) -> AppResult<MeResponse> {
        let teams = self.db.active_teams_of_user(p.user.id).await?;
        let u = &p.user;
        let (auth_method, session_expires_at) = match &p.auth {
            AuthMethod::Session { expires_at, .. } => ("session", Some(*expires_at)),
        };
        Ok(MeResponse {
            user_id: u.id.to_string(),
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            oidc_sub: u.oidc_sub.clone(),
            is_admin: u.is_admin,
            can_use_jit: u.can_use_jit,
            roles: vec![if u.is_admin { "admin" } else { "user" }.to_owned()],
            teams: teams.into_iter().map(|(id, name)| TeamRef { id, name }).collect(),
            actor_type: p.actor_type.as_str().to_owned(),
            auth_method: auth_method.to_owned(),
            username: u.username.clone(),
            session_expires_at,
        })
    }

    async fn audit_login_failed(&self, ctx: &RequestContext, username: &str, reason: &str) -> AppResult<()> {
        self.db
            .append_audit(NewAudit {
                event_type: "login_failed".to_owned(),
                actor_type: ActorType::LocalAdmin.as_str().to_owned(),
                user_identity: username.to_owned(),
                request_ip: ctx.client_ip.map(|i| i.to_string()),
                user_agent: ctx.user_agent.clone(),
                request_id: ctx.request_id.clone(),
                event_data: Some(json!({ "method": "local", "reason": reason })),
                success: false,
                error_message: Some(reason.to_owned()),
                ..Default::default()
            })
            .await?;
        Ok(())
    }
}

/// An audit row for an action of `p` in request `ctx`.
pub fn audit_for(p: &Principal, ctx: &RequestContext, event_type: &str, data: serde_json::Value) -> NewAudit {
    NewAudit {
        event_type: event_type.to_owned(),
        actor_type: p.actor_type.as_str().to_owned(),
        user_identity: p.identity(),
        oidc_sub: p.user.oidc_sub.clone(),
        request_ip: ctx.client_ip.map(|i| i.to_string()),
        user_agent: ctx.user_agent.clone(),
        request_id: ctx.request_id.clone(),
        event_data: Some(data),
        success: true,
        ..Default::default()
    }
}

fn validate_login(body: &LocalLoginRequest) -> AppResult<()> {
    let mut errors = Vec::new();
    let ulen = body.username.chars().count();
    if ulen == 0 || ulen > 150 {
        errors.push(app::contract::FieldError { field: "username".into(), message: "must be 1–150 characters".into() });
    }
    let plen = body.password.chars().count();
    if plen == 0 || plen > 1024 {
        errors.push(app::contract::FieldError { field: "password".into(), message: "must be 1–1024 characters".into() });
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::validation(errors).into()) }
}

fn is_unsafe(m: &Method) -> bool {
    matches!(*m, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
