//! The bootstrap admin (API.md §2.6): created once, across restarts and racing replicas.

use std::sync::Arc;

use crate::both_databases;
use server::db::Db;

use crate::helpers::probe::Probe as _;
use crate::helpers::{Backend, TestDb, app, assert_error};

both_databases!(
    restarting_twice_creates_one_admin_and_one_audit_entry,
    two_replicas_starting_at_once_create_one_admin,
    a_changed_bootstrap_password_never_overwrites_the_existing_user,
);

async fn restarting_twice_creates_one_admin_and_one_audit_entry(backend: Backend) {
    let db = Arc::new(TestDb::new(backend).await);
    for _ in 0..3 {
        let app = app(backend).database(db.clone()).start().await;
        app.login_admin().await;
        app.stop().await;
    }
    let app = app(backend).database(db.clone()).start().await;
    assert_eq!(app.db.count_users_named("admin").await.expect("count"), 1);
    let created = app.db.audit_rows_by_type("bootstrap_admin_created").await.expect("audit");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].actor_type, "system");
    assert_eq!(created[0].event_data.as_deref(), Some(r#"{"username":"admin"}"#));
}

async fn two_replicas_starting_at_once_create_one_admin(backend: Backend) {
    let db = Arc::new(TestDb::new(backend).await);
    // Migrate first (as the chart's migration job does), then race the bootstrap itself.
    let first = app(backend).database(db.clone()).env("BOOTSTRAP_ADMIN_PASSWORD", "").start().await;
    let mut a = app(backend).database(db.clone());
    let mut b = app(backend).database(db.clone());
    let (ca, cb) = (a.config().await, b.config().await);
    // Two replicas: two pools on one database.
    let (dba, dbb) = (Db::connect(&ca.database).await.expect("a"), Db::connect(&cb.database).await.expect("b"));
    let (ra, rb) =
        tokio::join!(server::bootstrap::ensure_bootstrap_admin(&dba, &ca.local_auth), server::bootstrap::ensure_bootstrap_admin(&dbb, &cb.local_auth),);
    let created = [ra.expect("replica a"), rb.expect("replica b")];
    assert_eq!(created.iter().filter(|c| **c).count(), 1, "exactly one replica creates it: {created:?}");
    assert_eq!(first.db.count_users_named("admin").await.expect("count"), 1);
    assert_eq!(first.db.audit_rows_by_type("bootstrap_admin_created").await.expect("audit").len(), 1);
}

async fn a_changed_bootstrap_password_never_overwrites_the_existing_user(backend: Backend) {
    let db = Arc::new(TestDb::new(backend).await);
    app(backend).database(db.clone()).start().await.stop().await;
    let app = app(backend).database(db.clone()).env("BOOTSTRAP_ADMIN_PASSWORD", "a-new-password").start().await;
    assert_error(app.login("admin", "a-new-password").await, 401, "INVALID_CREDENTIALS").await;
    app.login_admin().await;
}
