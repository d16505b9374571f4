//! Sync cycles against the fake GitHub: lifecycle by GitHub id, unused-config expiry, owner
//! deactivation, label drift in audit and enforce modes, unmanaged runners, paging via Prism.

use serde_json::{Value, json};
use server::github::GitHubRunner;
use server::services::sync::{SyncReport, run_and_record};
use uuid::Uuid;

use crate::both_databases;
use crate::github_peer::GitHubPeer;
use crate::helpers::probe::Probe as _;
use crate::helpers::world::{World, world, world_using};
use crate::helpers::{Backend, app, json};

async fn provision(w: &World, name: &str) -> (Uuid, i64) {
    let resp = w.provision(&w.m2m_a, &json!({ "runner_name": name })).await;
    assert_eq!(resp.status(), 201, "provision {name}");
    let body = json(resp).await;
    (body["runner_id"].as_str().expect("id").parse().expect("uuid"), body["github_runner_id"].as_i64().expect("github id"))
}

async fn cycle(w: &World) -> SyncReport {
    run_and_record(&w.app.state).await.expect("sync cycle")
}

async fn status_of(w: &World, id: Uuid) -> Value {
    w.app.db.find_runner(id).await.expect("db").map(|r| json!({ "status": r.status, "reason": r.deletion_reason })).expect("row")
}

async fn events(w: &World, event_type: &str) -> i64 {
    w.app.db.count_security_events(event_type).await.expect("count")
}

both_databases!(
    runners_follow_github_through_their_lifecycle,
    unused_configs_are_reclaimed_after_the_expiry,
    pending_runners_of_a_deactivated_team_are_reclaimed,
    pending_runners_of_a_user_disabled_in_a_batch_are_reclaimed,
    label_drift_is_reported_once_in_audit_mode,
    label_drift_deletes_the_runner_in_enforce_mode,
    unmanaged_runners_are_reported_once_and_never_deleted,
);

async fn runners_follow_github_through_their_lifecycle(backend: Backend) {
    let w = world(backend, json!({})).await;
    let (id, gid) = provision(&w, "life").await;
    assert_eq!(cycle(&w).await.unchanged, 1, "GitHub pre-registers JIT runners as offline: still pending");
    assert_eq!(status_of(&w, id).await["status"], "pending");
    for (gh_status, busy, expected) in [("online", false, "idle"), ("online", true, "busy"), ("offline", false, "offline")] {
        w.app.gh().set_state(gid, gh_status, busy);
        let r = cycle(&w).await;
        assert_eq!((r.updated, status_of(&w, id).await["status"].clone()), (1, json!(expected)));
    }
    w.app.gh().remove_runner(gid);
    assert_eq!(cycle(&w).await.deleted, 1);
    assert_eq!(status_of(&w, id).await, json!({ "status": "deleted", "reason": "not_found_in_github" }));
    // The status page shows the last result.
    let st = json(w.app.get("/api/v1/admin/sync/status").await).await;
    assert_eq!(st["last_sync_result"]["deleted"], 1, "{st}");
    assert_eq!(st["last_sync_error"], Value::Null);
    let text = w.app.get("/metrics").await.text().await.expect("metrics");
    assert!(text.contains(r#"gharts_runner_state_transitions_total{from_status="pending",source="sync",to_status="idle"} 1"#), "{text}");
    // Runner counts per status and team, zeros included, refreshed by the cycle.
    assert!(text.contains(r#"gharts_runners_by_status{status="offline",team="team-a"} 0"#), "{text}");
    assert!(text.contains(r#"gharts_runners_by_status{status="busy",team="team-b"} 0"#), "{text}");
}

async fn unused_configs_are_reclaimed_after_the_expiry(backend: Backend) {
    let w = world(backend, json!({})).await;
    let (id, gid) = provision(&w, "unused").await;
    let (used, used_gid) = provision(&w, "used").await;
    w.app.gh().set_state(used_gid, "online", false);
    assert_eq!(cycle(&w).await.expired, 0, "not expired yet");
    let past = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    for r in [id, used] {
        crate::seed::runner_expiry(&w.app.db, r, past).await;
    }
    let r = cycle(&w).await;
    assert_eq!((r.expired, r.deleted), (1, 1));
    assert_eq!(status_of(&w, id).await, json!({ "status": "deleted", "reason": "jit_unused_expired" }));
    assert!(w.app.gh().runner(gid).is_none(), "deleted at GitHub");
    assert_eq!(status_of(&w, used).await["status"], "idle", "a runner that came online is never expired");
}

async fn pending_runners_of_a_deactivated_team_are_reclaimed(backend: Backend) {
    let w = world(backend, json!({})).await;
    let (id, gid) = provision(&w, "orphan").await;
    let resp = w.app.post_json(&format!("/api/v1/admin/teams/{}/deactivate", w.team_a), &json!({ "reason": "incident" })).await;
    assert_eq!(resp.status(), 200);
    let r = cycle(&w).await;
    assert_eq!((r.reclaimed_owner_deactivated, r.deleted), (1, 1));
    assert_eq!(status_of(&w, id).await, json!({ "status": "deleted", "reason": "owner_deactivated" }));
    assert!(w.app.gh().runner(gid).is_none());
}

/// The incident flow (API.md §10.4, §10.7.1): a user disabled in a batch keeps no unused JIT
/// config; the next cycle deletes their `pending` runners (at GitHub too) but leaves one that
/// is already online, and another member's runner, alone.
async fn pending_runners_of_a_user_disabled_in_a_batch_are_reclaimed(backend: Backend) {
    let w = world(backend, json!({})).await;
    let bob = crate::seed::user(&w.app.db, "bob@example.com", Some("bob-sub"), true).await;
    crate::seed::member(&w.app.db, w.team_a, bob).await;
    let token = w.peer.user_token("bob").await;
    let mut bobs = Vec::new();
    for name in ["bob-one", "bob-two", "bob-online"] {
        let resp = w.provision(&token, &json!({ "runner_name": name })).await;
        assert_eq!(resp.status(), 201, "provision {name}");
        let body = json(resp).await;
        bobs.push((body["runner_id"].as_str().expect("id").parse::<Uuid>().expect("uuid"), body["github_runner_id"].as_i64().expect("gid")));
    }
    let (others, _) = provision(&w, "team-runner").await;
    w.app.gh().set_state(bobs[2].1, "online", false);
    assert_eq!(cycle(&w).await.reclaimed_owner_deactivated, 0, "bob is still active");
    let resp = w.app.post_json("/api/v1/admin/batch/disable-users", &json!({ "comment": "laptop stolen, incident 42", "user_ids": [bob] })).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap_or_default());
    let r = cycle(&w).await;
    assert_eq!((r.reclaimed_owner_deactivated, r.deleted), (2, 2), "{r:?}");
    for (id, gid) in &bobs[..2] {
        assert_eq!(status_of(&w, *id).await, json!({ "status": "deleted", "reason": "owner_deactivated" }));
        assert!(w.app.gh().runner(*gid).is_none(), "deleted at GitHub");
    }
    assert_eq!(status_of(&w, bobs[2].0).await["status"], "idle", "a runner already online is not reclaimed");
    assert_eq!(status_of(&w, others).await["status"], "pending", "the M2M client's runner stays");
    // The deletions are audited with the sync as their actor.
    let audit = json(w.app.get("/api/v1/audit-logs?event_type=runner_removed&limit=10").await).await;
    assert_eq!(audit["total"].as_i64().unwrap_or(-1), 2, "{audit}");
    for row in audit["logs"].as_array().expect("logs") {
        assert_eq!((row["actor_type"].as_str(), row["event_data"]["reason"].as_str()), (Some("system"), Some("owner_deactivated")), "{row}");
    }
}

async fn label_drift_is_reported_once_in_audit_mode(backend: Backend) {
    let w = world(backend, json!({})).await;
    let (id, gid) = provision(&w, "drifter").await;
    w.app.gh().set_labels(gid, &["self-hosted", "prod-deploy"]);
    assert_eq!(cycle(&w).await.label_drifts, 1);
    assert_eq!(cycle(&w).await.label_drifts, 0, "reported once");
    assert_eq!(events(&w, "label_drift_detected").await, 1);
    assert_eq!(status_of(&w, id).await["status"], "pending", "audit mode keeps the runner");
    assert!(w.app.gh().runner(gid).is_some());
}

async fn label_drift_deletes_the_runner_in_enforce_mode(backend: Backend) {
    let w = world_using(app(backend).env("LABEL_POLICY_ENFORCEMENT", "enforce"), json!({})).await;
    let (id, gid) = provision(&w, "drifter").await;
    w.app.gh().set_labels(gid, &["SELF-HOSTED", "evil"]);
    let r = cycle(&w).await;
    assert_eq!((r.label_drifts, r.deleted), (1, 1));
    assert_eq!(status_of(&w, id).await, json!({ "status": "deleted", "reason": "label_drift" }));
    assert!(w.app.gh().runner(gid).is_none());
    assert_eq!(events(&w, "label_drift_detected").await, 1);
}

async fn unmanaged_runners_are_reported_once_and_never_deleted(backend: Backend) {
    let w = world(backend, json!({})).await;
    provision(&w, "ours").await;
    let rogue = w.app.gh().put_runner(GitHubRunner { name: "rogue".into(), status: "online".into(), labels: vec!["gpu".into()], ..Default::default() });
    assert_eq!(cycle(&w).await.unmanaged_detected, 1);
    assert_eq!(cycle(&w).await.unmanaged_detected, 0);
    assert_eq!(events(&w, "unmanaged_runner_detected").await, 1);
    assert!(w.app.gh().runner(rogue).is_some(), "never deleted");
    let text = w.app.get("/metrics").await.text().await.expect("metrics");
    assert!(text.contains("gharts_sync_unmanaged_runners 1"), "{text}");
}

/// Through Prism: an organisation of 250 runners is read in three pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_list_is_read_page_by_page_through_github_schemas() {
    crate::skip_without!(Prism, OpenIdProvider);
    let peer = GitHubPeer::start().await;
    let w = world_using(peer.configure(app(Backend::Sqlite)).env("GITHUB_INSTALLATION_ID", "77"), json!({})).await;
    let (id, gid) = provision(&w, "mine").await;
    for i in 0..249 {
        peer.gh().put_runner(GitHubRunner { name: format!("other-{i}"), status: "offline".into(), labels: vec!["x".into()], ..Default::default() });
    }
    peer.gh().set_state(gid, "online", true);
    let r = cycle(&w).await;
    assert_eq!((r.github_pages_fetched, r.updated, r.unmanaged_detected), (3, 1, 249));
    assert_eq!(peer.fake.count("GET /orgs/acme/actions/runners?"), 3);
    assert_eq!(status_of(&w, id).await["status"], "busy");
}

/// Waits (bounded) until the sync status satisfies `done`; returns it.
async fn status_until(w: &World, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let st = json(w.app.get("/api/v1/admin/sync/status").await).await;
        if done(&st) {
            return st;
        }
        assert!(std::time::Instant::now() < deadline, "sync status never got there: {st}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The worker in the app: it takes the lease, runs a cycle at once, and runs another as soon
/// as an admin asks (`POST /admin/sync/trigger`), long before the interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_runs_a_cycle_when_an_admin_asks() {
    crate::skip_without!(OpenIdProvider);
    let w = world_using(app(Backend::Sqlite).env("SYNC_INTERVAL_SECONDS", "3600").env("SYNC_LEASE_SECONDS", "3"), json!({})).await;
    let (stop, rx) = tokio::sync::watch::channel(false);
    let worker = server::services::sync_worker::spawn(w.app.state.clone(), rx);
    let first = status_until(&w, |st| st["last_sync_time"].is_string()).await;
    assert!(first["worker_hostname"].is_string(), "{first}");
    let (_, gid) = provision(&w, "asked-for").await;
    w.app.gh().set_state(gid, "online", false);
    let resp = w.app.post_json("/api/v1/admin/sync/trigger", &json!({})).await;
    assert_eq!(resp.status(), 202);
    let st = status_until(&w, |st| st["last_sync_time"] != first["last_sync_time"]).await;
    assert_eq!(st["last_sync_result"]["updated"], 1, "{st}");
    let _ = stop.send(true);
    worker.await.expect("worker stops");
    assert_eq!(json(w.app.get("/api/v1/admin/sync/status").await).await["worker_hostname"], Value::Null, "lease released");
}
