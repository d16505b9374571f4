//! The server side of the UI's server functions (feature `ssr` only).
//!
//! Server functions must not contain business rules: they obtain the [`UiBackend`] the
//! `server` crate provides as Leptos context and call it. The `server` crate implements the
//! trait with the same domain services its REST handlers use, so no rule is written twice.

use std::sync::Arc;

use http::{HeaderValue, StatusCode, header::SET_COOKIE, request::Parts};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use crate::contract::{ApiError, ErrorCode, LocalLoginRequest, LoginOptions, LogoutResponse, MeResponse};

/// What the UI's server functions can ask of the server.
#[async_trait::async_trait]
pub trait UiBackend: Send + Sync + 'static {
    /// Login methods the login page offers.
    fn login_options(&self) -> LoginOptions;
    /// The authenticated caller (session cookie or bearer token).
    async fn me(&self, req: &Parts) -> Result<MeResponse, ApiError>;
    /// Local login; returns the caller and the `Set-Cookie` header values.
    async fn local_login(&self, req: &Parts, body: LocalLoginRequest) -> Result<(MeResponse, Vec<HeaderValue>), ApiError>;
    /// Ends the session; returns the body and the `Set-Cookie` header values.
    async fn logout(&self, req: &Parts) -> Result<(LogoutResponse, Vec<HeaderValue>), ApiError>;
}

/// The shared handle the server provides as context.
pub type SharedUiBackend = Arc<dyn UiBackend>;

/// The backend, from Leptos context.
pub fn backend() -> Result<SharedUiBackend, ApiError> {
    use_context::<SharedUiBackend>().ok_or_else(|| ApiError::new(ErrorCode::InternalError, "UI backend is not available"))
}

/// The current request's head, from Leptos context.
pub fn request_parts() -> Result<Parts, ApiError> {
    use_context::<Parts>().ok_or_else(|| ApiError::new(ErrorCode::InternalError, "request is not available"))
}

/// Sends `Set-Cookie` headers with the server function's response.
pub fn set_cookies(values: Vec<HeaderValue>) {
    if let Some(opts) = use_context::<ResponseOptions>() {
        for v in values {
            opts.append_header(SET_COOKIE, v);
        }
    }
}

/// Gives an error its contract status on the wire (server functions default to 500).
pub fn with_status<T>(result: Result<T, ApiError>) -> Result<T, ApiError> {
    if let (Err(e), Some(opts)) = (&result, use_context::<ResponseOptions>()) {
        opts.set_status(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    }
    result
}
