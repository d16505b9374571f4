//! Provisioning on a bad day (issue 13, items 5 and 6): a client cut off while GitHub is
//! answering, and a JIT answer lost on its way back (in process, and through the real App
//! client against the HTTP fake GitHub).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server::github::GitHubError;

use crate::both_databases;
use crate::github_peer::GitHubPeer;
use crate::helpers::probe::Probe as _;
use crate::helpers::world::{World, world, world_using};
use crate::helpers::{Backend, app, json};

both_databases!(
    a_client_cut_off_while_github_answers_leaks_no_slot_and_its_key_resolves,
    a_lost_jit_answer_is_recovered_without_leaving_an_orphan,
    the_app_client_never_repeats_a_jit_post_whose_answer_was_lost,
);

const JIT: &str = "POST /orgs/acme/actions/runners/generate-jitconfig";

async fn idempotency_states(w: &World) -> Vec<String> {
    crate::on_pool!(&w.app.db, p => sqlx::query_scalar::<_, String>("select state from idempotency_keys").fetch_all(p).await).expect("states")
}

async fn unmanaged_after_one_sync(w: &World) -> u64 {
    server::services::sync::run_cycle(&w.app.state).await.expect("sync cycle").unmanaged_detected
}

async fn a_client_cut_off_while_github_answers_leaks_no_slot_and_its_key_resolves(backend: Backend) {
    let w = world(backend, json!({ "max_runners": 1 })).await;
    let gate = w.app.gh().hold_next_jit();
    // A raw connection, so that cutting it off is a real close the server sees.
    let mut conn = tokio::net::TcpStream::connect(w.app.addr).await.expect("connect");
    let body = json!({ "runner_name": "cut" }).to_string();
    let head = format!(
        "POST /api/v1/runners/jit HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nIdempotency-Key: cut-1\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        w.app.addr,
        w.m2m_a,
        body.len()
    );
    tokio::io::AsyncWriteExt::write_all(&mut conn, head.as_bytes()).await.expect("send");
    // The request reserved its slot and is waiting for GitHub: cut the client off.
    let deadline = Instant::now() + Duration::from_secs(10);
    while w.app.gh().jit_calls.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the request never reached GitHub");
        tokio::task::yield_now().await;
    }
    drop(conn);
    // A round trip on another connection gives the server time to see the close (before the
    // fix, it then dropped the handler mid-provisioning); the work must not depend on when.
    assert_eq!(w.app.get("/healthz").await.status(), 200);
    gate.notify_one();

    // The work finishes without the client: the key resolves, the runner is recorded.
    while idempotency_states(&w).await != ["completed"] {
        assert!(Instant::now() < deadline, "the Idempotency-Key never resolved: {:?}", idempotency_states(&w).await);
        tokio::task::yield_now().await;
    }
    let replay =
        w.app.client.post(w.app.url("/api/v1/runners/jit")).bearer_auth(&w.m2m_a).header("idempotency-key", "cut-1").json(&json!({ "runner_name": "cut" }));
    let replay = replay.send().await.expect("replay");
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotency-replayed"], "true");
    let body: Value = json(replay).await;
    assert!(w.app.gh().runner(body["github_runner_id"].as_i64().expect("github id")).is_some());
    // The one slot holds that runner, nothing else: another request is over quota, not leaked.
    assert_eq!(w.provision(&w.m2m_a, &json!({ "runner_name": "second" })).await.status(), 429);
    assert_eq!(unmanaged_after_one_sync(&w).await, 0, "no orphan at GitHub");
}

async fn a_lost_jit_answer_is_recovered_without_leaving_an_orphan(backend: Backend) {
    let w = world(backend, json!({})).await;
    w.app.gh().lose_next_jit_response(GitHubError::Unavailable { message: "connection reset".into(), retry_after: None });
    let resp = w.provision(&w.m2m_a, &json!({ "runner_name": "lost", "labels": ["linux"] })).await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap_or_default());
    let body = json(resp).await;
    let runners = w.app.gh().runners();
    assert_eq!(runners.len(), 1, "the first attempt's runner was replaced, not left behind: {runners:?}");
    assert_eq!(runners[0].id, body["github_runner_id"].as_i64().expect("github id"));
    assert_eq!(unmanaged_after_one_sync(&w).await, 0);
    assert_eq!(w.app.db.count_security_events("unmanaged_runner_detected").await.expect("count"), 0);

    // A runner someone else connected under a name is never taken over.
    w.app.gh().put_runner(server::github::GitHubRunner { name: "taken".into(), status: "online".into(), labels: vec!["linux".into()], ..Default::default() });
    assert_eq!(w.provision(&w.m2m_a, &json!({ "runner_name": "taken", "labels": ["linux"] })).await.status(), 409);
}

async fn the_app_client_never_repeats_a_jit_post_whose_answer_was_lost(backend: Backend) {
    let peer = GitHubPeer::start().await;
    let w = world_using(peer.configure(app(backend)).env("GITHUB_INSTALLATION_ID", "77"), json!({})).await;
    // GitHub creates the runner, then answers 503.
    peer.gh().lose_next_jit_response(GitHubError::Unavailable { message: "lost".into(), retry_after: None });
    let resp = w.provision(&w.m2m_a, &json!({ "runner_name": "once", "labels": ["linux"] })).await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap_or_default());
    let body = json(resp).await;
    assert_eq!(peer.fake.count(JIT), 2, "the lost POST, then one after the orphan was removed");
    let runners = peer.gh().runners();
    assert_eq!(runners.len(), 1, "{runners:?}");
    assert_eq!(runners[0].id, body["github_runner_id"].as_i64().expect("github id"));
}
