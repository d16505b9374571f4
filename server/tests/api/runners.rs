//! Runner reads and actions (API.md §7.3–§7.6): visibility, detail, refresh, delete.

use serde_json::json;
use server::github::GitHubError;

use crate::both_databases;
use crate::helpers::probe::Probe;
use crate::helpers::world::world;
use crate::helpers::{Backend, assert_error, json};
use crate::seed;

both_databases!(
    lists_show_each_caller_only_what_they_may_see,
    list_filters_and_paging_happen_in_the_database,
    details_of_another_teams_runner_are_404_like_a_missing_one,
    refresh_reads_github_by_id_and_follows_the_lifecycle,
    delete_removes_at_github_then_marks_deleted,
    a_busy_runner_cannot_be_deleted_and_stays_unchanged,
    a_name_equal_to_provisioned_by_grants_no_access,
);

/// Access follows stored owner ids and team membership, never the `provisioned_by` text: a user
/// whose name equals it (an imported runner's provisioner, a reused email) sees nothing.
async fn a_name_equal_to_provisioned_by_grants_no_access(backend: Backend) {
    let w = world(backend, json!({})).await;
    let body = json(w.provision(&w.m2m_a, &json!({ "runner_name": "theirs" })).await).await;
    let id = body["runner_id"].as_str().expect("id").to_owned();
    crate::on_pool!(&w.app.db, p => sqlx::query("update runners set provisioned_by = 'mallory' where runner_name = 'theirs'").execute(p).await.map(|_| ()))
        .expect("update");
    let (_, mallory) = crate::helpers::accounts::local_account(&w.app, "mallory", None, false).await;
    let listed = json(mallory.get(w.app.url("/api/v1/runners")).send().await.expect("list")).await;
    assert_eq!(listed["total"], 0, "{listed}");
    assert_error(mallory.get(w.app.url(&format!("/api/v1/runners/{id}"))).send().await.expect("get"), 404, "NOT_FOUND").await;
}

async fn lists_show_each_caller_only_what_they_may_see(backend: Backend) {
    let w = world(backend, json!({})).await;
    for i in 0..3 {
        assert_eq!(w.provision(&w.m2m_a, &json!({ "runner_name": format!("a{i}") })).await.status(), 201);
    }
    assert_eq!(w.provision(&w.m2m_b, &json!({ "runner_name": "b0" })).await.status(), 201);
    let list = |token: String| {
        let app = &w.app;
        async move { json(app.client.get(app.url("/api/v1/runners")).bearer_auth(token).send().await.expect("req")).await }
    };
    let a = list(w.m2m_a.clone()).await;
    assert_eq!(a["total"], 3);
    assert!(a["runners"].as_array().expect("runners").iter().all(|r| r["team_name"] == "team-a"));
    assert_eq!(list(w.m2m_b.clone()).await["total"], 1);
    assert_eq!(json(w.app.get("/api/v1/runners").await).await["total"], 4, "admin sees all");

    // A member sees the team's runners; a user without a team sees none.
    let alice = seed::user(&w.app.db, "alice@example.com", Some("alice-sub"), true).await;
    seed::user(&w.app.db, "bob@example.com", Some("bob-sub"), true).await;
    seed::member(&w.app.db, w.team_b, alice).await;
    assert_eq!(list(w.peer.user_token("alice").await).await["total"], 1);
    assert_eq!(list(w.peer.user_token("bob").await).await["total"], 0);
    // A filter cannot widen the view.
    let other = json(w.app.client.get(w.app.url(&format!("/api/v1/runners?team_id={}", w.team_a))).bearer_auth(&w.m2m_b).send().await.expect("req")).await;
    assert_eq!(other["total"], 0);
}

async fn list_filters_and_paging_happen_in_the_database(backend: Backend) {
    let w = world(backend, json!({})).await;
    for i in 0..5 {
        w.provision(&w.m2m_a, &json!({ "runner_name": format!("p{i}") })).await;
    }
    w.provision(&w.m2m_a, &json!({ "runner_name": "web_Build-1" })).await;
    w.provision(&w.m2m_a, &json!({ "runner_name": "webXbuild-2" })).await;
    // The console's search box: a case-insensitive part of the name, `_` and `%` as themselves.
    let named = |q: &'static str| {
        let app = &w.app;
        async move {
            let list = json(app.get(&format!("/api/v1/runners?name_contains={q}")).await).await;
            list["runners"].as_array().expect("array").iter().map(|r| r["runner_name"].as_str().expect("n").to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(named("B_BUILD").await, vec!["web_Build-1"], "`_` is not a wildcard");
    assert_eq!(named("build").await, vec!["webXbuild-2", "web_Build-1"]);
    assert_eq!(named("%25").await, Vec::<String>::new(), "`%` is not a wildcard");
    assert_eq!(named("P3").await, vec!["p3"]);
    let page = json(w.app.get("/api/v1/runners?limit=2&offset=1&name_contains=p").await).await;
    assert_eq!(page["total"], 5);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["offset"], 1);
    let names: Vec<&str> = page["runners"].as_array().expect("array").iter().map(|r| r["runner_name"].as_str().expect("n")).collect();
    assert_eq!(names, vec!["p3", "p2"], "newest first");
    assert_eq!(json(w.app.get("/api/v1/runners?offset=50").await).await["runners"], json!([]));
    assert_eq!(json(w.app.get("/api/v1/runners?runner_name=P4").await).await["total"], 1);
    assert_eq!(json(w.app.get("/api/v1/runners?team=team-a&status=pending").await).await["total"], 7);
    assert_eq!(json(w.app.get("/api/v1/runners?status=active").await).await["total"], 0);
    assert_eq!(json(w.app.get("/api/v1/runners?team=unknown").await).await["total"], 0);
    assert_eq!(json(w.app.get("/api/v1/runners?ephemeral=yes").await).await["total"], 7);
    let too_long = format!("name_contains={}", "x".repeat(65));
    for bad in [too_long.as_str(), "status=running", "limit=0", "limit=1001", "offset=-1", "ephemeral=maybe", "github_runner_id=x"] {
        assert_error(w.app.get(&format!("/api/v1/runners?{bad}")).await, 422, "VALIDATION_ERROR").await;
    }
}

async fn details_of_another_teams_runner_are_404_like_a_missing_one(backend: Backend) {
    let w = world(backend, json!({})).await;
    let id = json(w.provision(&w.m2m_a, &json!({ "runner_name": "mine" })).await).await["runner_id"].as_str().expect("id").to_owned();
    let get = |token: &str, path: String| w.app.client.get(w.app.url(&path)).bearer_auth(token.to_owned()).send();
    assert_eq!(get(&w.m2m_a, format!("/api/v1/runners/{id}")).await.expect("req").status(), 200);
    let theirs = assert_error(get(&w.m2m_b, format!("/api/v1/runners/{id}")).await.expect("req"), 404, "NOT_FOUND").await;
    let missing = assert_error(get(&w.m2m_b, "/api/v1/runners/00000000-0000-0000-0000-0000000000ff".into()).await.expect("req"), 404, "NOT_FOUND").await;
    assert_eq!(
        theirs["detail"].as_str().expect("d").replace(&id, "X"),
        missing["detail"].as_str().expect("d").replace("00000000-0000-0000-0000-0000000000ff", "X")
    );
    assert_error(get(&w.m2m_b, "/api/v1/runners/not-a-uuid".into()).await.expect("req"), 404, "NOT_FOUND").await;
    let del = w.app.client.delete(w.app.url(&format!("/api/v1/runners/{id}"))).bearer_auth(&w.m2m_b).send().await.expect("req");
    assert_error(del, 404, "NOT_FOUND").await;
}

async fn refresh_reads_github_by_id_and_follows_the_lifecycle(backend: Backend) {
    let w = world(backend, json!({})).await;
    let b = json(w.provision(&w.m2m_a, &json!({ "runner_name": "life" })).await).await;
    let (id, gh) = (b["runner_id"].as_str().expect("id").to_owned(), b["github_runner_id"].as_i64().expect("gh"));
    let refresh = || w.app.client.post(w.app.url(&format!("/api/v1/runners/{id}/refresh"))).bearer_auth(&w.m2m_a).send();
    let r = json(refresh().await.expect("req")).await;
    assert_eq!((r["status"].as_str(), r["github_status"].as_str()), (Some("pending"), Some("offline")), "pre-registered, never online");
    w.app.gh().set_state(gh, "online", true);
    let r = json(refresh().await.expect("req")).await;
    assert_eq!(r["status"], "busy");
    assert!(r["registered_at"].is_string());
    assert_eq!(r["expires_at"], serde_json::Value::Null);
    w.app.gh().set_state(gh, "online", false);
    assert_eq!(json(refresh().await.expect("req")).await["status"], "idle");
    w.app.gh().set_state(gh, "offline", false);
    assert_eq!(json(refresh().await.expect("req")).await["status"], "offline");
    // Gone at GitHub → deleted here.
    w.app.gh().remove_runner(gh);
    let r = json(refresh().await.expect("req")).await;
    assert_eq!(r["status"], "deleted");
    assert_eq!(r["deletion_reason"], "not_found_in_github");
}

async fn delete_removes_at_github_then_marks_deleted(backend: Backend) {
    let w = world(backend, json!({})).await;
    let b = json(w.provision(&w.m2m_a, &json!({ "runner_name": "bye" })).await).await;
    let (id, gh) = (b["runner_id"].as_str().expect("id").to_owned(), b["github_runner_id"].as_i64().expect("gh"));
    let del = || w.app.client.delete(w.app.url(&format!("/api/v1/runners/{id}"))).bearer_auth(&w.m2m_a).send();
    let body = json(del().await.expect("req")).await;
    assert_eq!(body["message"], "Runner 'bye' successfully deprovisioned");
    assert!(w.app.gh().runner(gh).is_none());
    let detail = json(w.app.get(&format!("/api/v1/runners/{id}")).await).await;
    assert_eq!(detail["status"], "deleted");
    assert_eq!(detail["deletion_reason"], "user_request");
    assert_error(del().await.expect("req"), 400, "ALREADY_DELETED").await;
    assert_eq!(w.app.db.audit_rows_by_type("deprovision").await.expect("audit").len(), 1);
    // The name is free again.
    assert_eq!(w.provision(&w.m2m_a, &json!({ "runner_name": "bye" })).await.status(), 201);
}

async fn a_busy_runner_cannot_be_deleted_and_stays_unchanged(backend: Backend) {
    let w = world(backend, json!({})).await;
    let b = json(w.provision(&w.m2m_a, &json!({ "runner_name": "busy" })).await).await;
    let (id, gh) = (b["runner_id"].as_str().expect("id").to_owned(), b["github_runner_id"].as_i64().expect("gh"));
    w.app.gh().set_state(gh, "online", true);
    let del = w.app.client.delete(w.app.url(&format!("/api/v1/runners/{id}"))).bearer_auth(&w.m2m_a).send().await.expect("req");
    assert_error(del, 409, "RUNNER_BUSY").await;
    assert_eq!(json(w.app.get(&format!("/api/v1/runners/{id}")).await).await["status"], "pending");
    assert_eq!(w.app.db.audit_rows_by_type("deprovision_failed").await.expect("audit").len(), 1);
    w.app.gh().fail_next_delete(GitHubError::Unavailable { message: "timeout".into(), retry_after: None });
    w.app.gh().set_state(gh, "online", false);
    let del = w.app.client.delete(w.app.url(&format!("/api/v1/runners/{id}"))).bearer_auth(&w.m2m_a).send().await.expect("req");
    assert_eq!(del.headers()["retry-after"], "30");
    assert_error(del, 503, "GITHUB_UNAVAILABLE").await;
}

mod batch_delete {
    use serde_json::json;
    use server::github::GitHubError;

    use crate::both_databases;
    use crate::helpers::probe::Probe as _;
    use crate::helpers::world::world;
    use crate::helpers::{Backend, assert_error, json};

    both_databases!(batch_delete_removes_at_github_and_keeps_rows_github_refused);

    async fn batch_delete_removes_at_github_and_keeps_rows_github_refused(backend: Backend) {
        let w = world(backend, json!({})).await;
        let mut ids = Vec::new();
        for i in 0..3 {
            let b = json(w.provision(&w.m2m_a, &json!({ "runner_name": format!("inc{i}") })).await).await;
            ids.push(b["runner_id"].as_str().expect("id").to_owned());
        }
        let path = "/api/v1/admin/batch/delete-runners";
        assert_error(w.app.post_json(path, &json!({ "comment": "incident 42 cleanup" })).await, 422, "VALIDATION_ERROR").await;
        assert_error(w.app.post_json(path, &json!({ "comment": "short", "team_id": w.team_a })).await, 422, "VALIDATION_ERROR").await;
        let dry = json(w.app.post_json(path, &json!({ "comment": "incident 42 cleanup", "team_id": w.team_a, "dry_run": true })).await).await;
        assert_eq!(dry["affected_count"], 3);
        assert!(dry["details"].as_array().expect("d").iter().all(|d| d["status"] == "would_be_deleted"));
        assert_eq!(w.app.db.audit_rows_by_type("batch_delete_runners").await.expect("audit").len(), 0, "dry runs write nothing");

        // GitHub refuses the first delete: that runner stays as it was.
        w.app.gh().fail_next_delete(GitHubError::RunnerBusy);
        let unknown = "00000000-0000-0000-0000-0000000000aa";
        let body = json(w.app.post_json(path, &json!({ "comment": "incident 42 cleanup", "runner_ids": [ids[0], ids[1], unknown] })).await).await;
        assert_eq!(body["action"], "delete_runners");
        assert_eq!((body["affected_count"].as_i64(), body["failed_count"].as_i64()), (Some(1), Some(1)));
        assert_eq!(body["success"], false);
        let statuses: Vec<&str> = body["details"].as_array().expect("d").iter().map(|d| d["status"].as_str().expect("s")).collect();
        assert_eq!(statuses, vec!["failed", "deleted", "not_found"]);
        assert_eq!(json(w.app.get(&format!("/api/v1/runners/{}", ids[0])).await).await["status"], "pending");
        let gone = json(w.app.get(&format!("/api/v1/runners/{}", ids[1])).await).await;
        assert_eq!((gone["status"].as_str(), gone["deletion_reason"].as_str()), (Some("deleted"), Some("admin_batch")));
        assert_eq!(w.app.db.audit_rows_by_type("batch_delete_runners").await.expect("audit").len(), 1);
        assert_eq!(w.app.db.count_security_events("batch_delete_runners").await.expect("count"), 1);
        // Each runner deleted is on record by itself (written with its deletion, not at the end).
        let each = w.app.db.audit_rows_by_type("runner_deleted").await.expect("audit");
        assert_eq!(each.iter().map(|a| a.runner_id.clone().unwrap_or_default()).collect::<Vec<_>>(), vec![ids[1].clone()]);
        assert!(each[0].event_data.as_deref().is_some_and(|d| d.contains("admin_batch") && d.contains("incident 42 cleanup")), "{:?}", each[0].event_data);
        // By provisioner: the remaining two (one skipped as already deleted is not selected).
        let by_user = json(w.app.post_json(path, &json!({ "comment": "incident 42 cleanup", "user_identity": "m2m:team-a" })).await).await;
        assert_eq!(by_user["affected_count"], 2);
    }
}
