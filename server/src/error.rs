//! The server's error type and the one place that turns it into a contract error
//! ([`AppError::to_api_error`]). Opaque errors are logged there, once, and answered with a
//! generic body. How a contract error is written as an HTTP response is the web layer's
//! (`http::error_response`).

use app::contract::{ApiError, ErrorCode};

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

/// Handler result.
pub type AppResult<T> = Result<T, AppError>;
