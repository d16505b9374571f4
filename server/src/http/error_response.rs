//! The one place that writes an error as an HTTP response: status from the error code,
//! the JSON envelope, `Retry-After`, `WWW-Authenticate` on 401, and the cleared session cookie
//! of an expired session (API.md §1.5).

use app::contract::{ApiError, ErrorCode};
use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::auth::session::clear_session_cookie;
use crate::error::AppError;

/// Renders a contract error with its status and headers.
pub fn api_error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, Json(e)).into_response();
    let headers = resp.headers_mut();
    if let Some(secs) = e.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if status == StatusCode::UNAUTHORIZED && e.error_code == ErrorCode::Unauthenticated {
        let value = if e.invalid_token {
            let description: String = e.detail.chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).collect();
            HeaderValue::from_str(&format!("Bearer realm=\"gharts\", error=\"invalid_token\", error_description=\"{description}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("Bearer realm=\"gharts\", error=\"invalid_token\""))
        } else {
            HeaderValue::from_static("Bearer realm=\"gharts\"")
        };
        headers.insert(header::WWW_AUTHENTICATE, value);
    }
    resp
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut resp = api_error_response(&self.to_api_error());
        if matches!(self, AppError::SessionExpired) {
            resp.headers_mut().append(header::SET_COOKIE, clear_session_cookie(false));
        }
        resp
    }
}
