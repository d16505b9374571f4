//! OAuth (M2M) client registrations (API.md §11) and their effect on M2M authentication (§2.3).

use reqwest::Method;
use serde_json::{Value, json};
use server::db::Db;
use uuid::Uuid;

use crate::both_databases;
use crate::helpers::accounts::{ADMINS, admin_app, audits, call, data, keys, send};
use crate::helpers::{Backend, TestApp, assert_error, json, oidc_app};
use crate::oidc_peer::OidcPeer;
use crate::seed;

const CLIENTS: &str = "/api/v1/admin/oauth-clients";

async fn register(app: &TestApp, client_id: &str, team: Uuid) -> Value {
    let resp = app.post_json(CLIENTS, &json!({ "client_id": client_id, "team_id": team })).await;
    assert_eq!(resp.status(), 201, "register {client_id}");
    json(resp).await
}

fn path(c: &Value) -> String {
    format!("{CLIENTS}/{}", c["id"].as_str().expect("id"))
}

fn client_ids(v: &Value) -> Vec<&str> {
    v["clients"].as_array().expect("clients").iter().map(|c| c["client_id"].as_str().expect("client_id")).collect()
}

both_databases!(
    registering_a_client_returns_it_and_audits_it,
    registration_errors_follow_the_contract_and_refusals_are_audited,
    the_client_list_is_ordered_filtered_and_paginated_with_the_skip_alias,
    patch_is_a_merge_patch_that_keeps_one_active_client_per_team,
    concurrent_registrations_for_one_team_leave_one_active_client,
    delete_is_a_hard_delete_that_keeps_the_audit_trail,
    unknown_and_malformed_client_ids_are_404,
    a_client_registered_through_the_api_authenticates_until_disabled_or_deleted,
);

async fn registering_a_client_returns_it_and_audits_it(backend: Backend) {
    let app = admin_app(backend).await;
    let team = seed::team(&app.db, "ml-infra", true).await;

    let resp = app.post_json(CLIENTS, &json!({ "client_id": "ci-pipeline", "team_id": team, "description": "CI", "is_active": false })).await;
    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"].to_str().expect("ascii").to_owned();
    let c = json(resp).await;
    assert_eq!(location, path(&c));
    assert_eq!(keys(&c), ["client_id", "created_at", "created_by", "description", "id", "is_active", "last_used_at", "team_id", "team_name", "updated_at"]);
    assert_eq!((c["client_id"].clone(), c["team_id"].clone(), c["team_name"].clone()), (json!("ci-pipeline"), json!(team.to_string()), json!("ml-infra")));
    assert_eq!((c["description"].clone(), c["is_active"].clone(), c["created_by"].clone()), (json!("CI"), json!(true), json!("admin")));
    assert_eq!(c["last_used_at"], Value::Null);
    assert!(c["created_at"].as_str().is_some_and(|t| t.ends_with('Z') && t.len() == 27));
    assert_eq!(json(app.get(&path(&c)).await).await, c);

    let rows = audits(&app, "oauth_client_created").await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].success);
    assert_eq!(rows[0].team_id, Some(team));
    assert_eq!(data(&rows[0]), json!({ "id": c["id"], "client_id": "ci-pipeline", "team_id": team.to_string() }));

    // An inactive team may get a registration.
    let dormant = seed::team(&app.db, "dormant", false).await;
    assert_eq!(register(&app, "dormant-ci", dormant).await["team_name"], "dormant");
}

async fn registration_errors_follow_the_contract_and_refusals_are_audited(backend: Backend) {
    let app = admin_app(backend).await;
    let team = seed::team(&app.db, "ml-infra", true).await;
    let first = register(&app, "ci", team).await;

    assert_error(app.post_json(CLIENTS, &json!({ "client_id": "admins-ci", "team_id": ADMINS })).await, 400, "SYSTEM_TEAM_IMMUTABLE").await;
    let unknown = Uuid::new_v4();
    let e = assert_error(app.post_json(CLIENTS, &json!({ "client_id": "x", "team_id": unknown })).await, 404, "NOT_FOUND").await;
    assert_eq!(e["detail"], format!("Team '{unknown}' not found."));
    let other = seed::team(&app.db, "other", true).await;
    let e = assert_error(app.post_json(CLIENTS, &json!({ "client_id": "ci", "team_id": other })).await, 409, "OAUTH_CLIENT_ALREADY_REGISTERED").await;
    assert_eq!(e["detail"], "OAuth client 'ci' already registered.");
    let e = assert_error(app.post_json(CLIENTS, &json!({ "client_id": "ci-2", "team_id": team })).await, 409, "TEAM_HAS_ACTIVE_CLIENT").await;
    assert_eq!(
        e["detail"],
        format!("Team '{team}' already has an active M2M client (client_id='ci'). Disable or delete the existing registration before adding a new one.")
    );

    for (body, expected) in [
        (json!({ "team_id": team }), "body"),
        (json!({ "client_id": "", "team_id": team }), "client_id"),
        (json!({ "client_id": "has space", "team_id": team }), "client_id"),
        (json!({ "client_id": "tab\there", "team_id": team }), "client_id"),
        (json!({ "client_id": "c".repeat(256), "team_id": team }), "client_id"),
        (json!({ "client_id": 5, "team_id": team }), "client_id"),
        (json!({ "client_id": "ok" }), "body"),
        (json!({ "client_id": "ok", "team_id": "nope" }), "team_id"),
        (json!({ "client_id": "ok", "team_id": team, "description": "d".repeat(501) }), "description"),
    ] {
        let e = assert_error(app.post_json(CLIENTS, &body).await, 422, "VALIDATION_ERROR").await;
        assert_eq!(e["errors"][0]["field"], expected, "{body}");
    }

    let rows = audits(&app, "oauth_client_created").await;
    assert_eq!(rows.len(), 4, "the success and the three business-rule refusals (not the 404 or the 422s)");
    let refusals: Vec<_> = rows.iter().filter(|r| !r.success).collect();
    assert_eq!(refusals.len(), 3);
    assert!(refusals.iter().all(|r| r.error_message.is_some() && keys(&data(r)) == ["client_id", "id", "team_id"]));

    // Once the active registration is disabled, the team may get another.
    assert_eq!(send(&app, Method::PATCH, &path(&first), &json!({ "is_active": false })).await.status(), 200);
    assert_eq!(register(&app, "ci-2", team).await["is_active"], true);
}

async fn the_client_list_is_ordered_filtered_and_paginated_with_the_skip_alias(backend: Backend) {
    let app = admin_app(backend).await;
    let (a, b) = (seed::team(&app.db, "team-a", true).await, seed::team(&app.db, "team-b", true).await);
    let a1 = register(&app, "a1", a).await;
    assert_eq!(send(&app, Method::PATCH, &path(&a1), &json!({ "is_active": false })).await.status(), 200);
    register(&app, "a2", a).await;
    register(&app, "b1", b).await;

    let list = |q: &str| {
        let url = format!("{CLIENTS}?{q}");
        let app = &app;
        async move {
            let resp = app.get(&url).await;
            assert_eq!(resp.status(), 200, "{url}");
            json(resp).await
        }
    };
    let active = list("").await;
    assert_eq!(client_ids(&active), ["b1", "a2"], "active only by default, newest first");
    assert_eq!((active["total"].clone(), active["limit"].clone(), active["offset"].clone()), (json!(2), json!(50), json!(0)));
    assert_eq!(client_ids(&list("active_only=false").await), ["b1", "a2", "a1"]);
    assert_eq!(client_ids(&list(&format!("team_id={a}&active_only=0")).await), ["a2", "a1"]);
    assert_eq!(client_ids(&list(&format!("team_id={a}")).await), ["a2"]);
    let page = list("active_only=no&limit=1&offset=1").await;
    assert_eq!((client_ids(&page), page["total"].clone(), page["limit"].clone()), (vec!["a2"], json!(3), json!(1)));
    let skipped = list("active_only=false&skip=2").await;
    assert_eq!((client_ids(&skipped), skipped["offset"].clone()), (vec!["a1"], json!(2)));
    let offset_wins = list("active_only=false&skip=2&offset=0").await;
    assert_eq!((client_ids(&offset_wins), offset_wins["offset"].clone()), (vec!["b1", "a2", "a1"], json!(0)));
    let past = list("offset=10").await;
    assert_eq!((past["clients"].clone(), past["total"].clone()), (json!([]), json!(2)));
    assert_eq!(list("limit=200").await["limit"], 200);

    for (q, expected) in [
        ("limit=201", "query.limit"),
        ("limit=0", "query.limit"),
        ("offset=-1", "query.offset"),
        ("skip=-1", "query.skip"),
        ("skip=x", "query.skip"),
        ("team_id=nope", "query.team_id"),
        ("active_only=maybe", "query.active_only"),
    ] {
        let e = assert_error(app.get(&format!("{CLIENTS}?{q}")).await, 422, "VALIDATION_ERROR").await;
        assert_eq!(e["errors"][0]["field"], expected, "{q}");
    }
}

async fn patch_is_a_merge_patch_that_keeps_one_active_client_per_team(backend: Backend) {
    let app = admin_app(backend).await;
    let team = seed::team(&app.db, "ml-infra", true).await;
    let resp = app.post_json(CLIENTS, &json!({ "client_id": "ci", "team_id": team, "description": "first" })).await;
    let c = json(resp).await;
    let p = path(&c);

    let same = json(send(&app, Method::PATCH, &p, &json!({})).await).await;
    assert_eq!(same, c, "an empty patch changes nothing");
    let second = json(send(&app, Method::PATCH, &p, &json!({ "description": "second", "client_id": "ignored" })).await).await;
    assert_eq!((second["description"].clone(), second["is_active"].clone(), second["client_id"].clone()), (json!("second"), json!(true), json!("ci")));
    assert!(second["updated_at"].as_str() > c["updated_at"].as_str());
    let cleared = json(send(&app, Method::PATCH, &p, &json!({ "description": null })).await).await;
    assert_eq!(cleared["description"], Value::Null);
    let e = assert_error(send(&app, Method::PATCH, &p, &json!({ "is_active": null })).await, 422, "VALIDATION_ERROR").await;
    assert_eq!(e["errors"][0]["field"], "is_active");
    let e = assert_error(send(&app, Method::PATCH, &p, &json!({ "description": "d".repeat(501) })).await, 422, "VALIDATION_ERROR").await;
    assert_eq!(e["errors"][0]["field"], "description");
    assert_eq!(json(send(&app, Method::PATCH, &p, &json!({ "is_active": false })).await).await["is_active"], false);

    // Another registration takes the team; re-activating the first is refused.
    let c2 = register(&app, "ci-2", team).await;
    let e = assert_error(send(&app, Method::PATCH, &p, &json!({ "is_active": true, "description": "back" })).await, 409, "TEAM_HAS_ACTIVE_CLIENT").await;
    assert!(e["detail"].as_str().expect("detail").contains("client_id='ci-2'"), "{e}");
    assert_eq!(json(app.get(&p).await).await["description"], Value::Null, "nothing changed");
    assert_eq!(send(&app, Method::PATCH, &path(&c2), &json!({ "is_active": false })).await.status(), 200);
    assert_eq!(json(send(&app, Method::PATCH, &p, &json!({ "is_active": true })).await).await["is_active"], true);

    let rows = audits(&app, "oauth_client_updated").await;
    assert_eq!(rows.len(), 6, "four changes of ci, one of ci-2, one refusal");
    assert!(rows.iter().all(|r| keys(&data(r)) == ["changes", "client_id", "id", "team_id"] && r.team_id == Some(team)));
    assert_eq!(data(&rows[0])["changes"], json!({ "description": ["first", "second"] }));
    assert_eq!(data(&rows[1])["changes"], json!({ "description": ["second", null] }));
    let refusal = &rows[3];
    assert!(!refusal.success);
    assert_eq!(data(refusal)["changes"], json!({ "description": [null, "back"], "is_active": [false, true] }));
}

async fn concurrent_registrations_for_one_team_leave_one_active_client(backend: Backend) {
    let app = admin_app(backend).await;
    let team = seed::team(&app.db, "ml-infra", true).await;
    for round in 0..4 {
        let (x, y) = (format!("x{round}"), format!("y{round}"));
        let (bx, by) = (json!({ "client_id": x, "team_id": team }), json!({ "client_id": y, "team_id": team }));
        let (a, b) = tokio::join!(app.post_json(CLIENTS, &bx), app.post_json(CLIENTS, &by));
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "round {round}");
        let listed = json(app.get(&format!("{CLIENTS}?team_id={team}")).await).await;
        assert_eq!(listed["total"], 1, "round {round}");
        // Free the team for the next round.
        let active = listed["clients"][0].clone();
        assert_eq!(send(&app, Method::PATCH, &path(&active), &json!({ "is_active": false })).await.status(), 200);
    }
    // Two inactive registrations re-activated at once: one wins.
    let all = json(app.get(&format!("{CLIENTS}?active_only=false&limit=2")).await).await;
    let (p, q) = (path(&all["clients"][0]), path(&all["clients"][1]));
    let on = json!({ "is_active": true });
    let (a, b) = tokio::join!(send(&app, Method::PATCH, &p, &on), send(&app, Method::PATCH, &q, &on));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    assert_eq!(json(app.get(&format!("{CLIENTS}?team_id={team}")).await).await["total"], 1);
}

async fn insert_runner(db: &Db, team: Uuid, client: Uuid) -> Uuid {
    let id = Uuid::new_v4();
    let now = chrono::Utc::now();
    let sql = "insert into runners (id, runner_name, status, runner_group_id, team_id, provisioned_by, actor_type, owner_client_id, created_at, updated_at) \
               values ($1, 'r1', 'idle', 1, $2, 'm2m:ml-infra', 'm2m', $3, $4, $4)";
    crate::on_pool!(db, p => sqlx::query(sql).bind(id).bind(team).bind(client).bind(now).execute(p).await.map(|_| ())).expect("runner");
    id
}

async fn runner_owner(db: &Db, id: Uuid) -> Option<Uuid> {
    let sql = "select owner_client_id from runners where id = $1";
    crate::on_pool!(db, p => sqlx::query_scalar(sql).bind(id).fetch_one(p).await).expect("runner")
}

async fn delete_is_a_hard_delete_that_keeps_the_audit_trail(backend: Backend) {
    let app = admin_app(backend).await;
    let team = seed::team(&app.db, "ml-infra", true).await;
    let c = register(&app, "ci", team).await;
    let id: Uuid = c["id"].as_str().expect("id").parse().expect("uuid");
    let runner = insert_runner(&app.db, team, id).await;

    let resp = call(&app, &app.client, Method::DELETE, &path(&c)).send().await.expect("req");
    assert_eq!(resp.status(), 204);
    assert!(resp.text().await.expect("body").is_empty());
    assert_error(app.get(&path(&c)).await, 404, "NOT_FOUND").await;
    assert_error(call(&app, &app.client, Method::DELETE, &path(&c)).send().await.expect("req"), 404, "NOT_FOUND").await;
    assert_eq!(json(app.get(&format!("{CLIENTS}?active_only=false")).await).await["total"], 0);
    // The runner it provisioned stays, without the link.
    assert_eq!(runner_owner(&app.db, runner).await, None);

    let rows = audits(&app, "oauth_client_deleted").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(data(&rows[0]), json!({ "id": id.to_string(), "client_id": "ci", "team_id": team.to_string() }));
    // The client id is free again.
    register(&app, "ci", team).await;
}

async fn unknown_and_malformed_client_ids_are_404(backend: Backend) {
    let app = admin_app(backend).await;
    for id in [Uuid::new_v4().to_string(), "not-a-uuid".to_owned(), "42".to_owned()] {
        let p = format!("{CLIENTS}/{id}");
        let e = assert_error(app.get(&p).await, 404, "NOT_FOUND").await;
        if id.len() == 36 {
            assert_eq!(e["detail"], "OAuth client not found.");
        }
        assert_error(send(&app, Method::PATCH, &p, &json!({ "description": "x" })).await, 404, "NOT_FOUND").await;
        assert_error(call(&app, &app.client, Method::DELETE, &p).send().await.expect("req"), 404, "NOT_FOUND").await;
    }
    assert!(audits(&app, "oauth_client_updated").await.is_empty());
    assert!(audits(&app, "oauth_client_deleted").await.is_empty());
}

async fn a_client_registered_through_the_api_authenticates_until_disabled_or_deleted(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    app.login_admin().await;
    let team = seed::team(&app.db, "ci-team", true).await;
    let token = peer.m2m_token("m2m-a").await;
    let me = || app.get_bearer("/api/v1/auth/me", &token);

    assert_error(me().await, 403, "M2M_CLIENT_NOT_REGISTERED").await;
    let c = register(&app, "m2m-a", team).await;
    let body = json(me().await).await;
    assert_eq!((body["user_id"].clone(), body["actor_type"].clone()), (json!("m2m:ci-team"), json!("m2m")));
    assert!(json(app.get(&path(&c)).await).await["last_used_at"].is_string(), "use is recorded");

    // An M2M principal is never an admin.
    let forbidden = app.get_bearer(CLIENTS, &token).await;
    assert_error(forbidden, 403, "FORBIDDEN").await;
    let forbidden = app.client.post(app.url("/api/v1/admin/users")).bearer_auth(&token).json(&json!({})).send().await.expect("req");
    assert_error(forbidden, 403, "FORBIDDEN").await;

    assert_eq!(send(&app, Method::PATCH, &path(&c), &json!({ "is_active": false })).await.status(), 200);
    assert_error(me().await, 403, "M2M_CLIENT_DISABLED").await;
    assert_eq!(send(&app, Method::PATCH, &path(&c), &json!({ "is_active": true })).await.status(), 200);
    assert_eq!(me().await.status(), 200);

    // A batch team deactivation locks the client out with its team.
    let off = app.post_json("/api/v1/admin/batch/deactivate-teams", &json!({ "comment": "CI credentials leaked", "reason": "leak", "team_ids": [team] })).await;
    assert_eq!(off.status(), 200);
    assert_error(me().await, 403, "TEAM_INACTIVE").await;
    let on = app.post_json("/api/v1/admin/batch/reactivate-teams", &json!({ "comment": "CI credentials rotated", "team_ids": [team] })).await;
    assert_eq!(on.status(), 200);
    assert_eq!(me().await.status(), 200);

    assert_eq!(call(&app, &app.client, Method::DELETE, &path(&c)).send().await.expect("req").status(), 204);
    assert_error(me().await, 403, "M2M_CLIENT_NOT_REGISTERED").await;
}
