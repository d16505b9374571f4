//! `POST /api/v1/runners/jit` and its dry run (API.md §3.2–§3.5, §7.1, §7.2), against the
//! in-process fake GitHub, with real provider tokens.

use serde_json::{Value, json};
use server::github::{GitHubError, GitHubRunner};
use server::random_token::NameSuffixes;
use std::sync::atomic::Ordering;
use uuid::Uuid;

use crate::both_databases;
use crate::helpers::probe::Probe as _;
use crate::helpers::world::{world, world_using, world_with};
use crate::helpers::{Backend, TestApp, app, assert_error, json};
use crate::seed;

both_databases!(
    a_provisioned_runner_is_pending_with_its_config_and_merged_labels,
    the_label_policy_table_of_the_contract,
    invalid_patterns_are_refused_when_the_team_is_written,
    fifty_parallel_requests_against_a_quota_of_ten_get_exactly_ten_runners,
    the_per_user_quota_counts_one_principal,
    the_same_idempotency_key_replays_and_a_changed_body_is_refused,
    a_github_failure_leaves_no_runner_row,
    names_conflict_with_live_runners_and_with_the_github_organisation,
    a_github_name_clash_with_our_own_dead_runner_is_recovered,
    team_resolution_follows_the_contract,
    a_group_outside_the_allowlist_is_refused_and_recorded,
    without_github_provisioning_is_503_but_the_dry_run_answers,
    prefixes_produce_unique_names,
    a_prefix_name_github_already_has_is_replaced_by_a_fresh_one,
);

async fn a_provisioned_runner_is_pending_with_its_config_and_merged_labels(backend: Backend) {
    let w = world(backend, json!({ "required_labels": ["team-a"], "optional_label_patterns": ["gpu-[0-9]+"] })).await;
    let resp = w.provision(&w.m2m_a, &json!({ "runner_name": "build-1", "labels": ["Linux", "gpu-2", "TEAM-A"] })).await;
    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"].to_str().expect("ascii").to_owned();
    let body = json(resp).await;
    assert_eq!(location, format!("/api/v1/runners/{}", body["runner_id"].as_str().expect("id")));
    assert_eq!(body["labels"], json!(["self-hosted", "team-a", "Linux", "gpu-2"]));
    assert_eq!(body["status"], "pending");
    assert_eq!(body["team_name"], "team-a");
    assert_eq!(body["runner_group_id"], 1);
    let config = body["encoded_jit_config"].as_str().expect("config");
    assert_eq!(body["run_command"], format!("./run.sh --jitconfig {config}"));
    let gh_id = body["github_runner_id"].as_i64().expect("github id");
    let at_github = w.app.gh().runner(gh_id).expect("registered at GitHub");
    assert_eq!(at_github.labels, vec!["self-hosted", "team-a", "Linux", "gpu-2"]);

    let detail = json(w.app.client.get(w.app.url(&location)).bearer_auth(&w.m2m_a).send().await.expect("req")).await;
    assert_eq!(detail["status"], "pending");
    assert_eq!(detail["provisioned_by"], "m2m:team-a");
    assert!(detail["expires_at"].is_string());
    assert!(!detail.to_string().contains(config), "the JIT config is returned once only");

    let audit = w.app.db.audit_rows_by_type("provision_jit").await.expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor_type, "m2m");
    assert!(!audit[0].event_data.as_deref().unwrap_or_default().contains(config), "no secret in the audit log");
}

async fn the_label_policy_table_of_the_contract(backend: Backend) {
    let w = world(backend, json!({ "optional_label_patterns": ["gpu", "arm-.*"] })).await;
    let cases: &[(&[&str], bool)] = &[
        (&["self-hosted-evil"], false),
        (&["gpu-x"], false),
        (&["GPU"], true),
        (&["gpu"], true),
        (&["arm-large"], true),
        (&["ARM64", "x64", "linux"], true),
        (&["cpu"], false),
    ];
    for (labels, ok) in cases {
        let resp = w.dry_run(&w.m2m_a, &json!({ "runner_name": "n", "labels": labels })).await;
        if *ok {
            assert_eq!(resp.status(), 200, "{labels:?}");
        } else {
            let body = assert_error(resp, 403, "LABEL_POLICY_VIOLATION").await;
            assert!(body["detail"].as_str().expect("detail").starts_with("Labels not permitted by team 'team-a' policy"), "{body}");
        }
    }
    assert_error(w.dry_run(&w.m2m_a, &json!({ "runner_name": "n", "labels": ["bad label"] })).await, 422, "VALIDATION_ERROR").await;
    // Dry runs record nothing; a real refusal records a security event and an audit row.
    assert_eq!(w.app.db.count_security_events("label_policy_violation").await.expect("count"), 0);
    assert_error(w.provision(&w.m2m_a, &json!({ "runner_name": "n", "labels": ["gpu-x"] })).await, 403, "LABEL_POLICY_VIOLATION").await;
    assert_eq!(w.app.db.count_security_events("label_policy_violation").await.expect("count"), 1);
    assert_eq!(w.app.db.audit_rows_by_type("provision_jit_failed").await.expect("audit").len(), 1);
    assert_eq!(w.app.gh().jit_calls.load(Ordering::SeqCst), 0);
}

async fn invalid_patterns_are_refused_when_the_team_is_written(backend: Backend) {
    let w = world(backend, json!({})).await;
    let body = assert_error(
        w.app.post_json("/api/v1/admin/teams", &json!({ "name": "bad", "optional_label_patterns": ["ok", "(unclosed"] })).await,
        422,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "optional_label_patterns[1]");
    // A pattern that closes the ^(?:…)$ wrapper's group is refused on its own.
    let body = assert_error(
        w.app.post_json("/api/v1/admin/teams", &json!({ "name": "bad", "optional_label_patterns": ["prod)|(dev"] })).await,
        422,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "optional_label_patterns[0]");
    assert!(body["errors"][0]["message"].as_str().is_some_and(|m| m.starts_with("INVALID_LABEL_PATTERN")), "{body}");
    let body =
        assert_error(w.app.post_json("/api/v1/admin/teams", &json!({ "name": "bad", "required_labels": ["ok", "not ok"] })).await, 422, "VALIDATION_ERROR")
            .await;
    assert_eq!(body["errors"][0]["field"], "required_labels[1]");
}

async fn fifty_parallel_requests_against_a_quota_of_ten_get_exactly_ten_runners(backend: Backend) {
    let w = world(backend, json!({ "max_runners": 10 })).await;
    let bodies: Vec<Value> = (0..50).map(|i| json!({ "runner_name": format!("r{i}") })).collect();
    let calls = bodies.iter().map(|b| w.provision(&w.m2m_a, b));
    let statuses: Vec<u16> = futures::future::join_all(calls).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 40, "{statuses:?}");
    let listed = json(w.app.client.get(w.app.url("/api/v1/runners")).bearer_auth(&w.m2m_a).send().await.expect("req")).await;
    assert_eq!(listed["total"], 10);
    assert_eq!(w.app.gh().runner_count(), 10);
    let body = assert_error(w.provision(&w.m2m_a, &json!({ "runner_name": "one-more" })).await, 429, "QUOTA_EXCEEDED").await;
    assert_eq!(body["detail"], "Team 'team-a' runner quota exceeded. Maximum allowed: 10, current: 10");
}

async fn the_per_user_quota_counts_one_principal(backend: Backend) {
    let w = world(backend, json!({ "max_runners_per_user": 1 })).await;
    assert_eq!(w.provision(&w.m2m_a, &json!({ "runner_name": "one" })).await.status(), 201);
    let body = assert_error(w.provision(&w.m2m_a, &json!({ "runner_name": "two" })).await, 429, "QUOTA_EXCEEDED").await;
    assert!(body["detail"].as_str().expect("detail").starts_with("Per-user runner quota in team 'team-a' exceeded"));
    // The admin is another principal in the same team.
    assert_eq!(w.app.post_json("/api/v1/runners/jit", &json!({ "runner_name": "admins-one", "team_name": "team-a" })).await.status(), 201);
}

async fn the_same_idempotency_key_replays_and_a_changed_body_is_refused(backend: Backend) {
    let w = world(backend, json!({})).await;
    let send =
        |body: Value| w.app.client.post(w.app.url("/api/v1/runners/jit")).bearer_auth(&w.m2m_a).header("idempotency-key", "deploy-42").json(&body).send();
    let first = send(json!({ "runner_name": "idem", "labels": [] })).await.expect("req");
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotency-replayed").is_none());
    let first_body = first.text().await.expect("body");
    // Same request after defaults (key order and defaults do not matter).
    let again = send(json!({ "labels": [], "runner_name": "idem", "work_folder": "_work" })).await.expect("req");
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotency-replayed"], "true");
    assert_eq!(again.text().await.expect("body"), first_body, "byte for byte");
    assert_eq!(w.app.gh().jit_calls.load(Ordering::SeqCst), 1, "one GitHub call");
    // The record holds neither the JIT config nor the key in readable form.
    let config = serde_json::from_str::<Value>(&first_body).expect("json")["encoded_jit_config"].as_str().expect("config").to_owned();
    let (key, stored): (String, Option<String>) =
        crate::on_pool!(&w.app.db, p => sqlx::query_as("select idem_key, response_body from idempotency_keys").fetch_one(p).await).expect("record");
    let stored = stored.expect("completed record");
    assert_ne!(key, "deploy-42");
    assert!(!stored.contains(&config) && !stored.contains("jitconfig") && stored.starts_with("v1:"), "{stored}");
    assert_error(send(json!({ "runner_name": "other" })).await.expect("req"), 422, "IDEMPOTENCY_KEY_MISMATCH").await;
    // Keys are per principal: team B's client may use the same key.
    let other = w
        .app
        .client
        .post(w.app.url("/api/v1/runners/jit"))
        .bearer_auth(&w.m2m_b)
        .header("idempotency-key", "deploy-42")
        .json(&json!({ "runner_name": "idem-b" }))
        .send()
        .await
        .expect("req");
    assert_eq!(other.status(), 201);
}

async fn a_github_failure_leaves_no_runner_row(backend: Backend) {
    let w = world(backend, json!({})).await;
    w.app.gh().fail_next_jit(GitHubError::Unavailable { message: "502 from GitHub".into(), retry_after: Some(7) });
    let resp = w.provision(&w.m2m_a, &json!({ "runner_name": "flaky" })).await;
    assert_eq!(resp.headers()["retry-after"], "7");
    assert_error(resp, 503, "GITHUB_UNAVAILABLE").await;
    w.app.gh().fail_next_jit(GitHubError::Rejected { status: 422, message: "runner group has reached max limit".into() });
    let body = assert_error(w.provision(&w.m2m_a, &json!({ "runner_name": "flaky" })).await, 502, "GITHUB_REJECTED").await;
    assert_eq!(body["detail"], "GitHub API error (422): runner group has reached max limit");
    let listed = json(w.app.client.get(w.app.url("/api/v1/runners?status=pending,deleted")).bearer_auth(&w.m2m_a).send().await.expect("req")).await;
    assert_eq!(listed["total"], 0, "no row left behind: {listed}");
    let failed = w.app.db.audit_rows_by_type("provision_jit_failed").await.expect("audit");
    assert_eq!(failed.len(), 2);
    assert!(failed[1].event_data.as_deref().expect("data").contains("GITHUB_REJECTED"));
    // The name is free again.
    assert_eq!(w.provision(&w.m2m_a, &json!({ "runner_name": "flaky" })).await.status(), 201);
}

async fn names_conflict_with_live_runners_and_with_the_github_organisation(backend: Backend) {
    let w = world(backend, json!({})).await;
    assert_eq!(w.provision(&w.m2m_a, &json!({ "runner_name": "dup" })).await.status(), 201);
    let body = assert_error(w.provision(&w.m2m_b, &json!({ "runner_name": "DUP" })).await, 409, "NAME_CONFLICT").await;
    assert_eq!(body["detail"], "Runner name 'DUP' is already in use. Use a different name or wait until it's deleted.");
    w.app.gh().put_runner(server::github::GitHubRunner { name: "theirs".into(), status: "online".into(), ..Default::default() });
    let body = assert_error(w.provision(&w.m2m_a, &json!({ "runner_name": "theirs" })).await, 409, "NAME_CONFLICT").await;
    assert_eq!(body["detail"], "A runner named 'theirs' already exists in the GitHub organization");
}

async fn a_github_name_clash_with_our_own_dead_runner_is_recovered(backend: Backend) {
    let w = world(backend, json!({})).await;
    let body = json(w.provision(&w.m2m_a, &json!({ "runner_name": "again" })).await).await;
    let id = body["runner_id"].as_str().expect("id").to_owned();
    let gh_id = body["github_runner_id"].as_i64().expect("gh id");
    // Deleted here, but GitHub still lists it (the delete call failed as "not found" timing, say).
    w.app.gh().fail_next_delete(GitHubError::Rejected { status: 404, message: "gone".into() });
    let del = w.app.client.delete(w.app.url(&format!("/api/v1/runners/{id}"))).bearer_auth(&w.m2m_a).send().await.expect("req");
    assert_eq!(del.status(), 502);
    server_mark_deleted(&w.app, &id).await;
    assert!(w.app.gh().runner(gh_id).is_some());
    let resp = w.provision(&w.m2m_a, &json!({ "runner_name": "again" })).await;
    assert_eq!(resp.status(), 201, "recovered: {}", resp.text().await.unwrap_or_default());
    assert!(w.app.gh().runner(gh_id).is_none(), "the stale GitHub runner was removed");
}

async fn server_mark_deleted(app: &TestApp, id: &str) {
    let id: Uuid = id.parse().expect("uuid");
    app.db.mark_runner_deleted(id, "user_request", None).await.expect("mark");
}

async fn team_resolution_follows_the_contract(backend: Backend) {
    let w = world(backend, json!({})).await;
    let alice = seed::user(&w.app.db, "alice@example.com", Some("alice-sub"), true).await;
    let alice_token = w.peer.user_token("alice").await;
    let no_team = assert_error(w.provision(&alice_token, &json!({ "runner_name": "x" })).await, 403, "NO_ACTIVE_TEAM").await;
    assert!(no_team["detail"].as_str().expect("d").starts_with("User is not a member of any active team"));
    assert_error(w.provision(&alice_token, &json!({ "runner_name": "x", "team_name": "team-a" })).await, 403, "NOT_TEAM_MEMBER").await;
    assert_error(w.provision(&alice_token, &json!({ "runner_name": "x", "team_name": "no-such-team" })).await, 403, "NOT_TEAM_MEMBER").await;
    seed::member(&w.app.db, w.team_a, alice).await;
    let ok = json(w.provision(&alice_token, &json!({ "runner_name": "alices" })).await).await;
    assert_eq!(ok["team_name"], "team-a", "default team: the earliest active membership");
    // M2M callers cannot name another team.
    assert_error(w.provision(&w.m2m_a, &json!({ "runner_name": "y", "team_id": w.team_b })).await, 403, "NOT_TEAM_MEMBER").await;
    // Admins may use any active team but must name one; unknown is 400; the admins team is 422.
    assert_error(w.app.post_json("/api/v1/runners/jit", &json!({ "runner_name": "z" })).await, 403, "NO_ACTIVE_TEAM").await;
    assert_error(w.app.post_json("/api/v1/runners/jit", &json!({ "runner_name": "z", "team_name": "nope" })).await, 400, "INVALID_REFERENCE").await;
    let body = assert_error(
        w.app.post_json("/api/v1/runners/jit", &json!({ "runner_name": "z", "team_id": "00000000-0000-0000-0000-000000000001" })).await,
        422,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "team_id");
    assert_eq!(w.app.post_json("/api/v1/runners/jit", &json!({ "runner_name": "z", "team_id": w.team_b })).await.status(), 201);
    // An inactive team refuses its members.
    let de = w.app.post_json(&format!("/api/v1/admin/teams/{}/deactivate", w.team_a), &json!({ "reason": "incident" })).await;
    assert_eq!(de.status(), 200);
    assert_error(w.provision(&alice_token, &json!({ "runner_name": "x2", "team_id": w.team_a })).await, 403, "TEAM_INACTIVE").await;
}

async fn a_group_outside_the_allowlist_is_refused_and_recorded(backend: Backend) {
    let w = world(backend, json!({ "allowed_runner_group_ids": [1, 4], "default_runner_group_id": 4 })).await;
    let ok = json(w.provision(&w.m2m_a, &json!({ "runner_name": "g", "runner_group_id": 0 })).await).await;
    assert_eq!(ok["runner_group_id"], 4, "0 means the team default");
    let body = assert_error(w.provision(&w.m2m_a, &json!({ "runner_name": "g2", "runner_group_id": 7 })).await, 403, "RUNNER_GROUP_NOT_ALLOWED").await;
    assert_eq!(body["detail"], "Runner group 7 is not allowed for team 'team-a'. Allowed groups: 1, 4");
    assert_eq!(w.app.db.count_security_events("runner_group_not_allowed").await.expect("count"), 1);
}

async fn without_github_provisioning_is_503_but_the_dry_run_answers(backend: Backend) {
    let w = world_with(backend, json!({ "max_runners": 3 }), false).await;
    assert_error(w.provision(&w.m2m_a, &json!({ "runner_name": "n" })).await, 503, "GITHUB_NOT_CONFIGURED").await;
    let dry = json(w.dry_run(&w.m2m_a, &json!({ "runner_name_prefix": "ci", "labels": ["linux"] })).await).await;
    assert_eq!(dry["allowed"], true);
    assert_eq!(dry["github_configured"], false);
    assert_eq!(dry["runner_name_is_example"], true);
    assert!(dry["runner_name"].as_str().expect("name").starts_with("ci-"));
    assert_eq!(dry["quota"], json!({ "max_runners": 3, "in_use": 0, "max_runners_per_user": null, "in_use_by_caller": 0 }));
    assert_eq!(dry["labels"], json!(["self-hosted", "linux"]));
}

async fn prefixes_produce_unique_names(backend: Backend) {
    let w = world(backend, json!({})).await;
    let mut names = Vec::new();
    for _ in 0..5 {
        let b = json(w.provision(&w.m2m_a, &json!({ "runner_name_prefix": "ci" })).await).await;
        let n = b["runner_name"].as_str().expect("name").to_owned();
        assert!(n.len() == 15 && n.starts_with("ci-") && n[3..].chars().all(|c| c.is_ascii_hexdigit()), "{n}");
        names.push(n);
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 5);
    for (body, msg) in [
        (json!({}), "Either runner_name or runner_name_prefix must be provided"),
        (json!({ "runner_name": "a", "runner_name_prefix": "b" }), "Only one of runner_name or runner_name_prefix may be provided"),
    ] {
        let e = assert_error(w.provision(&w.m2m_a, &body).await, 422, "VALIDATION_ERROR").await;
        assert!(e["detail"].as_str().expect("d").contains(msg), "{e}");
    }
    assert_error(w.provision(&w.m2m_a, &json!({ "runner_name": "x", "work_folder": "../etc" })).await, 422, "VALIDATION_ERROR").await;
}

/// A prefix name that GitHub already has (a runner we do not manage) is not the caller's
/// conflict: a fresh name is tried. An explicit name stays the caller's choice, and its 409.
async fn a_prefix_name_github_already_has_is_replaced_by_a_fresh_one(backend: Backend) {
    const SEED: u64 = 14;
    let w = world_using(app(backend).name_seed(SEED), json!({})).await;
    // The first names the app will draw, held at GitHub by runners of someone else.
    let names = NameSuffixes::seeded(SEED);
    let taken: Vec<String> = (0..2).map(|_| names.next("ci")).collect();
    let fresh = names.next("ci");
    for n in &taken {
        w.app.gh().put_runner(GitHubRunner { name: n.clone(), status: "online".into(), labels: vec!["theirs".into()], ..Default::default() });
    }
    let jit_calls = w.app.gh().jit_calls.load(Ordering::SeqCst);
    let resp = w.provision(&w.m2m_a, &json!({ "runner_name_prefix": "ci", "labels": ["linux"] })).await;
    assert_eq!(resp.status(), 201);
    assert_eq!(json(resp).await["runner_name"], fresh.as_str());
    assert_eq!(w.app.gh().jit_calls.load(Ordering::SeqCst) - jit_calls, 3, "two 409s, then the fresh name");
    let audited = w.app.db.audit_rows_by_type("provision_jit").await.expect("rows");
    assert_eq!(audited.iter().map(|r| r.runner_name.as_deref()).collect::<Vec<_>>(), [Some(fresh.as_str())]);
    assert!(w.app.db.audit_rows_by_type("provision_jit_failed").await.expect("rows").is_empty(), "the retries are not failures");
    assert_eq!(w.app.gh().runner_count(), 3, "the foreign runners are untouched");

    let body = assert_error(w.provision(&w.m2m_a, &json!({ "runner_name": taken[0] })).await, 409, "NAME_CONFLICT").await;
    assert_eq!(body["detail"], format!("A runner named '{}' already exists in the GitHub organization", taken[0]));
}
