//! The HTTP surface: one router with the system routes, the REST API (`/api/v1`), the browser
//! login routes (`/auth`), the UI's server functions (`/api/ui`) and the site bundle.

pub mod api;
mod auth_routes;
pub mod error_response;
pub mod extract;
pub mod middleware;
pub mod openapi;
pub mod params;
mod system;
pub mod ui;

use std::time::Duration;

use app::contract::{ApiError, ErrorCode};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;
use error_response::api_error_response;

pub use system::VERSION;

/// Request bodies above this size get `413` (the webhook will have its own, larger limit).
const BODY_LIMIT: usize = 1024 * 1024;
/// No request may run longer than this; shutdown drains within its own deadline anyway.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The default policy: no framing. Routes that serve a page set their own, fuller policy.
const DEFAULT_CSP: &str = "frame-ancestors 'none'";

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let site_root = state.config.site_root.clone();
    let metrics = state.metrics.clone();
    let (documented, _) = documented_routes().split_for_parts();
    // The console's server functions call the same routes in process.
    let (rest, _) = documented_routes().split_for_parts();
    documented
        .route("/favicon.ico", get(system::favicon))
        .route("/metrics", get(system::metrics))
        .merge(openapi::routes())
        .merge(ui::routes(&state, rest.fallback(not_found), site_root.as_deref()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(metrics, middleware::record_metrics))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(http::StatusCode::SERVICE_UNAVAILABLE, REQUEST_TIMEOUT))
        .layer(axum::middleware::from_fn(middleware::strip_trailing_slash))
        .layer(axum::middleware::from_fn(middleware::request_context))
        // Outermost, so every response gets them (fallbacks, redirects and timeouts included).
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DEFAULT_CSP)))
        .with_state(state)
}

/// Every route of the OpenAPI document, registered together with its entry (`routes!`), so a
/// handler and its documentation cannot part: the system routes, the login routes and the API.
pub fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(system::routes()).merge(auth_routes::routes()).merge(api::routes())
}

async fn not_found() -> Response {
    api_error_response(&ApiError::new(ErrorCode::NotFound, "Not Found"))
}

async fn method_not_allowed() -> Response {
    api_error_response(&ApiError::new(ErrorCode::MethodNotAllowed, "Method Not Allowed")).into_response()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// A plain `.route(…)` would serve without a document entry. Only this file (the favicon and
    /// `/metrics`, outside the contract's document) and the document's own pages and the UI may.
    #[test]
    fn documented_modules_register_routes_only_with_their_entry() {
        let http = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
        let mut files: Vec<_> = std::fs::read_dir(http.join("api")).expect("api dir").map(|e| e.expect("entry").path()).collect();
        files.extend([http.join("system.rs"), http.join("auth_routes.rs")]);
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            assert!(!text.contains(".route("), "{} registers a route without its OpenAPI entry; use routes!(handler)", file.display());
        }
    }
}
