//! Security events (API.md §13): the admin list with its filters, and the team-scoped list.

use chrono::{DateTime, Utc};
use reqwest::Response;
use serde_json::{Value, json};
use server::db::Db;
use server::db::security_events::NewSecurityEvent;
use uuid::Uuid;

use crate::both_databases;
use crate::helpers::{Backend, TestApp, assert_error, json, oidc_app};
use crate::oidc_peer::OidcPeer;
use crate::seed;

both_databases!(admins_filter_every_security_event, team_readers_see_their_team_s_events_only);

async fn event(db: &Db, event_type: &'static str, severity: &'static str, team: Option<Uuid>, identity: &str) {
    let e = NewSecurityEvent {
        user_identity: identity.into(),
        team_id: team,
        violation_data: json!({ "team_id": team.map(|t| t.to_string()), "n": 1 }),
        action_taken: Some("rejected".into()),
        request_id: Some(format!("req-{event_type}")),
        ..NewSecurityEvent::new(event_type.parse().expect("event type"), severity.parse().expect("severity"))
    };
    db.insert_security_event(&e).await.expect("insert");
}

/// A row from an older service: details that are not a JSON object (on `SQLite`, not even JSON).
async fn legacy_event(db: &Db, team: Uuid) -> String {
    let now = Utc::now();
    match db {
        Db::Sqlite(p) => {
            sqlx::query("insert into security_events (timestamp, event_type, severity, team_id, user_identity, violation_data, runner_id, runner_name, github_runner_id) values ($1, 'label_drift_detected', 'high', $2, 'system', 'not json{', 'r-1', 'runner-1', 42)")
                .bind(now).bind(team).execute(p).await.expect("legacy");
            "not json{".into()
        }
        Db::Postgres(p) => {
            sqlx::query("insert into security_events (timestamp, event_type, severity, team_id, user_identity, violation_data, runner_id, runner_name, github_runner_id) values ($1, 'label_drift_detected', 'high', $2, 'system', '\"legacy text\"', 'r-1', 'runner-1', 42)")
                .bind(now).bind(team).execute(p).await.expect("legacy");
            "\"legacy text\"".into()
        }
    }
}

async fn get_as(app: &TestApp, path: &str, token: Option<&str>) -> Response {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("request")
}

async fn ok_json(resp: Response) -> Value {
    assert_eq!(resp.status(), 200, "status");
    json(resp).await
}

fn types(events: &Value) -> Vec<String> {
    events.as_array().expect("events").iter().map(|e| e["event_type"].as_str().expect("type").to_owned()).collect()
}

/// Owned query pairs.
fn q(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

fn ts(e: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(e["timestamp"].as_str().expect("timestamp")).expect("rfc3339").to_utc()
}

/// Asserts the admin list for `query` holds exactly the events of `all` that satisfy `keep`.
async fn check(app: &TestApp, query: &[(&str, String)], all: &[Value], keep: impl Fn(&Value) -> bool) {
    let resp = app.client.get(app.url("/api/v1/admin/security-events")).query(query).send().await.expect("req");
    let body = ok_json(resp).await;
    let expected: Vec<&Value> = all.iter().filter(|e| keep(e)).collect();
    let got: Vec<&Value> = body["events"].as_array().expect("events").iter().collect();
    assert_eq!(got, expected, "query {query:?}");
    assert_eq!(body["total"], expected.len(), "query {query:?}");
}

async fn admins_filter_every_security_event(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    let web = seed::team(&app.db, "web", true).await;
    let ml = seed::team(&app.db, "ml", true).await;
    seed::user(&app.db, "alice@example.com", Some("alice-sub"), true).await;
    seed::oauth_client(&app.db, "m2m-a", ml, true).await;
    event(&app.db, "label_policy_violation", "medium", Some(web), "alice@example.com").await;
    event(&app.db, "quota_exceeded", "low", Some(ml), "m2m:ml").await;
    event(&app.db, "batch_disable_users", "high", None, "admin").await;
    event(&app.db, "unmanaged_runner_detected", "critical", Some(web), "system").await;
    let raw = legacy_event(&app.db, ml).await;

    // Only admins.
    assert_error(get_as(&app, "/api/v1/admin/security-events", Some(&peer.user_token("alice").await)).await, 403, "FORBIDDEN").await;
    let e = assert_error(get_as(&app, "/api/v1/admin/security-events", Some(&peer.m2m_token("m2m-a").await)).await, 403, "FORBIDDEN").await;
    assert_eq!(e["detail"], "Admin privileges required");
    // The role check comes before validation.
    assert_error(get_as(&app, "/api/v1/admin/security-events?severity=bogus", Some(&peer.user_token("alice").await)).await, 403, "FORBIDDEN").await;

    app.login_admin().await;
    let body = ok_json(app.get("/api/v1/admin/security-events").await).await;
    assert_eq!((body["total"].clone(), body["limit"].clone(), body["offset"].clone()), (json!(5), json!(100), json!(0)));
    let all = body["events"].as_array().expect("events").clone();
    assert_eq!(
        types(&body["events"]),
        ["label_drift_detected", "unmanaged_runner_detected", "batch_disable_users", "quota_exceeded", "label_policy_violation"]
    );
    assert!(all.windows(2).all(|w| w[0]["id"].as_i64() > w[1]["id"].as_i64()), "newest first");

    // Shapes: team names resolved, unreadable details as raw text, every field present.
    let legacy = &all[0];
    assert_eq!(legacy["violation_data"], json!({ "raw": raw }));
    assert_eq!((legacy["team_name"].clone(), legacy["runner_name"].clone(), legacy["github_runner_id"].clone()), (json!("ml"), json!("runner-1"), json!(42)));
    let violation = &all[4];
    assert_eq!(violation["team_id"], web.to_string());
    assert_eq!(violation["team_name"], "web");
    assert_eq!(violation["violation_data"], json!({ "team_id": web.to_string(), "n": 1 }));
    assert_eq!((violation["action_taken"].clone(), violation["request_id"].clone()), (json!("rejected"), json!("req-label_policy_violation")));
    assert_eq!(violation["oidc_sub"], Value::Null);
    assert!(violation["timestamp"].as_str().is_some_and(|t| t.len() == 27 && t.ends_with('Z')));
    assert_eq!((all[2]["team_id"].clone(), all[2]["team_name"].clone()), (Value::Null, Value::Null));

    check(&app, &q(&[("event_type", "quota_exceeded,batch_disable_users")]), &all, |e| {
        e["event_type"] == "quota_exceeded" || e["event_type"] == "batch_disable_users"
    })
    .await;
    check(&app, &q(&[("severity", "high,critical")]), &all, |e| e["severity"] == "high" || e["severity"] == "critical").await;
    check(&app, &q(&[("user_identity", "m2m:ml")]), &all, |e| e["user_identity"] == "m2m:ml").await;
    check(&app, &[("team_id", web.to_string())], &all, |e| e["team_id"] == web.to_string()).await;
    check(&app, &q(&[("team", "ml")]), &all, |e| e["team_id"] == ml.to_string()).await;
    check(&app, &[("team", "ml".to_owned()), ("team_id", web.to_string())], &all, |_| false).await;
    check(&app, &q(&[("team", "ml"), ("severity", "low")]), &all, |e| e["event_type"] == "quota_exceeded").await;
    let t = ts(&all[2]);
    check(&app, &[("since", t.to_rfc3339())], &all, |e| ts(e) >= t).await;
    check(&app, &[("until", t.to_rfc3339())], &all, |e| ts(e) <= t).await;
    check(&app, &[("since", t.to_rfc3339()), ("until", t.to_rfc3339())], &all, |e| ts(e) == t).await;
    check(&app, &q(&[("until", "2000-01-01")]), &all, |_| false).await;

    let page = ok_json(app.get("/api/v1/admin/security-events?limit=2&offset=1").await).await;
    assert_eq!(page["events"], json!(all[1..3]));
    assert_eq!((page["total"].clone(), page["limit"].clone(), page["offset"].clone()), (json!(5), json!(2), json!(1)));
    assert_eq!(ok_json(app.get("/api/v1/admin/security-events?offset=9").await).await["events"], json!([]));
    assert_eq!(ok_json(app.get("/api/v1/admin/security-events?limit=1000").await).await["limit"], 1000);

    let e = assert_error(app.get("/api/v1/admin/security-events?team=nope").await, 404, "NOT_FOUND").await;
    assert_eq!(e["detail"], "Team 'nope' not found");
    for (query, field) in [
        ("severity=low,bogus", "query.severity"),
        ("limit=1001", "query.limit"),
        ("limit=0", "query.limit"),
        ("offset=-1", "query.offset"),
        ("since=2026-02-02&until=2026-02-01", "query.since"),
        ("until=whenever", "query.until"),
        ("team_id=42", "query.team_id"),
    ] {
        let body = assert_error(app.get(&format!("/api/v1/admin/security-events?{query}")).await, 422, "VALIDATION_ERROR").await;
        assert_eq!(body["errors"][0]["field"], field, "{query}");
    }
}

async fn team_readers_see_their_team_s_events_only(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    let web = seed::team(&app.db, "web", true).await;
    let ml = seed::team(&app.db, "ml", false).await;
    let alice = seed::user(&app.db, "alice@example.com", Some("alice-sub"), true).await;
    seed::member(&app.db, web, alice).await;
    let client_team = seed::team(&app.db, "ci", true).await;
    seed::oauth_client(&app.db, "m2m-a", client_team, true).await;
    event(&app.db, "label_policy_violation", "medium", Some(web), "alice@example.com").await;
    event(&app.db, "quota_exceeded", "low", Some(client_team), "m2m:ci").await;
    event(&app.db, "runner_group_not_allowed", "medium", Some(web), "alice@example.com").await;
    event(&app.db, "batch_deactivate_teams", "high", Some(ml), "admin").await;
    event(&app.db, "batch_disable_users", "high", None, "admin").await;
    let alice_t = peer.user_token("alice").await;
    let m2m_t = peer.m2m_token("m2m-a").await;

    let body = ok_json(get_as(&app, &format!("/api/v1/admin/teams/{web}/security-events"), Some(&alice_t)).await).await;
    assert_eq!((body["team_id"].clone(), body["team_name"].clone()), (json!(web.to_string()), json!("web")));
    assert_eq!(types(&body["events"]), ["runner_group_not_allowed", "label_policy_violation"]);
    assert_eq!((body["total"].clone(), body["limit"].clone(), body["offset"].clone()), (json!(2), json!(50), json!(0)));
    assert!(body["events"].as_array().expect("events").iter().all(|e| e["team_name"] == "web"));
    let filtered =
        ok_json(get_as(&app, &format!("/api/v1/admin/teams/{web}/security-events?event_type=label_policy_violation&severity=medium"), Some(&alice_t)).await)
            .await;
    assert_eq!(types(&filtered["events"]), ["label_policy_violation"]);
    let none = ok_json(get_as(&app, &format!("/api/v1/admin/teams/{web}/security-events?severity=high"), Some(&alice_t)).await).await;
    assert_eq!((none["events"].clone(), none["total"].clone()), (json!([]), json!(0)));
    let first = body["events"][1].clone();
    let until =
        ok_json(get_as(&app, &format!("/api/v1/admin/teams/{web}/security-events?until={}", first["timestamp"].as_str().expect("ts")), Some(&alice_t)).await)
            .await;
    assert_eq!(types(&until["events"]), ["label_policy_violation"]);
    let paged = ok_json(get_as(&app, &format!("/api/v1/admin/teams/{web}/security-events?limit=1&offset=1"), Some(&alice_t)).await).await;
    assert_eq!((paged["events"].clone(), paged["total"].clone()), (json!([first]), json!(2)));

    // Nothing of another team leaks: 404 for unknown teams (checked first), 403 for the rest.
    let e = assert_error(get_as(&app, &format!("/api/v1/admin/teams/{ml}/security-events"), Some(&alice_t)).await, 403, "NOT_TEAM_MEMBER").await;
    assert_eq!(e["detail"], "Access denied: not a member of this team");
    assert_error(get_as(&app, &format!("/api/v1/admin/teams/{client_team}/security-events"), Some(&alice_t)).await, 403, "NOT_TEAM_MEMBER").await;
    assert_error(get_as(&app, &format!("/api/v1/admin/teams/{}/security-events", Uuid::from_u128(1)), Some(&alice_t)).await, 403, "NOT_TEAM_MEMBER").await;
    let e = assert_error(get_as(&app, &format!("/api/v1/admin/teams/{}/security-events", Uuid::new_v4()), Some(&alice_t)).await, 404, "NOT_FOUND").await;
    assert_eq!(e["detail"], "Team not found");
    assert_error(get_as(&app, "/api/v1/admin/teams/12/security-events", Some(&alice_t)).await, 404, "NOT_FOUND").await;

    // The M2M client reads its own team only.
    let body = ok_json(get_as(&app, &format!("/api/v1/admin/teams/{client_team}/security-events"), Some(&m2m_t)).await).await;
    assert_eq!(types(&body["events"]), ["quota_exceeded"]);
    assert_error(get_as(&app, &format!("/api/v1/admin/teams/{web}/security-events"), Some(&m2m_t)).await, 403, "NOT_TEAM_MEMBER").await;

    // Admins read any team, the inactive one included; the virtual admins team is empty.
    app.login_admin().await;
    let body = ok_json(app.get(&format!("/api/v1/admin/teams/{ml}/security-events")).await).await;
    assert_eq!(types(&body["events"]), ["batch_deactivate_teams"]);
    let admins = ok_json(app.get(&format!("/api/v1/admin/teams/{}/security-events", Uuid::from_u128(1))).await).await;
    assert_eq!((admins["team_name"].clone(), admins["events"].clone(), admins["total"].clone()), (json!("admins"), json!([]), json!(0)));

    for query in ["limit=201", "limit=0", "offset=-1", "severity=urgent", "since=2026-02-02&until=2026-02-01", "since=soon"] {
        assert_error(app.get(&format!("/api/v1/admin/teams/{web}/security-events?{query}")).await, 422, "VALIDATION_ERROR").await;
    }
    assert_eq!(ok_json(app.get(&format!("/api/v1/admin/teams/{web}/security-events?limit=200")).await).await["limit"], 200);
}
