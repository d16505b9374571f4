//! The error envelope and request conventions (API.md §1).

use crate::both_databases;
use crate::helpers::{Backend, assert_error, spawn_app};

both_databases!(
    unknown_paths_and_wrong_methods_use_the_error_envelope,
    trailing_slashes_redirect_to_the_canonical_path,
    request_ids_are_echoed_or_generated,
    malformed_bodies_are_422_naming_the_field,
    bearer_tokens_are_refused_while_oidc_is_not_configured,
);

async fn unknown_paths_and_wrong_methods_use_the_error_envelope(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_error(app.get("/api/v1/nope").await, 404, "NOT_FOUND").await;

    let resp = app.client.delete(app.url("/healthz")).send().await.expect("request");
    assert_eq!(resp.headers().get("allow").and_then(|v| v.to_str().ok()), Some("GET,HEAD"));
    assert_error(resp, 405, "METHOD_NOT_ALLOWED").await;
}

async fn trailing_slashes_redirect_to_the_canonical_path(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let resp = client.get(app.url("/api/v1/auth/me/?x=1")).send().await.expect("request");
    assert_eq!(resp.status(), 307);
    assert_eq!(resp.headers()["location"], "/api/v1/auth/me?x=1");
}

async fn request_ids_are_echoed_or_generated(backend: Backend) {
    let app = spawn_app(backend).await;
    let echoed = app.client.get(app.url("/api/v1/auth/me")).header("x-request-id", "trace-42.a_b").send().await.expect("req");
    assert_eq!(echoed.headers()["x-request-id"], "trace-42.a_b");
    assert_eq!(echoed.headers()["cache-control"], "no-store");

    let replaced = app.client.get(app.url("/healthz")).header("x-request-id", "bad id!").send().await.expect("req");
    let id = replaced.headers()["x-request-id"].to_str().expect("ascii").to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "generated id {id}");
}

async fn malformed_bodies_are_422_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let send = |body: &'static str, ct: &'static str| {
        app.client.post(app.url("/auth/local-login")).header("x-requested-with", "gharts").header("content-type", ct).body(body).send()
    };
    let body = assert_error(send("{not json", "application/json").await.expect("req"), 422, "VALIDATION_ERROR").await;
    assert_eq!(body["errors"][0]["field"], "body");
    assert!(body["detail"].as_str().is_some_and(|d| d.starts_with("Validation error")));

    let body = assert_error(send(r#"{"username": "admin"}"#, "application/json").await.expect("req"), 422, "VALIDATION_ERROR").await;
    assert!(body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("password")), "{body}");

    let body = assert_error(send(r#"{"username": 7, "password": "x"}"#, "application/json").await.expect("req"), 422, "VALIDATION_ERROR").await;
    assert_eq!(body["errors"][0]["field"], "username");

    let body = assert_error(send("username=a", "application/x-www-form-urlencoded").await.expect("req"), 422, "VALIDATION_ERROR").await;
    assert_eq!(body["errors"][0]["field"], "header.Content-Type");

    let big = "x".repeat(2 * 1024 * 1024);
    let resp = app
        .client
        .post(app.url("/auth/local-login"))
        .header("x-requested-with", "gharts")
        .header("content-type", "application/json")
        .body(format!(r#"{{"username":"a","password":"{big}"}}"#))
        .send()
        .await
        .expect("req");
    assert_error(resp, 413, "PAYLOAD_TOO_LARGE").await;
}

async fn bearer_tokens_are_refused_while_oidc_is_not_configured(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_admin().await;
    // A bearer header decides alone, even beside a valid session cookie.
    let resp = app.client.get(app.url("/api/v1/auth/me")).bearer_auth("eyJhbGciOiJSUzI1NiJ9.e30.sig").send().await.expect("req");
    assert!(resp.headers()["www-authenticate"].to_str().expect("ascii").starts_with("Bearer realm=\"gharts\""));
    let body = assert_error(resp, 401, "UNAUTHENTICATED").await;
    assert_eq!(body["detail"], "Bearer tokens are not accepted: OIDC is not configured");
}
