//! The server's error type and the one place that maps errors to HTTP (status, `error_code`,
//! body, headers). Opaque errors are logged here, once, and answered with a generic body.

use app::contract::{ApiError, ErrorCode};
use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::auth::session::clear_session_cookie;
use crate::db::DbError;

/// Every failure a handler or service can return.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A contract error (4xx, or a 5xx with a known code).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The session cookie named no live session: 401, and the cookie is cleared.
    #[error("session expired")]
    SessionExpired,
    /// A database failure.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Anything else: 500 with a generic message.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Db(DbError::Sqlx(e))
    }
}

impl AppError {
    /// Shorthand for a contract error.
    pub fn api(code: ErrorCode, detail: impl Into<String>) -> Self {
        AppError::Api(ApiError::new(code, detail))
    }

    /// The contract error to send; logs opaque failures (their text never reaches the client).
    pub fn to_api_error(&self) -> ApiError {
        match self {
            AppError::Api(e) => e.clone(),
            AppError::SessionExpired => ApiError::new(ErrorCode::Unauthenticated, "Session expired or invalid"),
            AppError::Db(e) if e.is_unavailable() => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::new(ErrorCode::DatabaseUnavailable, "Database unavailable").with_retry_after(5)
            }
            AppError::Db(e) => {
                tracing::error!(error = %e, "database error");
                ApiError::new(ErrorCode::InternalError, "Internal server error")
            }
            AppError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                ApiError::new(ErrorCode::InternalError, "Internal server error")
            }
        }
    }
}

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

/// Handler result.
pub type AppResult<T> = Result<T, AppError>;
