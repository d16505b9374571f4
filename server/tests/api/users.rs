//! Users (API.md §10.0–§10.6): create, list, read, update with the last-admin guard,
//! deactivate, activate; audit rows and security events; role check before validation.

use reqwest::{Client, Method};
use serde_json::{Value, json};
use server::db::Db;
use server::db::models::AuditRow;
use uuid::Uuid;

use crate::both_databases;
use crate::helpers::accounts::{ADMINS, admin_app, audits, call, create_user, data, exec, keys, local_account, my_id, security_events, send, sign_in};
use crate::helpers::{ADMIN_PASSWORD, Backend, assert_error, json, oidc_app, spawn_app};
use crate::oidc_peer::OidcPeer;
use crate::seed;

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

fn field(body: &Value) -> &str {
    body["errors"][0]["field"].as_str().expect("field")
}

both_databases!(
    creating_a_user_returns_it_with_its_memberships_and_audits_it,
    create_validation_errors_are_422_and_not_audited,
    existing_users_and_bad_team_references_create_nothing_and_are_audited,
    the_user_list_is_ordered_filtered_and_paginated,
    unknown_and_malformed_user_ids_are_404,
    put_applies_present_non_null_fields_and_audits_the_changes,
    the_last_admin_cannot_be_demoted_or_deactivated,
    two_admins_demoting_each_other_at_once_leave_exactly_one_admin,
    two_admins_deactivating_each_other_at_once_leave_exactly_one_admin,
    deleting_a_user_deactivates_it_ends_its_sessions_and_records_it,
    activation_is_idempotent_and_audited_every_time,
    non_admins_are_refused_before_body_validation,
    a_user_created_by_subject_authenticates_by_token_until_deactivated,
);

async fn creating_a_user_returns_it_with_its_memberships_and_audits_it(backend: Backend) {
    let app = admin_app(backend).await;
    let active = seed::team(&app.db, "web", true).await;
    let inactive = seed::team(&app.db, "legacy", false).await;

    let resp = app.post_json("/api/v1/admin/users", &json!({ "email": "Alice@Example.com", "team_ids": [active, inactive, active] })).await;
    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"].to_str().expect("ascii").to_owned();
    let user = json(resp).await;
    let id = id_of(&user);
    assert_eq!(location, format!("/api/v1/admin/users/{id}"));
    assert_eq!(
        keys(&user),
        [
            "can_use_jit",
            "created_at",
            "created_by",
            "display_name",
            "email",
            "id",
            "is_active",
            "is_admin",
            "last_login_at",
            "oidc_sub",
            "updated_at",
            "username"
        ]
    );
    assert_eq!(user["email"], "Alice@Example.com");
    assert_eq!(user["display_name"], "Alice@Example.com", "defaults to the email");
    assert_eq!(user["oidc_sub"], Value::Null);
    assert_eq!(user["username"], Value::Null);
    assert_eq!(user["last_login_at"], Value::Null);
    assert_eq!((user["is_admin"].clone(), user["is_active"].clone(), user["can_use_jit"].clone()), (json!(false), json!(true), json!(true)));
    assert_eq!(user["created_by"], "admin");
    let created = user["created_at"].as_str().expect("created_at");
    assert!(created.ends_with('Z') && created.len() == 27, "{created}");
    assert_eq!(json(app.get(&format!("/api/v1/admin/users/{id}")).await).await, user);

    // Both memberships exist (the repeated id counts once; an inactive team is allowed).
    let teams = json(app.get(&format!("/api/v1/admin/teams/users/{id}/teams")).await).await;
    assert_eq!(teams["total"], 2);

    let rows = audits(&app, "user_created").await;
    assert_eq!(rows.len(), 1);
    let d = data(&rows[0]);
    assert_eq!(keys(&d), ["team_ids", "user_id"]);
    assert_eq!(d["user_id"], id.as_str());
    assert_eq!(d["team_ids"], json!([active.to_string(), inactive.to_string()]));
    assert!(rows[0].success);
    assert_eq!((rows[0].actor_type.as_str(), rows[0].user_identity.as_str()), ("local_admin", "admin"));
    assert!(rows[0].request_id.is_some());

    // An admin needs no team; a subject alone is enough; can_use_jit can be off.
    let svc = create_user(&app, json!({ "oidc_sub": "svc-sub", "is_admin": true, "can_use_jit": false })).await;
    assert_eq!(svc["display_name"], "svc-sub");
    assert_eq!(svc["email"], Value::Null);
    assert_eq!((svc["is_admin"].clone(), svc["can_use_jit"].clone()), (json!(true), json!(false)));
    let named = create_user(&app, json!({ "email": "b@example.com", "display_name": "Bee", "team_ids": [active] })).await;
    assert_eq!(named["display_name"], "Bee");
    assert_eq!(audits(&app, "user_created").await.len(), 3);
}

async fn create_validation_errors_are_422_and_not_audited(backend: Backend) {
    let app = admin_app(backend).await;
    let t = seed::team(&app.db, "web", true).await.to_string();
    let cases = [
        (json!({}), "body"),
        (json!({ "email": "not-an-email", "team_ids": [t] }), "email"),
        (json!({ "email": format!("{}@example.com", "a".repeat(250)), "team_ids": [t] }), "email"),
        (json!({ "email": 5, "team_ids": [t] }), "email"),
        (json!({ "oidc_sub": "", "team_ids": [t] }), "oidc_sub"),
        (json!({ "oidc_sub": "s".repeat(256), "team_ids": [t] }), "oidc_sub"),
        (json!({ "email": "a@example.com", "display_name": "d".repeat(256), "team_ids": [t] }), "display_name"),
        (json!({ "email": "a@example.com" }), "team_ids"),
        (json!({ "email": "a@example.com", "team_ids": [] }), "team_ids"),
        (json!({ "email": "a@example.com", "team_ids": null }), "team_ids"),
        (json!({ "email": "a@example.com", "team_ids": ["nope"] }), "team_ids[0]"),
        (json!({ "email": "a@example.com", "team_ids": [t], "is_admin": "yes" }), "is_admin"),
    ];
    for (body, expected) in cases {
        let err = assert_error(app.post_json("/api/v1/admin/users", &body).await, 422, "VALIDATION_ERROR").await;
        assert_eq!(field(&err), expected, "{body}");
        assert!(err["detail"].as_str().expect("detail").starts_with("Validation error"), "{err}");
    }
    let text = call(&app, &app.client, Method::POST, "/api/v1/admin/users").header("content-type", "text/plain").body("{}").send().await.expect("req");
    assert_error(text, 422, "VALIDATION_ERROR").await;
    // Unknown fields are ignored.
    create_user(&app, json!({ "email": "ok@example.com", "team_ids": [t], "password": "ignored" })).await;
    assert_eq!(audits(&app, "user_created").await.len(), 1, "only the success is audited");
    assert_eq!(json(app.get("/api/v1/admin/users").await).await["total"], 2);
}

async fn existing_users_and_bad_team_references_create_nothing_and_are_audited(backend: Backend) {
    let app = admin_app(backend).await;
    let t = seed::team(&app.db, "web", true).await;
    seed::user(&app.db, "bob@example.com", Some("bob-sub"), true).await;

    let e = assert_error(app.post_json("/api/v1/admin/users", &json!({ "email": "BOB@example.com", "team_ids": [t] })).await, 409, "USER_ALREADY_EXISTS").await;
    assert_eq!(e["detail"], "User with email 'BOB@example.com' already exists");
    let e = assert_error(app.post_json("/api/v1/admin/users", &json!({ "oidc_sub": "bob-sub", "team_ids": [t] })).await, 409, "USER_ALREADY_EXISTS").await;
    assert_eq!(e["detail"], "User with oidc_sub 'bob-sub' already exists");

    let unknown = Uuid::new_v4();
    let e =
        assert_error(app.post_json("/api/v1/admin/users", &json!({ "email": "new@example.com", "team_ids": [t, unknown] })).await, 400, "INVALID_REFERENCE")
            .await;
    assert_eq!(e["detail"], format!("Failed to add user to team '{unknown}': team not found"));
    let e =
        assert_error(app.post_json("/api/v1/admin/users", &json!({ "email": "new@example.com", "team_ids": [ADMINS] })).await, 400, "INVALID_REFERENCE").await;
    assert_eq!(e["detail"], format!("Failed to add user to team '{ADMINS}': team not found"));
    // Nothing was left behind: no user, no membership of the good team.
    assert!(app.db.find_user_by_email("new@example.com").await.expect("db").is_none());
    assert_eq!(json(app.get(&format!("/api/v1/admin/teams/{t}/members")).await).await["total"], 0);
    let created = create_user(&app, json!({ "email": "new@example.com", "team_ids": [t] })).await;
    assert_eq!(created["email"], "new@example.com");

    let rows = audits(&app, "user_created").await;
    assert_eq!(rows.len(), 5);
    let failures: Vec<&AuditRow> = rows.iter().filter(|r| !r.success).collect();
    assert_eq!(failures.len(), 4, "each refusal is audited");
    assert!(failures.iter().all(|r| r.error_message.is_some() && keys(&data(r)) == ["team_ids", "user_id"]));
    assert_eq!(failures[0].error_message.as_deref(), Some("User with email 'BOB@example.com' already exists"));
}

async fn the_user_list_is_ordered_filtered_and_paginated(backend: Backend) {
    let app = admin_app(backend).await;
    let t = seed::team(&app.db, "web", true).await;
    let admin = my_id(&app, &app.client).await.to_string();
    let u1 = id_of(&create_user(&app, json!({ "email": "u1@example.com", "team_ids": [t] })).await);
    let u2 = id_of(&create_user(&app, json!({ "email": "u2@example.com", "is_admin": true })).await);
    let u3 = id_of(&create_user(&app, json!({ "email": "u3@example.com", "team_ids": [t] })).await);
    let u4 = id_of(&create_user(&app, json!({ "oidc_sub": "u4-sub", "team_ids": [t] })).await);
    let gone = send(&app, Method::DELETE, &format!("/api/v1/admin/users/{u3}"), &json!({ "comment": "left the company" })).await;
    assert_eq!(gone.status(), 204);

    let ids = |v: &Value| -> Vec<String> { v["users"].as_array().expect("users").iter().map(id_of).collect() };
    let all = json(app.get("/api/v1/admin/users").await).await;
    assert_eq!(ids(&all), [u4.as_str(), u2.as_str(), u1.as_str(), admin.as_str()], "newest first, inactive left out");
    assert_eq!((all["total"].clone(), all["limit"].clone(), all["offset"].clone()), (json!(4), json!(100), json!(0)));
    let with_inactive = json(app.get("/api/v1/admin/users?include_inactive=true").await).await;
    assert_eq!(ids(&with_inactive), [u4.as_str(), u3.as_str(), u2.as_str(), u1.as_str(), admin.as_str()]);
    assert_eq!(with_inactive["total"], 5);
    let admins = json(app.get("/api/v1/admin/users?is_admin=TRUE").await).await;
    assert_eq!(ids(&admins), [u2.as_str(), admin.as_str()]);
    assert_eq!(admins["total"], 2);
    assert_eq!(ids(&json(app.get("/api/v1/admin/users?is_admin=0&include_inactive=on").await).await), [u4.as_str(), u3.as_str(), u1.as_str()]);
    let page = json(app.get("/api/v1/admin/users?include_inactive=yes&limit=2&offset=1").await).await;
    assert_eq!(ids(&page), [u3.as_str(), u2.as_str()]);
    assert_eq!((page["total"].clone(), page["limit"].clone(), page["offset"].clone()), (json!(5), json!(2), json!(1)));
    let past = json(app.get("/api/v1/admin/users?offset=50").await).await;
    assert_eq!((past["users"].clone(), past["total"].clone()), (json!([]), json!(4)));
    assert_eq!(json(app.get("/api/v1/admin/users?limit=1000").await).await["limit"], 1000);
    // Search: a case-insensitive substring of the email, name, subject or username; `%` and `_` are literal.
    assert_eq!(ids(&json(app.get("/api/v1/admin/users?search=U1%40EXAMPLE").await).await), [u1.as_str()]);
    assert_eq!(ids(&json(app.get("/api/v1/admin/users?search=u4-s").await).await), [u4.as_str()]);
    assert_eq!(ids(&json(app.get("/api/v1/admin/users?search=u3&include_inactive=true").await).await), [u3.as_str()]);
    assert_eq!(json(app.get("/api/v1/admin/users?search=u3").await).await["total"], 0);
    assert_eq!(json(app.get("/api/v1/admin/users?search=%25").await).await["total"], 0);
    assert_eq!(json(app.get("/api/v1/admin/users?search=u_%40").await).await["total"], 0);
    assert_eq!(json(app.get("/api/v1/admin/users?search=").await).await["total"], 4);
    // `active` picks one state and overrides `include_inactive`.
    let deactivated = json(app.get("/api/v1/admin/users?active=false&include_inactive=false").await).await;
    assert_eq!((ids(&deactivated), deactivated["total"].clone()), (vec![u3.clone()], json!(1)));
    let active = json(app.get("/api/v1/admin/users?active=1&include_inactive=true").await).await;
    assert_eq!((ids(&active), active["total"].clone()), (vec![u4.clone(), u2.clone(), u1.clone(), admin.clone()], json!(4)));
    assert_eq!(ids(&json(app.get("/api/v1/admin/users?active=false&search=u1").await).await), Vec::<String>::new());
    // `not_member_of`: the candidates to add to a team (u1, u3 and u4 are in it).
    let outside = json(app.get(&format!("/api/v1/admin/users?not_member_of={t}&include_inactive=true")).await).await;
    assert_eq!((ids(&outside), outside["total"].clone()), (vec![u2.clone(), admin.clone()], json!(2)));
    let nobody_in = json(app.get(&format!("/api/v1/admin/users?not_member_of={}", Uuid::new_v4())).await).await;
    assert_eq!(nobody_in["total"], 4, "a team without members leaves no one out");

    for (query, expected) in [
        ("limit=0", "query.limit"),
        ("limit=1001", "query.limit"),
        ("limit=abc", "query.limit"),
        ("offset=-1", "query.offset"),
        ("is_admin=maybe", "query.is_admin"),
        ("include_inactive=perhaps", "query.include_inactive"),
        ("active=unknown", "query.active"),
        ("not_member_of=web", "query.not_member_of"),
    ] {
        let e = assert_error(app.get(&format!("/api/v1/admin/users?{query}")).await, 422, "VALIDATION_ERROR").await;
        assert_eq!(field(&e), expected, "{query}");
    }
}

async fn unknown_and_malformed_user_ids_are_404(backend: Backend) {
    let app = admin_app(backend).await;
    let unknown = Uuid::new_v4();
    let e = assert_error(app.get(&format!("/api/v1/admin/users/{unknown}")).await, 404, "NOT_FOUND").await;
    assert_eq!(e["detail"], format!("User not found: {unknown}"));
    let path = format!("/api/v1/admin/users/{unknown}");
    assert_error(send(&app, Method::PUT, &path, &json!({ "display_name": "x" })).await, 404, "NOT_FOUND").await;
    assert_error(send(&app, Method::DELETE, &path, &json!({ "comment": "long enough comment" })).await, 404, "NOT_FOUND").await;
    assert_error(app.post_json(&format!("{path}/activate"), &json!({})).await, 404, "NOT_FOUND").await;
    for bad in ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g"] {
        let path = format!("/api/v1/admin/users/{bad}");
        assert_error(app.get(&path).await, 404, "NOT_FOUND").await;
        assert_error(send(&app, Method::PUT, &path, &json!({ "display_name": "x" })).await, 404, "NOT_FOUND").await;
        assert_error(send(&app, Method::DELETE, &path, &json!({ "comment": "long enough comment" })).await, 404, "NOT_FOUND").await;
        assert_error(app.post_json(&format!("{path}/activate"), &json!({})).await, 404, "NOT_FOUND").await;
    }
    for event in ["user_updated", "user_deactivated", "user_activated"] {
        assert!(audits(&app, event).await.is_empty(), "{event}: a missing target is not audited");
    }
}

async fn put_applies_present_non_null_fields_and_audits_the_changes(backend: Backend) {
    let app = admin_app(backend).await;
    let t = seed::team(&app.db, "web", true).await;
    let user = create_user(&app, json!({ "email": "alice@example.com", "team_ids": [t] })).await;
    let path = format!("/api/v1/admin/users/{}", id_of(&user));

    let resp =
        send(&app, Method::PUT, &path, &json!({ "display_name": "Alice A", "can_use_jit": false, "is_admin": null, "email": "ignored@example.com" })).await;
    assert_eq!(resp.status(), 200);
    let updated = json(resp).await;
    assert_eq!(updated["display_name"], "Alice A");
    assert_eq!(updated["can_use_jit"], false);
    assert_eq!(updated["is_admin"], false, "null leaves it unchanged");
    assert_eq!(updated["email"], "alice@example.com", "not an updatable field");
    assert!(updated["updated_at"].as_str() > user["updated_at"].as_str());
    let rows = audits(&app, "user_updated").await;
    assert_eq!(rows.len(), 1);
    let d = data(&rows[0]);
    assert_eq!(keys(&d), ["changes", "user_id"]);
    assert_eq!(d["changes"], json!({ "display_name": ["alice@example.com", "Alice A"], "can_use_jit": [true, false] }));

    // Nothing applicable: 400, audited as a refusal.
    for body in [json!({}), json!({ "display_name": null, "is_admin": null, "is_active": null, "can_use_jit": null })] {
        let e = assert_error(send(&app, Method::PUT, &path, &body).await, 400, "NOTHING_TO_UPDATE").await;
        assert_eq!(e["detail"], "No fields to update");
    }
    let e = assert_error(send(&app, Method::PUT, &path, &json!({ "display_name": "x".repeat(256) })).await, 422, "VALIDATION_ERROR").await;
    assert_eq!(field(&e), "display_name");
    assert_error(send(&app, Method::PUT, &path, &json!({ "is_admin": "yes" })).await, 422, "VALIDATION_ERROR").await;
    let rows = audits(&app, "user_updated").await;
    assert_eq!(rows.iter().filter(|r| !r.success).count(), 2);
    assert!(rows.iter().filter(|r| !r.success).all(|r| r.error_message.as_deref() == Some("No fields to update")));

    // Values equal to the stored ones change nothing and write nothing.
    assert_eq!(send(&app, Method::PUT, &path, &json!({ "can_use_jit": false })).await.status(), 200);
    assert_eq!(audits(&app, "user_updated").await.len(), 3);

    // Promotion puts the user in the virtual admins team at once.
    assert_eq!(json(send(&app, Method::PUT, &path, &json!({ "is_admin": true })).await).await["is_admin"], true);
    let members = json(app.get(&format!("/api/v1/admin/teams/{ADMINS}/members")).await).await;
    assert_eq!(members["total"], 2);
    let off = json(send(&app, Method::PUT, &path, &json!({ "is_active": false })).await).await;
    assert_eq!(off["is_active"], false);
    assert_eq!(json(app.get(&format!("/api/v1/admin/teams/{ADMINS}/members")).await).await["total"], 1);
    let last = audits(&app, "user_updated").await;
    assert_eq!(data(last.last().expect("row"))["changes"], json!({ "is_active": [true, false] }));
}

async fn the_last_admin_cannot_be_demoted_or_deactivated(backend: Backend) {
    let app = admin_app(backend).await;
    let me = my_id(&app, &app.client).await;
    let path = format!("/api/v1/admin/users/{me}");

    let e = assert_error(send(&app, Method::PUT, &path, &json!({ "is_admin": false })).await, 409, "LAST_ADMIN").await;
    assert!(e["detail"].as_str().expect("detail").contains("At least one admin must remain active"), "{e}");
    assert_error(send(&app, Method::PUT, &path, &json!({ "is_active": false, "display_name": "Boss" })).await, 409, "LAST_ADMIN").await;
    let e = assert_error(send(&app, Method::DELETE, &path, &json!({ "comment": "leaving the company" })).await, 409, "LAST_ADMIN").await;
    assert_eq!(e["detail"], "Cannot deactivate the last active admin user. At least one admin must remain active.");

    let updates = audits(&app, "user_updated").await;
    assert_eq!(updates.len(), 2);
    assert!(updates.iter().all(|r| !r.success && r.error_message.is_some()));
    assert_eq!(data(&updates[1])["changes"], json!({ "display_name": ["admin", "Boss"], "is_active": [true, false] }));
    let deactivations = audits(&app, "user_deactivated").await;
    assert_eq!(deactivations.len(), 1);
    assert!(!deactivations[0].success);
    assert_eq!(deactivations[0].error_message.as_deref(), e["detail"].as_str());
    assert!(security_events(&app.db, "user_deactivated").await.is_empty(), "nothing was deactivated");
    let me_now = json(app.get(&path).await).await;
    assert_eq!((me_now["is_admin"].clone(), me_now["is_active"].clone(), me_now["display_name"].clone()), (json!(true), json!(true), json!("admin")));

    // An inactive admin does not count.
    let dormant = id_of(&create_user(&app, json!({ "email": "dormant@example.com", "is_admin": true })).await);
    assert_eq!(send(&app, Method::DELETE, &format!("/api/v1/admin/users/{dormant}"), &json!({ "comment": "no longer needed" })).await.status(), 204);
    assert_error(send(&app, Method::PUT, &path, &json!({ "is_admin": false })).await, 409, "LAST_ADMIN").await;

    // With a second active admin, an admin may demote themselves, and loses the role at once.
    create_user(&app, json!({ "email": "second@example.com", "is_admin": true })).await;
    assert_eq!(json(send(&app, Method::PUT, &path, &json!({ "is_admin": false })).await).await["is_admin"], false);
    let e = assert_error(app.get("/api/v1/admin/users").await, 403, "FORBIDDEN").await;
    assert_eq!(e["detail"], "Admin privileges required");
}

/// Resets both accounts to active admins.
async fn reset_admins(db: &Db) {
    exec(db, "update users set is_admin = true, is_active = true where username in ('admin', 'ops')").await;
}

async fn two_admins_demoting_each_other_at_once_leave_exactly_one_admin(backend: Backend) {
    let app = admin_app(backend).await;
    let admin = my_id(&app, &app.client).await;
    let (ops, ops_client) = local_account(&app, "ops", None, true).await;
    for round in 0..6 {
        reset_admins(&app.db).await;
        let a = call(&app, &app.client, Method::PUT, &format!("/api/v1/admin/users/{ops}")).json(&json!({ "is_admin": false })).send();
        let b = call(&app, &ops_client, Method::PUT, &format!("/api/v1/admin/users/{admin}")).json(&json!({ "is_admin": false })).send();
        let (a, b) = tokio::join!(a, b);
        let mut statuses = [a.expect("a").status().as_u16(), b.expect("b").status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses[0], 200, "round {round}: {statuses:?}");
        // The loser either passed the role check first and met the guard, or came second.
        assert!(matches!(statuses[1], 403 | 409), "round {round}: {statuses:?}");
        assert_eq!(app.db.count_active_admins().await.expect("count"), 1, "round {round}");
    }
}

async fn two_admins_deactivating_each_other_at_once_leave_exactly_one_admin(backend: Backend) {
    let app = spawn_app(backend).await;
    let (ops, _) = local_account(&app, "ops", None, true).await;
    let admin_id = app.db.find_user_by_username("admin").await.expect("db").expect("admin").id;
    let comment = json!({ "comment": "incident response drill" });
    for round in 0..4 {
        reset_admins(&app.db).await;
        let (admin, ops_client) = (sign_in(&app, "admin").await, sign_in(&app, "ops").await);
        let a = call(&app, &admin, Method::DELETE, &format!("/api/v1/admin/users/{ops}")).json(&comment).send();
        let b = call(&app, &ops_client, Method::DELETE, &format!("/api/v1/admin/users/{admin_id}")).json(&comment).send();
        let (a, b) = tokio::join!(a, b);
        let mut statuses = [a.expect("a").status().as_u16(), b.expect("b").status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses[0], 204, "round {round}: {statuses:?}");
        // The loser met the guard, or its session had already ended (401) or its account was inactive (403).
        assert!(matches!(statuses[1], 401 | 403 | 409), "round {round}: {statuses:?}");
        assert_eq!(app.db.count_active_admins().await.expect("count"), 1, "round {round}");
    }
}

async fn deleting_a_user_deactivates_it_ends_its_sessions_and_records_it(backend: Backend) {
    let app = admin_app(backend).await;
    let (carol, carol_client) = local_account(&app, "carol", Some("carol@example.com"), false).await;
    assert_eq!(carol_client.get(app.url("/api/v1/auth/me")).send().await.expect("me").status(), 200);
    let path = format!("/api/v1/admin/users/{carol}");

    // The body is validated: it is required, with a 10–500 character comment.
    let no_body = call(&app, &app.client, Method::DELETE, &path).send().await.expect("req");
    assert_error(no_body, 422, "VALIDATION_ERROR").await;
    for body in [json!({}), json!({ "comment": "too short" }), json!({ "comment": "x".repeat(501) }), json!({ "comment": null })] {
        let e = assert_error(send(&app, Method::DELETE, &path, &body).await, 422, "VALIDATION_ERROR").await;
        assert_eq!(field(&e), "comment", "{body}");
    }

    let resp = send(&app, Method::DELETE, &path, &json!({ "comment": "Compromised laptop, see INC-42" })).await;
    assert_eq!(resp.status(), 204);
    assert!(resp.text().await.expect("body").is_empty());
    // The session ended; the account can no longer sign in.
    assert_error(carol_client.get(app.url("/api/v1/auth/me")).send().await.expect("me"), 401, "UNAUTHENTICATED").await;
    let relogin = call(&app, &Client::new(), Method::POST, "/auth/local-login")
        .json(&json!({ "username": "carol", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .expect("login");
    assert_error(relogin, 403, "USER_INACTIVE").await;
    assert_eq!(json(app.get(&path).await).await["is_active"], false);

    let rows = audits(&app, "user_deactivated").await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].success);
    let d = data(&rows[0]);
    assert_eq!(keys(&d), ["comment", "deactivated_user_email", "deactivated_user_id", "deactivated_user_oidc_sub"]);
    assert_eq!(
        d,
        json!({ "comment": "Compromised laptop, see INC-42", "deactivated_user_id": carol.to_string(), "deactivated_user_email": "carol@example.com", "deactivated_user_oidc_sub": null })
    );
    let events = security_events(&app.db, "user_deactivated").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "medium");
    assert_eq!(events[0].1.as_deref(), Some("deactivated user carol@example.com"));
    assert_eq!(events[0].2, d, "the event carries the audit row's data");

    // Deactivating again is accepted, and the records are written again.
    assert_eq!(send(&app, Method::DELETE, &path, &json!({ "comment": "second time, still gone" })).await.status(), 204);
    assert_eq!(audits(&app, "user_deactivated").await.len(), 2);
    assert_eq!(security_events(&app.db, "user_deactivated").await.len(), 2);
}

async fn activation_is_idempotent_and_audited_every_time(backend: Backend) {
    let app = admin_app(backend).await;
    let (erin, _) = local_account(&app, "erin", None, false).await;
    let path = format!("/api/v1/admin/users/{erin}");
    assert_eq!(send(&app, Method::DELETE, &path, &json!({ "comment": "temporary suspension" })).await.status(), 204);

    for _ in 0..2 {
        let resp = app.post_json(&format!("{path}/activate"), &json!({})).await;
        assert_eq!(resp.status(), 200);
        let body = json(resp).await;
        assert_eq!(body["is_active"], true);
        assert_eq!(body["username"], "erin");
    }
    let rows = audits(&app, "user_activated").await;
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.success && data(r) == json!({ "user_id": erin.to_string() })));
    // The account works again.
    let client = sign_in(&app, "erin").await;
    assert_eq!(my_id(&app, &client).await, erin);
    // No body is needed.
    let bare = call(&app, &app.client, Method::POST, &format!("{path}/activate")).send().await.expect("req");
    assert_eq!(bare.status(), 200);
}

async fn non_admins_are_refused_before_body_validation(backend: Backend) {
    let app = admin_app(backend).await;
    let (dave, dave_client) = local_account(&app, "dave", None, false).await;
    let u = format!("/api/v1/admin/users/{dave}");
    let c = format!("/api/v1/admin/oauth-clients/{}", Uuid::new_v4());
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::POST, "/api/v1/admin/users".into(), Some(json!({}))),
        (Method::GET, "/api/v1/admin/users?limit=0".into(), None),
        (Method::GET, u.clone(), None),
        (Method::PUT, u.clone(), Some(json!({ "display_name": 5 }))),
        (Method::DELETE, u.clone(), None),
        (Method::POST, format!("{u}/activate"), None),
        (Method::POST, "/api/v1/admin/batch/disable-users".into(), Some(json!({}))),
        (Method::POST, "/api/v1/admin/batch/restore-users".into(), Some(json!({ "comment": 1 }))),
        (Method::POST, "/api/v1/admin/batch/deactivate-teams".into(), None),
        (Method::POST, "/api/v1/admin/batch/reactivate-teams".into(), Some(json!([]))),
        (Method::POST, "/api/v1/admin/oauth-clients".into(), Some(json!({}))),
        (Method::GET, "/api/v1/admin/oauth-clients?limit=999".into(), None),
        (Method::GET, c.clone(), None),
        (Method::PATCH, c.clone(), Some(json!({ "is_active": null }))),
        (Method::DELETE, c.clone(), None),
    ];
    for (method, path, body) in cases {
        let mut req = call(&app, &dave_client, method.clone(), &path);
        if let Some(b) = &body {
            req = req.json(b);
        }
        let e = assert_error(req.send().await.expect("req"), 403, "FORBIDDEN").await;
        assert_eq!(e["detail"], "Admin privileges required", "{method} {path}");
    }
    // Unauthenticated: 401; a cookie write without the CSRF header: 403.
    assert_error(Client::new().get(app.url("/api/v1/admin/users")).send().await.expect("req"), 401, "UNAUTHENTICATED").await;
    let no_csrf = app.client.put(app.url(&u)).json(&json!({ "display_name": "x" })).send().await.expect("req");
    assert_error(no_csrf, 403, "CSRF_CHECK_FAILED").await;
    assert!(audits(&app, "user_updated").await.is_empty());
}

async fn a_user_created_by_subject_authenticates_by_token_until_deactivated(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    app.login_admin().await;
    let t = seed::team(&app.db, "web", true).await;
    let me = |token: String| {
        let app = &app;
        async move { app.get_bearer("/api/v1/auth/me", &token).await }
    };
    assert_error(me(peer.user_token("bob").await).await, 403, "USER_NOT_REGISTERED").await;

    let bob = id_of(&create_user(&app, json!({ "oidc_sub": "bob-sub", "team_ids": [t] })).await);
    let body = json(me(peer.user_token("bob").await).await).await;
    assert_eq!(body["user_id"], bob.as_str());
    assert_eq!(body["teams"][0]["name"], "web");
    assert_eq!(body["is_admin"], false);

    let path = format!("/api/v1/admin/users/{bob}");
    assert_eq!(send(&app, Method::DELETE, &path, &json!({ "comment": "token leaked in CI logs" })).await.status(), 204);
    let token = peer.user_token("bob").await;
    assert_error(me(token.clone()).await, 403, "USER_INACTIVE").await;
    assert_eq!(app.post_json(&format!("{path}/activate"), &json!({})).await.status(), 200);
    assert_eq!(me(token.clone()).await.status(), 200);

    // Promotion takes effect on the token's next request.
    assert_eq!(send(&app, Method::PUT, &path, &json!({ "is_admin": true })).await.status(), 200);
    let admin_view = app.get_bearer("/api/v1/admin/users", &token).await;
    assert_eq!(admin_view.status(), 200);
    assert_eq!(json(me(token).await).await["is_admin"], true);
    let bob_row = json(app.get(&path).await).await;
    assert!(bob_row["last_login_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{bob_row}");
}
