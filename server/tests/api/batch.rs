//! Batch incident actions on users and teams (API.md §10.7.1, §10.7.2, §10.7.4, §10.7.5).

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::both_databases;
use crate::helpers::accounts::{ADMINS, admin_app, audits, call, create_user, data, keys, local_account, my_id, security_events};
use crate::helpers::{Backend, TestApp, assert_error, json};
use crate::seed;

const COMMENT: &str = "Incident INC-1234: credential leak";

async fn batch(app: &TestApp, route: &str, body: Value) -> Value {
    let resp = app.post_json(&format!("/api/v1/admin/batch/{route}"), &body).await;
    assert_eq!(resp.status(), 200, "{route}");
    json(resp).await
}

fn statuses(resp: &Value) -> Vec<&str> {
    resp["details"].as_array().expect("details").iter().map(|d| d["status"].as_str().expect("status")).collect()
}

async fn is_active(app: &TestApp, id: Uuid) -> bool {
    app.db.find_user_by_id(id).await.expect("db").expect("user").is_active
}

async fn team_json(app: &TestApp, id: Uuid) -> Value {
    json(app.get(&format!("/api/v1/admin/teams/{id}")).await).await
}

const BATCH_EVENTS: [&str; 4] = ["batch_disable_users", "batch_restore_users", "batch_deactivate_teams", "batch_reactivate_teams"];

both_databases!(
    a_dry_run_reports_what_would_happen_and_writes_nothing,
    disable_users_skips_the_caller_and_admins_ends_sessions_and_records_once,
    disable_all_means_every_active_user_without_a_cap,
    restore_users_restores_only_inactive_users,
    team_batches_skip_the_virtual_team_keep_old_reasons_and_record_once,
    batch_bodies_are_validated_after_the_role_check,
);

async fn a_dry_run_reports_what_would_happen_and_writes_nothing(backend: Backend) {
    let app = admin_app(backend).await;
    let me = my_id(&app, &app.client).await;
    let u1 = seed::user(&app.db, "u1@example.com", Some("u1-sub"), true).await;
    let u2 = seed::user(&app.db, "u2@example.com", None, false).await;
    let a2: Uuid = create_user(&app, json!({ "email": "a2@example.com", "is_admin": true })).await["id"].as_str().expect("id").parse().expect("uuid");
    let unknown = Uuid::new_v4();
    let t1 = seed::team(&app.db, "web", true).await;
    let t2 = seed::team(&app.db, "old", false).await;

    let ids = json!([u1, u2, a2, me, unknown, u1]);
    let r = batch(&app, "disable-users", json!({ "comment": COMMENT, "dry_run": true, "user_ids": ids })).await;
    assert_eq!(keys(&r), ["action", "affected_count", "comment", "details", "dry_run", "failed_count", "success"]);
    assert_eq!((r["success"].clone(), r["action"].clone(), r["dry_run"].clone()), (json!(true), json!("disable_users"), json!(true)));
    assert_eq!((r["affected_count"].clone(), r["failed_count"].clone(), r["comment"].clone()), (json!(1), json!(0), json!(COMMENT)));
    assert_eq!(statuses(&r), ["would_be_disabled", "skipped", "skipped", "skipped", "not_found"], "a repeated id counts once");
    assert_eq!(
        r["details"][0],
        json!({ "user_id": u1.to_string(), "email": "u1@example.com", "oidc_sub": "u1-sub", "status": "would_be_disabled", "error": null })
    );
    assert_eq!(r["details"][4], json!({ "user_id": unknown.to_string(), "email": null, "oidc_sub": null, "status": "not_found", "error": null }));
    let with_admins = batch(&app, "disable-users", json!({ "comment": COMMENT, "dry_run": true, "user_ids": ids, "exclude_admins": false })).await;
    assert_eq!(statuses(&with_admins), ["would_be_disabled", "skipped", "would_be_disabled", "skipped", "not_found"]);
    assert_eq!(with_admins["affected_count"], 2);

    let r = batch(&app, "restore-users", json!({ "comment": COMMENT, "dry_run": true, "user_ids": [u1, u2] })).await;
    assert_eq!(statuses(&r), ["skipped", "would_be_restored"]);
    let r = batch(&app, "deactivate-teams", json!({ "comment": COMMENT, "dry_run": true, "team_ids": [t1, t2], "reason": "incident" })).await;
    assert_eq!(statuses(&r), ["would_be_deactivated", "skipped"]);
    let r = batch(&app, "reactivate-teams", json!({ "comment": COMMENT, "dry_run": true })).await;
    assert_eq!(statuses(&r), ["would_be_reactivated"]);
    assert_eq!(r["details"][0]["team_name"], "old");

    assert!(is_active(&app, u1).await && is_active(&app, a2).await && !is_active(&app, u2).await);
    assert_eq!(team_json(&app, t1).await["is_active"], true);
    assert_eq!(team_json(&app, t2).await["is_active"], false);
    for event in BATCH_EVENTS {
        assert!(audits(&app, event).await.is_empty(), "{event}");
        assert!(security_events(&app.db, event).await.is_empty(), "{event}");
    }
}

async fn disable_users_skips_the_caller_and_admins_ends_sessions_and_records_once(backend: Backend) {
    let app = admin_app(backend).await;
    let me = my_id(&app, &app.client).await;
    let (erin, erin_client) = local_account(&app, "erin", Some("erin@example.com"), false).await;
    let (ops, ops_client) = local_account(&app, "ops", None, true).await;
    let u1 = seed::user(&app.db, "u1@example.com", None, true).await;

    let r = batch(&app, "disable-users", json!({ "comment": COMMENT, "user_ids": [erin, u1, ops, me] })).await;
    assert_eq!(statuses(&r), ["disabled", "disabled", "skipped", "skipped"]);
    assert_eq!((r["affected_count"].clone(), r["dry_run"].clone(), r["success"].clone()), (json!(2), json!(false), json!(true)));
    assert!(!is_active(&app, erin).await && !is_active(&app, u1).await);
    assert!(is_active(&app, ops).await && is_active(&app, me).await);
    // Their sessions ended.
    assert_error(erin_client.get(app.url("/api/v1/auth/me")).send().await.expect("me"), 401, "UNAUTHENTICATED").await;
    assert_eq!(ops_client.get(app.url("/api/v1/auth/me")).send().await.expect("me").status(), 200);

    let rows = audits(&app, "batch_disable_users").await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].success);
    let d = data(&rows[0]);
    assert_eq!(keys(&d), ["affected_count", "comment", "exclude_admins", "failed_count", "user_ids", "user_names"]);
    assert_eq!(d["user_ids"], json!([erin.to_string(), u1.to_string()]));
    assert_eq!(d["user_names"], json!(["erin@example.com", "u1@example.com"]));
    assert_eq!((d["affected_count"].clone(), d["failed_count"].clone(), d["exclude_admins"].clone()), (json!(2), json!(0), json!(true)));
    let events = security_events(&app.db, "batch_disable_users").await;
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].0.as_str(), events[0].1.as_deref()), ("high", Some("disabled 2 users")));
    assert_eq!(keys(&events[0].2), ["affected_count", "comment", "exclude_admins", "failed_count", "user_ids"]);
    assert_eq!(events[0].2["comment"], COMMENT);
    assert!(audits(&app, "user_deactivated").await.is_empty(), "no per-user records");
    assert!(security_events(&app.db, "user_deactivated").await.is_empty());

    // Without the admin exclusion another admin goes too; the caller never does.
    let r = batch(&app, "disable-users", json!({ "comment": COMMENT, "user_ids": [ops, me], "exclude_admins": false })).await;
    assert_eq!(statuses(&r), ["disabled", "skipped"]);
    assert_error(ops_client.get(app.url("/api/v1/auth/me")).send().await.expect("me"), 401, "UNAUTHENTICATED").await;
    assert_eq!(app.db.count_active_admins().await.expect("count"), 1);
    // Nothing left to do is still an action on record.
    let r = batch(&app, "disable-users", json!({ "comment": COMMENT, "user_ids": [erin] })).await;
    assert_eq!((statuses(&r), r["affected_count"].clone()), (vec!["skipped"], json!(0)));
    assert_eq!(audits(&app, "batch_disable_users").await.len(), 3);
    let events = security_events(&app.db, "batch_disable_users").await;
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].1.as_deref(), Some("disabled 0 users"));
}

async fn disable_all_means_every_active_user_without_a_cap(backend: Backend) {
    let app = admin_app(backend).await;
    let me = my_id(&app, &app.client).await;
    let (ops, _) = local_account(&app, "ops", None, true).await;
    for i in 0..120 {
        seed::user(&app.db, &format!("user{i}@example.com"), None, true).await;
    }
    seed::user(&app.db, "gone1@example.com", None, false).await;
    seed::user(&app.db, "gone2@example.com", None, false).await;

    let r = batch(&app, "disable-users", json!({ "comment": COMMENT })).await;
    assert_eq!(r["affected_count"], 120);
    let details = r["details"].as_array().expect("details");
    assert_eq!(details.len(), 122, "every active user, the caller and the excluded admin as skipped");
    let skipped: Vec<&str> = details.iter().filter(|d| d["status"] == "skipped").map(|d| d["user_id"].as_str().expect("id")).collect();
    assert_eq!(skipped.len(), 2);
    assert!(skipped.contains(&me.to_string().as_str()) && skipped.contains(&ops.to_string().as_str()));
    assert_eq!(json(app.get("/api/v1/admin/users").await).await["total"], 2);

    // `[]` also means all: nothing is left to disable.
    let r = batch(&app, "disable-users", json!({ "comment": COMMENT, "user_ids": [] })).await;
    assert_eq!((r["affected_count"].clone(), statuses(&r)), (json!(0), vec!["skipped", "skipped"]));

    let r = batch(&app, "restore-users", json!({ "comment": COMMENT, "user_ids": null })).await;
    assert_eq!(r["affected_count"], 122);
    assert_eq!(json(app.get("/api/v1/admin/users").await).await["total"], 124);
}

async fn restore_users_restores_only_inactive_users(backend: Backend) {
    let app = admin_app(backend).await;
    let (erin, _) = local_account(&app, "erin", None, false).await;
    let active = seed::user(&app.db, "active@example.com", None, true).await;
    let path = format!("/api/v1/admin/users/{erin}");
    assert_eq!(call(&app, &app.client, Method::DELETE, &path).json(&json!({ "comment": "suspended for review" })).send().await.expect("req").status(), 204);
    let unknown = Uuid::new_v4();

    let r = batch(&app, "restore-users", json!({ "comment": COMMENT, "user_ids": [erin, active, unknown] })).await;
    assert_eq!(r["action"], "restore_users");
    assert_eq!(statuses(&r), ["restored", "skipped", "not_found"]);
    assert_eq!(r["affected_count"], 1);
    assert!(is_active(&app, erin).await);
    crate::helpers::accounts::sign_in(&app, "erin").await;

    let rows = audits(&app, "batch_restore_users").await;
    assert_eq!(rows.len(), 1);
    let d = data(&rows[0]);
    assert_eq!(keys(&d), ["affected_count", "comment", "failed_count", "user_ids", "user_names"]);
    assert_eq!(d["user_names"], json!(["erin"]));
    let events = security_events(&app.db, "batch_restore_users").await;
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].0.as_str(), events[0].1.as_deref()), ("medium", Some("restored 1 users")));
    assert_eq!(keys(&events[0].2), ["affected_count", "comment", "failed_count", "user_ids"]);
}

async fn team_batches_skip_the_virtual_team_keep_old_reasons_and_record_once(backend: Backend) {
    let app = admin_app(backend).await;
    let t1 = seed::team(&app.db, "alpha", true).await;
    let t2 = seed::team(&app.db, "beta", true).await;
    let old = app.post_json(&format!("/api/v1/admin/teams/{t2}/deactivate"), &json!({ "reason": "old reason" })).await;
    assert_eq!(old.status(), 200);
    let unknown = Uuid::new_v4();

    let r = batch(&app, "deactivate-teams", json!({ "comment": COMMENT, "reason": "incident 42", "team_ids": [ADMINS, t1, t2, unknown] })).await;
    assert_eq!(r["action"], "deactivate_teams");
    assert_eq!(statuses(&r), ["skipped", "deactivated", "skipped", "not_found"]);
    assert_eq!(r["details"][0], json!({ "team_id": ADMINS, "team_name": "admins", "status": "skipped", "error": null }));
    assert_eq!(r["details"][1], json!({ "team_id": t1.to_string(), "team_name": "alpha", "status": "deactivated", "error": null }));
    assert_eq!(r["details"][3]["team_name"], Value::Null);
    assert_eq!(r["affected_count"], 1);
    let alpha = team_json(&app, t1).await;
    assert_eq!(
        (alpha["is_active"].clone(), alpha["deactivation_reason"].clone(), alpha["deactivated_by"].clone()),
        (json!(false), json!("incident 42"), json!("admin"))
    );
    assert!(alpha["deactivated_at"].is_string());
    assert_eq!(team_json(&app, t2).await["deactivation_reason"], "old reason", "already inactive teams keep their reason");

    let rows = audits(&app, "batch_deactivate_teams").await;
    assert_eq!(rows.len(), 1);
    let d = data(&rows[0]);
    assert_eq!(keys(&d), ["affected_count", "comment", "failed_count", "reason", "team_ids", "team_names"]);
    assert_eq!((d["team_ids"].clone(), d["team_names"].clone(), d["reason"].clone()), (json!([t1.to_string()]), json!(["alpha"]), json!("incident 42")));
    let events = security_events(&app.db, "batch_deactivate_teams").await;
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].0.as_str(), events[0].1.as_deref()), ("high", Some("deactivated 1 teams")));
    assert_eq!(keys(&events[0].2), ["affected_count", "comment", "failed_count", "reason", "team_ids"]);
    assert!(audits(&app, "team_deactivated").await.len() == 1, "only the earlier single deactivation");

    // Reactivate all: every inactive team, by name.
    let r = batch(&app, "reactivate-teams", json!({ "comment": COMMENT })).await;
    assert_eq!(statuses(&r), ["reactivated", "reactivated"]);
    let names: Vec<&str> = r["details"].as_array().expect("details").iter().map(|d| d["team_name"].as_str().expect("name")).collect();
    assert_eq!(names, ["alpha", "beta"]);
    let alpha = team_json(&app, t1).await;
    assert_eq!((alpha["is_active"].clone(), alpha["deactivation_reason"].clone(), alpha["deactivated_at"].clone()), (json!(true), Value::Null, Value::Null));
    let rows = audits(&app, "batch_reactivate_teams").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(keys(&data(&rows[0])), ["affected_count", "comment", "failed_count", "team_ids", "team_names"]);
    let events = security_events(&app.db, "batch_reactivate_teams").await;
    assert_eq!((events.len(), events[0].0.as_str(), events[0].1.as_deref()), (1, "medium", Some("reactivated 2 teams")));
    assert_eq!(keys(&events[0].2), ["affected_count", "comment", "failed_count", "team_ids"]);

    // Deactivate all: every active stored team (the virtual one is not a target).
    let r = batch(&app, "deactivate-teams", json!({ "comment": COMMENT, "reason": "lockdown", "team_ids": [] })).await;
    assert_eq!((statuses(&r), r["affected_count"].clone()), (vec!["deactivated", "deactivated"], json!(2)));
}

async fn batch_bodies_are_validated_after_the_role_check(backend: Backend) {
    let app = admin_app(backend).await;
    let cases = [
        ("disable-users", json!({}), "comment"),
        ("disable-users", json!({ "comment": "too short" }), "comment"),
        ("disable-users", json!({ "comment": "x".repeat(501) }), "comment"),
        ("disable-users", json!({ "comment": null }), "comment"),
        ("disable-users", json!({ "comment": COMMENT, "user_ids": ["nope"] }), "user_ids[0]"),
        ("disable-users", json!({ "comment": COMMENT, "dry_run": "maybe" }), "dry_run"),
        ("disable-users", json!({ "comment": COMMENT, "exclude_admins": null }), "exclude_admins"),
        ("restore-users", json!({ "comment": 12345678901_i64 }), "comment"),
        ("restore-users", json!({ "comment": COMMENT, "user_ids": "all" }), "user_ids"),
        ("deactivate-teams", json!({ "comment": COMMENT }), "reason"),
        ("deactivate-teams", json!({ "comment": COMMENT, "reason": "" }), "reason"),
        ("deactivate-teams", json!({ "comment": COMMENT, "reason": "   " }), "reason"),
        ("deactivate-teams", json!({ "comment": COMMENT, "reason": "r".repeat(501) }), "reason"),
        ("deactivate-teams", json!({ "comment": COMMENT, "reason": "ok", "team_ids": [1] }), "team_ids[0]"),
        ("reactivate-teams", json!({ "comment": "short" }), "comment"),
    ];
    for (route, body, expected) in cases {
        let e = assert_error(app.post_json(&format!("/api/v1/admin/batch/{route}"), &body).await, 422, "VALIDATION_ERROR").await;
        assert_eq!(e["errors"][0]["field"], expected, "{route} {body}");
    }
    for event in BATCH_EVENTS {
        assert!(audits(&app, event).await.is_empty(), "{event}");
    }
    // `delete-runners` is not part of this module; every other batch route exists only as POST.
    let get = app.get("/api/v1/admin/batch/disable-users").await;
    assert_error(get, 405, "METHOD_NOT_ALLOWED").await;
}
