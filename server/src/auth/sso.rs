//! The OIDC browser login (API.md §6.1, §6.2): `/auth/login` and `/auth/callback`.
//! Tokens never reach the browser: the server keeps the session; the ID token is stored only
//! as the logout hint.

use app::contract::ErrorCode;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;
use serde_json::json;

use super::resolve::user_from_claims;
use super::service::AuthService;
use crate::db::audit::NewAudit;
use crate::error::{AppError, AppResult};
use crate::oidc::login::{LoginError, clear_flow_cookie, flow_cookie, read_flow_cookie, safe_next};

/// `GET /auth/callback` query.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    /// Authorization code.
    pub code: Option<String>,
    /// Echoed state.
    pub state: Option<String>,
    /// IdP error.
    pub error: Option<String>,
    /// IdP error text.
    pub error_description: Option<String>,
}

fn redirect(to: &str, cookies: &[String]) -> Response {
    let mut resp = (StatusCode::FOUND, [(header::LOCATION, to.to_owned())]).into_response();
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

impl AuthService {
    fn sso(&self) -> AppResult<&crate::oidc::Oidc> {
        self.oidc
            .as_ref()
            .filter(|o| o.browser_login_enabled())
            .ok_or_else(|| AppError::api(ErrorCode::LoginMethodDisabled, "Single sign-on is not configured on this deployment"))
    }

    fn redirect_uri(&self, parts: &Parts) -> String {
        format!("{}/auth/callback", self.public_base(&self.context(parts)))
    }

    /// `GET /auth/login?next=…`: redirects to the IdP and sets the flow cookie.
    pub async fn sso_login(&self, parts: &Parts, next: Option<&str>) -> AppResult<Response> {
        let oidc = self.sso()?;
        let base = url::Url::parse(&self.public_base(&self.context(parts))).map_err(|e| AppError::Internal(anyhow::anyhow!("public base URL: {e}")))?;
        let (url, flow) = oidc.begin_login(&self.redirect_uri(parts), safe_next(next, &base)).await.map_err(|e| {
            tracing::error!(error = %e, "cannot start the SSO login");
            AppError::Api(app::contract::ApiError::new(ErrorCode::IdpUnavailable, "Identity provider unavailable; try again later").with_retry_after(30))
        })?;
        let secure = self.secure_cookies(&self.context(parts));
        Ok(redirect(&url, &[flow_cookie(&self.flow_key, &flow, secure)]))
    }

    /// `GET /auth/callback`: completes the login; every failure redirects to the login page.
    pub async fn sso_callback(&self, parts: &Parts, q: CallbackQuery) -> AppResult<Response> {
        let oidc = self.sso()?.clone();
        let ctx = self.context(parts);
        let secure = self.secure_cookies(&ctx);
        let clear = clear_flow_cookie(secure);
        let fail = |code: ErrorCode| redirect(&format!("/app/login?error={}", code.as_str()), std::slice::from_ref(&clear));

        let Some(flow) = read_flow_cookie(&self.flow_key, &parts.headers) else {
            return Ok(fail(ErrorCode::OidcLoginFailed));
        };
        if q.state.as_deref() != Some(flow.state.as_str()) {
            tracing::info!("SSO callback with a state that does not match the flow cookie");
            return Ok(fail(ErrorCode::OidcLoginFailed));
        }
        if let Some(err) = &q.error {
            // Query text is the caller's: escaped, so a newline cannot forge a log line.
            let description = q.error_description.as_deref().unwrap_or("");
            tracing::info!(idp.error = %err.escape_debug(), idp.description = %description.escape_debug(), "IdP returned an error");
            return Ok(fail(ErrorCode::OidcLoginFailed));
        }
        let Some(code) = q.code else {
            return Ok(fail(ErrorCode::OidcLoginFailed));
        };
        let (claims, id_token) = match oidc.finish_login(&self.redirect_uri(parts), code, &flow).await {
            Ok(done) => done,
            Err(LoginError::Failed(reason)) => {
                tracing::info!(reason = %reason, "SSO login failed");
                return Ok(fail(ErrorCode::OidcLoginFailed));
            }
            Err(LoginError::Unavailable(reason)) => {
                tracing::error!(reason = %reason, "identity provider unavailable during SSO login");
                return Ok(fail(ErrorCode::IdpUnavailable));
            }
        };
        let user = match user_from_claims(&self.db, &claims).await {
            Ok(u) => u,
            Err(AppError::Api(e)) => {
                let sub = claims.get("sub").and_then(|v| v.as_str()).map(str::to_owned);
                self.db
                    .append_audit(NewAudit {
                        event_type: "login_failed".into(),
                        actor_type: "user".into(),
                        user_identity: sub.clone().unwrap_or_default(),
                        oidc_sub: sub,
                        event_data: Some(json!({ "method": "oidc", "reason": e.error_code.as_str() })),
                        success: false,
                        error_message: Some(e.detail.clone()),
                        ..ctx.audit_base()
                    })
                    .await?;
                return Ok(fail(e.error_code));
            }
            Err(other) => return Err(other),
        };
        let (_, session_cookie) = self.open_session(&ctx, user, "oidc", Some(id_token)).await?;
        let mut resp = redirect(&flow.next, &[clear]);
        resp.headers_mut().append(header::SET_COOKIE, session_cookie);
        Ok(resp)
    }
}
