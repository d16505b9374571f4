//! The UI's server functions, under `/api/ui/…` with fixed endpoint names, so a bundle and a
//! backend built in different directories always agree on the URLs.
//!
//! Each body only delegates to [`crate::ssr::UiBackend`].

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::contract::LocalLoginRequest;
use crate::contract::{ApiError, LoginOptions, LogoutResponse, MeResponse};

/// Which login methods are enabled.
#[server(prefix = "/api/ui", endpoint = "login-options")]
pub async fn get_login_options() -> Result<LoginOptions, ApiError> {
    Ok(crate::ssr::backend()?.login_options())
}

/// The signed-in caller.
#[server(prefix = "/api/ui", endpoint = "me")]
pub async fn current_user() -> Result<MeResponse, ApiError> {
    crate::ssr::with_status(
        async {
            let parts = crate::ssr::request_parts()?;
            crate::ssr::backend()?.me(&parts).await
        }
        .await,
    )
}

/// Local username/password login; opens a browser session.
#[server(prefix = "/api/ui", endpoint = "local-login")]
pub async fn local_login(username: String, password: String) -> Result<MeResponse, ApiError> {
    crate::ssr::with_status(
        async {
            let parts = crate::ssr::request_parts()?;
            let (me, cookies) = crate::ssr::backend()?.local_login(&parts, LocalLoginRequest { username, password }).await?;
            crate::ssr::set_cookies(cookies);
            Ok(me)
        }
        .await,
    )
}

/// Ends the browser session.
#[server(prefix = "/api/ui", endpoint = "logout")]
pub async fn logout() -> Result<LogoutResponse, ApiError> {
    crate::ssr::with_status(
        async {
            let parts = crate::ssr::request_parts()?;
            let (body, cookies) = crate::ssr::backend()?.logout(&parts).await?;
            crate::ssr::set_cookies(cookies);
            Ok(body)
        }
        .await,
    )
}
