//! The hash-chained, append-only audit log (API.md §3.7).

use crate::both_databases;
use crate::helpers::{Backend, spawn_app};
use server::db::Db;

both_databases!(a_tampered_row_is_reported_as_the_first_broken_link);

async fn exec(db: &Db, sql: &'static str) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    }
}

async fn a_tampered_row_is_reported_as_the_first_broken_link(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..3 {
        app.login_admin().await;
    }
    let report = app.db.verify_audit_chain().await.expect("verify");
    assert_eq!(report.checked, 4, "bootstrap + 3 logins");
    assert_eq!(report.first_broken_id, None);

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
}
