//! `POST /auth/local-login` (API.md §6.4): credentials, the limiter, CSRF, the session cookie.

use crate::both_databases;
use crate::helpers::probe::Probe as _;
use crate::helpers::{ADMIN_PASSWORD, Backend, app, assert_error, json, spawn_app};

both_databases!(
    the_bootstrap_admin_logs_in_and_gets_a_hardened_session_cookie,
    wrong_or_unknown_credentials_get_the_same_generic_401,
    the_sixth_failure_in_the_window_is_rate_limited_without_checking_the_password,
    login_without_the_csrf_header_or_a_same_origin_origin_is_refused,
    with_public_url_only_its_origin_passes_the_csrf_rule,
    login_is_404_when_local_login_is_disabled,
    a_deactivated_account_cannot_log_in,
);

async fn the_bootstrap_admin_logs_in_and_gets_a_hardened_session_cookie(backend: Backend) {
    let app = spawn_app(backend).await;

    let resp = app.login("ADMIN", ADMIN_PASSWORD).await;
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers()["set-cookie"].to_str().expect("ascii").to_owned();
    for attr in ["gharts_session=", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=28800"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(!cookie.contains("Secure"), "plain http without PUBLIC_URL: no Secure");
    let me = json(resp).await;
    assert_eq!(me["username"], "admin");
    assert_eq!(me["is_admin"], true);
    assert_eq!(me["actor_type"], "local_admin");
    assert_eq!(me["auth_method"], "session");
    assert_eq!(me["roles"], serde_json::json!(["admin"]));
    assert!(me["session_expires_at"].as_str().is_some_and(|t| t.ends_with('Z')));

    let me_again = json(app.get("/api/v1/auth/me").await).await;
    assert_eq!(me_again["user_id"], me["user_id"]);

    let logins = app.db.audit_rows_by_type("login").await.expect("audit");
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].user_identity, "admin");
    assert_eq!(logins[0].request_ip.as_deref(), Some("127.0.0.1"));
    assert!(logins[0].request_id.is_some());
}

async fn wrong_or_unknown_credentials_get_the_same_generic_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let wrong = assert_error(app.login("admin", "not-the-password").await, 401, "INVALID_CREDENTIALS").await;
    let unknown = assert_error(app.login("nobody", "whatever").await, 401, "INVALID_CREDENTIALS").await;
    assert_eq!(wrong["detail"], "Invalid username or password");
    assert_eq!(wrong, unknown);
    assert_error(app.get("/api/v1/auth/me").await, 401, "UNAUTHENTICATED").await;
    assert_eq!(app.db.audit_rows_by_type("login_failed").await.expect("audit").len(), 2);
}

async fn the_sixth_failure_in_the_window_is_rate_limited_without_checking_the_password(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..5 {
        assert_error(app.login("admin", "wrong").await, 401, "INVALID_CREDENTIALS").await;
    }
    // Even the right password is refused now: it is not checked at all.
    let resp = app.login("Admin", ADMIN_PASSWORD).await;
    let retry: u64 = resp.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=900).contains(&retry), "retry-after {retry}");
    assert_error(resp, 429, "RATE_LIMITED").await;
    assert_eq!(app.db.count_security_events("local_login_locked").await.expect("count"), 1);

    // Another username from the same address is not affected.
    assert_error(app.login("someone-else", "x").await, 401, "INVALID_CREDENTIALS").await;
}

async fn login_without_the_csrf_header_or_a_same_origin_origin_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD });

    let bare = app.client.post(app.url("/auth/local-login")).json(&body).send().await.expect("req");
    assert_error(bare, 403, "CSRF_CHECK_FAILED").await;

    let foreign = app.client.post(app.url("/auth/local-login")).header("origin", "https://evil.example").json(&body).send().await.expect("req");
    assert_error(foreign, 403, "CSRF_CHECK_FAILED").await;

    let same = app.client.post(app.url("/auth/local-login")).header("origin", app.base.clone()).json(&body).send().await.expect("req");
    assert_eq!(same.status(), 200);
}

async fn with_public_url_only_its_origin_passes_the_csrf_rule(backend: Backend) {
    let app = app(backend).env("PUBLIC_URL", "https://gharts.example").start().await;
    let body = serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD });
    let with = |origin: &str, host: Option<&str>| {
        let mut req = app.client.post(app.url("/auth/local-login")).header("origin", origin).json(&body);
        if let Some(h) = host {
            req = req.header("host", h);
        }
        req.send()
    };
    // The origin the Host header names is no longer ours, nor is a forged Host's.
    assert_error(with(&app.base, None).await.expect("req"), 403, "CSRF_CHECK_FAILED").await;
    assert_error(with("http://evil.example", Some("evil.example")).await.expect("req"), 403, "CSRF_CHECK_FAILED").await;
    assert_eq!(with("https://gharts.example", None).await.expect("req").status(), 200);
}

async fn login_is_404_when_local_login_is_disabled(backend: Backend) {
    let app = app(backend).env("LOCAL_LOGIN_ENABLED", "false").start().await;
    assert_error(app.login("admin", ADMIN_PASSWORD).await, 404, "LOGIN_METHOD_DISABLED").await;
}

async fn a_deactivated_account_cannot_log_in(backend: Backend) {
    let app = spawn_app(backend).await;
    deactivate(&app.db, "admin").await;
    assert_error(app.login("admin", ADMIN_PASSWORD).await, 403, "USER_INACTIVE").await;
}

/// Deactivates a user directly in the database (the user routes come with the API issue).
pub async fn deactivate(db: &server::db::Db, username: &str) {
    crate::on_pool!(db, p => sqlx::query("update users set is_active = false where username = $1").bind(username).execute(p).await.map(|_| ()))
        .expect("deactivate");
}
