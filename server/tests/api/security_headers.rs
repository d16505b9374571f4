//! Every backend response carries `X-Content-Type-Options`, `Referrer-Policy` and a CSP that
//! forbids framing; a page with its own CSP (the `/docs` page, the console) keeps it.

use reqwest::redirect::Policy;

use crate::helpers::{Backend, app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let site = tempfile::tempdir().expect("site dir");
    let running = app(Backend::Sqlite).env("GHARTS_SITE_ROOT", &site.path().display().to_string()).start().await;
    let client = reqwest::Client::builder().redirect(Policy::none()).build().expect("client");
    // (path, status): JSON, errors, a redirect, text, the console shell, the docs page.
    let cases = [
        ("/healthz", 200),
        ("/api/v1/runners", 401),
        ("/no/such/path", 404),
        ("/api/v1/runners/", 307),
        ("/metrics", 200),
        ("/openapi.json", 200),
        ("/app/", 200),
        ("/docs", 200),
        ("/docs/swagger-ui.css?v=5.35.0", 200),
    ];
    for (path, status) in cases {
        let resp = client.get(running.url(path)).send().await.expect("request");
        assert_eq!(resp.status().as_u16(), status, "{path}");
        let h = resp.headers();
        let header = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "strict-origin-when-cross-origin", "{path}");
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        // Pages carry their own policy: the docs page, and the console under the production one.
        let page = path == "/docs" || path == "/app/";
        assert_eq!(csp.contains("script-src 'self'"), page, "only pages have their own policy: {path}: {csp}");
        if path == "/app/" {
            assert_eq!(csp, server::http::ui::CONSOLE_CSP, "the console runs under the frontend Nginx's policy");
        }
    }
}
