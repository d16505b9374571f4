//! Browser sessions (API.md §2.5): logout, expiry, deactivation, CSRF on cookie writes.

use crate::both_databases;
use crate::helpers::probe::Probe;
use crate::helpers::{Backend, assert_error, json, spawn_app};
use crate::local_login::deactivate;

both_databases!(
    logout_ends_the_session_and_clears_the_cookie,
    an_idle_expired_session_is_401_and_the_cookie_is_cleared,
    a_deactivated_user_loses_every_session,
    logout_without_a_session_still_answers_200,
);

async fn logout_ends_the_session_and_clears_the_cookie(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_admin().await;
    assert_eq!(app.get("/api/v1/auth/me").await.status(), 200);

    // Cookie-authenticated write without the CSRF header: refused, session intact.
    let refused = app.client.post(app.url("/auth/logout")).send().await.expect("req");
    assert_error(refused, 403, "CSRF_CHECK_FAILED").await;
    assert_eq!(app.get("/api/v1/auth/me").await.status(), 200);

    let resp = app.post_json("/auth/logout", &serde_json::json!({})).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["set-cookie"].to_str().expect("ascii").contains("Max-Age=0"));
    assert_eq!(json(resp).await, serde_json::json!({ "logout_url": null }));
    assert_error(app.get("/api/v1/auth/me").await, 401, "UNAUTHENTICATED").await;
    assert_eq!(app.db.audit_rows_by_type("logout").await.expect("audit").len(), 1);
}

async fn an_idle_expired_session_is_401_and_the_cookie_is_cleared(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_admin().await;
    let past = chrono::Utc::now() - chrono::Duration::seconds(5);
    crate::on_pool!(&app.db, p => sqlx::query("update sessions set idle_expires_at = $1").bind(past).execute(p).await.map(|_| ())).expect("expire");
    let resp = app.get("/api/v1/auth/me").await;
    assert!(resp.headers()["set-cookie"].to_str().expect("ascii").contains("Max-Age=0"));
    assert_error(resp, 401, "UNAUTHENTICATED").await;
}

async fn a_deactivated_user_loses_every_session(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_admin().await;
    deactivate(&app.db, "admin").await;
    assert_error(app.get("/api/v1/auth/me").await, 403, "USER_INACTIVE").await;
    // The session is gone, not merely refused.
    assert_error(app.get("/api/v1/auth/me").await, 401, "UNAUTHENTICATED").await;
}

async fn logout_without_a_session_still_answers_200(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.post_json("/auth/logout", &serde_json::json!({})).await.status(), 200);
}
