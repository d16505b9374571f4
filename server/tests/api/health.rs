//! System routes: liveness, readiness (including a database outage), `/health`, `/`.

use crate::both_databases;
use crate::helpers::{Backend, TcpProxy, TestDb, app, assert_error, json, spawn_app};
use std::sync::Arc;

both_databases!(
    liveness_and_readiness_answer_when_the_database_is_up,
    readiness_reports_pending_migrations_until_they_are_applied,
    root_lists_the_service_links,
    metrics_count_requests_by_route_template,
);

async fn metrics_count_requests_by_route_template(backend: Backend) {
    let running = spawn_app(backend).await;
    running.get("/healthz").await;
    running.get("/api/v1/runners/00000000-0000-0000-0000-000000000000").await;
    running.get("/no/such/path").await;
    let resp = running.get("/metrics").await;
    assert_eq!(resp.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let text = resp.text().await.expect("text");
    assert!(text.contains(r#"gharts_http_requests_total{method="GET",route="/healthz",status="200"} 1"#), "{text}");
    assert!(text.contains(r#"route="/api/v1/runners/{runner_id}",status="401"} 1"#), "templated, never raw ids: {text}");
    assert!(text.contains(r#"route="unmatched",status="404"} 1"#), "{text}");
    assert!(text.contains("gharts_http_request_duration_seconds_bucket"));
    assert!(text.contains("gharts_build_info{"));

    let locked = app(backend).env("METRICS_TOKEN", "scrape-secret").start().await;
    assert_error(locked.get("/metrics").await, 401, "UNAUTHENTICATED").await;
    let ok = locked.client.get(locked.url("/metrics")).bearer_auth("scrape-secret").send().await.expect("req");
    assert_eq!(ok.status(), 200);
}

async fn liveness_and_readiness_answer_when_the_database_is_up(backend: Backend) {
    let app = spawn_app(backend).await;

    let live = app.get("/healthz").await;
    assert_eq!(live.status(), 200);
    assert_eq!(json(live).await, serde_json::json!({ "status": "ok" }));

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(json(ready).await, serde_json::json!({ "status": "ready", "checks": { "database": "ok", "migrations": "ok" } }));

    let health = json(app.get("/health").await).await;
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["checks"]["database"], "ok");
    // Test apps run with the fake GitHub client; the checks report what the process really has.
    assert_eq!(health["checks"]["github"], "configured");
    assert!(matches!(health["checks"]["sync"].as_str(), Some("waiting" | "ok" | "disabled")), "{health}");
    assert!(health["timestamp"].as_str().is_some_and(|t| t.ends_with('Z') && t.len() == 27), "{health}");
}

async fn readiness_reports_pending_migrations_until_they_are_applied(backend: Backend) {
    let app = app(backend).env("RUN_MIGRATIONS", "false").env("BOOTSTRAP_ADMIN_PASSWORD", "").start().await;

    let resp = app.get("/readyz").await;
    assert_eq!(resp.status(), 503);
    let body = json(resp).await;
    assert_eq!(body["error_code"], "NOT_READY");
    assert_eq!(body["checks"]["migrations"], "pending");
    assert_eq!(body["checks"]["database"], "ok");

    app.db.migrate().await.expect("migrate");
    assert_eq!(app.get("/readyz").await.status(), 200);
}

async fn root_lists_the_service_links(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json(app.get("/").await).await;
    assert_eq!(body["service"], "GitHub Runner Token Service");
    assert_eq!(body["readyz"], "/readyz");
    assert_eq!(body["ui"], "/app/");
    let icon = app.get("/favicon.ico").await;
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/x-icon");
}

/// PostgreSQL goes away and comes back: `/readyz` follows without a restart of gharts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_a_postgres_outage_without_restart() {
    if !crate::helpers::postgres_available("health::readiness_follows_a_postgres_outage_without_restart") {
        return;
    }
    let db = Arc::new(TestDb::new(Backend::Postgres).await);
    let proxy = TcpProxy::start(db.pg_addr()).await;
    let app = app(Backend::Postgres).database(db.clone()).database_url(db.url_via(proxy.addr)).start().await;
    assert_eq!(app.get("/readyz").await.status(), 200);

    proxy.cut().await;
    let down = app.get("/readyz").await;
    assert_eq!(down.status(), 503);
    let body = json(down).await;
    assert_eq!(body["checks"]["database"], "error");
    assert!(body["detail"].as_str().is_some_and(|d| d.starts_with("database unreachable")), "{body}");
    assert!(!body.to_string().contains("postgres://"), "no URL in the reason: {body}");

    proxy.restore().await;
    assert_eq!(app.get("/readyz").await.status(), 200);
}
