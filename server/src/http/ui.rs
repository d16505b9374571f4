//! The browser console: the UI's server functions (`/api/ui/*`) and, when a site bundle is
//! configured, the static files (`/pkg/*`, `/app/*` → `index.html`).

use std::path::Path;
use std::sync::Arc;

use app::contract::{ApiError, ErrorCode, LocalLoginRequest, LoginOptions, LogoutResponse, MeResponse};
use app::ssr::{SharedUiBackend, UiBackend};
use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Request};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use http::request::Parts;
use http::{HeaderValue, Method, header};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::state::AppState;

/// The largest REST answer a server function relays (a page of 1,000 runners is ~1 MB).
const MAX_RELAYED_BODY: usize = 8 * 1024 * 1024;

/// The server's side of the UI's server functions: the REST routes, called in process.
struct Backend {
    state: AppState,
    /// The `/api/v1` routes (and `/health`), without the outer middleware: the server function's
    /// own request already went through it (request id, access log, metrics, timeout).
    api: Router,
}

#[async_trait::async_trait]
impl UiBackend for Backend {
    fn login_options(&self) -> LoginOptions {
        LoginOptions {
            local_enabled: self.state.config.local_auth.enabled,
            oidc_enabled: self.state.auth.oidc().is_some_and(crate::oidc::Oidc::browser_login_enabled),
        }
    }

    async fn local_login(&self, req: &Parts, body: LocalLoginRequest) -> Result<(MeResponse, Vec<HeaderValue>), ApiError> {
        self.state.auth.local_login(req, body).await.map_err(|e| e.to_api_error())
    }

    async fn logout(&self, req: &Parts) -> Result<(LogoutResponse, Vec<HeaderValue>), ApiError> {
        self.state.auth.logout(req).await.map_err(|e| e.to_api_error())
    }

    async fn call(&self, req: &Parts, method: Method, path_and_query: String, json_body: Option<Vec<u8>>) -> Result<Vec<u8>, ApiError> {
        let internal = |m: String| ApiError::new(ErrorCode::InternalError, m);
        let mut inner = Request::builder()
            .method(method)
            .uri(path_and_query)
            .body(Body::from(json_body.clone().unwrap_or_default()))
            .map_err(|e| internal(format!("bad internal request: {e}")))?;
        // The caller's credentials, address, user agent, origin (the CSRF rule) and request id.
        *inner.headers_mut() = req.headers.clone();
        inner.headers_mut().remove(header::CONTENT_LENGTH);
        inner.headers_mut().remove(header::CONTENT_TYPE);
        if json_body.is_some() {
            inner.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        // Only the peer address and the request id: the outer route's own extensions (its
        // matched path and path parameters) must not leak into the inner route's extraction.
        if let Some(peer) = req.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>() {
            inner.extensions_mut().insert(*peer);
        }
        if let Some(id) = req.extensions.get::<crate::auth::RequestId>() {
            inner.extensions_mut().insert(id.clone());
        }
        let resp = match self.api.clone().oneshot(inner).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), MAX_RELAYED_BODY).await.map_err(|e| internal(format!("cannot read the answer: {e}")))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(serde_json::from_slice::<ApiError>(&bytes).unwrap_or_else(|_| internal(format!("the API answered {status} without an error body"))))
    }
}

async fn server_fn(Extension(backend): Extension<SharedUiBackend>, req: Request<Body>) -> axum::response::Response {
    let resp = leptos_axum::handle_server_fns_with_context(
        move || {
            leptos::prelude::provide_context(backend.clone());
        },
        req,
    )
    .await
    .into_response();
    status_of_error(resp).await
}

/// `server_fn` answers 500 for every error a server function returns (and for arguments it cannot
/// decode): the status on the wire is the one of the error's code (`FORBIDDEN`: 403,
/// `INVALID_PAYLOAD`: 400), as the REST route answers it.
async fn status_of_error(resp: axum::response::Response) -> axum::response::Response {
    if resp.status() != http::StatusCode::INTERNAL_SERVER_ERROR {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_RELAYED_BODY).await else {
        return (
            http::StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(ApiError::new(ErrorCode::InternalError, "the server function's answer could not be read")),
        )
            .into_response();
    };
    if let Ok(e) = serde_json::from_slice::<ApiError>(&bytes) {
        parts.status = http::StatusCode::from_u16(e.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    }
    axum::response::Response::from_parts(parts, Body::from(bytes))
}

/// The console's HTML shell. Embedded, because cargo-leptos reserves `<site>/index.html` and
/// never writes one for a client-side-rendered app; `scripts/build-site.sh` copies the same file
/// into the bundle for static servers.
const INDEX_HTML: &str = include_str!("../../../frontend/index.html");

/// The console's Content-Security-Policy, the same as the frontend Nginx sends
/// (`deploy/nginx/security-headers.conf`; a test keeps the two equal), so `make run` and the
/// browser tests run the console under the production policy.
pub const CONSOLE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
     connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

async fn index() -> impl IntoResponse {
    (
        [
            (http::header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (http::header::CACHE_CONTROL, "no-store"),
            (http::header::CONTENT_SECURITY_POLICY, CONSOLE_CSP),
        ],
        INDEX_HTML,
    )
}

/// Routes for the server functions (always) and the site bundle (when `site_root` is set).
/// `api` holds the REST routes the server functions call in process.
pub fn routes(state: &AppState, api: Router<AppState>, site_root: Option<&Path>) -> Router<AppState> {
    let backend: SharedUiBackend = Arc::new(Backend { state: state.clone(), api: api.with_state(state.clone()) });
    let router = Router::new().route("/api/ui/{*fn_name}", post(server_fn).layer(Extension(backend)));
    let Some(root) = site_root else { return router };
    router
        // Client-side routing: every console path gets the shell.
        .route("/app", get(index))
        .route("/app/", get(index))
        .route("/app/{*path}", get(index))
        .nest_service("/pkg", ServeDir::new(root.join("pkg")))
        .route_service("/boot.js", ServeFile::new(root.join("boot.js")))
        .route_service("/robots.txt", ServeFile::new(root.join("robots.txt")))
        .route("/index.html", get(|| async { (http::StatusCode::FOUND, [(http::header::LOCATION, "/app/")]) }))
}

#[cfg(test)]
mod tests {
    /// `gharts` and the frontend Nginx send one policy: the one the browser tests run under.
    #[test]
    fn the_console_policy_is_the_frontend_nginx_policy() {
        let nginx = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/nginx/security-headers.conf")).expect("nginx headers");
        let line = nginx.lines().find(|l| l.starts_with("add_header Content-Security-Policy")).expect("nginx sets a CSP");
        let policy = line.split('"').nth(1).expect("quoted policy");
        assert_eq!(policy, super::CONSOLE_CSP);
    }
}
