//! Extractors that answer in the contract's error shape: JSON bodies ([`AppJson`]), query and
//! path parameters, and the authenticated caller ([`Caller`], defined in [`crate::auth`]; here
//! only how a request becomes one).

use app::contract::{ApiError, FieldError};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use http::request::Parts;
use serde::de::DeserializeOwned;

use app::contract::ErrorCode;

pub use crate::auth::Caller;
use crate::auth::Principal;
use crate::error::AppError;
use crate::state::AppState;

/// A JSON body. Read as JSON when `Content-Type` is absent, `application/json` or
/// `application/*+json`; anything else, or invalid JSON, is `422 VALIDATION_ERROR` naming the
/// field; a body over the limit is `413 PAYLOAD_TOO_LARGE`.
pub struct AppJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AppJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        if let Some(ct) = content_type {
            let mime = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            let json_like = mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"));
            if !json_like {
                return Err(ApiError::invalid_field("header.Content-Type", format!("expected application/json, got {mime}")).into());
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::api(app::contract::ErrorCode::PayloadTooLarge, "Request body is too large")
            } else {
                ApiError::invalid_field("body", "could not read the request body").into()
            }
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(AppJson).map_err(|e| {
            let path = e.path().to_string();
            let field = if matches!(path.as_str(), "" | "." | "?") { "body".to_owned() } else { path };
            let message = e.inner().to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
            ApiError::validation(vec![FieldError { field, message }]).into()
        })
    }
}

/// The authenticated caller; rejects with 401/403 in the contract's shape.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        state.auth.authenticate(parts).await.map(Auth)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let principal = state.auth.authenticate(parts).await?;
        Ok(Caller { principal, ctx: state.auth.context(parts) })
    }
}

/// An admin caller (`user` or `local_admin` with `is_admin`); the role check precedes body validation.
pub struct AdminCaller(pub Caller);

impl FromRequestParts<AppState> for AdminCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.principal.is_admin() {
            return Err(AppError::api(ErrorCode::Forbidden, "Admin privileges required"));
        }
        Ok(AdminCaller(caller))
    }
}

/// A caller allowed to provision (`can_use_jit`).
pub struct JitCaller(pub Caller);

impl FromRequestParts<AppState> for JitCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.principal.can_use_jit() {
            return Err(AppError::api(ErrorCode::Forbidden, "Access to JIT API not permitted for this user."));
        }
        Ok(JitCaller(caller))
    }
}

/// A UUID path segment; anything malformed is simply an id that does not exist (404).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state).await.map(|p| ApiPath(p.0)).map_err(|_| AppError::api(ErrorCode::NotFound, "Not Found"))
    }
}

/// Query parameters; a bad one is `422` naming `query.<name>`.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let path = e.path().to_string();
            let message = e.inner().to_string();
            let field = match message.split('`').nth(1) {
                Some(name) if path == "." || path.is_empty() => format!("query.{name}"),
                _ if path == "." || path.is_empty() => "query".to_owned(),
                _ => format!("query.{path}"),
            };
            ApiError::validation(vec![FieldError { field, message }]).into()
        })
    }
}
