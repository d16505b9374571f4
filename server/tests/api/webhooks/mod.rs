//! `POST /api/v1/webhooks/github` (API.md §15.1) with GitHub's own example payloads (npm
//! `@octokit/webhooks-examples`, rewritten to name our runners), signed here in Rust and,
//! once, by `@octokit/webhooks-methods` under `node` as an independent oracle.

mod lifecycle;
mod receiver;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use reqwest::Response;
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use crate::helpers::peers::{self, Peer};
use crate::helpers::{AppBuilder, Backend, TestApp, app, json};
use crate::oidc_peer::OidcPeer;
use crate::seed;

/// The webhook secret of every test app.
pub const SECRET: &str = "wh-test-secret-1";
/// The webhook path.
pub const PATH: &str = "/api/v1/webhooks/github";

fn end2end() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end")
}

/// Every example payload of `event` (api.github.com), as published.
pub fn examples(event: &str) -> Vec<Value> {
    static ALL: OnceLock<Value> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let path = end2end().join("node_modules/@octokit/webhooks-examples/api.github.com/index.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{} ({e}); run scripts/setup.sh test", path.display()));
        serde_json::from_str(&text).expect("examples json")
    });
    let entry = all.as_array().expect("array").iter().find(|e| e["name"] == event).unwrap_or_else(|| panic!("no {event} examples"));
    entry["examples"].as_array().expect("examples").clone()
}

/// GitHub's first `workflow_job` example with `action`, rewritten for runner `github_id` of
/// organisation `org`, job `job_id` of run 4242 in `repo`.
pub fn workflow_job(action: &str, github_id: i64, org: &str, job_id: i64, repo: &str) -> Value {
    let mut p = examples("workflow_job").into_iter().find(|e| e["action"] == action).unwrap_or_else(|| panic!("no {action} example"));
    p["organization"] = json!({ "login": org, "id": 1 });
    p["repository"]["full_name"] = json!(repo);
    let job = &mut p["workflow_job"];
    job["id"] = json!(job_id);
    job["run_id"] = json!(4242);
    job["runner_id"] = json!(github_id);
    job["runner_name"] = json!(format!("runner-{github_id}"));
    job["labels"] = json!(["self-hosted", "team-a"]);
    p
}

/// `sha256=<hex>` of `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The signature `@octokit/webhooks-methods` `sign()` computes (run by `node`).
pub fn octokit_sign(secret: &str, body: &str) -> String {
    peers::require(Peer::EndToEndPackages);
    let script = "import { sign } from '@octokit/webhooks-methods';\
                  process.stdout.write(await sign(process.env.WH_SECRET, process.env.WH_BODY));";
    let out = std::process::Command::new("node")
        .current_dir(end2end())
        .args(["--input-type=module", "-e", script])
        .env("WH_SECRET", secret)
        .env("WH_BODY", body)
        .output()
        .expect("run node");
    assert!(out.status.success(), "node: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A builder for an app with the webhook secret set.
pub fn hook_app(backend: Backend) -> AppBuilder {
    app(backend).env("GITHUB_WEBHOOK_SECRET", SECRET)
}

/// POSTs `body` with the three GitHub headers (each optional).
pub async fn post_raw(app: &TestApp, event: Option<&str>, delivery: Option<&str>, signature: Option<&str>, body: Vec<u8>) -> Response {
    let mut req = app.client.post(app.url(PATH)).header("content-type", "application/json").body(body);
    for (name, value) in [("x-github-event", event), ("x-github-delivery", delivery), ("x-hub-signature-256", signature)] {
        if let Some(v) = value {
            req = req.header(name, v);
        }
    }
    req.send().await.expect("request")
}

/// POSTs `payload` as GitHub would: signed with [`SECRET`].
pub async fn deliver(app: &TestApp, event: &str, delivery: &str, payload: &Value) -> Response {
    let body = serde_json::to_vec(payload).expect("json");
    let sig = sign(SECRET, &body);
    post_raw(app, Some(event), Some(delivery), Some(&sig), body).await
}

/// [`deliver`], asserting a 200 and returning its body.
pub async fn deliver_ok(app: &TestApp, event: &str, delivery: &str, payload: &Value) -> Value {
    let resp = deliver(app, event, delivery, payload).await;
    assert_eq!(resp.status(), 200, "delivery {delivery}");
    json(resp).await
}

/// A fresh delivery id.
pub fn delivery_id() -> String {
    Uuid::new_v4().to_string()
}

/// The app's `/metrics` text.
pub async fn metrics(app: &TestApp) -> String {
    app.get("/metrics").await.text().await.expect("metrics")
}

/// Every security event, any type.
pub async fn security_event_count(app: &TestApp) -> i64 {
    crate::on_pool!(&app.db, p => sqlx::query_scalar("select count(*) from security_events").fetch_one(p).await).expect("count")
}

/// A running app with the webhook secret, team `team-a` (required label `team-a`, pattern
/// `gpu-[0-9]+`) and its M2M client, and a provisioned runner of that team.
pub struct Fleet {
    pub app: TestApp,
    pub peer: OidcPeer,
    pub team: Uuid,
    /// The runner (GHARTS id) and its GitHub id.
    pub runner: Uuid,
    pub github_id: i64,
}

impl Fleet {
    /// Starts `builder` (plus OIDC) and arranges the team and one runner.
    pub async fn start(builder: AppBuilder) -> Fleet {
        let peer = OidcPeer::shared().await;
        let mut b = builder;
        for (k, v) in peer.env() {
            b = b.env(k, &v);
        }
        let app = b.start().await;
        app.login_admin().await;
        let body = json!({ "name": "team-a", "required_labels": ["team-a"], "optional_label_patterns": ["gpu-[0-9]+"] });
        let resp = app.post_json("/api/v1/admin/teams", &body).await;
        assert_eq!(resp.status(), 201, "create team");
        let team: Uuid = json(resp).await["id"].as_str().expect("id").parse().expect("uuid");
        seed::oauth_client(&app.db, "m2m-a", team, true).await;
        let mut fleet = Fleet { app, peer, team, runner: Uuid::nil(), github_id: 0 };
        (fleet.runner, fleet.github_id) = fleet.provision("build-1").await;
        fleet
    }

    /// Provisions a runner of team-a (labels `linux`, `gpu-1`); returns its ids.
    pub async fn provision(&self, name: &str) -> (Uuid, i64) {
        let token = self.peer.m2m_token("m2m-a").await;
        let body = json!({ "runner_name": name, "labels": ["linux", "gpu-1"] });
        let resp = self.app.client.post(self.app.url("/api/v1/runners/jit")).bearer_auth(&token).json(&body).send().await.expect("provision");
        assert_eq!(resp.status(), 201, "provision {name}");
        let body = json(resp).await;
        (body["runner_id"].as_str().expect("id").parse().expect("uuid"), body["github_runner_id"].as_i64().expect("github id"))
    }

    /// The runner's status and first-online time.
    pub async fn runner_state(&self, id: Uuid) -> (String, Option<chrono::DateTime<chrono::Utc>>) {
        let r = self.app.db.find_runner(id).await.expect("db").expect("runner");
        (r.status.as_str().to_owned(), r.registered_at)
    }

    /// A signed `workflow_job` delivery about the fleet's runner (organisation `acme`,
    /// repository `octo-owner/octo-repo`); returns the 200 body.
    pub async fn job(&self, action: &str, job_id: i64, delivery: &str) -> Value {
        deliver_ok(&self.app, "workflow_job", delivery, &workflow_job(action, self.github_id, "acme", job_id, "octo-owner/octo-repo")).await
    }
}

/// Records delivery `id` as if seen `age` ago, in `state` (`processing` or `processed`).
pub async fn seen_delivery(app: &TestApp, id: &str, state: &str, age: chrono::Duration) {
    let at = chrono::Utc::now() - age;
    let sql = "insert into webhook_deliveries (delivery_id, event, action, result, received_at, state) values ($1, 'ping', null, $2, $3, $2)";
    crate::on_pool!(&app.db, p => sqlx::query(sql).bind(id).bind(state).bind(at).execute(p).await.map(|_| ())).expect("insert delivery");
}
