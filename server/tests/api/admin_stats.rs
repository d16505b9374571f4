//! Admin statistics, the sync status and manual sync requests (API.md §14).

use app::contract::SecurityEventType;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::{Value, json};
use server::db::Db;
use server::db::audit::NewAudit;
use server::db::security_events::NewSecurityEvent;
use uuid::Uuid;

use crate::both_databases;
use crate::helpers::probe::Probe;
use crate::helpers::{Backend, TestApp, app, assert_error, json, oidc_app, spawn_app};
use crate::oidc_peer::OidcPeer;
use crate::seed;

both_databases!(
    stats_count_what_is_stored,
    sync_status_is_truthful_before_any_run_after_cycles_and_when_disabled,
    a_trigger_is_recorded_once_until_a_cycle_runs_and_refused_when_disabled,
    only_admins_reach_stats_and_sync,
);

macro_rules! exec {
    ($db:expr, $sql:expr $(, $arg:expr)*) => {
        crate::on_pool!($db, p => sqlx::query($sql)$(.bind($arg))*.execute(p).await.map(|_| ())).expect("exec")
    };
}

async fn runner(db: &Db, status: &str, team: Uuid) {
    let now = Utc::now();
    let name = format!("runner-{}", Uuid::new_v4().simple());
    exec!(
        db,
        "insert into runners (id, runner_name, status, runner_group_id, labels, team_id, provisioned_by, actor_type, created_at, updated_at) \
               values ($1, $2, $3, 1, '[]', $4, 'test', 'user', $5, $5)",
        Uuid::new_v4(),
        name,
        status.to_owned(),
        team,
        now
    );
}

async fn admin_user(db: &Db, email: &str, active: bool) {
    let now = Utc::now();
    exec!(
        db,
        "insert into users (id, email, is_admin, is_active, can_use_jit, created_at, updated_at) values ($1, $2, true, $3, true, $4, $4)",
        Uuid::new_v4(),
        email.to_owned(),
        active,
        now
    );
}

async fn severity(db: &Db, severity: &'static str) {
    let e = NewSecurityEvent {
        user_identity: "system".into(),
        violation_data: json!({}),
        ..NewSecurityEvent::new(SecurityEventType::LabelPolicyViolation, severity.parse().expect("severity"))
    };
    db.insert_security_event(&e).await.expect("event");
}

async fn stats_count_what_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let team = seed::team(&app.db, "web", true).await;
    seed::team(&app.db, "ml", true).await;
    seed::team(&app.db, "old", false).await;
    seed::user(&app.db, "u1@example.com", None, true).await;
    seed::user(&app.db, "u2@example.com", None, false).await;
    admin_user(&app.db, "a1@example.com", true).await;
    admin_user(&app.db, "a2@example.com", false).await;
    for status in ["pending", "pending", "idle", "busy", "busy", "offline", "deleted", "deleted", "deleted"] {
        runner(&app.db, status, team).await;
    }
    for s in ["low", "medium", "high", "high", "critical"] {
        severity(&app.db, s).await;
    }
    for success in [false, false, true] {
        let row = NewAudit { event_type: "deprovision".into(), actor_type: "system".into(), user_identity: "system".into(), success, ..Default::default() };
        app.db.append_audit(row).await.expect("audit");
    }
    app.login_admin().await;

    let resp = app.get("/api/v1/admin/stats").await;
    assert_eq!(resp.status(), 200);
    let body = json(resp).await;
    let generated = body["generated_at"].as_str().expect("generated_at");
    assert!(generated.len() == 27 && generated.ends_with('Z'), "{generated}");
    let mut counts = body.clone();
    counts.as_object_mut().expect("object").remove("generated_at");
    assert_eq!(
        counts,
        json!({
            "runners": { "total": 6, "active": 3, "idle": 1, "busy": 2, "offline": 1, "pending": 2 },
            "users": { "total": 5, "active": 3, "admins": 2 },
            "teams": { "total": 3, "active": 2 },
            "security": { "total_events": 5, "critical_events": 1, "high_events": 2 },
            // bootstrap + 3 appended + the login
            "audit": { "total_logs": 5, "failed_operations": 2 },
        })
    );
}

async fn status(app: &TestApp) -> Value {
    let resp = app.get("/api/v1/admin/sync/status").await;
    assert_eq!(resp.status(), 200);
    json(resp).await
}

fn fmt(t: DateTime<Utc>) -> String {
    app::contract::timestamp::format(&t)
}

async fn sync_status_is_truthful_before_any_run_after_cycles_and_when_disabled(backend: Backend) {
    let app = app(backend).env("SYNC_INTERVAL_SECONDS", "60").start().await;
    app.login_admin().await;
    assert_eq!(
        status(&app).await,
        json!({
            "enabled": true, "interval_seconds": 60, "worker_hostname": null, "worker_heartbeat": null,
            "last_sync_time": null, "last_sync_result": null, "last_sync_error": "Sync worker has not run yet",
            "lease_expires_at": null, "is_stale": false, "last_sync_duration_ms": null, "last_error_time": null,
        })
    );

    // What a worker leaves behind after a successful cycle is reported as it is.
    let now = Utc::now().trunc_subsecs(6);
    let result = json!({ "updated": 1, "deleted": 0, "unchanged": 2, "errors": 0, "total": 3, "expired": 0 });
    exec!(
        &app.db,
        "update sync_state set last_sync_time = $1, last_sync_result = $2, last_sync_duration_ms = 42, updated_at = $1 where singleton = 1",
        now - Duration::seconds(10),
        result.to_string()
    );
    exec!(
        &app.db,
        "update sync_lease set holder = 'worker-1', expires_at = $1, acquired_at = $2, renewed_at = $3 where name = 'sync'",
        now + Duration::seconds(30),
        now - Duration::seconds(600),
        now - Duration::seconds(5)
    );
    let s = status(&app).await;
    assert_eq!((s["worker_hostname"].clone(), s["worker_heartbeat"].clone()), (json!("worker-1"), json!(fmt(now - Duration::seconds(5)))));
    assert_eq!(s["lease_expires_at"], fmt(now + Duration::seconds(30)));
    assert_eq!(s["last_sync_time"], fmt(now - Duration::seconds(10)));
    assert_eq!((s["last_sync_result"].clone(), s["last_sync_duration_ms"].clone()), (result, json!(42)));
    assert_eq!((s["last_sync_error"].clone(), s["is_stale"].clone()), (Value::Null, json!(false)));

    // A later failure, an unreadable result, a success long ago, and a lapsed lease.
    exec!(
        &app.db,
        "update sync_state set last_sync_time = $1, last_sync_result = 'not json', last_sync_error = 'GitHub unreachable', last_error_time = $2 where singleton = 1",
        now - Duration::seconds(181),
        now - Duration::seconds(1)
    );
    exec!(&app.db, "update sync_lease set expires_at = $1 where name = 'sync'", now - Duration::seconds(1));
    let s = status(&app).await;
    assert_eq!(s["last_sync_result"], json!({ "error": "Invalid JSON in sync result" }));
    assert_eq!((s["last_sync_error"].clone(), s["last_error_time"].clone()), (json!("GitHub unreachable"), json!(fmt(now - Duration::seconds(1)))));
    assert_eq!(s["is_stale"], true, "no success for more than 3 × 60 s");
    assert_eq!(s["worker_hostname"], Value::Null, "the lease has lapsed: nobody holds it");
    assert_eq!(s["lease_expires_at"], fmt(now - Duration::seconds(1)));

    // A worker that took the lease long ago and never succeeded is stale too.
    exec!(&app.db, "update sync_state set last_sync_time = null where singleton = 1");
    assert_eq!(status(&app).await["is_stale"], true);

    // Disabled: said plainly, and never stale.
    let disabled = crate::helpers::app(backend).env("SYNC_ENABLED", "false").start().await;
    disabled.login_admin().await;
    let s = status(&disabled).await;
    assert_eq!((s["enabled"].clone(), s["interval_seconds"].clone()), (json!(false), json!(120)));
    assert_eq!((s["last_sync_error"].clone(), s["is_stale"].clone()), (json!("Sync is disabled"), json!(false)));
}

async fn trigger(app: &TestApp) -> reqwest::Response {
    app.client.post(app.url("/api/v1/admin/sync/trigger")).header("x-requested-with", "gharts").send().await.expect("request")
}

async fn a_trigger_is_recorded_once_until_a_cycle_runs_and_refused_when_disabled(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_admin().await;

    let resp = trigger(&app).await;
    assert_eq!(resp.status(), 202);
    let first = json(resp).await;
    assert_eq!(first["status"], "scheduled");
    let requested: DateTime<Utc> = first["requested_at"].as_str().expect("requested_at").parse().expect("timestamp");
    let rows = app.db.audit_rows_by_type("sync_triggered").await.expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].success, rows[0].timestamp, rows[0].user_identity.as_str()), (true, requested, "admin"));
    assert_eq!(app.db.latest_sync_request().await.expect("request"), Some(requested));

    // Still waiting for the worker: a second request adds nothing new.
    let second = json(trigger(&app).await).await;
    assert_eq!(second["status"], "already_running");
    // A cycle that ended after the pending request consumed it: the next one is scheduled.
    let after = |v: &Value| v["requested_at"].as_str().expect("requested_at").parse::<DateTime<Utc>>().expect("ts") + Duration::microseconds(1);
    exec!(&app.db, "update sync_state set last_sync_time = $1 where singleton = 1", after(&second));
    let third = json(trigger(&app).await).await;
    assert_eq!(third["status"], "scheduled");
    let fourth = json(trigger(&app).await).await;
    assert_eq!(fourth["status"], "already_running");
    // A failed cycle consumes a request just the same.
    exec!(&app.db, "update sync_state set last_sync_time = null, last_error_time = $1 where singleton = 1", after(&fourth));
    let fifth = json(trigger(&app).await).await;
    assert_eq!(fifth["status"], "scheduled");
    assert_eq!(app.db.audit_rows_by_type("sync_triggered").await.expect("rows").len(), 5);

    // Cookie-authenticated writes need the CSRF header.
    let resp = app.client.post(app.url("/api/v1/admin/sync/trigger")).send().await.expect("request");
    assert_error(resp, 403, "CSRF_CHECK_FAILED").await;

    // Disabled: 409, and the refusal is audited.
    let disabled = crate::helpers::app(backend).env("SYNC_ENABLED", "off").start().await;
    disabled.login_admin().await;
    let body = assert_error(trigger(&disabled).await, 409, "SYNC_DISABLED").await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("disabled")));
    let rows = disabled.db.audit_rows_by_type("sync_triggered").await.expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].success, rows[0].error_message.as_deref()), (false, Some("Sync is disabled")));
    assert_eq!(disabled.db.latest_sync_request().await.expect("request"), None, "a refused request is not a request");
}

async fn only_admins_reach_stats_and_sync(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    let team = seed::team(&app.db, "ci", true).await;
    seed::oauth_client(&app.db, "m2m-a", team, true).await;
    seed::user(&app.db, "alice@example.com", Some("alice-sub"), true).await;
    let anonymous = reqwest::Client::new();
    for token in [peer.user_token("alice").await, peer.m2m_token("m2m-a").await] {
        for path in ["/api/v1/admin/stats", "/api/v1/admin/sync/status", "/api/v1/admin/github"] {
            let e = assert_error(app.get_bearer(path, &token).await, 403, "FORBIDDEN").await;
            assert_eq!(e["detail"], "Admin privileges required");
            assert_error(anonymous.get(app.url(path)).send().await.expect("req"), 401, "UNAUTHENTICATED").await;
        }
        let resp = app.client.post(app.url("/api/v1/admin/sync/trigger")).bearer_auth(&token).send().await.expect("req");
        assert_error(resp, 403, "FORBIDDEN").await;
    }
    // A refused role check is not audited.
    assert!(app.db.audit_rows_by_type("sync_triggered").await.expect("rows").is_empty());
    let resp = app.client.get(app.url("/api/v1/admin/sync/trigger")).send().await.expect("req");
    assert_error(resp, 405, "METHOD_NOT_ALLOWED").await;
}
