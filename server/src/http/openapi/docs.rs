//! `/docs`: Swagger UI from the pinned files in `server/assets/swagger-ui` (npm `swagger-ui-dist`,
//! see its README), embedded in the binary so the page works offline. The two large files are
//! served with a year-long cache (the page asks for them with a `?v=` version key).

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use http::header;

use crate::state::AppState;

const INDEX_HTML: &str = include_str!("../../../assets/swagger-ui/index.html");
const INITIALIZER_JS: &str = include_str!("../../../assets/swagger-ui/swagger-initializer.js");
const BUNDLE_JS: &[u8] = include_bytes!("../../../assets/swagger-ui/swagger-ui-bundle.js");
const CSS: &[u8] = include_bytes!("../../../assets/swagger-ui/swagger-ui.css");

/// The page loads only our own files; Swagger UI sets inline styles and shows inline images.
const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// The versioned files never change under their `?v=` key.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const JS: &str = "text/javascript; charset=utf-8";

/// The `/docs` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/docs",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache"), (header::CONTENT_SECURITY_POLICY, PAGE_CSP)],
                    INDEX_HTML,
                )
            }),
        )
        .route("/docs/swagger-initializer.js", get(|| async { ([(header::CONTENT_TYPE, JS), (header::CACHE_CONTROL, "no-cache")], INITIALIZER_JS) }))
        .route("/docs/swagger-ui-bundle.js", get(|| async { asset(JS, BUNDLE_JS) }))
        .route("/docs/swagger-ui.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
}

fn asset(content_type: &'static str, body: &'static [u8]) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, IMMUTABLE)], body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_asks_for_the_vendored_version() {
        let readme = include_str!("../../../assets/swagger-ui/README.md");
        let version = readme.split("`swagger-ui-dist` ").nth(1).and_then(|r| r.split(',').next()).expect("README names the version");
        assert_eq!(INDEX_HTML.matches(&format!("?v={version}\"")).count(), 2, "both vendored files carry the version key");
        assert!(!BUNDLE_JS.is_empty() && !CSS.is_empty() && INITIALIZER_JS.contains("/openapi.json"));
    }
}
