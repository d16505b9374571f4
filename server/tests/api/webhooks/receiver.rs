//! The receiver's steps before the `workflow_job` rules: secret, signature, headers,
//! de-duplication, parsing, organisation and event filters, body limit, database outage.

use serde_json::{Value, json};
use std::sync::Arc;

use super::{
    SECRET, deliver, deliver_ok, delivery_id, examples, hook_app, metrics, octokit_sign, post_raw, security_event_count, seen_delivery, sign, workflow_job,
};
use crate::both_databases;
use crate::helpers::{Backend, TcpProxy, TestDb, app, assert_error, json};

both_databases!(
    without_a_secret_every_delivery_is_503,
    bad_or_missing_signatures_are_401_and_write_no_security_event,
    the_previous_secret_is_accepted_while_rotating,
    our_signature_is_octokits_and_theirs_is_accepted,
    missing_headers_are_422,
    a_body_that_is_not_json_is_400_and_not_remembered,
    other_organisations_are_ignored_when_one_is_configured,
    other_events_actions_and_runners_are_acknowledged_and_ignored,
    bodies_up_to_25_mib_are_read_and_larger_ones_are_413,
    ids_in_flight_are_duplicates_until_their_claim_lapses_and_are_forgotten_after_7_days,
);

fn ping() -> Value {
    examples("ping").into_iter().next().expect("a ping example")
}

async fn without_a_secret_every_delivery_is_503(backend: Backend) {
    let app = app(backend).start().await;
    let resp = deliver(&app, "ping", &delivery_id(), &ping()).await;
    assert_error(resp, 503, "WEBHOOK_NOT_CONFIGURED").await;
    // Unsigned, too: the service never accepts unsigned deliveries.
    let resp = post_raw(&app, Some("ping"), Some("d-1"), None, b"{}".to_vec()).await;
    assert_error(resp, 503, "WEBHOOK_NOT_CONFIGURED").await;
    assert!(metrics(&app).await.contains(r#"gharts_webhook_deliveries_total{event="ping",result="not_configured"} 2"#));
}

async fn bad_or_missing_signatures_are_401_and_write_no_security_event(backend: Backend) {
    let app = hook_app(backend).start().await;
    let body = serde_json::to_vec(&ping()).expect("json");
    let good = sign(SECRET, &body);
    let mut tampered = body.clone();
    tampered.push(b' ');
    let cases: Vec<(Option<String>, Vec<u8>)> = vec![
        (None, body.clone()),
        (Some(sign("another-secret", &body)), body.clone()),
        (Some(good.clone()), tampered),
        (Some(good.trim_start_matches("sha256=").to_owned()), body.clone()),
        (Some(good.replace("sha256=", "sha1=")), body.clone()),
        (Some(format!("{}00", good)), body.clone()),
        (Some(String::new()), body.clone()),
    ];
    for (sig, b) in cases {
        let resp = post_raw(&app, Some("ping"), Some("same-id"), sig.as_deref(), b).await;
        let err = assert_error(resp, 401, "WEBHOOK_SIGNATURE_INVALID").await;
        assert_eq!(err["detail"], "Invalid webhook signature");
    }
    assert_eq!(security_event_count(&app).await, 0, "a flood must not fill the table");
    assert!(metrics(&app).await.contains(r#"gharts_webhook_deliveries_total{event="ping",result="invalid_signature"} 7"#));
    // Nothing was recorded under the id: the genuine delivery runs.
    let ok = post_raw(&app, Some("ping"), Some("same-id"), Some(&good), body).await;
    assert_eq!(json(ok).await, json!({ "status": "ignored", "event": "ping" }));
}

async fn the_previous_secret_is_accepted_while_rotating(backend: Backend) {
    let app = hook_app(backend).env("GITHUB_WEBHOOK_SECRET", "new-secret").env("GITHUB_WEBHOOK_SECRET_PREVIOUS", SECRET).start().await;
    let body = serde_json::to_vec(&ping()).expect("json");
    for secret in ["new-secret", SECRET] {
        let resp = post_raw(&app, Some("ping"), Some(&delivery_id()), Some(&sign(secret, &body)), body.clone()).await;
        assert_eq!(resp.status(), 200, "signed with {secret}");
    }
    let resp = post_raw(&app, Some("ping"), Some(&delivery_id()), Some(&sign("older-secret", &body)), body).await;
    assert_error(resp, 401, "WEBHOOK_SIGNATURE_INVALID").await;
}

async fn our_signature_is_octokits_and_theirs_is_accepted(backend: Backend) {
    let app = hook_app(backend).start().await;
    // GitHub's own bytes, not a re-serialisation: unicode and spacing must survive untouched.
    let example = serde_json::to_string_pretty(&workflow_job("queued", 1, "acme", 1, "o/r")).expect("json");
    let body = format!("{{\"zen\": \"Ünïcödé — ok\",\n  \"hook_id\": 1, \"example\": {example}}}");
    let theirs = octokit_sign(SECRET, &body);
    assert_eq!(theirs, sign(SECRET, body.as_bytes()));
    let resp = post_raw(&app, Some("ping"), Some(&delivery_id()), Some(&theirs), body.into_bytes()).await;
    assert_eq!(json(resp).await, json!({ "status": "ignored", "event": "ping" }));
}

async fn missing_headers_are_422(backend: Backend) {
    let app = hook_app(backend).start().await;
    let body = serde_json::to_vec(&ping()).expect("json");
    let sig = sign(SECRET, &body);
    let err = assert_error(post_raw(&app, None, Some("d-1"), Some(&sig), body.clone()).await, 422, "VALIDATION_ERROR").await;
    assert_eq!(err["errors"][0]["field"], "header.X-GitHub-Event");
    let err = assert_error(post_raw(&app, Some("ping"), None, Some(&sig), body).await, 422, "VALIDATION_ERROR").await;
    assert_eq!(err["errors"][0]["field"], "header.X-GitHub-Delivery");
}

async fn a_body_that_is_not_json_is_400_and_not_remembered(backend: Backend) {
    let app = hook_app(backend).start().await;
    // A webhook configured with content type application/x-www-form-urlencoded.
    let body = b"payload=%7B%22zen%22%3A%22x%22%7D".to_vec();
    let sig = sign(SECRET, &body);
    for _ in 0..2 {
        let resp = post_raw(&app, Some("ping"), Some("form-1"), Some(&sig), body.clone()).await;
        let err = assert_error(resp, 400, "INVALID_PAYLOAD").await;
        assert_eq!(err["detail"], "Invalid JSON payload");
    }
    assert!(metrics(&app).await.contains(r#"gharts_webhook_deliveries_total{event="ping",result="invalid_payload"} 2"#));
}

async fn other_organisations_are_ignored_when_one_is_configured(backend: Backend) {
    let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/github-app-test-key.pem")).expect("test key");
    let app = hook_app(backend).env("GITHUB_APP_ID", "1").env("GITHUB_APP_PRIVATE_KEY", &pem).env("GITHUB_ORG", "acme").start().await;
    let other = deliver_ok(&app, "workflow_job", &delivery_id(), &workflow_job("in_progress", 77, "octo-org", 1, "octo-org/x")).await;
    assert_eq!(other, json!({ "status": "ignored", "reason": "organization not managed by this service" }));
    let mut no_org = ping();
    no_org.as_object_mut().expect("object").remove("organization");
    let body = deliver_ok(&app, "ping", &delivery_id(), &no_org).await;
    assert_eq!(body["reason"], "organization not managed by this service");
    // Logins compare case-insensitively; this one passes the filter and reaches the runner lookup.
    let ours = deliver_ok(&app, "workflow_job", &delivery_id(), &workflow_job("in_progress", 77, "ACME", 1, "acme/x")).await;
    assert_eq!(ours, json!({ "status": "ignored", "reason": "runner not managed by this service" }));
}

async fn other_events_actions_and_runners_are_acknowledged_and_ignored(backend: Backend) {
    let app = hook_app(backend).start().await;
    assert_eq!(deliver_ok(&app, "ping", &delivery_id(), &ping()).await, json!({ "status": "ignored", "event": "ping" }));
    let push = json!({ "ref": "refs/heads/main", "organization": { "login": "acme" } });
    assert_eq!(deliver_ok(&app, "push", &delivery_id(), &push).await, json!({ "status": "ignored", "event": "push" }));
    for action in ["queued", "waiting"] {
        let p = examples("workflow_job").into_iter().find(|e| e["action"] == action).expect("example");
        let body = deliver_ok(&app, "workflow_job", &delivery_id(), &p).await;
        assert_eq!(body, json!({ "status": "ignored", "reason": format!("action={action}") }));
    }
    let mut no_runner = workflow_job("in_progress", 5, "acme", 1, "a/b");
    no_runner["workflow_job"]["runner_id"] = Value::Null;
    let body = deliver_ok(&app, "workflow_job", &delivery_id(), &no_runner).await;
    assert_eq!(body, json!({ "status": "ignored", "reason": "missing runner info" }));
    no_runner["workflow_job"]["runner_id"] = json!(5);
    no_runner["workflow_job"]["runner_name"] = Value::Null;
    let body = deliver_ok(&app, "workflow_job", &delivery_id(), &no_runner).await;
    assert_eq!(body["reason"], "missing runner info");
    // GitHub-hosted runner 5 of the example: not ours.
    let hosted = examples("workflow_job").into_iter().find(|e| e["action"] == "completed").expect("example");
    let body = deliver_ok(&app, "workflow_job", &delivery_id(), &hosted).await;
    assert_eq!(body, json!({ "status": "ignored", "reason": "runner not managed by this service" }));
    let m = metrics(&app).await;
    assert!(m.contains(r#"gharts_webhook_deliveries_total{event="workflow_job",result="ignored"} 5"#), "{m}");
    assert!(m.contains(r#"gharts_webhook_deliveries_total{event="push",result="ignored"} 1"#), "{m}");
}

async fn bodies_up_to_25_mib_are_read_and_larger_ones_are_413(backend: Backend) {
    let app = hook_app(backend).start().await;
    // 2 MiB: over every other route's 1 MiB limit, within the webhook's.
    let mut big = ping();
    big["padding"] = json!("x".repeat(2 * 1024 * 1024));
    assert_eq!(deliver_ok(&app, "ping", &delivery_id(), &big).await["status"], "ignored");
    let huge = vec![b' '; 25 * 1024 * 1024 + 1];
    let sig = sign(SECRET, &huge);
    let resp = post_raw(&app, Some("ping"), Some(&delivery_id()), Some(&sig), huge).await;
    assert_error(resp, 413, "PAYLOAD_TOO_LARGE").await;
    // The rest of the API keeps 1 MiB.
    let resp = app
        .client
        .post(app.url("/auth/local-login"))
        .header("x-requested-with", "gharts")
        .header("content-type", "application/json")
        .body(vec![b' '; 1024 * 1024 + 1])
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 413);
}

async fn ids_in_flight_are_duplicates_until_their_claim_lapses_and_are_forgotten_after_7_days(backend: Backend) {
    let app = hook_app(backend).start().await;
    let minutes = chrono::Duration::minutes;
    let days = chrono::Duration::days;
    // Being processed by another request: the same answer as a processed one.
    seen_delivery(&app, "in-flight", "processing", minutes(0)).await;
    assert_eq!(deliver_ok(&app, "ping", "in-flight", &ping()).await, json!({ "status": "duplicate", "delivery_id": "in-flight" }));
    // A claim whose request cannot still be running (cut at 30 s) is taken over.
    seen_delivery(&app, "abandoned", "processing", minutes(2)).await;
    assert_eq!(deliver_ok(&app, "ping", "abandoned", &ping()).await["status"], "ignored");
    // Processed ids are remembered for 7 days, then forgotten.
    seen_delivery(&app, "six-days", "processed", days(6)).await;
    assert_eq!(deliver_ok(&app, "ping", "six-days", &ping()).await["status"], "duplicate");
    seen_delivery(&app, "eight-days", "processed", days(8)).await;
    assert_eq!(deliver_ok(&app, "ping", "eight-days", &ping()).await["status"], "ignored");
}

/// `PostgreSQL` only: the outage is a cut TCP proxy in front of the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_503_and_records_nothing() {
    if !crate::helpers::postgres_available("webhooks::receiver::a_database_outage_is_503_and_records_nothing") {
        return;
    }
    let db = Arc::new(TestDb::new(Backend::Postgres).await);
    let proxy = TcpProxy::start(db.pg_addr()).await;
    let app = hook_app(Backend::Postgres).database(db.clone()).database_url(db.url_via(proxy.addr)).start().await;
    proxy.cut().await;
    let resp = deliver(&app, "ping", "outage-1", &ping()).await;
    assert_error(resp, 503, "DATABASE_UNAVAILABLE").await;
    proxy.restore().await;
    // Not recorded: GitHub's redelivery runs (it is not a duplicate).
    assert_eq!(deliver_ok(&app, "ping", "outage-1", &ping()).await, json!({ "status": "ignored", "event": "ping" }));
    assert_eq!(deliver_ok(&app, "ping", "outage-1", &ping()).await, json!({ "status": "duplicate", "delivery_id": "outage-1" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_route_and_every_error_are_in_the_openapi_document() {
    let app = app(Backend::Sqlite).start().await;
    let doc = json(app.get("/openapi.json").await).await;
    let op = &doc["paths"]["/api/v1/webhooks/github"]["post"];
    assert_eq!(op["security"], json!([{}]), "no bearer token or session: {op}");
    for status in ["200", "400", "401", "413", "422", "503"] {
        assert!(op["responses"][status].is_object(), "{status} documented: {op}");
    }
    let headers: Vec<&str> = op["parameters"].as_array().expect("parameters").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(headers, ["X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256"]);
    assert!(doc["components"]["schemas"]["WebhookAck"].is_object());
}
