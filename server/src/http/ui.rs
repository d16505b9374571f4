//! The browser console: the UI's server functions (`/api/ui/*`) and, when a site bundle is
//! configured, the static files (`/pkg/*`, `/app/*` → `index.html`).

use std::path::Path;
use std::sync::Arc;

use app::contract::{ApiError, LocalLoginRequest, LoginOptions, LogoutResponse, MeResponse};
use app::ssr::{SharedUiBackend, UiBackend};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use http::HeaderValue;
use http::request::Parts;
use tower_http::services::{ServeDir, ServeFile};

use crate::state::AppState;

/// The server's side of the UI's server functions: the same services the REST routes use.
struct Backend(AppState);

#[async_trait::async_trait]
impl UiBackend for Backend {
    fn login_options(&self) -> LoginOptions {
        LoginOptions { local_enabled: self.0.config.local_auth.enabled, oidc_enabled: self.0.auth.oidc().is_some_and(crate::oidc::Oidc::browser_login_enabled) }
    }

    async fn me(&self, req: &Parts) -> Result<MeResponse, ApiError> {
        let principal = self.0.auth.authenticate(req).await.map_err(|e| e.to_api_error())?;
        self.0.auth.me(&principal).await.map_err(|e| e.to_api_error())
    }

    async fn local_login(&self, req: &Parts, body: LocalLoginRequest) -> Result<(MeResponse, Vec<HeaderValue>), ApiError> {
        self.0.auth.local_login(req, body).await.map_err(|e| e.to_api_error())
    }

    async fn logout(&self, req: &Parts) -> Result<(LogoutResponse, Vec<HeaderValue>), ApiError> {
        self.0.auth.logout(req).await.map_err(|e| e.to_api_error())
    }
}

async fn server_fn(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    let backend: SharedUiBackend = Arc::new(Backend(state));
    leptos_axum::handle_server_fns_with_context(
        move || {
            leptos::prelude::provide_context(backend.clone());
        },
        req,
    )
    .await
}

/// The console's HTML shell. Embedded, because cargo-leptos reserves `<site>/index.html` and
/// never writes one for a client-side-rendered app; `scripts/build-site.sh` copies the same file
/// into the bundle for static servers.
const INDEX_HTML: &str = include_str!("../../../frontend/index.html");

async fn index() -> impl IntoResponse {
    ([(http::header::CONTENT_TYPE, "text/html; charset=utf-8"), (http::header::CACHE_CONTROL, "no-store")], INDEX_HTML)
}

/// Routes for the server functions (always) and the site bundle (when `site_root` is set).
pub fn routes(site_root: Option<&Path>) -> Router<AppState> {
    let router = Router::new().route("/api/ui/{*fn_name}", post(server_fn));
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
