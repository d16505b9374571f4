//! The OpenAPI document (every authenticated operation documents the common errors, once per
//! status, next to its own codes) and the pages that render it (`/docs`, `/redoc`).

use app::contract::ErrorCode;
use serde_json::Value;

use crate::helpers::{Backend, json, spawn_app};

/// The codes a response's description names.
fn codes(response: &Value) -> Vec<ErrorCode> {
    let text = response["description"].as_str().unwrap_or_default();
    let words: Vec<&str> = text.split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')).collect();
    ErrorCode::ALL.iter().copied().filter(|c| words.contains(&c.as_str().as_str())).collect()
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths.iter().flat_map(|(path, item)| item.as_object().expect("item").iter().map(move |(m, op)| (m.to_uppercase(), path.clone(), op))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_authenticated_operation_lists_the_common_errors_with_its_own() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc = json(app.get("/openapi.json").await).await;
    let ops = operations(&doc);
    assert!(ops.len() >= 49, "every route is documented: {}", ops.len());
    for (method, path, op) in &ops {
        let public = op["security"].as_array().is_some_and(|reqs| reqs.iter().any(|r| r.as_object().is_some_and(serde_json::Map::is_empty)));
        let responses = op["responses"].as_object().expect("responses");
        for (status, response) in responses {
            for code in codes(response) {
                assert_eq!(code.status().to_string(), *status, "{method} {path}: {} filed under {status}", code.as_str());
            }
        }
        let at = |status: &str| responses.get(status).map(codes).unwrap_or_default();
        if op.get("requestBody").is_some() {
            assert!(at("422").contains(&ErrorCode::ValidationError), "{method} {path}: a body can be malformed");
        }
        if public {
            assert!(!at("401").contains(&ErrorCode::Unauthenticated), "{method} {path} is public");
            continue;
        }
        assert!(at("401").contains(&ErrorCode::Unauthenticated), "{method} {path}: 401");
        for code in [ErrorCode::Forbidden, ErrorCode::UserInactive, ErrorCode::M2mClientDisabled] {
            assert!(at("403").contains(&code), "{method} {path}: 403 {}", code.as_str());
        }
        assert_eq!(at("403").contains(&ErrorCode::CsrfCheckFailed), method != "GET", "{method} {path}: CSRF applies to writes");
        assert!(at("422").contains(&ErrorCode::ValidationError), "{method} {path}: 422");
        assert!(at("503").contains(&ErrorCode::DatabaseUnavailable), "{method} {path}: 503");
    }
    // Route-specific codes survive next to the common ones.
    let find = |method: &str, path: &str| ops.iter().find(|(m, p, _)| m == method && p == path).map(|(_, _, op)| op["responses"].clone()).expect(path);
    let jit = find("POST", "/api/v1/runners/jit");
    for code in [ErrorCode::NotTeamMember, ErrorCode::NoActiveTeam, ErrorCode::LabelPolicyViolation, ErrorCode::RunnerGroupNotAllowed, ErrorCode::Forbidden] {
        assert!(codes(&jit["403"]).contains(&code), "jit 403 {}", code.as_str());
    }
    assert!(codes(&jit["503"]).contains(&ErrorCode::GithubUnavailable) && codes(&jit["503"]).contains(&ErrorCode::DatabaseUnavailable));
    assert!(codes(&jit["422"]).contains(&ErrorCode::IdempotencyKeyMismatch) && codes(&jit["422"]).contains(&ErrorCode::ValidationError));
    assert!(codes(&jit["413"]).contains(&ErrorCode::PayloadTooLarge), "a body can be too large");
    for (method, path) in [
        ("GET", "/api/v1/admin/teams/{team_id}"),
        ("GET", "/api/v1/admin/teams/{team_id}/members"),
        ("GET", "/api/v1/audit-logs"),
        ("GET", "/api/v1/admin/teams/{team_id}/audit-logs"),
        ("GET", "/api/v1/admin/teams/{team_id}/security-events"),
    ] {
        let r = find(method, path);
        assert!(codes(&r["403"]).contains(&ErrorCode::NotTeamMember) && codes(&r["403"]).contains(&ErrorCode::Forbidden), "{method} {path}");
    }
    assert!(find("POST", "/auth/local-login").get("401").is_some_and(|r| codes(r) == [ErrorCode::InvalidCredentials]));
}

/// The document is the router's own (`routes!` registers a handler with its entry), so each
/// documented operation is served: none falls through to the router's `404 Not Found` or `405`.
/// The other direction, a route without an entry, is `http::tests` (no plain `.route(…)`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_served_by_the_router() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc = json(app.get("/openapi.json").await).await;
    let ops = operations(&doc);
    assert!(!ops.is_empty());
    let nil = uuid::Uuid::nil().to_string();
    for (method, path, _) in &ops {
        let concrete = path.split('/').map(|seg| if seg.starts_with('{') { nil.as_str() } else { seg }).collect::<Vec<_>>().join("/");
        let resp = app.client.request(method.parse().expect("method"), app.url(&concrete)).send().await.expect("send");
        let status = resp.status().as_u16();
        assert_ne!(status, 405, "{method} {path} is documented but the router has no such method");
        if status == 404 {
            let body = json(resp).await;
            assert_ne!(body["detail"], "Not Found", "{method} {path} is documented but not routed");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_pages_are_served_from_the_binary() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = app.get("/docs").await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert!(page.headers()["content-security-policy"].to_str().expect("ascii").contains("script-src 'self'"));
    let html = page.text().await.expect("html");
    let mut assets: Vec<&str> = html.split(['"']).filter(|s| s.starts_with("/docs/")).collect();
    assets.sort_unstable();
    assert_eq!(assets.len(), 3, "{html}");
    for asset in assets {
        let resp = app.get(asset).await;
        assert_eq!(resp.status(), 200, "{asset}");
        let cache = resp.headers()["cache-control"].to_str().expect("ascii").to_owned();
        assert_eq!(cache.contains("immutable"), asset.contains("?v="), "{asset}: {cache}");
        assert!(!resp.bytes().await.expect("body").is_empty(), "{asset}");
    }
    let init = app.get("/docs/swagger-initializer.js").await.text().await.expect("js");
    assert!(init.contains("\"/openapi.json\""), "Swagger UI reads our document: {init}");
    assert_eq!(app.get("/redoc").await.status(), 200);
}
