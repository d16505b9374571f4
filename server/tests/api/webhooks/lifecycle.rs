//! `workflow_job` deliveries about a provisioned runner: lifecycle changes, the label re-check
//! (audit and enforce modes), stale replays, duplicate and failed deliveries.

use serde_json::{Value, json};
use server::github::GitHubError;

use super::{Fleet, deliver, delivery_id, hook_app, metrics, workflow_job};
use crate::both_databases;
use crate::helpers::probe::Probe;
use crate::helpers::{Backend, assert_error, json};

both_databases!(
    in_progress_makes_the_runner_busy_and_completed_offline,
    a_replayed_delivery_id_changes_nothing_twice,
    concurrent_deliveries_of_one_id_run_once,
    a_failed_delivery_can_be_redelivered,
    github_unreachable_leaves_the_labels_unchecked,
    labels_are_checked_case_insensitively_against_the_current_policy,
    a_violation_in_audit_mode_is_recorded_and_not_cancelled,
    enforce_mode_cancels_the_run_in_the_payloads_repository,
    deleted_and_unknown_runners_are_ignored,
);

async fn sql(f: &Fleet, statement: &str) {
    let q = sqlx::AssertSqlSafe(statement.to_owned());
    crate::on_pool!(&f.app.db, p => sqlx::query(q).execute(p).await.map(|_| ())).expect(statement);
}

async fn workflow_violations(f: &Fleet) -> Vec<Value> {
    let resp = f.app.get("/api/v1/admin/security-events?event_type=label_policy_violation_workflow").await;
    assert_eq!(resp.status(), 200);
    json(resp).await["events"].as_array().expect("events").clone()
}

async fn in_progress_makes_the_runner_busy_and_completed_offline(backend: Backend) {
    let f = Fleet::start(hook_app(backend)).await;
    assert_eq!(f.runner_state(f.runner).await, ("pending".to_owned(), None));
    assert_eq!(f.job("in_progress", 11, &delivery_id()).await, json!({ "status": "ok", "labels_valid": true }));
    let (status, registered_at) = f.runner_state(f.runner).await;
    assert_eq!(status, "busy");
    assert!(registered_at.is_some(), "first seen online now");
    // A second in_progress (another delivery) changes nothing.
    assert_eq!(f.job("in_progress", 11, &delivery_id()).await["status"], "ok");
    assert_eq!(f.job("completed", 11, &delivery_id()).await.to_string(), r#"{"action":"completed","status":"ok"}"#);
    assert_eq!(f.runner_state(f.runner).await, ("offline".to_owned(), registered_at));
    // GitHub replays the old in_progress on a re-run: stale, the runner stays offline.
    assert_eq!(f.job("in_progress", 11, &delivery_id()).await, json!({ "status": "ignored", "reason": "stale event" }));
    assert_eq!(f.runner_state(f.runner).await.0, "offline");
    let m = metrics(&f.app).await;
    for line in [
        r#"gharts_runner_state_transitions_total{from_status="pending",source="webhook",to_status="busy"} 1"#,
        r#"gharts_runner_state_transitions_total{from_status="busy",source="webhook",to_status="offline"} 1"#,
        r#"gharts_webhook_deliveries_total{event="workflow_job",result="processed"} 3"#,
        r#"gharts_webhook_deliveries_total{event="workflow_job",result="ignored"} 1"#,
    ] {
        assert!(m.contains(line), "{line} in\n{m}");
    }
    let rows = f.app.db.audit_rows_by_type("runner_removed").await.expect("audit");
    assert!(rows.is_empty(), "state changes are not audited");
}

async fn a_replayed_delivery_id_changes_nothing_twice(backend: Backend) {
    let f = Fleet::start(hook_app(backend)).await;
    let id = delivery_id();
    assert_eq!(f.job("completed", 21, &id).await["status"], "ok");
    assert_eq!(f.runner_state(f.runner).await.0, "offline");
    // Say the sync saw it online again; the replay must not undo that.
    sql(&f, &format!("update runners set status = 'idle' where github_runner_id = {}", f.github_id)).await;
    assert_eq!(f.job("completed", 21, &id).await, json!({ "status": "duplicate", "delivery_id": id }));
    assert_eq!(f.runner_state(f.runner).await.0, "idle");
    let m = metrics(&f.app).await;
    assert!(m.contains(r#"gharts_webhook_deliveries_total{event="workflow_job",result="duplicate"} 1"#), "{m}");
    assert!(m.contains(r#"to_status="offline"} 1"#), "one transition only: {m}");
}

async fn concurrent_deliveries_of_one_id_run_once(backend: Backend) {
    let f = Fleet::start(hook_app(backend)).await;
    let id = delivery_id();
    let payload = workflow_job("in_progress", f.github_id, "acme", 31, "o/r");
    let sends = (0..8).map(|_| deliver(&f.app, "workflow_job", &id, &payload));
    let mut statuses = Vec::new();
    for resp in futures::future::join_all(sends).await {
        assert_eq!(resp.status(), 200);
        statuses.push(json(resp).await["status"].as_str().expect("status").to_owned());
    }
    statuses.sort();
    let mut expected = vec!["duplicate".to_owned(); 7];
    expected.push("ok".to_owned());
    assert_eq!(statuses, expected);
    assert!(metrics(&f.app).await.contains(r#"{from_status="pending",source="webhook",to_status="busy"} 1"#));
}

async fn a_failed_delivery_can_be_redelivered(backend: Backend) {
    let f = Fleet::start(hook_app(backend)).await;
    let id = delivery_id();
    // Break the processing (not the claim): the completed-jobs table disappears.
    sql(&f, "alter table webhook_completed_jobs rename to broken_jobs").await;
    let payload = workflow_job("completed", f.github_id, "acme", 41, "o/r");
    assert_error(deliver(&f.app, "workflow_job", &id, &payload).await, 500, "INTERNAL_ERROR").await;
    assert_eq!(f.runner_state(f.runner).await.0, "pending", "rolled back");
    sql(&f, "alter table broken_jobs rename to webhook_completed_jobs").await;
    assert_eq!(f.job("completed", 41, &id).await, json!({ "status": "ok", "action": "completed" }));
    assert_eq!(f.runner_state(f.runner).await.0, "offline");
    assert!(metrics(&f.app).await.contains(r#"gharts_webhook_deliveries_total{event="workflow_job",result="error"} 1"#));
}

async fn github_unreachable_leaves_the_labels_unchecked(backend: Backend) {
    let f = Fleet::start(hook_app(backend)).await;
    f.app.gh().fail_next_get(GitHubError::Unavailable { message: "connection refused".into(), retry_after: None });
    assert_eq!(f.job("in_progress", 51, &delivery_id()).await, json!({ "status": "ok", "labels_valid": null }));
    assert_eq!(f.runner_state(f.runner).await.0, "busy", "the state changes anyway");
    assert!(workflow_violations(&f).await.is_empty());
}

async fn labels_are_checked_case_insensitively_against_the_current_policy(backend: Backend) {
    let f = Fleet::start(hook_app(backend)).await;
    f.app.gh().set_labels(f.github_id, &["SELF-HOSTED", "Team-A", "GPU-7", "Linux"]);
    assert_eq!(f.job("in_progress", 61, &delivery_id()).await["labels_valid"], true);
    // The current policy counts, not the one at issue time: gpu-* is no longer allowed.
    let (second, gh2) = f.provision("build-2").await;
    let resp = f
        .app
        .client
        .patch(f.app.url(&format!("/api/v1/admin/teams/{}", f.team)))
        .header("x-requested-with", "gharts")
        .json(&json!({ "optional_label_patterns": ["cpu-.*"] }))
        .send()
        .await
        .expect("patch");
    assert_eq!(resp.status(), 200);
    let p = workflow_job("in_progress", gh2, "acme", 62, "o/r");
    let body = json(deliver(&f.app, "workflow_job", &delivery_id(), &p).await).await;
    assert_eq!(body, json!({ "status": "violation_detected", "enforcement_mode": "audit", "action_taken": "audit_only" }));
    assert_eq!(f.runner_state(second).await.0, "busy");
}

async fn a_violation_in_audit_mode_is_recorded_and_not_cancelled(backend: Backend) {
    let f = Fleet::start(hook_app(backend)).await;
    // Labels added at GitHub after issue, and the team deactivated meanwhile: still checked.
    f.app.gh().set_labels(f.github_id, &["self-hosted", "evil", "gpu-1"]);
    sql(&f, "update teams set is_active = false").await;
    let body = f.job("in_progress", 71, &delivery_id()).await;
    assert_eq!(body, json!({ "status": "violation_detected", "enforcement_mode": "audit", "action_taken": "audit_only" }));
    assert!(f.app.gh().cancelled_runs.lock().expect("lock").is_empty());
    let events = workflow_violations(&f).await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e["severity"], "high");
    assert_eq!(e["action_taken"], "audit_only");
    assert_eq!(e["team_id"], f.team.to_string());
    assert_eq!(e["runner_id"], f.runner.to_string());
    assert_eq!(e["runner_name"], "build-1");
    assert_eq!(e["github_runner_id"], f.github_id);
    let data = &e["violation_data"];
    assert_eq!(data["invalid_labels"], json!(["evil"]));
    assert_eq!(data["missing_required_labels"], json!(["team-a"]));
    assert_eq!(data["run_id"], 4242);
    assert_eq!(data["workflow_job_id"], 71);
    assert_eq!(data["repository"], "octo-owner/octo-repo");
    assert_eq!(data["enforcement_mode"], "audit");
    assert!(data["message"].as_str().expect("message").contains("evil"), "{data}");
    assert!(metrics(&f.app).await.contains(r#"gharts_webhook_deliveries_total{event="workflow_job",result="violation"} 1"#));
}

async fn enforce_mode_cancels_the_run_in_the_payloads_repository(backend: Backend) {
    let f = Fleet::start(hook_app(backend).env("LABEL_POLICY_ENFORCEMENT", "enforce")).await;
    f.app.gh().set_labels(f.github_id, &["self-hosted", "team-a", "not-allowed"]);
    let body = f.job("in_progress", 81, &delivery_id()).await;
    assert_eq!(body, json!({ "status": "violation_detected", "enforcement_mode": "enforce", "action_taken": "workflow_cancelled" }));
    let cancelled = f.app.gh().cancelled_runs.lock().expect("lock").clone();
    assert_eq!(cancelled, vec![("octo-owner".to_owned(), "octo-repo".to_owned(), 4242)], "owner from repository.full_name, not the org");
    let events = workflow_violations(&f).await;
    assert_eq!(events[0]["action_taken"], "workflow_cancelled");
    assert_eq!(events[0]["violation_data"]["enforcement_mode"], "enforce");
    // Valid labels: nothing is cancelled.
    let (_, gh2) = f.provision("build-2").await;
    let p = workflow_job("in_progress", gh2, "acme", 82, "o/r");
    assert_eq!(json(deliver(&f.app, "workflow_job", &delivery_id(), &p).await).await["labels_valid"], true);
    assert_eq!(f.app.gh().cancelled_runs.lock().expect("lock").len(), 1);
}

async fn deleted_and_unknown_runners_are_ignored(backend: Backend) {
    let f = Fleet::start(hook_app(backend)).await;
    let resp = f.app.client.delete(f.app.url(&format!("/api/v1/runners/{}", f.runner))).header("x-requested-with", "gharts").send().await.expect("delete");
    assert_eq!(resp.status(), 200);
    for action in ["in_progress", "completed"] {
        assert_eq!(f.job(action, 91, &delivery_id()).await, json!({ "status": "ignored", "reason": "runner deleted" }));
    }
    assert_eq!(f.runner_state(f.runner).await.0, "deleted");
    // Found by GitHub id only: a payload naming our runner by name with another id is not ours.
    let mut p = workflow_job("in_progress", f.github_id + 1000, "acme", 92, "o/r");
    p["workflow_job"]["runner_name"] = json!("build-1");
    assert_eq!(json(deliver(&f.app, "workflow_job", &delivery_id(), &p).await).await["reason"], "runner not managed by this service");
}
