//! Admin statistics, the sync worker's status and manual sync requests (API.md §14).
//!
//! The status is read from the `sync_state` and `sync_lease` rows the worker maintains, so it
//! says only what has really happened. A manual request is recorded as its `sync_triggered`
//! audit row ([`crate::db::admin_stats`] explains how the leader picks it up).

use app::contract::ErrorCode;
use app::contract::admin::{AdminStatsResponse, AuditStats, RunnerStats, SecurityStats, SyncStatusResponse, SyncTriggerResponse, TeamStats, UserStats};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::db::audit::NewAudit;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// `last_sync_error` before the worker has finished any cycle.
pub const NOT_RUN_YET: &str = "Sync worker has not run yet";
/// `last_sync_error` while `SYNC_ENABLED` is false.
pub const DISABLED: &str = "Sync is disabled";
/// Sync counts as stale after this many intervals without a successful cycle.
const STALE_INTERVALS: i64 = 3;

/// `GET /api/v1/admin/stats`.
pub async fn stats(state: &AppState) -> AppResult<AdminStatsResponse> {
    let s = state.db.admin_stats().await?;
    Ok(AdminStatsResponse {
        runners: RunnerStats {
            total: s.runners_total,
            active: s.runners_idle + s.runners_busy,
            idle: s.runners_idle,
            busy: s.runners_busy,
            offline: s.runners_offline,
            pending: s.runners_pending,
        },
        users: UserStats { total: s.users_total, active: s.users_active, admins: s.users_admins },
        teams: TeamStats { total: s.teams_total, active: s.teams_active },
        security: SecurityStats { total_events: s.security_total, critical_events: s.security_critical, high_events: s.security_high },
        audit: AuditStats { total_logs: s.audit_total, failed_operations: s.audit_failed },
        generated_at: now(),
    })
}

fn interval(state: &AppState) -> i64 {
    i64::try_from(state.config.sync_interval_seconds).unwrap_or(i64::MAX)
}

/// `GET /api/v1/admin/sync/status`.
pub async fn sync_status(state: &AppState) -> AppResult<SyncStatusResponse> {
    let (st, lease) = state.db.sync_state().await?;
    let enabled = state.config.sync_enabled;
    let at = now();
    let has_run = st.last_sync_time.is_some() || st.last_error_time.is_some();
    let last_sync_error = if !enabled {
        Some(DISABLED.to_owned())
    } else if !has_run {
        Some(NOT_RUN_YET.to_owned())
    } else {
        st.last_sync_error
    };
    // Staleness counts from the last success, or from when a worker took the lease if none has
    // succeeded since; with no worker at all there is nothing to be late yet ("has not run").
    let since = st.last_sync_time.or(lease.acquired_at);
    let is_stale = enabled && since.is_some_and(|t| (at - t).num_seconds() > STALE_INTERVALS.saturating_mul(interval(state)));
    let lease_live = lease.expires_at.is_some_and(|e| e > at);
    Ok(SyncStatusResponse {
        enabled,
        interval_seconds: interval(state),
        worker_hostname: lease.holder.filter(|_| lease_live),
        worker_heartbeat: lease.renewed_at,
        last_sync_time: st.last_sync_time,
        last_sync_result: st.last_sync_result.map(|t| serde_json::from_str::<Value>(&t).unwrap_or_else(|_| json!({ "error": "Invalid JSON in sync result" }))),
        last_sync_error,
        lease_expires_at: lease.expires_at,
        is_stale,
        last_sync_duration_ms: st.last_sync_duration_ms,
        last_error_time: st.last_error_time,
    })
}

/// `POST /api/v1/admin/sync/trigger`: records the request (audited) for the leader to pick up.
/// `already_running` when an earlier request is still waiting for its cycle.
pub async fn trigger(state: &AppState, caller: &Caller) -> AppResult<SyncTriggerResponse> {
    let audit = NewAudit { event_data: None, ..caller.audit("sync_triggered", Value::Null) };
    if !state.config.sync_enabled {
        let refused = NewAudit { success: false, error_message: Some(DISABLED.to_owned()), ..audit };
        state.db.append_audit(refused).await?;
        return Err(AppError::api(ErrorCode::SyncDisabled, "Sync is disabled (SYNC_ENABLED=false)"));
    }
    let (st, _) = state.db.sync_state().await?;
    let last_cycle_end: Option<DateTime<Utc>> = st.last_sync_time.max(st.last_error_time);
    let pending = state.db.latest_sync_request().await?.is_some_and(|req| last_cycle_end.is_none_or(|end| req > end));
    let id = state.db.append_audit(audit).await?;
    let requested_at = state.db.audit_timestamp(id).await?.unwrap_or_else(now);
    Ok(SyncTriggerResponse { status: if pending { "already_running" } else { "scheduled" }.to_owned(), requested_at })
}
