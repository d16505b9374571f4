//! Team and membership routes (API.md §3.6, §8, §9).

use serde_json::{Value, json};

use crate::both_databases;
use crate::helpers::probe::Probe;
use crate::helpers::world::world;
use crate::helpers::{Backend, assert_error, json};
use crate::seed;

both_databases!(
    admins_see_the_virtual_team_first_and_totals_count_it,
    members_and_m2m_clients_see_only_their_teams,
    team_reads_are_refused_to_outsiders_and_missing_teams_are_404,
    patch_is_a_merge_patch_and_audits_the_changes,
    deactivation_and_reactivation_are_audited_and_idempotent_states_refused,
    the_virtual_team_is_immutable,
    memberships_are_added_listed_and_removed,
    non_admins_are_refused_before_their_body_is_read,
    team_names_are_unique_and_admins_is_reserved,
    a_label_policy_is_checked_with_the_messages_of_team_create,
);

async fn admins_see_the_virtual_team_first_and_totals_count_it(backend: Backend) {
    let w = world(backend, json!({})).await;
    let page = json(w.app.get("/api/v1/admin/teams").await).await;
    assert_eq!(page["total"], 3);
    let names: Vec<&str> = page["teams"].as_array().expect("teams").iter().map(|t| t["name"].as_str().expect("n")).collect();
    assert_eq!(names, vec!["admins", "team-a", "team-b"]);
    assert_eq!(page["teams"][0]["is_system"], true);
    assert_eq!(page["teams"][0]["member_count"], 1, "the bootstrap admin");
    assert_eq!(page["teams"][0]["created_at"], "2000-01-01T00:00:00.000000Z");
    let second = json(w.app.get("/api/v1/admin/teams?limit=1&offset=1").await).await;
    assert_eq!(second["teams"][0]["name"], "team-a");
    assert_eq!(second["total"], 3);
    let first = json(w.app.get("/api/v1/admin/teams?limit=1").await).await;
    assert_eq!(first["teams"].as_array().expect("teams").len(), 1);
    assert_eq!(first["teams"][0]["name"], "admins");
}

async fn members_and_m2m_clients_see_only_their_teams(backend: Backend) {
    let w = world(backend, json!({})).await;
    let m2m = json(w.app.client.get(w.app.url("/api/v1/admin/teams")).bearer_auth(&w.m2m_b).send().await.expect("req")).await;
    assert_eq!(m2m["total"], 1);
    assert_eq!(m2m["teams"][0]["name"], "team-b");
    let alice = seed::user(&w.app.db, "alice@example.com", Some("alice-sub"), true).await;
    seed::member(&w.app.db, w.team_a, alice).await;
    let token = w.peer.user_token("alice").await;
    let mine = json(w.app.client.get(w.app.url("/api/v1/admin/teams")).bearer_auth(&token).send().await.expect("req")).await;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["teams"][0]["name"], "team-a");
    assert_eq!(mine["teams"][0]["member_count"], 1);
    let own = json(w.app.client.get(w.app.url(&format!("/api/v1/admin/teams/users/{alice}/teams"))).bearer_auth(&token).send().await.expect("req")).await;
    assert_eq!(own["total"], 1);
    let admin_id = seed::user(&w.app.db, "other@example.com", None, true).await;
    let other = w.app.client.get(w.app.url(&format!("/api/v1/admin/teams/users/{admin_id}/teams"))).bearer_auth(&token).send().await.expect("req");
    assert_error(other, 403, "FORBIDDEN").await;
}

async fn team_reads_are_refused_to_outsiders_and_missing_teams_are_404(backend: Backend) {
    let w = world(backend, json!({})).await;
    let get = |path: String, token: &str| w.app.client.get(w.app.url(&path)).bearer_auth(token.to_owned()).send();
    assert_eq!(get(format!("/api/v1/admin/teams/{}", w.team_a), &w.m2m_a).await.expect("req").status(), 200);
    let denied = assert_error(get(format!("/api/v1/admin/teams/{}", w.team_a), &w.m2m_b).await.expect("req"), 403, "NOT_TEAM_MEMBER").await;
    assert_eq!(denied["detail"], "Access denied: not a team member");
    assert_error(get(format!("/api/v1/admin/teams/{}/members", w.team_a), &w.m2m_b).await.expect("req"), 403, "NOT_TEAM_MEMBER").await;
    assert_error(get("/api/v1/admin/teams/00000000-0000-0000-0000-000000000001".into(), &w.m2m_b).await.expect("req"), 403, "NOT_TEAM_MEMBER").await;
    assert_error(get("/api/v1/admin/teams/00000000-0000-0000-0000-000000000001/members".into(), &w.m2m_b).await.expect("req"), 403, "FORBIDDEN").await;
    assert_error(w.app.get("/api/v1/admin/teams/00000000-0000-0000-0000-00000000beef").await, 404, "NOT_FOUND").await;
    assert_error(w.app.get("/api/v1/admin/teams/garbage").await, 404, "NOT_FOUND").await;
    let admins = json(w.app.get("/api/v1/admin/teams/00000000-0000-0000-0000-000000000001").await).await;
    assert_eq!(admins["name"], "admins");
}

async fn patch(w: &crate::helpers::world::World, body: Value) -> reqwest::Response {
    w.app.client.patch(w.app.url(&format!("/api/v1/admin/teams/{}", w.team_a))).header("x-requested-with", "gharts").json(&body).send().await.expect("req")
}

async fn patch_is_a_merge_patch_and_audits_the_changes(backend: Backend) {
    let w = world(backend, json!({ "description": "first", "max_runners": 5, "required_labels": ["x"] })).await;
    let t = json(patch(&w, json!({ "max_runners": null, "optional_label_patterns": ["a.*"] })).await).await;
    assert_eq!(t["max_runners"], Value::Null, "explicit null clears");
    assert_eq!(t["description"], "first", "absent stays");
    assert_eq!(t["optional_label_patterns"], json!(["a.*"]));
    let t = json(patch(&w, json!({ "optional_label_patterns": [] })).await).await;
    assert_eq!(t["optional_label_patterns"], Value::Null, "[] is stored as null");
    assert_eq!(json(patch(&w, json!({})).await).await["description"], "first");
    assert_error(patch(&w, json!({ "required_labels": null })).await, 422, "VALIDATION_ERROR").await;
    let e = assert_error(patch(&w, json!({ "allowed_runner_group_ids": [2, 3] })).await, 422, "VALIDATION_ERROR").await;
    assert_eq!(e["errors"][0]["field"], "default_runner_group_id");
    let t = json(patch(&w, json!({ "allowed_runner_group_ids": [2, 3], "default_runner_group_id": 3, "name": "ignored" })).await).await;
    assert_eq!(t["default_runner_group_id"], 3);
    assert_eq!(t["name"], "team-a");
    let updates = w.app.db.audit_rows_by_type("team_updated").await.expect("audit");
    assert_eq!(updates.len(), 3, "no-op patches are not audited");
    let data: Value = serde_json::from_str(updates[0].event_data.as_deref().expect("data")).expect("json");
    assert_eq!(data["changes"]["max_runners"], json!([5, null]));
}

async fn deactivation_and_reactivation_are_audited_and_idempotent_states_refused(backend: Backend) {
    let w = world(backend, json!({})).await;
    let path = |verb: &str| format!("/api/v1/admin/teams/{}/{verb}", w.team_a);
    assert_error(w.app.post_json(&path("deactivate"), &json!({})).await, 422, "VALIDATION_ERROR").await;
    let t = json(w.app.post_json(&path("deactivate"), &json!({ "reason": "compromised" })).await).await;
    assert_eq!(t["is_active"], false);
    assert_eq!(t["deactivation_reason"], "compromised");
    assert_eq!(t["deactivated_by"], "admin");
    let again = assert_error(w.app.post_json(&path("deactivate"), &json!({ "reason": "x" })).await, 400, "ALREADY_IN_STATE").await;
    assert_eq!(again["detail"], "Team 'team-a' is already deactivated");
    // The team's M2M client is refused while the team is inactive.
    let me = w.app.client.get(w.app.url("/api/v1/auth/me")).bearer_auth(&w.m2m_a).send().await.expect("req");
    assert_error(me, 403, "TEAM_INACTIVE").await;
    let listed = json(w.app.get("/api/v1/admin/teams").await).await;
    assert_eq!(listed["total"], 2, "inactive teams hidden by default");
    assert_eq!(json(w.app.get("/api/v1/admin/teams?include_inactive=true").await).await["total"], 3);
    let t = json(w.app.post_json(&path("reactivate"), &json!({})).await).await;
    assert_eq!(t["is_active"], true);
    assert_eq!(t["deactivated_at"], Value::Null);
    assert_error(w.app.post_json(&path("reactivate"), &json!({})).await, 400, "ALREADY_IN_STATE").await;
    assert_eq!(w.app.db.audit_rows_by_type("team_deactivated").await.expect("audit").len(), 1);
    assert_eq!(w.app.db.audit_rows_by_type("team_reactivated").await.expect("audit").len(), 1);
}

async fn the_virtual_team_is_immutable(backend: Backend) {
    let w = world(backend, json!({})).await;
    let admins = "/api/v1/admin/teams/00000000-0000-0000-0000-000000000001";
    let p = w.app.client.patch(w.app.url(admins)).header("x-requested-with", "gharts").json(&json!({ "description": "x" })).send().await.expect("req");
    assert_error(p, 400, "SYSTEM_TEAM_IMMUTABLE").await;
    assert_error(w.app.post_json(&format!("{admins}/deactivate"), &json!({ "reason": "x" })).await, 400, "SYSTEM_TEAM_IMMUTABLE").await;
    let user = seed::user(&w.app.db, "x@example.com", None, true).await;
    assert_error(w.app.post_json(&format!("{admins}/members"), &json!({ "user_id": user })).await, 400, "SYSTEM_TEAM_IMMUTABLE").await;
    let members = json(w.app.get(&format!("{admins}/members")).await).await;
    assert_eq!(members["total"], 1);
    assert_eq!(members["members"][0]["added_by"], "system");
}

async fn memberships_are_added_listed_and_removed(backend: Backend) {
    let w = world(backend, json!({})).await;
    let bob = seed::user(&w.app.db, "bob@example.com", None, true).await;
    let carol = seed::user(&w.app.db, "Carol@example.com", None, false).await;
    let members = format!("/api/v1/admin/teams/{}/members", w.team_a);
    let added = w.app.post_json(&members, &json!({ "user_id": carol })).await;
    assert_eq!(added.status(), 201);
    assert_eq!(json(added).await["is_active"], false, "inactive users may be added");
    w.app.post_json(&members, &json!({ "user_id": bob })).await;
    let dup = assert_error(w.app.post_json(&members, &json!({ "user_id": bob })).await, 400, "ALREADY_MEMBER").await;
    assert_eq!(dup["detail"], "User bob@example.com is already a member of team team-a");
    assert_error(w.app.post_json(&members, &json!({ "user_id": "00000000-0000-0000-0000-00000000abcd" })).await, 400, "INVALID_REFERENCE").await;
    assert_error(w.app.post_json(&members, &json!({})).await, 422, "VALIDATION_ERROR").await;
    let list = json(w.app.get(&members).await).await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["team_name"], "team-a");
    let emails: Vec<&str> = list["members"].as_array().expect("m").iter().map(|m| m["email"].as_str().expect("e")).collect();
    assert_eq!(emails, vec!["bob@example.com", "Carol@example.com"], "case-insensitive email order");
    let del = w.app.client.delete(w.app.url(&format!("{members}/{bob}"))).header("x-requested-with", "gharts").send().await.expect("req");
    assert_eq!(del.status(), 204);
    let again = w.app.client.delete(w.app.url(&format!("{members}/{bob}"))).header("x-requested-with", "gharts").send().await.expect("req");
    assert_error(again, 400, "MEMBERSHIP_NOT_FOUND").await;
    assert_eq!(w.app.db.audit_rows_by_type("team_member_added").await.expect("audit").len(), 2);
    assert_eq!(w.app.db.audit_rows_by_type("team_member_removed").await.expect("audit").len(), 1);
}

async fn non_admins_are_refused_before_their_body_is_read(backend: Backend) {
    let w = world(backend, json!({})).await;
    let resp = w
        .app
        .client
        .post(w.app.url("/api/v1/admin/teams"))
        .bearer_auth(&w.m2m_a)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("req");
    let body = assert_error(resp, 403, "FORBIDDEN").await;
    assert_eq!(body["detail"], "Admin privileges required");
    let anon = reqwest::Client::new().post(w.app.url("/api/v1/admin/teams")).json(&json!({ "name": "x" })).send().await.expect("req");
    assert_error(anon, 401, "UNAUTHENTICATED").await;
}

async fn team_names_are_unique_and_admins_is_reserved(backend: Backend) {
    let w = world(backend, json!({})).await;
    let taken = assert_error(w.app.post_json("/api/v1/admin/teams", &json!({ "name": "team-a" })).await, 400, "TEAM_NAME_TAKEN").await;
    assert_eq!(taken["detail"], "Team 'team-a' already exists");
    assert_error(w.app.post_json("/api/v1/admin/teams", &json!({ "name": "admins" })).await, 400, "TEAM_NAME_TAKEN").await;
    let bad = assert_error(w.app.post_json("/api/v1/admin/teams", &json!({ "name": "Bad_Name", "max_runners": -1 })).await, 422, "VALIDATION_ERROR").await;
    let fields: Vec<&str> = bad["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("f")).collect();
    assert_eq!(fields, vec!["name", "max_runners"]);
    let created = json(w.app.post_json("/api/v1/admin/teams", &json!({ "name": "gpu-farm", "default_runner_group_id": 9 })).await).await;
    assert_eq!(created["allowed_runner_group_ids"], json!([9]));
    assert_eq!(created["created_by"], "admin");
    assert_eq!(created["member_count"], 0);
}

/// API.md §8.7: the live check answers exactly the field errors team create and update would,
/// and writes nothing.
async fn a_label_policy_is_checked_with_the_messages_of_team_create(backend: Backend) {
    let w = world(backend, json!({})).await;
    let bad = json!({ "required_labels": ["ok", "not ok!"], "optional_label_patterns": ["gpu-.*", "gpu-(", "prod)|(dev"] });
    let resp = w.app.post_json("/api/v1/admin/teams/label-policy/validate", &bad).await;
    assert_eq!(resp.status(), 200);
    let verdict = json(resp).await;
    assert_eq!(verdict["valid"], false, "{verdict}");
    let fields: Vec<&str> = verdict["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
    assert_eq!(fields, ["required_labels[1]", "optional_label_patterns[1]", "optional_label_patterns[2]"], "{verdict}");
    let mut create = bad.clone();
    create["name"] = json!("policy-probe");
    let refused = assert_error(w.app.post_json("/api/v1/admin/teams", &create).await, 422, "VALIDATION_ERROR").await;
    assert_eq!(refused["errors"], verdict["errors"], "the same fields and messages as team create");
    let patched = assert_error(patch(&w, bad.clone()).await, 422, "VALIDATION_ERROR").await;
    assert_eq!(patched["errors"], verdict["errors"], "and as team update");
    let ok = json(w.app.post_json("/api/v1/admin/teams/label-policy/validate", &json!({ "optional_label_patterns": ["gpu-.*"] })).await).await;
    assert_eq!(ok, json!({ "valid": true, "errors": [] }));
    assert_error(w.app.post_json("/api/v1/admin/teams/label-policy/validate", &json!({ "optional_label_patterns": "gpu" })).await, 422, "VALIDATION_ERROR")
        .await;
    assert_eq!(json(w.app.get("/api/v1/admin/teams").await).await["total"], 3, "nothing was written");
    let resp = w.app.client.post(w.app.url("/api/v1/admin/teams/label-policy/validate")).bearer_auth(&w.m2m_a).json(&bad).send().await.expect("req");
    assert_error(resp, 403, "FORBIDDEN").await;
}
