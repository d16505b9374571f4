//! What bounds local login under abuse (issue 13, items 1 and 2; README "Security"): a flood
//! with random usernames from many addresses, parallel guesses at one account, the per-address
//! limiter (IPv6 per /64) and the per-account limit across addresses.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};
use tokio::process::Child;

use crate::both_databases;
use crate::helpers::probe::Probe as _;
use crate::helpers::{ADMIN_PASSWORD, Backend, TestApp, TestDb, app, assert_error, spawn_gharts};

both_databases!(
    a_flood_of_logins_from_many_addresses_stays_within_its_memory_bound_and_answers_everyone,
    parallel_guesses_at_one_account_get_five_checks_then_429_and_one_lock_event,
    the_address_limiter_refuses_before_any_check_and_groups_ipv6_by_64,
    the_account_limit_holds_across_addresses,
);

/// A login through the trusted proxy on behalf of `client_ip` (`X-Forwarded-For`).
async fn login_from(http: &reqwest::Client, base: &str, client_ip: &str, username: &str, password: &str) -> reqwest::Response {
    http.post(format!("{base}/auth/local-login"))
        .header("x-requested-with", "gharts")
        .header("x-forwarded-for", client_ip)
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("every login is answered")
}

/// The real binary on its own port; returns once it logs that it listens.
async fn start_gharts(db: &TestDb, extra: &[(&str, &str)]) -> (Child, String) {
    let env: Vec<(&str, &str)> =
        [("BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD), ("SYNC_ENABLED", "false"), ("LOG_LEVEL", "info")].into_iter().chain(extra.iter().copied()).collect();
    let (child, port, mut lines) = spawn_gharts(db, &env);
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("read log") {
            if serde_json::from_str::<Value>(&line).is_ok_and(|f| f["message"].as_str().is_some_and(|m| m.starts_with("gharts listening"))) {
                break;
            }
        }
    })
    .await
    .expect("gharts listens within 30 s");
    // Keep draining the log so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, format!("http://127.0.0.1:{port}"))
}

/// The process's peak resident set (`VmHWM`), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("kB value")
}

/// The bound: the idle debug process (~50 MiB), four argon2 working buffers (19 MiB each, the
/// default `LOGIN_MAX_CONCURRENT_HASHES`) and ~44 MiB for 200 connections and the allocator.
/// Measured: 120–140 MiB. Before the bound, 200 checks at once peaked at 3.9 GiB.
const FLOOD_RSS_BOUND_KIB: u64 = 170 * 1024;

async fn a_flood_of_logins_from_many_addresses_stays_within_its_memory_bound_and_answers_everyone(backend: Backend) {
    let db = TestDb::new(backend).await;
    // Every request claims its own address, as a botnet's would: the per-address limiter never
    // triggers, so the bound on concurrent checks is what holds.
    let (child, base) = start_gharts(&db, &[("TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    let pid = child.id().expect("pid");
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).timeout(Duration::from_secs(60)).build().expect("client");

    let logins = (0..200u32).map(|i| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let ip = format!("198.18.{}.{}", i / 250, i % 250 + 1);
            let user = format!("random-{}", uuid::Uuid::new_v4().simple());
            login_from(&http, &base, &ip, &user, "guess").await.status().as_u16()
        }
    });
    let statuses = join_all(logins).await;
    assert_eq!(statuses.len(), 200);
    assert!(statuses.iter().all(|s| matches!(s, 401 | 429)), "every login answered 401 or 429: {statuses:?}");
    assert!(statuses.contains(&401), "some logins were checked");

    let peak = peak_rss_kib(pid);
    assert!(peak < FLOOD_RSS_BOUND_KIB, "peak RSS {peak} KiB exceeds the bound of {FLOOD_RSS_BOUND_KIB} KiB");

    let resp = login_from(&http, &base, "198.18.200.1", "admin", ADMIN_PASSWORD).await;
    assert_eq!(resp.status(), 200, "a correct login right after the flood succeeds");
    drop(child);
}

async fn parallel_guesses_at_one_account_get_five_checks_then_429_and_one_lock_event(backend: Backend) {
    // Plenty of check slots, so only the per (username, IP) limit decides.
    let app = app(backend).env("LOGIN_MAX_CONCURRENT_HASHES", "64").start().await;
    let guesses = (0..50).map(|_| app.login("admin", "wrong"));
    let responses = join_all(guesses).await;
    let mut checked = 0;
    for resp in responses {
        match resp.status().as_u16() {
            401 => checked += 1,
            429 => {
                assert!(resp.headers().contains_key("retry-after"));
                assert_error(resp, 429, "RATE_LIMITED").await;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(checked, 5, "exactly five guesses were checked");
    assert_eq!(app.db.count_security_events("local_login_locked").await.expect("count"), 1);
    let failed = app.db.audit_rows_by_type("login_failed").await.expect("audit");
    let invalid = failed.iter().filter(|r| r.error_message.as_deref() == Some("invalid_credentials")).count();
    assert_eq!(invalid, 5);
    // The right password is refused too while the limit holds.
    assert_error(app.login("admin", ADMIN_PASSWORD).await, 429, "RATE_LIMITED").await;
}

async fn the_address_limiter_refuses_before_any_check_and_groups_ipv6_by_64(backend: Backend) {
    let app = app(backend).env("TRUSTED_PROXIES", "127.0.0.1/32").env("LOGIN_IP_ATTEMPTS_PER_MINUTE", "3").start().await;
    let attempt = |ip: &'static str, user: &'static str| login_from(&app.client, &app.base, ip, user, "guess");
    for user in ["a", "b", "c"] {
        assert_error(attempt("2001:db8:1:2::1", user).await, 401, "INVALID_CREDENTIALS").await;
    }
    // Another address in the same /64, another username: refused before any check.
    let refused = attempt("2001:db8:1:2:ffff::7", "d").await;
    let retry: u64 = refused.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    assert_error(refused, 429, "RATE_LIMITED").await;
    assert_eq!(app.db.audit_rows_by_type("login_failed").await.expect("audit").len(), 3, "nothing recorded for the refused attempt");
    assert_eq!(count_attempts(&app, "d").await, 0);
    // Another /64 and an IPv4 address have their own allowance.
    assert_error(attempt("2001:db8:1:3::1", "d").await, 401, "INVALID_CREDENTIALS").await;
    assert_eq!(login_from(&app.client, &app.base, "192.0.2.10", "admin", ADMIN_PASSWORD).await.status(), 200);
}

async fn the_account_limit_holds_across_addresses(backend: Backend) {
    let app = app(backend).env("TRUSTED_PROXIES", "127.0.0.1/32").env("LOGIN_ACCOUNT_MAX_FAILURES", "7").start().await;
    let attempt = |ip: &'static str, password: &'static str| login_from(&app.client, &app.base, ip, "admin", password);
    for _ in 0..5 {
        assert_error(attempt("192.0.2.1", "wrong").await, 401, "INVALID_CREDENTIALS").await;
    }
    assert_error(attempt("192.0.2.1", "wrong").await, 429, "RATE_LIMITED").await;
    for _ in 0..2 {
        assert_error(attempt("192.0.2.2", "wrong").await, 401, "INVALID_CREDENTIALS").await;
    }
    // Seven failures from any address: the account is closed, even to the right password elsewhere.
    assert_error(attempt("192.0.2.3", ADMIN_PASSWORD).await, 429, "RATE_LIMITED").await;
    // One event for 192.0.2.1's limit, one for the account's.
    assert_eq!(app.db.count_security_events("local_login_locked").await.expect("count"), 2);
}

async fn count_attempts(app: &TestApp, username: &str) -> i64 {
    crate::on_pool!(&app.db, p => sqlx::query_scalar::<_, i64>("select count(*) from login_failures where username_lower = $1")
        .bind(username)
        .fetch_one(p)
        .await)
    .expect("count")
}
