//! Browser login routes (`/auth/*`) and `GET /api/v1/auth/me` (API.md §6).

use app::contract::{ApiError, LocalLoginRequest, LogoutResponse, MeResponse};
use axum::Json;
use axum::extract::{FromRequest, Query, Request, State};
use axum::response::{IntoResponse, Response};
use http::HeaderValue;
use http::header::SET_COOKIE;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AppJson, Auth};
use crate::auth::sso::CallbackQuery;
use crate::error::AppResult;
use crate::state::AppState;

/// The browser login routes and `/api/v1/auth/me`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(local_login)).routes(routes!(logout)).routes(routes!(sso_login)).routes(routes!(sso_callback)).routes(routes!(me))
}

fn with_cookies<T: serde::Serialize>(body: T, cookies: Vec<HeaderValue>) -> Response {
    let mut resp = Json(body).into_response();
    for c in cookies {
        resp.headers_mut().append(SET_COOKIE, c);
    }
    resp
}

/// `POST /auth/local-login`.
#[utoipa::path(post, path = "/auth/local-login", tag = "auth", security(()), request_body = LocalLoginRequest,
    responses((status = 200, description = "Signed in; sets the gharts_session cookie", body = MeResponse),
        (status = 401, description = "INVALID_CREDENTIALS", body = ApiError),
        (status = 403, description = "USER_INACTIVE, CSRF_CHECK_FAILED", body = ApiError),
        (status = 404, description = "LOGIN_METHOD_DISABLED", body = ApiError),
        (status = 422, description = "VALIDATION_ERROR", body = ApiError),
        (status = 429, description = "RATE_LIMITED", body = ApiError)))]
pub async fn local_login(State(state): State<AppState>, req: Request) -> AppResult<Response> {
    let (parts, body) = req.into_parts();
    // CSRF comes before body validation (API.md §1.5.2).
    state.auth.check_csrf(&parts)?;
    let AppJson(login) = AppJson::<LocalLoginRequest>::from_request(Request::from_parts(parts.clone(), body), &state).await?;
    let (me, cookies) = state.auth.local_login(&parts, login).await?;
    Ok(with_cookies::<MeResponse>(me, cookies))
}

/// `POST /auth/logout`.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(()),
    responses((status = 200, description = "Signed out", body = LogoutResponse),
        (status = 403, description = "CSRF_CHECK_FAILED", body = ApiError)))]
pub async fn logout(State(state): State<AppState>, req: Request) -> AppResult<Response> {
    let (parts, _) = req.into_parts();
    let (body, cookies) = state.auth.logout(&parts).await?;
    Ok(with_cookies::<LogoutResponse>(body, cookies))
}

/// `GET /auth/login` query.
#[derive(Debug, serde::Deserialize)]
pub struct LoginQuery {
    /// Where to go after login (a relative path).
    pub next: Option<String>,
}

/// `GET /auth/login`.
#[utoipa::path(get, path = "/auth/login", tag = "auth", security(()), params(("next" = Option<String>, Query, description = "Relative path to return to")),
    responses((status = 302, description = "To the identity provider"),
        (status = 404, description = "LOGIN_METHOD_DISABLED", body = ApiError),
        (status = 503, description = "IDP_UNAVAILABLE", body = ApiError)))]
pub async fn sso_login(State(state): State<AppState>, Query(q): Query<LoginQuery>, req: Request) -> AppResult<Response> {
    let (parts, _) = req.into_parts();
    state.auth.sso_login(&parts, q.next.as_deref()).await
}

/// `GET /auth/callback`.
#[utoipa::path(get, path = "/auth/callback", tag = "auth", security(()),
    params(("code" = Option<String>, Query), ("state" = Option<String>, Query), ("error" = Option<String>, Query), ("error_description" = Option<String>, Query)),
    responses((status = 302, description = "To the saved path, or to /app/login?error=<CODE>"),
        (status = 404, description = "LOGIN_METHOD_DISABLED", body = ApiError)))]
pub async fn sso_callback(State(state): State<AppState>, Query(q): Query<CallbackQuery>, req: Request) -> AppResult<Response> {
    let (parts, _) = req.into_parts();
    state.auth.sso_callback(&parts, q).await
}

/// `GET /api/v1/auth/me`.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, description = "The caller", body = MeResponse)))]
pub async fn me(State(state): State<AppState>, Auth(principal): Auth) -> AppResult<Json<MeResponse>> {
    Ok(Json(state.auth.me(&principal).await?))
}
