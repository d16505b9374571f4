//! The real GitHub App client against the fake GitHub through Prism (GitHub's own schemas):
//! provisioning, paging, delete, refresh, 409 recovery, retries, rate limits, timeouts, tokens.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};
use server::github::GitHubRunner;
use server::github::fake_server::Fault;

use crate::both_databases;
use crate::github_peer::{GitHubPeer, PeerOptions};
use crate::helpers::world::{World, world_using};
use crate::helpers::{Backend, app, assert_error, json};

const JIT: &str = "POST /orgs/acme/actions/runners/generate-jitconfig";

async fn world_on(peer: &GitHubPeer, backend: Backend) -> World {
    world_using(peer.configure(app(backend)).env("GITHUB_INSTALLATION_ID", "77"), json!({})).await
}

async fn provision_ok(w: &World, name: &str) -> Value {
    let resp = w.provision(&w.m2m_a, &json!({ "runner_name": name, "labels": ["linux"] })).await;
    assert_eq!(resp.status(), 201, "provision {name}: {}", resp.text().await.unwrap_or_default());
    json(resp).await
}

async fn runner(w: &World, id: &str) -> Value {
    json(w.app.client.get(w.app.url(&format!("/api/v1/runners/{id}"))).bearer_auth(&w.m2m_a).send().await.expect("get")).await
}

both_databases!(
    a_runner_lives_through_provision_refresh_and_delete_via_github_schemas,
    the_admin_github_panel_reports_the_app_installation_and_budget,
    the_admin_github_panel_names_a_refusal_and_a_silent_github,
    the_admin_github_panel_says_when_github_is_not_configured,
);

async fn a_runner_lives_through_provision_refresh_and_delete_via_github_schemas(backend: Backend) {
    let peer = GitHubPeer::start().await;
    let w = world_on(&peer, backend).await;
    let body = provision_ok(&w, "build-1").await;
    let github_id = body["github_runner_id"].as_i64().expect("github id");
    // The JIT config is GitHub's, byte for byte.
    let raw = base64::engine::general_purpose::STANDARD.decode(body["encoded_jit_config"].as_str().expect("config")).expect("base64");
    let decoded: Value = serde_json::from_slice(&raw).expect("fake config json");
    assert_eq!(decoded["runner_id"], github_id);
    assert_eq!(peer.gh().runner(github_id).expect("registered at GitHub").labels, vec!["self-hosted", "linux"]);
    // Refresh reads GitHub by id.
    peer.gh().set_state(github_id, "online", true);
    let id = body["runner_id"].as_str().expect("id");
    let resp = w.app.client.post(w.app.url(&format!("/api/v1/runners/{id}/refresh"))).bearer_auth(&w.m2m_a).send().await.expect("refresh");
    assert_eq!(resp.status(), 200);
    assert_eq!(json(resp).await["status"], "busy");
    // A busy runner cannot be deleted at GitHub; an idle one can.
    let del = w.app.client.delete(w.app.url(&format!("/api/v1/runners/{id}"))).bearer_auth(&w.m2m_a).send().await.expect("delete");
    assert_error(del, 409, "RUNNER_BUSY").await;
    peer.gh().set_state(github_id, "online", false);
    let del = w.app.client.delete(w.app.url(&format!("/api/v1/runners/{id}"))).bearer_auth(&w.m2m_a).send().await.expect("delete");
    assert_eq!(del.status(), 200);
    assert!(peer.gh().runner(github_id).is_none(), "deleted at GitHub");
    assert_eq!(runner(&w, id).await["status"], "deleted");
    // One installation token served every call.
    assert_eq!(peer.fake.tokens_minted.load(Ordering::SeqCst), 1);
}

mod single {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_name_taken_by_our_own_deleted_runner_is_recovered_once() {
        crate::skip_without!(Prism, OpenIdProvider);
        let peer = GitHubPeer::start().await;
        let w = world_on(&peer, Backend::Sqlite).await;
        let body = provision_ok(&w, "recycled").await;
        let github_id = body["github_runner_id"].as_i64().expect("id");
        // Our row is deleted but GitHub kept the registration (a lost delete).
        let id: uuid::Uuid = body["runner_id"].as_str().expect("id").parse().expect("uuid");
        w.app.db.mark_runner_deleted(id, "user_request", None).await.expect("mark");
        let again = provision_ok(&w, "recycled").await;
        assert_ne!(again["github_runner_id"].as_i64(), Some(github_id));
        assert!(peer.gh().runner(github_id).is_none(), "the stale registration was deleted");
        // A name held by a runner GHARTS never issued is a conflict, never touched.
        let theirs = peer.gh().put_runner(GitHubRunner { name: "theirs".into(), status: "online".into(), labels: vec!["x".into()], ..Default::default() });
        let resp = w.provision(&w.m2m_a, &json!({ "runner_name": "theirs" })).await;
        assert_error(resp, 409, "NAME_CONFLICT").await;
        assert!(peer.gh().runner(theirs).is_some());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn server_errors_are_retried_until_success() {
        crate::skip_without!(Prism, OpenIdProvider);
        let peer = GitHubPeer::start().await;
        let w = world_on(&peer, Backend::Sqlite).await;
        peer.fake.push_fault(Fault::status(JIT, 502));
        peer.fake.push_fault(Fault::status(JIT, 503));
        provision_ok(&w, "flaky").await;
        assert_eq!(peer.fake.count(JIT), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn retry_after_is_honoured_on_429_and_403() {
        crate::skip_without!(Prism, OpenIdProvider);
        let peer = GitHubPeer::start().await;
        let w = world_on(&peer, Backend::Sqlite).await;
        peer.fake.push_fault(Fault::status(JIT, 429).header("retry-after", "1"));
        peer.fake.push_fault(Fault::status(JIT, 403).header("retry-after", "1"));
        let started = Instant::now();
        provision_ok(&w, "patient").await;
        assert!(started.elapsed() >= Duration::from_secs(2), "waited as told: {:?}", started.elapsed());
        // A wait longer than the deadline is passed to the caller instead.
        peer.fake.push_fault(
            Fault::status(JIT, 403).header("x-ratelimit-remaining", "0").header("x-ratelimit-reset", &(chrono::Utc::now().timestamp() + 600).to_string()),
        );
        let resp = w.provision(&w.m2m_a, &json!({ "runner_name": "impatient" })).await;
        let retry_after: u64 = resp.headers().get("retry-after").expect("Retry-After").to_str().expect("ascii").parse().expect("secs");
        assert!(retry_after > 500, "retry after {retry_after}");
        assert_error(resp, 503, "GITHUB_UNAVAILABLE").await;
        let list = json(w.app.client.get(w.app.url("/api/v1/runners?runner_name=impatient")).bearer_auth(&w.m2m_a).send().await.expect("list")).await;
        assert_eq!(list["total"], 0, "no row for a refused call");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_timeout_is_503_and_leaves_no_runner_row() {
        crate::skip_without!(Prism, OpenIdProvider);
        let peer = GitHubPeer::start().await;
        let w = world_on(&peer, Backend::Sqlite).await;
        for _ in 0..6 {
            let mut f = Fault::status(JIT, 504);
            f.delay = Some(Duration::from_secs(4));
            peer.fake.push_fault(f);
        }
        let resp = w.provision(&w.m2m_a, &json!({ "runner_name": "slow" })).await;
        assert_error(resp, 503, "GITHUB_UNAVAILABLE").await;
        let list = json(w.app.client.get(w.app.url("/api/v1/runners")).bearer_auth(&w.m2m_a).send().await.expect("list")).await;
        assert_eq!(list["total"], 0);
        assert_eq!(peer.gh().runner_count(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tokens_close_to_expiry_are_refreshed_and_the_installation_is_discovered() {
        crate::skip_without!(Prism, OpenIdProvider);
        let peer = GitHubPeer::start_with(PeerOptions { token_lifetime: chrono::TimeDelta::minutes(4), ..Default::default() }).await;
        // No GITHUB_INSTALLATION_ID, and a PKCS#8 key.
        let w = world_using(peer.configure(app(Backend::Sqlite)).env("GITHUB_APP_PRIVATE_KEY", &crate::github_peer::private_key_pkcs8_pem()), json!({})).await;
        provision_ok(&w, "t-1").await;
        provision_ok(&w, "t-2").await;
        // Each token had less than 5 minutes left, so every call minted a new one.
        assert_eq!(peer.fake.tokens_minted.load(Ordering::SeqCst), 2);
        assert_eq!(peer.fake.count("GET /orgs/acme/installation"), 1, "installation looked up once");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wrong_app_id_is_rejected_by_github_as_502() {
        crate::skip_without!(Prism, OpenIdProvider);
        let peer = GitHubPeer::start().await;
        let w = world_using(peer.configure(app(Backend::Sqlite)).env("GITHUB_APP_ID", "999").env("GITHUB_INSTALLATION_ID", "77"), json!({})).await;
        let resp = w.provision(&w.m2m_a, &json!({ "runner_name": "nope" })).await;
        assert_error(resp, 502, "GITHUB_REJECTED").await;
        assert_eq!(peer.gh().runner_count(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn github_calls_and_rate_limits_are_in_the_metrics() {
        crate::skip_without!(Prism, OpenIdProvider);
        let peer = GitHubPeer::start().await;
        let w = world_on(&peer, Backend::Sqlite).await;
        provision_ok(&w, "measured").await;
        let text = w.app.get("/metrics").await.text().await.expect("metrics");
        assert!(text.contains(r#"gharts_github_api_requests_total{endpoint="POST /orgs/{org}/actions/runners/generate-jitconfig",status="201"} 1"#), "{text}");
        assert!(text.contains(r#"gharts_github_installation_token_refreshes_total{result="success"} 1"#), "{text}");
        assert!(text.contains(r#"gharts_github_rate_limit_remaining{resource="core"}"#), "{text}");
    }
}

/// The contract check itself can fail: Prism refuses a request GitHub's schema forbids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_refuses_what_github_would_refuse() {
    crate::skip_without!(Prism, OpenIdProvider);
    let peer = GitHubPeer::start().await;
    let resp = reqwest::Client::new()
        .post(format!("{}/orgs/acme/actions/runners/generate-jitconfig", peer.url))
        .header("authorization", "Bearer x")
        .json(&json!({ "name": "r", "labels": ["a"] }))
        .send()
        .await
        .expect("prism");
    assert_eq!(resp.status(), 422, "a body without runner_group_id violates GitHub's schema");
    let body = resp.text().await.expect("body");
    assert!(body.contains("prism/errors#UNPROCESSABLE_ENTITY"), "Prism's own refusal: {body}");
    assert_eq!(peer.fake.count(JIT), 0, "it never reached the fake");
}

/// `gharts github check` and `gharts sync --once`, run as an operator would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_github_commands_check_the_app_and_run_a_cycle() {
    crate::skip_without!(Prism, OpenIdProvider);
    let peer = GitHubPeer::start().await;
    let db = crate::helpers::TestDb::new(Backend::Sqlite).await;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gharts"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &db.url)
            .env("GITHUB_APP_ID", crate::github_peer::APP_ID.to_string())
            .env("GITHUB_APP_PRIVATE_KEY", crate::github_peer::private_key_pem())
            .env("GITHUB_ORG", "acme")
            .env("GITHUB_API_URL", &peer.url)
            .env("LOG_LEVEL", "error")
            .args(args)
            .output()
            .expect("run gharts")
    };
    peer.gh().put_runner(GitHubRunner { name: "rogue".into(), status: "online".into(), labels: vec!["x".into()], ..Default::default() });
    let out = tokio::task::block_in_place(|| run(&["github", "check"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for line in [
        "ok    app: GHARTS test App",
        "ok    installation: 77 on organisation acme",
        "ok    runner permission: 1 runners",
        "group      1  Default (all)",
        "ok    rate limit",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    let out = tokio::task::block_in_place(|| run(&["sync", "--once"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(r#""unmanaged_detected":1"#), "{text}");
    // A key GitHub does not know fails the check, naming the step.
    let out = tokio::task::block_in_place(|| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_gharts"));
        c.env_clear().env("DATABASE_URL", &db.url).env("GITHUB_APP_ID", "1").env("GITHUB_APP_PRIVATE_KEY", crate::github_peer::private_key_pem());
        c.env("GITHUB_ORG", "acme").env("GITHUB_API_URL", &peer.url).args(["github", "check"]).output().expect("run")
    });
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL  app"));
}

/// `GET /api/v1/admin/github` (API.md §14.4): `gharts github check`'s facts, through GitHub's
/// schemas; the App and installation are asked once, the budget each time; no secret.
async fn the_admin_github_panel_reports_the_app_installation_and_budget(backend: Backend) {
    let peer = GitHubPeer::start().await;
    let w = world_on(&peer, backend).await;
    let resp = w.app.get("/api/v1/admin/github").await;
    assert_eq!(resp.status(), 200);
    let h = json(resp).await;
    assert_eq!(
        (&h["state"], &h["org"], &h["app_id"], &h["app_slug"], &h["app_name"]),
        (&json!("ok"), &json!("acme"), &json!(crate::github_peer::APP_ID), &json!("gharts-test"), &json!("GHARTS test App")),
        "{h}"
    );
    assert_eq!((&h["installation_id"], &h["installation_account"], &h["token_ok"]), (&json!(77), &json!("acme"), &json!(true)), "{h}");
    assert_eq!(h["rate_limit"]["limit"], 5000, "{h}");
    assert!(h["rate_limit"]["remaining"].as_i64().is_some_and(|n| n > 0 && n <= 5000), "{h}");
    assert!(h["rate_limit"]["reset_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{h}");
    assert_eq!(h["error"], Value::Null);
    let text = h.to_string().to_lowercase();
    assert!(!text.contains("private") && !text.contains("token\":\"") && !text.contains("ghs_"), "no secret: {h}");
    let again = json(w.app.get("/api/v1/admin/github").await).await;
    assert_eq!(again["state"], "ok");
    assert_eq!((peer.fake.count("GET /app"), peer.fake.count("GET /orgs/acme/installation")), (1, 1), "cached facts");
    assert_eq!(peer.fake.count("GET /rate_limit"), 2, "the budget is asked each time");
}

async fn the_admin_github_panel_names_a_refusal_and_a_silent_github(backend: Backend) {
    let peer = GitHubPeer::start().await;
    let w = world_on(&peer, backend).await;
    // GitHub refuses the budget call: the App facts stand, the token is not proven.
    peer.fake.push_fault(Fault::status("GET /rate_limit", 403));
    let h = json(w.app.get("/api/v1/admin/github").await).await;
    assert_eq!(
        (&h["state"], &h["app_slug"], &h["token_ok"], &h["rate_limit"]),
        (&json!("rejected"), &json!("gharts-test"), &json!(false), &Value::Null),
        "{h}"
    );
    assert!(h["error"].as_str().is_some_and(|e| e.contains("403")), "{h}");
    // GitHub does not answer: the panel still answers, within the bound.
    for _ in 0..4 {
        peer.fake.push_fault(Fault::delay("GET /rate_limit", Duration::from_secs(30)));
    }
    let started = Instant::now();
    let h = json(w.app.get("/api/v1/admin/github").await).await;
    assert!(started.elapsed() < Duration::from_secs(15), "bounded: {:?}", started.elapsed());
    assert_eq!((&h["state"], &h["token_ok"]), (&json!("unreachable"), &json!(false)), "{h}");
    assert!(h["error"].as_str().is_some_and(|e| !e.is_empty()), "{h}");
}

async fn the_admin_github_panel_says_when_github_is_not_configured(backend: Backend) {
    let w = world_using(app(backend).without_github(), json!({})).await;
    let h = json(w.app.get("/api/v1/admin/github").await).await;
    assert_eq!((&h["state"], &h["org"], &h["app_id"], &h["token_ok"]), (&json!("not_configured"), &Value::Null, &Value::Null, &json!(false)), "{h}");
    assert!(h["error"].as_str().is_some_and(|e| e.contains("GITHUB_APP_ID")), "{h}");
}
