//! Graceful shutdown: a request in flight completes; nothing new is accepted; the server
//! exits within 5 s.

use std::time::{Duration, Instant};

use server::db::Db;
use sqlx::Connection;

use crate::helpers::{ADMIN_PASSWORD, Backend, spawn_app};

/// Blocks a login on a row lock held by the test, observes it waiting in `pg_stat_activity`,
/// then shuts down: the login still completes with 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_completes_after_shutdown_begins() {
    if !crate::helpers::postgres_available("shutdown::a_request_in_flight_completes_after_shutdown_begins") {
        return;
    }
    let mut app = spawn_app(Backend::Postgres).await;
    let mut locker = sqlx::PgConnection::connect(&app.test_db.url).await.expect("connect");
    // `for no key update` blocks the login's `update users`, not its session insert's FK check.
    let mut tx = locker.begin().await.expect("begin");
    sqlx::query("select id from users where username = 'admin' for no key update").execute(&mut *tx).await.expect("lock");

    let client = app.client.clone();
    let url = app.url("/auth/local-login");
    let login = tokio::spawn(async move {
        client.post(url).header("x-requested-with", "gharts").json(&serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD })).send().await
    });

    // Wait until the login's `update users` is blocked on our lock: it is in flight.
    let Db::Postgres(pool) = &app.db else { unreachable!("postgres app") };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let waiting: i64 =
            sqlx::query_scalar("select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like 'update users set last_login_at%'")
                .fetch_one(pool)
                .await
                .expect("pg_stat_activity");
        if waiting > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the login never reached the lock");
        tokio::task::yield_now().await;
    }

    let started = Instant::now();
    let server = app.begin_shutdown();
    // New connections are refused once shutdown has begun.
    let refused = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if tokio::net::TcpStream::connect(app.addr).await.is_err() {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(refused.is_ok(), "listener still accepting after shutdown");

    tx.commit().await.expect("release the lock");
    let resp = login.await.expect("join").expect("in-flight request completed");
    assert_eq!(resp.status(), 200);
    tokio::time::timeout(Duration::from_secs(5), server).await.expect("exited within 5 s").expect("join").expect("clean exit");
    assert!(started.elapsed() < Duration::from_secs(5));
}
