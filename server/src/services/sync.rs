//! One sync cycle (API.md §3.1, §14.2): GitHub's runner list against ours, matched by GitHub
//! runner id. Updates lifecycles, reclaims unused JIT configs after `JIT_UNUSED_EXPIRY` and
//! those of deactivated owners, deletes rows GitHub no longer has, detects label drift (audit:
//! security event; enforce: delete the runner) and reports runners GHARTS never issued.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use app::contract::{RunnerLifecycle, SecurityEventType, Severity};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::config::Enforcement;
use crate::db::audit::NewAudit;
use crate::db::runners::GitHubState;
use crate::db::security_events::NewSecurityEvent;
use crate::db::sync::SyncRunner;
use crate::db::{DbError, now};
use crate::github::{GitHubError, GitHubRunner, SharedGitHub};
use crate::state::AppState;

/// At most this many runners missing from the list are confirmed by id per cycle (the list
/// can shift while it is paged); the rest wait for the next cycle.
const MAX_CONFIRMATIONS: usize = 100;
/// Lifecycle updates are written this many per transaction.
const FLUSH_EVERY: usize = 500;

/// What a cycle did (`last_sync_result`).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SyncReport {
    /// Runners whose state changed.
    pub updated: u64,
    /// Runners marked deleted (any reason).
    pub deleted: u64,
    /// Runners left as they were.
    pub unchanged: u64,
    /// Runners that could not be reconciled.
    pub errors: u64,
    /// Always 0 here (the webhook reports policy violations).
    pub policy_violations: u64,
    /// Label drifts found (newly reported or remediated).
    pub label_drifts: u64,
    /// Pending runners reclaimed after `JIT_UNUSED_EXPIRY`.
    pub expired: u64,
    /// Pending runners reclaimed because their user or team was deactivated.
    pub reclaimed_owner_deactivated: u64,
    /// Runners GHARTS never issued, reported for the first time.
    pub unmanaged_detected: u64,
    /// Pages of GitHub's runner list read.
    pub github_pages_fetched: u64,
    /// updated + deleted + unchanged + errors.
    pub total: u64,
    /// Lifecycle changes `(id, name, from, to)`, for `gharts sync --once`; not stored.
    #[serde(skip)]
    pub changes: Vec<(Uuid, String, RunnerLifecycle, RunnerLifecycle)>,
}

/// Why a cycle failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No GitHub App configured.
    #[error("GitHub is not configured")]
    NotConfigured,
    /// GitHub's runner list could not be read.
    #[error("{0}")]
    GitHub(#[from] GitHubError),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] DbError),
}

impl SyncError {
    /// The `error_type` label of `gharts_sync_errors_total`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotConfigured => "not_configured",
            Self::GitHub(GitHubError::Unavailable { .. }) => "github_unavailable",
            Self::GitHub(_) => "github_error",
            Self::Db(_) => "database_error",
        }
    }
}

/// The new lifecycle status for GitHub's report (the rules of `POST /runners/{id}/refresh`).
pub fn lifecycle_status(current: RunnerLifecycle, online: bool, busy: bool) -> RunnerLifecycle {
    match (online, busy) {
        (true, true) => RunnerLifecycle::Busy,
        (true, false) => RunnerLifecycle::Idle,
        (false, _) if current == RunnerLifecycle::Pending => RunnerLifecycle::Pending,
        (false, _) => RunnerLifecycle::Offline,
    }
}

/// Labels GitHub shows now, compared with those bound at issue (case-insensitive; read-only
/// labels GitHub added on its own are ignored). `Some((added, removed))` on drift.
pub fn label_drift(bound: &[String], g: &GitHubRunner) -> Option<(Vec<String>, Vec<String>)> {
    let lower = |v: &[String]| v.iter().map(|l| l.to_ascii_lowercase()).collect::<HashSet<_>>();
    let bound_set = lower(bound);
    let mut current = lower(&g.labels);
    current.extend(lower(&g.read_only_labels).into_iter().filter(|l| bound_set.contains(l)));
    let mut added: Vec<String> = current.difference(&bound_set).cloned().collect();
    let mut removed: Vec<String> = bound_set.difference(&current).cloned().collect();
    if added.is_empty() && removed.is_empty() {
        return None;
    }
    added.sort();
    removed.sort();
    Some((added, removed))
}

/// Runs one cycle against GitHub and the database.
pub async fn run_cycle(state: &AppState) -> Result<SyncReport, SyncError> {
    let gh = state.github.clone().ok_or(SyncError::NotConfigured)?;
    let mut inventory = gh.list_runners().await?;
    // Pages read while the list shifts can repeat a runner.
    inventory.runners.sort_by_key(|r| r.id);
    inventory.runners.dedup_by_key(|r| r.id);
    let mut cycle = Cycle {
        state,
        gh,
        report: SyncReport { github_pages_fetched: u64::from(inventory.pages), ..Default::default() },
        confirmations: 0,
        pending: Vec::new(),
    };
    let by_id: HashMap<i64, &GitHubRunner> = inventory.runners.iter().map(|r| (r.id, r)).collect();
    let local = state.db.runners_to_sync().await?;
    for r in &local {
        let outcome = cycle.reconcile(r, r.github_runner_id.and_then(|id| by_id.get(&id).copied())).await;
        match outcome {
            Ok(Outcome::Updated) => cycle.report.updated += 1,
            Ok(Outcome::Deleted) => cycle.report.deleted += 1,
            Ok(Outcome::Unchanged) => cycle.report.unchanged += 1,
            Err(e) => {
                tracing::warn!(runner.id = %r.id, runner.name = %r.runner_name, error = %e, "sync: runner not reconciled");
                cycle.report.errors += 1;
            }
        }
    }
    cycle.flush().await?;
    cycle.report_unmanaged(&inventory.runners, &local).await?;
    let mut report = cycle.report;
    report.total = report.updated + report.deleted + report.unchanged + report.errors;
    Ok(report)
}

enum Outcome {
    Updated,
    Deleted,
    Unchanged,
}

struct Cycle<'a> {
    state: &'a AppState,
    gh: SharedGitHub,
    report: SyncReport,
    confirmations: usize,
    pending: Vec<GitHubState>,
}

impl Cycle<'_> {
    async fn flush(&mut self) -> Result<(), SyncError> {
        let batch = std::mem::take(&mut self.pending);
        self.state.db.record_github_states(&batch).await?;
        Ok(())
    }

    async fn reconcile(&mut self, r: &SyncRunner, listed: Option<&GitHubRunner>) -> Result<Outcome, SyncError> {
        let Some(github_id) = r.github_runner_id else {
            // The provisioning request is still waiting for GitHub, or failed without a row
            // cleanup; reclaim it once it is well past its expiry.
            if r.expires_at.is_some_and(|e| e < now()) {
                return self.remove(r, "jit_unused_expired", "expiry").await.map(|()| Outcome::Deleted);
            }
            return Ok(Outcome::Unchanged);
        };
        if r.status == RunnerLifecycle::Pending && r.owner_inactive {
            self.delete_at_github(github_id).await?;
            self.remove(r, "owner_deactivated", "sync").await?;
            self.report.reclaimed_owner_deactivated += 1;
            return Ok(Outcome::Deleted);
        }
        let report = match listed {
            Some(g) => Some(g.clone()),
            None if self.confirmations < MAX_CONFIRMATIONS => {
                self.confirmations += 1;
                self.gh.get_runner(github_id).await?
            }
            None => return Ok(Outcome::Unchanged),
        };
        let Some(g) = report else {
            self.remove(r, "not_found_in_github", "sync").await?;
            return Ok(Outcome::Deleted);
        };
        if let Some((added, removed)) = label_drift(&r.labels.0, &g)
            && let Some(outcome) = self.drift(r, &g, added, removed).await?
        {
            return Ok(outcome);
        }
        let online = g.status == "online";
        let status = lifecycle_status(r.status, online, g.busy);
        if status == RunnerLifecycle::Pending && r.expires_at.is_some_and(|e| e < now()) {
            self.delete_at_github(github_id).await?;
            self.remove(r, "jit_unused_expired", "expiry").await?;
            self.report.expired += 1;
            return Ok(Outcome::Deleted);
        }
        let changed = status != r.status || r.github_status.as_deref() != Some(g.status.as_str()) || r.busy != Some(g.busy);
        if !changed {
            return Ok(Outcome::Unchanged);
        }
        let first_online = (online && r.registered_at.is_none()).then(now);
        // Stored in batches (one transaction per FLUSH_EVERY updates).
        self.pending.push(GitHubState { id: r.id, status, github_status: g.status.clone(), busy: g.busy, registered_at: first_online });
        if self.pending.len() >= FLUSH_EVERY {
            self.flush().await?;
        }
        if status != r.status {
            self.transition(r, status, "sync");
        }
        Ok(Outcome::Updated)
    }

    /// Handles drift: `Some(Deleted)` when the runner was removed, `None` to carry on.
    async fn drift(&mut self, r: &SyncRunner, g: &GitHubRunner, added: Vec<String>, removed: Vec<String>) -> Result<Option<Outcome>, SyncError> {
        let cfg = &self.state.config;
        let remediate = cfg.label_policy_enforcement == Enforcement::Enforce && (!g.busy || cfg.label_drift_delete_busy);
        let data = json!({
            "original_labels": r.labels.0, "current_labels": g.labels, "added_labels": added, "removed_labels": removed,
            "runner_busy": g.busy, "provisioning_method": "jit", "enforcement_mode": cfg.label_policy_enforcement.as_str(),
        });
        if remediate {
            self.delete_at_github(g.id).await?;
            self.security_event(r, SecurityEventType::LabelDriftDetected, Severity::High, "runner_deleted", data).await?;
            self.remove(r, "label_drift", "sync").await?;
            self.state.metrics.sync_label_drifts.with_label_values(&["runner_deleted"]).inc();
            self.report.label_drifts += 1;
            return Ok(Some(Outcome::Deleted));
        }
        if self.state.db.note_label_drift(r.id).await? {
            self.security_event(r, SecurityEventType::LabelDriftDetected, Severity::High, "logged_only", data).await?;
            self.state.metrics.sync_label_drifts.with_label_values(&["logged_only"]).inc();
            self.report.label_drifts += 1;
        }
        Ok(None)
    }

    async fn delete_at_github(&self, github_id: i64) -> Result<(), SyncError> {
        match self.gh.delete_runner(github_id).await {
            Ok(()) => Ok(()),
            // A busy runner finishes its one job and goes away by itself.
            Err(GitHubError::RunnerBusy) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Marks a runner deleted with a `runner_removed` audit row (actor: system).
    async fn remove(&mut self, r: &SyncRunner, reason: &str, source: &str) -> Result<(), SyncError> {
        let audit = NewAudit {
            event_type: "runner_removed".into(),
            actor_type: "system".into(),
            user_identity: "system".into(),
            runner_id: Some(r.id.to_string()),
            runner_name: Some(r.runner_name.clone()),
            team_id: r.team_id,
            event_data: Some(json!({ "reason": reason, "github_runner_id": r.github_runner_id })),
            success: true,
            ..Default::default()
        };
        if self.state.db.mark_runner_deleted(r.id, reason, Some(audit)).await? {
            self.transition(r, RunnerLifecycle::Deleted, source);
        }
        Ok(())
    }

    fn transition(&mut self, r: &SyncRunner, to: RunnerLifecycle, source: &str) {
        self.state.metrics.runner_transitions.with_label_values(&[r.status.as_str(), to.as_str(), source]).inc();
        self.report.changes.push((r.id, r.runner_name.clone(), r.status, to));
    }

    async fn security_event(&self, r: &SyncRunner, event_type: SecurityEventType, severity: Severity, action: &str, data: Value) -> Result<(), SyncError> {
        let e = NewSecurityEvent {
            user_identity: "system".into(),
            team_id: r.team_id,
            violation_data: data,
            action_taken: Some(action.to_owned()),
            runner_id: Some(r.id.to_string()),
            runner_name: Some(r.runner_name.clone()),
            github_runner_id: r.github_runner_id,
            ..NewSecurityEvent::new(event_type, severity)
        };
        self.state.db.record_security_event(&self.state.metrics, &e).await?;
        Ok(())
    }

    /// Reports (once each) runners in the organisation that GHARTS never issued.
    async fn report_unmanaged(&mut self, github: &[GitHubRunner], local: &[SyncRunner]) -> Result<(), SyncError> {
        let issued: HashSet<i64> = self.state.db.issued_github_ids().await?.into_iter().collect();
        // A provisioning request between GitHub's answer and our write has a live row by name.
        let in_flight: HashSet<String> = local.iter().filter(|r| r.github_runner_id.is_none()).map(|r| r.runner_name.to_ascii_lowercase()).collect();
        let mut unmanaged: i64 = 0;
        for g in github.iter().filter(|g| !issued.contains(&g.id) && !in_flight.contains(&g.name.to_ascii_lowercase())) {
            unmanaged += 1;
            if self.state.db.note_unmanaged_runner(g.id, &g.name).await? {
                let mut labels = g.read_only_labels.clone();
                labels.extend(g.labels.iter().cloned());
                let e = NewSecurityEvent {
                    user_identity: "system".into(),
                    violation_data: json!({ "github_runner_id": g.id, "runner_name": g.name, "labels": labels, "runner_group_id": g.runner_group_id }),
                    action_taken: Some("logged_only".into()),
                    runner_name: Some(g.name.clone()),
                    github_runner_id: Some(g.id),
                    ..NewSecurityEvent::new(SecurityEventType::UnmanagedRunnerDetected, Severity::High)
                };
                self.state.db.record_security_event(&self.state.metrics, &e).await?;
                tracing::warn!(github_runner_id = g.id, runner.name = %g.name, "sync: a runner GHARTS never issued is registered in the organisation");
                self.report.unmanaged_detected += 1;
            }
        }
        self.state.metrics.sync_unmanaged.set(unmanaged);
        Ok(())
    }
}

/// Runs a cycle and records its outcome (state row, metrics, log).
pub async fn run_and_record(state: &AppState) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let result = run_cycle(state).await;
    let elapsed = started.elapsed();
    let ms = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX);
    let m = &state.metrics;
    m.sync_duration.observe(elapsed.as_secs_f64());
    match &result {
        Ok(report) => {
            m.sync_runs.with_label_values(&["success"]).inc();
            m.sync_last_success.set(chrono::Utc::now().timestamp() as f64);
            m.sync_updated.inc_by(report.updated);
            m.sync_deleted.inc_by(report.deleted);
            m.sync_unchanged.inc_by(report.unchanged);
            let stored = serde_json::to_value(report).unwrap_or(Value::Null);
            state.db.record_sync_success(&stored, ms).await?;
            refresh_runner_gauges(state).await?;
            tracing::info!(duration_ms = ms, result = %stored, "sync cycle finished");
        }
        Err(e) => {
            m.sync_runs.with_label_values(&["error"]).inc();
            m.sync_errors.with_label_values(&[e.kind()]).inc();
            // Best effort: the database may be the reason the cycle failed.
            if let Err(db) = state.db.record_sync_failure(&e.to_string(), ms).await {
                tracing::warn!(error = %db, "sync: cannot record the failed cycle");
            }
            tracing::warn!(duration_ms = ms, error = %e, "sync cycle failed");
        }
    }
    result
}

/// Recomputes `gharts_runners_by_status` from the database: every (status, team) pair of every
/// team, zeros included; pairs of teams that no longer exist disappear.
pub async fn refresh_runner_gauges(state: &AppState) -> Result<(), DbError> {
    let (counts, teams) = state.db.runner_counts().await?;
    let g = &state.metrics.runners_by_status;
    g.reset();
    for team in teams.iter().map(String::as_str).chain(std::iter::once("unknown")) {
        for s in RunnerLifecycle::ALL.iter().filter(|s| !s.is_deleted()) {
            g.with_label_values(&[s.as_str(), team]).set(0);
        }
    }
    for (status, team, n) in counts {
        g.with_label_values(&[status.as_str(), team.as_deref().unwrap_or("unknown")]).set(n);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gh(custom: &[&str], ro: &[&str]) -> GitHubRunner {
        GitHubRunner {
            labels: custom.iter().map(|s| (*s).to_owned()).collect(),
            read_only_labels: ro.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        }
    }

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn drift_ignores_case_and_labels_github_added_itself() {
        assert_eq!(label_drift(&v(&["self-hosted", "GPU"]), &gh(&["gpu"], &["self-hosted", "Linux", "X64"])), None);
        assert_eq!(label_drift(&v(&["self-hosted", "gpu"]), &gh(&["self-hosted", "gpu"], &[])), None);
    }

    #[test]
    fn drift_lists_what_changed() {
        let d = label_drift(&v(&["self-hosted", "gpu"]), &gh(&["self-hosted", "prod-deploy"], &[]));
        assert_eq!(d, Some((v(&["prod-deploy"]), v(&["gpu"]))));
    }

    #[test]
    fn lifecycle_follows_the_contract() {
        use RunnerLifecycle::{Busy, Idle, Offline, Pending};
        assert_eq!(lifecycle_status(Pending, false, false), Pending);
        assert_eq!(lifecycle_status(Pending, true, false), Idle);
        assert_eq!(lifecycle_status(Idle, true, true), Busy);
        assert_eq!(lifecycle_status(Busy, false, false), Offline);
    }
}
