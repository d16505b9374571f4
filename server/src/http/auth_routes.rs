//! Browser login routes (`/auth/*`) and `GET /api/v1/auth/me` (API.md §6).

use app::contract::{LocalLoginRequest, LogoutResponse, MeResponse};
use axum::Json;
use axum::extract::{FromRequest, Query, Request, State};
use axum::response::{IntoResponse, Response};
use http::HeaderValue;
use http::header::SET_COOKIE;

use super::extract::{AppJson, Auth};
use crate::auth::sso::CallbackQuery;
use crate::error::AppResult;
use crate::state::AppState;

fn with_cookies<T: serde::Serialize>(body: T, cookies: Vec<HeaderValue>) -> Response {
    let mut resp = Json(body).into_response();
    for c in cookies {
        resp.headers_mut().append(SET_COOKIE, c);
    }
    resp
}

/// `POST /auth/local-login`.
pub async fn local_login(State(state): State<AppState>, req: Request) -> AppResult<Response> {
    let (parts, body) = req.into_parts();
    // CSRF comes before body validation (API.md §1.5.2).
    state.auth.check_csrf(&parts)?;
    let AppJson(login) = AppJson::<LocalLoginRequest>::from_request(Request::from_parts(parts.clone(), body), &state).await?;
    let (me, cookies) = state.auth.local_login(&parts, login).await?;
    Ok(with_cookies::<MeResponse>(me, cookies))
}

/// `POST /auth/logout`.
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
pub async fn sso_login(State(state): State<AppState>, Query(q): Query<LoginQuery>, req: Request) -> AppResult<Response> {
    let (parts, _) = req.into_parts();
    state.auth.sso_login(&parts, q.next.as_deref()).await
}

/// `GET /auth/callback`.
pub async fn sso_callback(State(state): State<AppState>, Query(q): Query<CallbackQuery>, req: Request) -> AppResult<Response> {
    let (parts, _) = req.into_parts();
    state.auth.sso_callback(&parts, q).await
}

/// `GET /api/v1/auth/me`.
pub async fn me(State(state): State<AppState>, Auth(principal): Auth) -> AppResult<Json<MeResponse>> {
    Ok(Json(state.auth.me(&principal).await?))
}
