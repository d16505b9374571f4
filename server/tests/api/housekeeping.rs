//! Sessions and records that must not outlive their purpose (issue 13, items 9 and 11): a
//! password change ends the user's sessions; the housekeeping loop removes expired sessions,
//! login attempts past the limiter window and expired idempotency records.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use server::db::{Db, now};

use crate::both_databases;
use crate::helpers::{ADMIN_PASSWORD, Backend, TestDb, app, assert_error};

both_databases!(set_password_ends_the_users_sessions, housekeeping_removes_what_has_expired_and_keeps_the_rest,);

async fn set_password_ends_the_users_sessions(backend: Backend) {
    let app = app(backend).start().await;
    app.login_admin().await;
    assert_eq!(app.get("/api/v1/auth/me").await.status(), 200);

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pw");
    std::fs::write(&file, "a-new-password-entirely\n").expect("write");
    let out = tokio::task::block_in_place(|| {
        crate::cli::gharts(&app.test_db.url)
            .args(["admin", "set-password", "--username", "admin", "--password-file", file.to_str().expect("utf8")])
            .output()
            .expect("run gharts")
    });
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    assert_error(app.get("/api/v1/auth/me").await, 401, "UNAUTHENTICATED").await;
    assert_eq!(count(&app.db, "select count(*) from sessions").await, 0);
    assert_error(app.login("admin", ADMIN_PASSWORD).await, 401, "INVALID_CREDENTIALS").await;
    assert_eq!(app.login("admin", "a-new-password-entirely").await.status(), 200);
}

async fn housekeeping_removes_what_has_expired_and_keeps_the_rest(backend: Backend) {
    let test_db = Arc::new(TestDb::new(backend).await);
    let config = app(backend).database(test_db.clone()).config().await;
    let db = server::prepare(&config).await.expect("prepare");
    let admin = db.find_user_by_username("admin").await.expect("db").expect("admin").id;
    let t = now();
    let mins = |m: i64| t + chrono::Duration::minutes(m);
    for (id, idle, absolute) in [("idle-expired", mins(-1), mins(60)), ("absolute-expired", mins(30), mins(-1)), ("live", mins(30), mins(60))] {
        crate::on_pool!(&db, p => sqlx::query(
            "insert into sessions (id_hash, user_id, auth_method, created_at, last_seen_at, idle_expires_at, absolute_expires_at) \
             values ($1, $2, 'local', $3, $3, $4, $5)")
            .bind(id).bind(admin).bind(mins(-120)).bind(idle).bind(absolute).execute(p).await.map(|_| ()))
        .expect("session");
    }
    for (user, at) in [("old", mins(-16)), ("recent", mins(-1))] {
        crate::on_pool!(&db, p => sqlx::query("insert into login_failures (username_lower, client_ip, failed_at) values ($1, '192.0.2.1', $2)")
            .bind(user).bind(at).execute(p).await.map(|_| ()))
        .expect("failure");
    }
    for (key, expires) in [("expired", mins(-1)), ("live", mins(30))] {
        insert_idempotency(&db, key, mins(-60), expires).await;
    }
    db.close().await;

    // The server's housekeeping runs at start, then every minute.
    let app = app(backend).database(test_db).start().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&app.db, "select count(*) from sessions").await > 1
        || count(&app.db, "select count(*) from login_failures").await > 1
        || count(&app.db, "select count(*) from idempotency_keys").await > 1
    {
        assert!(Instant::now() < deadline, "housekeeping did not run");
        tokio::task::yield_now().await;
    }
    assert_eq!(ids(&app.db, "select id_hash from sessions").await, ["live"]);
    assert_eq!(ids(&app.db, "select username_lower from login_failures").await, ["recent"]);
    assert_eq!(ids(&app.db, "select idem_key from idempotency_keys").await, ["live"]);
}

async fn insert_idempotency(db: &Db, key: &str, created: DateTime<Utc>, expires: DateTime<Utc>) {
    crate::on_pool!(db, p => sqlx::query(
        "insert into idempotency_keys (principal_key, idem_key, request_hash, state, response_body, created_at, expires_at) \
         values ('m2m:ci', $1, 'h', 'completed', '{\"encoded_jit_config\":\"secret\"}', $2, $3)")
        .bind(key).bind(created).bind(expires).execute(p).await.map(|_| ()))
    .expect("idempotency record");
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    crate::on_pool!(db, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await).expect("count")
}

async fn ids(db: &Db, sql: &'static str) -> Vec<String> {
    crate::on_pool!(db, p => sqlx::query_scalar::<_, String>(sql).fetch_all(p).await).expect("ids")
}
