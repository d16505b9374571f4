//! `workflow_job` deliveries (API.md §15.1 step 8): `in_progress` makes the runner `busy` and
//! re-checks its labels at GitHub against the team's current policy (a violation is a security
//! event, and in enforce mode cancels the run); `completed` makes it `offline`.
//!
//! The runner is found by `github_runner_id == workflow_job.runner_id`, never by name.

use std::time::Duration;

use app::contract::{RunnerLifecycle, SecurityEventType, Severity};
use serde_json::{Value, json};
use tokio::time::{Instant, timeout_at};

use super::Ack;
use crate::config::Enforcement;
use crate::db::runners::RunnerRow;
use crate::db::security_events::NewSecurityEvent;
use crate::db::webhooks::JobStarted;
use crate::error::AppResult;
use crate::services::labels::{self, LabelCheck};
use crate::state::AppState;

/// GitHub gives up on a delivery after 10 s; the label check's GitHub calls (read the runner,
/// maybe cancel the run) share this budget so the answer still arrives in time.
const GITHUB_BUDGET: Duration = Duration::from_secs(8);
/// Completed job ids are kept as long as GitHub lets a run be re-run (30 days).
const COMPLETED_JOB_MEMORY: Duration = Duration::from_secs(30 * 24 * 3600);

/// The payload fields the rules read; anything missing or mistyped is absent.
struct Job<'a> {
    action: &'a str,
    id: Option<i64>,
    run_id: Option<i64>,
    runner_id: Option<i64>,
    runner_name: Option<&'a str>,
    repository: Option<&'a str>,
}

impl<'a> Job<'a> {
    fn read(p: &'a Value) -> Self {
        let i = |ptr: &str| p.pointer(ptr).and_then(Value::as_i64);
        Job {
            action: p.get("action").and_then(Value::as_str).unwrap_or_default(),
            id: i("/workflow_job/id"),
            run_id: i("/workflow_job/run_id"),
            runner_id: i("/workflow_job/runner_id"),
            runner_name: p.pointer("/workflow_job/runner_name").and_then(Value::as_str),
            repository: p.pointer("/repository/full_name").and_then(Value::as_str),
        }
    }
}

fn ignored(reason: &str) -> Ack {
    Ack::Ignored(reason.to_owned())
}

fn count_transition(state: &AppState, from: RunnerLifecycle, to: RunnerLifecycle) {
    state.metrics.runner_transitions.with_label_values(&[from.as_str(), to.as_str(), "webhook"]).inc();
}

/// Applies one `workflow_job` delivery.
pub(super) async fn handle(state: &AppState, payload: &Value, request_id: Option<&str>) -> AppResult<Ack> {
    let job = Job::read(payload);
    if !matches!(job.action, "in_progress" | "completed") {
        return Ok(Ack::Ignored(format!("action={}", job.action)));
    }
    let (Some(github_id), Some(_)) = (job.runner_id, job.runner_name) else {
        return Ok(ignored("missing runner info"));
    };
    let Some(runner) = state.db.find_runner_by_github_id(github_id).await? else {
        return Ok(ignored("runner not managed by this service"));
    };
    if runner.status.is_deleted() {
        return Ok(ignored("runner deleted"));
    }
    if job.action == "completed" {
        let forget_before = chrono::Utc::now() - COMPLETED_JOB_MEMORY;
        if let Some(from) = state.db.webhook_job_completed(runner.id, github_id, job.id, forget_before).await? {
            count_transition(state, from, RunnerLifecycle::Offline);
        }
        return Ok(Ack::Completed);
    }
    match state.db.webhook_job_started(runner.id, job.id).await? {
        JobStarted::Stale => return Ok(ignored("stale event")),
        JobStarted::Deleted => return Ok(ignored("runner deleted")),
        JobStarted::Unchanged => {}
        JobStarted::Changed(from) => count_transition(state, from, RunnerLifecycle::Busy),
    }
    recheck_labels(state, &runner, &job, request_id).await
}

/// Labels outside the team's policy, and required labels the runner lacks.
struct Breach {
    invalid: Vec<String>,
    missing: Vec<String>,
    message: String,
}

/// Checks the runner's custom labels at GitHub against its team's current policy.
async fn recheck_labels(state: &AppState, runner: &RunnerRow, job: &Job<'_>, request_id: Option<&str>) -> AppResult<Ack> {
    let (Some(gh), Some(team_id), Some(github_id)) = (state.github.as_ref(), runner.team_id, runner.github_runner_id) else {
        tracing::warn!(runner.id = %runner.id, "labels not re-checked: no GitHub client or no team");
        return Ok(Ack::Started { labels_valid: None });
    };
    // The check runs even when the team is inactive.
    let Some(team) = state.db.find_team(team_id).await? else {
        return Ok(Ack::Started { labels_valid: None });
    };
    let deadline = Instant::now() + GITHUB_BUDGET;
    let at_github = match timeout_at(deadline, gh.get_runner(github_id)).await {
        Ok(Ok(Some(r))) => r,
        Ok(Ok(None)) => {
            tracing::warn!(runner.id = %runner.id, github.runner_id = github_id, "labels not re-checked: GitHub does not know the runner");
            return Ok(Ack::Started { labels_valid: None });
        }
        Ok(Err(e)) => {
            tracing::warn!(runner.id = %runner.id, error = %e, "labels not re-checked: GitHub unavailable");
            return Ok(Ack::Started { labels_valid: None });
        }
        Err(_) => {
            tracing::warn!(runner.id = %runner.id, "labels not re-checked: GitHub did not answer in time");
            return Ok(Ack::Started { labels_valid: None });
        }
    };
    let patterns = team.optional_label_patterns.map(|p| p.0).unwrap_or_default();
    let required = &team.required_labels.0;
    let present = |l: &String| at_github.labels.iter().chain(&at_github.read_only_labels).any(|g| g.eq_ignore_ascii_case(l));
    let missing: Vec<String> = required.iter().filter(|l| !present(l)).cloned().collect();
    let (invalid, mut message) = match labels::evaluate(&team.name, required, &patterns, &at_github.labels) {
        LabelCheck::Violation { invalid, detail } => (invalid, detail),
        LabelCheck::Allowed(_) | LabelCheck::TooMany(_) => (Vec::new(), String::new()),
    };
    if invalid.is_empty() && missing.is_empty() {
        return Ok(Ack::Started { labels_valid: Some(true) });
    }
    if !missing.is_empty() {
        let sep = if message.is_empty() { "" } else { ". " };
        message = format!("{message}{sep}Missing required labels of team '{}': {}", team.name, missing.join(", "));
    }
    let breach = Breach { invalid, missing, message };
    let mode = state.config.label_policy_enforcement;
    let action_taken = match mode {
        Enforcement::Audit => "audit_only",
        Enforcement::Enforce => cancel_run(state, job, deadline).await,
    };
    record_violation(state, runner, job, &breach, mode, action_taken, request_id).await?;
    Ok(Ack::Violation { mode, action_taken })
}

/// Cancels the job's run in the payload's repository (`owner/repo` from `repository.full_name`).
async fn cancel_run(state: &AppState, job: &Job<'_>, deadline: Instant) -> &'static str {
    let target = job.repository.and_then(|r| r.split_once('/')).filter(|(o, r)| !o.is_empty() && !r.is_empty());
    let (Some(gh), Some((owner, repo)), Some(run_id)) = (state.github.as_ref(), target, job.run_id) else {
        tracing::warn!("cannot cancel the workflow run: the payload lacks repository.full_name or workflow_job.run_id");
        return "workflow_cancel_error";
    };
    match timeout_at(deadline, gh.cancel_workflow_run(owner, repo, run_id)).await {
        Ok(Ok(true)) => "workflow_cancelled",
        Ok(Ok(false)) => "workflow_cancel_failed",
        Ok(Err(e)) => {
            tracing::warn!(github.run_id = run_id, error = %e, "cancelling the workflow run failed");
            "workflow_cancel_error"
        }
        Err(_) => {
            tracing::warn!(github.run_id = run_id, "cancelling the workflow run timed out");
            "workflow_cancel_error"
        }
    }
}

/// Writes `label_policy_violation_workflow` (high) and counts it.
async fn record_violation(
    state: &AppState,
    runner: &RunnerRow,
    job: &Job<'_>,
    b: &Breach,
    mode: Enforcement,
    action_taken: &str,
    request_id: Option<&str>,
) -> AppResult<()> {
    tracing::warn!(runner.id = %runner.id, runner.name = %runner.runner_name, action_taken, "label policy violation in a running workflow job");
    let event = NewSecurityEvent {
        event_type: SecurityEventType::LabelPolicyViolationWorkflow,
        severity: Severity::High,
        user_identity: "system".to_owned(),
        oidc_sub: None,
        team_id: runner.team_id,
        violation_data: json!({
            "invalid_labels": b.invalid,
            "missing_required_labels": b.missing,
            "message": b.message,
            "run_id": job.run_id,
            "repository": job.repository,
            "workflow_job_id": job.id,
            "enforcement_mode": mode.as_str(),
        }),
        action_taken: Some(action_taken.to_owned()),
        request_id: request_id.map(str::to_owned),
        runner_id: Some(runner.id.to_string()),
        runner_name: Some(runner.runner_name.clone()),
        github_runner_id: runner.github_runner_id,
    };
    state.db.record_security_event(&state.metrics, &event).await?;
    Ok(())
}
