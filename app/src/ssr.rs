//! The server side of the UI's server functions (feature `ssr` only).
//!
//! Server functions hold no business rule. Each one is a typed call of the REST contract
//! (`/api/v1`), run **in process** by the [`UiBackend`] the `server` crate provides as Leptos
//! context: the same handler parses the input, the same extractor authenticates and authorises
//! the caller (with this request's cookie, address and request id), the same service applies
//! the rules, and the same error codes come back. So the console can neither see more nor do
//! more than the API allows its user, and a page needs no new server code unless it needs a new
//! capability of the API.

use std::sync::Arc;

use http::{HeaderValue, Method, header::SET_COOKIE, request::Parts};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::contract::{ApiError, ErrorCode, LocalLoginRequest, LoginOptions, LogoutResponse, MeResponse};

/// What the UI's server functions can ask of the server.
#[async_trait::async_trait]
pub trait UiBackend: Send + Sync + 'static {
    /// Login methods the login page offers.
    fn login_options(&self) -> LoginOptions;
    /// Local login; returns the caller and the `Set-Cookie` header values.
    async fn local_login(&self, req: &Parts, body: LocalLoginRequest) -> Result<(MeResponse, Vec<HeaderValue>), ApiError>;
    /// Ends the session; returns the body and the `Set-Cookie` header values.
    async fn logout(&self, req: &Parts) -> Result<(LogoutResponse, Vec<HeaderValue>), ApiError>;
    /// Runs one REST call (`/api/v1/…`, `/health`) in process as the caller of `req`; returns the
    /// body of a 2xx answer, or the contract error of any other.
    async fn call(&self, req: &Parts, method: Method, path_and_query: String, json_body: Option<Vec<u8>>) -> Result<Vec<u8>, ApiError>;
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

/// A query string (without `?`) from a contract query type; `None` fields are left out.
pub fn query<Q: Serialize>(q: &Q) -> Result<String, ApiError> {
    serde_urlencoded::to_string(q).map_err(|e| ApiError::new(ErrorCode::InternalError, format!("cannot encode the query: {e}")))
}

/// One REST call as the current caller, decoded into the contract's response type. An error a
/// server function returns reaches the browser with its contract status (the server's UI router
/// gives every error answer the status of its `error_code`).
pub async fn rest<T: DeserializeOwned>(method: Method, path_and_query: String, body: Option<&impl Serialize>) -> Result<T, ApiError> {
    let parts = request_parts()?;
    let body = body.map(serde_json::to_vec).transpose().map_err(|e| ApiError::new(ErrorCode::InternalError, format!("cannot encode the body: {e}")))?;
    let bytes = backend()?.call(&parts, method, path_and_query, body).await?;
    // A 204 has no body: it decodes as `null` (into `()`).
    let bytes = if bytes.is_empty() { b"null".to_vec() } else { bytes };
    serde_json::from_slice(&bytes).map_err(|e| ApiError::new(ErrorCode::InternalError, format!("unexpected response: {e}")))
}

/// No request body (for [`rest`]'s `body` argument).
pub const NO_BODY: Option<&()> = None;
