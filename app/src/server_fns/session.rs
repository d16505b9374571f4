//! Signing in and out, and who the signed-in caller is.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::contract::LocalLoginRequest;
use crate::contract::{ApiError, LoginOptions, LogoutResponse, MeResponse};

/// Which login methods are enabled.
#[server(prefix = "/api/ui", endpoint = "login-options", input = Json)]
pub async fn get_login_options() -> Result<LoginOptions, ApiError> {
    Ok(crate::ssr::backend()?.login_options())
}

/// The signed-in caller (`GET /api/v1/auth/me`).
#[server(prefix = "/api/ui", endpoint = "me", input = Json)]
pub async fn current_user() -> Result<MeResponse, ApiError> {
    crate::ssr::rest(http::Method::GET, "/api/v1/auth/me".into(), crate::ssr::NO_BODY).await
}

/// Local username/password login; opens a browser session.
#[server(prefix = "/api/ui", endpoint = "local-login", input = Json)]
pub async fn local_login(username: String, password: String) -> Result<MeResponse, ApiError> {
    let parts = crate::ssr::request_parts()?;
    let (me, cookies) = crate::ssr::backend()?.local_login(&parts, LocalLoginRequest { username, password }).await?;
    crate::ssr::set_cookies(cookies);
    Ok(me)
}

/// Ends the browser session.
#[server(prefix = "/api/ui", endpoint = "logout", input = Json)]
pub async fn logout() -> Result<LogoutResponse, ApiError> {
    let parts = crate::ssr::request_parts()?;
    let (body, cookies) = crate::ssr::backend()?.logout(&parts).await?;
    crate::ssr::set_cookies(cookies);
    Ok(body)
}
