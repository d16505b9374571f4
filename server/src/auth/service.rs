//! The authentication service: resolves credentials to a [`Principal`] (API.md §2), checks the
//! CSRF rule, opens and ends sessions, and answers `/auth/me`. REST handlers and the UI's
//! server functions both call it. Local login is in [`super::local`], SSO in [`super::sso`].

use std::sync::Arc;
use std::time::Duration;

use app::contract::{ApiError, ErrorCode, LogoutResponse, MeResponse, TeamRef};
use http::request::Parts;
use http::{HeaderValue, Method};
use serde_json::json;

use super::context::RequestContext;
use super::principal::{ActorType, AuthMethod, Identity, Principal};
use super::resolve::{bearer_principal, is_m2m};
use super::session::{self, token_from_headers, token_hash};
use super::throttle::LoginThrottle;
use crate::config::Config;
use crate::db::models::UserRow;
use crate::db::sessions::NewSession;
use crate::db::{Db, now};
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;
use crate::oidc::Oidc;
use crate::oidc::token::TokenError;

/// Session activity is written at most this often.
const SESSION_TOUCH_INTERVAL: chrono::Duration = chrono::Duration::seconds(60);
/// The only value of `X-Requested-With` that satisfies the CSRF rule.
pub const CSRF_HEADER_VALUE: &str = "gharts";
/// `Retry-After` when the IdP cannot be reached.
const IDP_RETRY_AFTER: u64 = 30;

/// Authentication over the database, the configuration and (optionally) the IdP.
#[derive(Clone)]
pub struct AuthService {
    pub(super) db: Db,
    pub(super) config: Arc<Config>,
    pub(super) oidc: Option<Oidc>,
    /// Encrypts the login-flow cookie.
    pub(super) flow_key: cookie::Key,
    /// Login and M2M authentication outcomes, and the security events written here.
    pub(super) metrics: Metrics,
    /// The per-address limiter and the bound on concurrent password checks.
    pub(super) login_throttle: Arc<LoginThrottle>,
}

impl AuthService {
    /// A service over `db` and `config`; `oidc` when `OIDC_ISSUER` is set; outcomes counted in `metrics`.
    pub fn new(db: Db, config: Arc<Config>, oidc: Option<Oidc>, metrics: Metrics) -> Self {
        let flow_key = match &config.session_secret {
            Some(s) => cookie::Key::derive_from(secrecy::ExposeSecret::expose_secret(s).as_bytes()),
            None => cookie::Key::generate(),
        };
        let login_throttle = Arc::new(LoginThrottle::new(config.local_auth.max_concurrent_hashes, config.local_auth.ip_attempts_per_minute));
        Self { db, config, oidc, flow_key, metrics, login_throttle }
    }

    /// The local-login throttle (the maintenance loop prunes it).
    pub fn login_throttle(&self) -> &LoginThrottle {
        &self.login_throttle
    }

    /// The IdP client, when OIDC is configured.
    pub fn oidc(&self) -> Option<&Oidc> {
        self.oidc.as_ref()
    }

    /// The request's context under this deployment's trusted proxies.
    pub fn context(&self, parts: &Parts) -> RequestContext {
        RequestContext::from_parts(parts, &self.config.trusted_proxies)
    }

    /// Whether cookies must carry `Secure`.
    pub(super) fn secure_cookies(&self, ctx: &RequestContext) -> bool {
        ctx.https || self.config.public_url.as_ref().is_some_and(|u| u.scheme() == "https")
    }

    /// Our external origin: `PUBLIC_URL`, else derived from the request.
    pub(super) fn public_base(&self, ctx: &RequestContext) -> String {
        match &self.config.public_url {
            Some(u) => u.as_str().trim_end_matches('/').to_owned(),
            None => format!("{}://{}", if ctx.https { "https" } else { "http" }, ctx.host.as_deref().unwrap_or("localhost")),
        }
    }

    /// Resolves the request's credential (API.md §2.1), then applies the CSRF rule to
    /// cookie-authenticated writes (§2.5).
    pub async fn authenticate(&self, parts: &Parts) -> AppResult<Principal> {
        if let Some(auth) = parts.headers.get(http::header::AUTHORIZATION) {
            let raw = auth.to_str().unwrap_or_default();
            let token = raw.get(..7).filter(|p| p.eq_ignore_ascii_case("bearer ")).map(|_| raw[7..].trim());
            let Some(token) = token.filter(|t| !t.is_empty()) else {
                return Err(AppError::api(ErrorCode::Unauthenticated, "Unsupported authorization scheme; use Bearer"));
            };
            return self.bearer(token).await;
        }
        let Some(token) = token_from_headers(&parts.headers) else {
            return Err(ApiError::not_authenticated().into());
        };
        let principal = self.session_principal(&token).await?;
        if matches!(parts.method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE) {
            self.check_csrf(parts)?;
        }
        Ok(principal)
    }

    async fn bearer(&self, token: &str) -> AppResult<Principal> {
        let Some(oidc) = self.oidc.as_ref().filter(|o| o.cfg.audience.is_some()) else {
            return Err(AppError::api(ErrorCode::Unauthenticated, "Bearer tokens are not accepted: OIDC is not configured"));
        };
        let claims = oidc.validate_access_token(token).await.map_err(|e| match e {
            TokenError::Invalid(reason) => {
                tracing::debug!(reason = %reason, "bearer token rejected");
                let mut err = ApiError::new(ErrorCode::Unauthenticated, format!("Token validation failed: {reason}"));
                err.invalid_token = true;
                AppError::Api(err)
            }
            TokenError::Unavailable(k) => {
                tracing::error!(error = %k, "identity provider unavailable");
                AppError::Api(ApiError::new(ErrorCode::IdpUnavailable, "Identity provider unavailable; try again later").with_retry_after(IDP_RETRY_AFTER))
            }
        })?;
        let principal = bearer_principal(&self.db, &claims).await;
        if is_m2m(&claims)
            && let Some(result) = m2m_result(&principal)
        {
            self.metrics.m2m_auth.with_label_values(&[result]).inc();
        }
        principal
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
            identity: Identity::User { user, actor_type },
            auth: AuthMethod::Session { id_hash, expires_at: idle_expires_at.min(session.absolute_expires_at) },
        })
    }

    /// The CSRF rule: `X-Requested-With: gharts`, or an `Origin` equal to our own: `PUBLIC_URL`'s
    /// origin when it is set (only that), else the one the request's `Host` names.
    pub fn check_csrf(&self, parts: &Parts) -> AppResult<()> {
        let header = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok());
        if header("x-requested-with").is_some_and(|v| v.eq_ignore_ascii_case(CSRF_HEADER_VALUE)) {
            return Ok(());
        }
        if let Some(origin) = header("origin") {
            let ours = match &self.config.public_url {
                Some(u) => Some(u.origin().ascii_serialization()),
                None => {
                    let ctx = self.context(parts);
                    ctx.host.as_ref().map(|h| format!("{}://{}", if ctx.https { "https" } else { "http" }, h))
                }
            };
            if ours.as_deref() == Some(origin) {
                return Ok(());
            }
        }
        Err(AppError::api(ErrorCode::CsrfCheckFailed, "Cross-site request refused: send X-Requested-With: gharts or a same-origin Origin header"))
    }

    /// Opens a browser session for `user`; returns the principal and the `Set-Cookie` value.
    pub(super) async fn open_session(
        &self,
        ctx: &RequestContext,
        user: UserRow,
        method: &'static str,
        id_token: Option<String>,
    ) -> AppResult<(Principal, HeaderValue)> {
        let token = session::new_token();
        let created = now();
        let absolute = created + chrono_duration(self.config.session.absolute_timeout);
        let idle = (created + chrono_duration(self.config.session.idle_timeout)).min(absolute);
        let id_hash = token_hash(&token);
        self.db
            .insert_session(&NewSession {
                id_hash: id_hash.clone(),
                user_id: user.id,
                auth_method: method,
                created_at: created,
                idle_expires_at: idle,
                absolute_expires_at: absolute,
                client_ip: ctx.client_ip.map(|i| i.to_string()),
                user_agent: ctx.user_agent.clone(),
                id_token_hint: id_token.and_then(|t| session::seal_hint(&token, &t)),
            })
            .await?;
        self.db.touch_user_login(user.id, created).await?;
        let actor_type = if method == "local" { ActorType::LocalAdmin } else { ActorType::User };
        let principal = Principal { identity: Identity::User { user, actor_type }, auth: AuthMethod::Session { id_hash, expires_at: idle } };
        self.db.append_audit(ctx.audit(&principal, "login", json!({ "method": method }))).await?;
        let cookie = session::session_cookie(&token, self.config.session.absolute_timeout, self.secure_cookies(ctx));
        Ok((principal, cookie))
    }

    /// `POST /auth/logout` (API.md §6.3): always 200; ends the session if there is one.
    pub async fn logout(&self, parts: &Parts) -> AppResult<(LogoutResponse, Vec<HeaderValue>)> {
        self.check_csrf(parts)?;
        let ctx = self.context(parts);
        let mut logout_url = None;
        if let Some(token) = token_from_headers(&parts.headers) {
            let id_hash = token_hash(&token);
            let stored = self.db.find_session(&id_hash).await?;
            if let Ok(principal) = self.session_principal(&token).await {
                let method = if principal.actor_type() == ActorType::LocalAdmin { "local" } else { "oidc" };
                self.db.append_audit(ctx.audit(&principal, "logout", json!({ "method": method }))).await?;
            }
            if let (Some(oidc), Some(stored)) = (&self.oidc, stored.filter(|s| s.auth_method == "oidc")) {
                // Sessions from before the hint was sealed (or whose hint cannot be opened) log
                // out at the IdP by client id alone.
                let hint = stored.id_token_hint.and_then(|h| session::open_hint(&token, &h));
                logout_url = oidc.logout_url(hint.as_deref(), &format!("{}/app/login", self.public_base(&ctx))).await;
            }
            self.db.delete_session(&id_hash).await?;
        }
        Ok((LogoutResponse { logout_url }, vec![session::clear_session_cookie(self.secure_cookies(&ctx))]))
    }

    /// `GET /api/v1/auth/me` (API.md §6.5).
    pub async fn me(&self, p: &Principal) -> AppResult<MeResponse> {
        let (auth_method, session_expires_at) = match &p.auth {
            AuthMethod::Session { expires_at, .. } => ("session", Some(*expires_at)),
            AuthMethod::Bearer => ("bearer", None),
        };
        let common = |user_id: String, teams: Vec<TeamRef>| MeResponse {
            user_id,
            email: None,
            display_name: None,
            oidc_sub: p.oidc_sub(),
            is_admin: p.is_admin(),
            can_use_jit: p.can_use_jit(),
            roles: vec![if p.is_admin() { "admin" } else { "user" }.to_owned()],
            teams,
            actor_type: p.actor_type().as_str().to_owned(),
            auth_method: auth_method.to_owned(),
            username: None,
            session_expires_at,
        };
        Ok(match &p.identity {
            Identity::M2m(c) => MeResponse {
                display_name: Some(c.display_name.clone().unwrap_or_else(|| p.identity())),
                ..common(p.identity(), vec![TeamRef { id: c.team_id, name: c.team_name.clone() }])
            },
            Identity::User { user: u, .. } => {
                let teams = self.db.active_teams_of_user(u.id).await?;
                MeResponse {
                    email: u.email.clone(),
                    display_name: u.display_name.clone(),
                    username: u.username.clone(),
                    ..common(u.id.to_string(), teams.into_iter().map(|(id, name)| TeamRef { id, name }).collect())
                }
            }
        })
    }
}

/// The `gharts_m2m_auth_requests_total` result of an M2M authentication (`None`: not an
/// authentication outcome, e.g. the database was unavailable).
fn m2m_result(principal: &AppResult<Principal>) -> Option<&'static str> {
    match principal {
        Ok(_) => Some("success"),
        Err(AppError::Api(e)) => match e.error_code {
            ErrorCode::M2mClientNotRegistered => Some("not_registered"),
            ErrorCode::M2mClientDisabled => Some("disabled"),
            // The client's team is inactive: no team to act for.
            ErrorCode::TeamInactive => Some("team_not_found"),
            _ => None,
        },
        Err(_) => None,
    }
}

pub(super) fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
