//! `/metrics` counts what happened: local login outcomes, M2M authentication outcomes, and
//! every security event row written (the counter agrees with the table).

use reqwest::{Method, StatusCode};
use serde_json::json;
use server::db::Db;

use crate::both_databases;
use crate::helpers::accounts::{call, local_account};
use crate::helpers::world::world;
use crate::helpers::{ADMIN_PASSWORD, Backend, TestApp};
use crate::seed;

both_databases!(logins_m2m_authentications_and_security_events_are_counted);

/// The value of one sample, e.g. `name{result="success"}`; 0 when absent.
fn sample(text: &str, series: &str) -> u64 {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok()).unwrap_or(0)
}

async fn login(app: &TestApp, username: &str, password: &str) -> StatusCode {
    let body = json!({ "username": username, "password": password });
    call(app, &reqwest::Client::new(), Method::POST, "/auth/local-login").json(&body).send().await.expect("login").status()
}

async fn security_event_counts(db: &Db) -> Vec<(String, String, i64)> {
    let sql = "select event_type, severity, count(*) from security_events group by event_type, severity";
    crate::on_pool!(db, p => sqlx::query_as(sql).fetch_all(p).await).expect("security events")
}

async fn logins_m2m_authentications_and_security_events_are_counted(backend: Backend) {
    let w = world(backend, json!({})).await; // the admin has signed in once
    let app = &w.app;
    // Local logins: five wrong passwords lock the name (a security event), the sixth is refused.
    for _ in 0..5 {
        assert_eq!(login(app, "ghost", "wrong-password").await, 401);
    }
    assert_eq!(login(app, "ghost", "wrong-password").await, 429);
    let (dora, _) = local_account(app, "dora", None, false).await; // a second success
    let gone = call(app, &app.client, Method::DELETE, &format!("/api/v1/admin/users/{dora}")).json(&json!({ "comment": "left the company" }));
    assert_eq!(gone.send().await.expect("delete").status(), 204);
    assert_eq!(login(app, "dora", ADMIN_PASSWORD).await, 403);
    let batch = json!({ "comment": "incident response drill", "user_ids": [dora] });
    assert_eq!(app.post_json("/api/v1/admin/batch/disable-users", &batch).await.status(), 200);

    // M2M: two successes (one refused by the label policy: a security event), then one of each refusal.
    let get = |token: String| async move { app.get_bearer("/api/v1/runners", &token).await.status() };
    assert_eq!(get(w.m2m_a.clone()).await, 200);
    assert_eq!(w.provision(&w.m2m_a, &json!({ "runner_name": "r1", "labels": ["evil"] })).await.status(), 403);
    assert_eq!(get(w.peer.sign(&w.peer.m2m_claims("m2m-ghost"), None, None)).await, 403);
    seed::oauth_client(&app.db, "m2m-off", w.team_b, false).await;
    assert_eq!(get(w.peer.sign(&w.peer.m2m_claims("m2m-off"), None, None)).await, 403);
    let closed = seed::team(&app.db, "team-closed", false).await;
    seed::oauth_client(&app.db, "m2m-closed", closed, true).await;
    assert_eq!(get(w.peer.sign(&w.peer.m2m_claims("m2m-closed"), None, None)).await, 403);

    let text = metrics_text(app).await;
    let logins = |r: &str| sample(&text, &format!("gharts_local_login_attempts_total{{result=\"{r}\"}}"));
    assert_eq!([logins("success"), logins("invalid"), logins("rate_limited"), logins("inactive")], [2, 5, 1, 1], "{text}");
    let m2m = |r: &str| sample(&text, &format!("gharts_m2m_auth_requests_total{{result=\"{r}\"}}"));
    assert_eq!([m2m("success"), m2m("not_registered"), m2m("disabled"), m2m("team_not_found")], [2, 1, 1, 1], "{text}");

    let rows = security_event_counts(&app.db).await;
    let types: Vec<&str> = rows.iter().map(|(t, _, _)| t.as_str()).collect();
    for expected in ["local_login_locked", "user_deactivated", "batch_disable_users", "label_policy_violation"] {
        assert!(types.contains(&expected), "{expected} in {types:?}");
    }
    for (event_type, severity, n) in &rows {
        let series = format!("gharts_security_events_total{{event_type=\"{event_type}\",severity=\"{severity}\"}}");
        assert_eq!(sample(&text, &series), u64::try_from(*n).expect("count"), "{series} counts every row written");
    }
}

/// The `/metrics` text.
async fn metrics_text(app: &TestApp) -> String {
    let resp = app.get("/metrics").await;
    assert_eq!(resp.status(), 200);
    resp.text().await.expect("text")
}
