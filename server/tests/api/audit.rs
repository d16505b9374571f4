//! The hash-chained, append-only audit log (API.md §3.7).

use serde_json::{Value, json};

use crate::both_databases;
use crate::helpers::probe::Probe;
use crate::helpers::{Backend, TestApp, assert_error, json, spawn_app};
use server::db::Db;

both_databases!(a_tampered_row_is_reported_as_the_first_broken_link, a_removed_row_or_tail_is_reported_as_a_chain_mismatch);

/// `GET /api/v1/admin/audit-logs/verify` with the app's (admin) session.
async fn verify(app: &TestApp, query: &str) -> Value {
    let resp = app.get(&format!("/api/v1/admin/audit-logs/verify{query}")).await;
    assert_eq!(resp.status(), 200);
    json(resp).await
}

/// The fields that do not depend on timing.
fn summary(v: &Value) -> Value {
    json!({
        "status": v["status"], "checked_count": v["checked_count"], "first_id": v["first_id"], "last_id": v["last_id"],
        "first_broken_id": v["first_broken_id"], "reason": v["reason"],
    })
}

async fn exec(db: &Db, sql: &'static str) -> Result<(), sqlx::Error> {
    crate::on_pool!(db, p => sqlx::query(sql).execute(p).await.map(|_| ()))
}

async fn a_tampered_row_is_reported_as_the_first_broken_link(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..3 {
        app.login_admin().await;
    }
    app.seal_audit().await;
    let report = app.db.verify_audit_chain().await.expect("verify");
    assert_eq!(report.checked, 4, "bootstrap + 3 logins");
    assert_eq!(report.first_broken_id, None);

    // The same check over HTTP, for the whole chain and for ranges (reads write no rows).
    let whole = verify(&app, "").await;
    assert_eq!(summary(&whole), json!({ "status": "ok", "checked_count": 4, "first_id": 1, "last_id": 4, "first_broken_id": null, "reason": null }));
    let head = app.db.audit_rows_by_type("login").await.expect("rows").pop().expect("last login");
    assert_eq!(whole["head_hash"], head.hash.as_deref().expect("sealed"));
    assert!(whole["verified_at"].as_str().is_some_and(|t| t.ends_with('Z')) && whole["duration_ms"].as_i64().is_some_and(|d| d >= 0));
    assert_eq!(summary(&verify(&app, "?from_id=2&to_id=3").await)["checked_count"], 2);
    assert_eq!(
        summary(&verify(&app, "?from_id=3").await),
        json!({ "status": "ok", "checked_count": 2, "first_id": 3, "last_id": 4, "first_broken_id": null, "reason": null })
    );
    assert_eq!(
        summary(&verify(&app, "?from_id=10").await),
        json!({ "status": "empty", "checked_count": 0, "first_id": null, "last_id": null, "first_broken_id": null, "reason": null })
    );
    assert_eq!(verify(&app, "?from_id=10").await["head_hash"], Value::Null);
    assert_error(app.get("/api/v1/admin/audit-logs/verify?from_id=3&to_id=2").await, 422, "VALIDATION_ERROR").await;

    // The database refuses edits and deletions…
    assert!(exec(&app.db, "update audit_log set success = false where id = 2").await.is_err());
    assert!(exec(&app.db, "delete from audit_log where id = 3").await.is_err());

    // …so an attacker with DDL rights switches the guard off first; verify still notices.
    match backend {
        Backend::Sqlite => exec(&app.db, "drop trigger audit_log_no_update").await,
        Backend::Postgres => exec(&app.db, "alter table audit_log disable trigger audit_log_no_update").await,
    }
    .expect("disable guard");
    exec(&app.db, "update audit_log set user_identity = 'someone-else' where id = 3").await.expect("tamper");
    let report = app.db.verify_audit_chain().await.expect("verify");
    assert_eq!(report.first_broken_id, Some(3));
    let broken = verify(&app, "").await;
    assert_eq!(
        summary(&broken),
        json!({ "status": "broken", "checked_count": 3, "first_id": 1, "last_id": 3, "first_broken_id": 3, "reason": "hash_mismatch" })
    );
    // Starting after the edited row trusts its stored hash: the rest still links.
    assert_eq!(verify(&app, "?from_id=4").await["status"], "ok");
    assert_eq!(verify(&app, "?to_id=2").await["status"], "ok");
}

async fn a_removed_row_or_tail_is_reported_as_a_chain_mismatch(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..5 {
        app.login_admin().await;
    }
    app.seal_audit().await;
    match backend {
        Backend::Sqlite => exec(&app.db, "drop trigger audit_log_no_delete").await,
        Backend::Postgres => exec(&app.db, "alter table audit_log disable trigger audit_log_no_delete").await,
    }
    .expect("disable guard");

    // Row 4 is intact, but its link now points at a row that is gone.
    exec(&app.db, "delete from audit_log where id = 3").await.expect("remove");
    assert_eq!(
        summary(&verify(&app, "").await),
        json!({ "status": "broken", "checked_count": 3, "first_id": 1, "last_id": 4, "first_broken_id": 4, "reason": "chain_mismatch" })
    );
    assert_eq!(verify(&app, "?to_id=2").await["status"], "ok");

    // A cut-off tail links perfectly; the recorded chain head still notices.
    exec(&app.db, "delete from audit_log where id = 6").await.expect("remove tail");
    let tail = verify(&app, "?from_id=5").await;
    assert_eq!(
        summary(&tail),
        json!({ "status": "broken", "checked_count": 1, "first_id": 5, "last_id": 5, "first_broken_id": 6, "reason": "chain_mismatch" })
    );
    assert_eq!(verify(&app, "?from_id=4&to_id=5").await["status"], "broken");
    assert_eq!(verify(&app, "?from_id=5&to_id=5").await["status"], "ok");
}
