//! Admin statistics and the sync worker's status (API.md §14).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Runner counts by lifecycle status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunnerStats {
    /// Runners that are not `deleted`.
    pub total: i64,
    /// `idle` + `busy` (kept for compatibility).
    pub active: i64,
    /// `idle`.
    pub idle: i64,
    /// `busy`.
    pub busy: i64,
    /// `offline`.
    pub offline: i64,
    /// `pending`.
    pub pending: i64,
}

/// User counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserStats {
    /// Every user.
    pub total: i64,
    /// Active users.
    pub active: i64,
    /// Active admins.
    pub admins: i64,
}

/// Team counts (stored teams; the virtual admins team is not counted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamStats {
    /// Stored teams.
    pub total: i64,
    /// Active ones.
    pub active: i64,
}

/// Security event counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SecurityStats {
    /// Every event.
    pub total_events: i64,
    /// Severity `critical`.
    pub critical_events: i64,
    /// Severity `high`.
    pub high_events: i64,
}

/// Audit counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditStats {
    /// Every row.
    pub total_logs: i64,
    /// Rows with `success = false`.
    pub failed_operations: i64,
}

/// `GET /api/v1/admin/stats` response (API.md §14.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminStatsResponse {
    /// Runners.
    pub runners: RunnerStats,
    /// Users.
    pub users: UserStats,
    /// Teams.
    pub teams: TeamStats,
    /// Security events.
    pub security: SecurityStats,
    /// Audit rows.
    pub audit: AuditStats,
    /// When the numbers were read.
    #[serde(with = "super::timestamp")]
    pub generated_at: DateTime<Utc>,
}

/// `GET /api/v1/admin/sync/status` response (API.md §14.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SyncStatusResponse {
    /// `SYNC_ENABLED`.
    pub enabled: bool,
    /// `SYNC_INTERVAL_SECONDS`.
    pub interval_seconds: i64,
    /// The current lease holder.
    pub worker_hostname: Option<String>,
    /// The leader's last heartbeat.
    #[serde(with = "super::timestamp::option")]
    pub worker_heartbeat: Option<DateTime<Utc>>,
    /// The end of the last successful cycle.
    #[serde(with = "super::timestamp::option")]
    pub last_sync_time: Option<DateTime<Utc>>,
    /// The last cycle's counters; `{"error": "Invalid JSON in sync result"}` if unreadable.
    pub last_sync_result: Option<Value>,
    /// The most recent failure (cleared by a success), or why sync has not run.
    pub last_sync_error: Option<String>,
    /// When the current lease runs out.
    #[serde(with = "super::timestamp::option")]
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// No successful cycle for 3 × the interval while sync is enabled.
    pub is_stale: bool,
    /// How long the last cycle took.
    pub last_sync_duration_ms: Option<i64>,
    /// When the most recent failure happened.
    #[serde(with = "super::timestamp::option")]
    pub last_error_time: Option<DateTime<Utc>>,
}

/// `POST /api/v1/admin/sync/trigger` response (API.md §14.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SyncTriggerResponse {
    /// `scheduled`, or `already_running` when a cycle is already requested and not yet run.
    pub status: String,
    /// When this request was recorded.
    #[serde(with = "super::timestamp")]
    pub requested_at: DateTime<Utc>,
}

/// `GET /api/v1/admin/github` response (API.md §14.4): what `gharts github check` reports about
/// the GitHub App connection, without secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GitHubHealthResponse {
    /// `ok`; `not_configured` (no `GITHUB_APP_ID`); `unreachable` (network, timeout, 5xx or
    /// rate-limited: retrying may help); `rejected` (GitHub refused: the key, the App id, the
    /// installation or its permissions).
    pub state: String,
    /// `GITHUB_ORG`.
    pub org: Option<String>,
    /// The App's id, as GitHub reports it.
    pub app_id: Option<i64>,
    /// The App's slug.
    pub app_slug: Option<String>,
    /// The App's name.
    pub app_name: Option<String>,
    /// The installation on the organisation.
    pub installation_id: Option<i64>,
    /// The account the App is installed on.
    pub installation_account: Option<String>,
    /// An installation token could be minted (the rate-limit call needs one).
    pub token_ok: bool,
    /// The installation's core REST budget.
    pub rate_limit: Option<GitHubRateLimit>,
    /// What failed, when `state` is not `ok`.
    pub error: Option<String>,
    /// When these facts were gathered.
    #[serde(with = "super::timestamp")]
    pub checked_at: DateTime<Utc>,
}

/// GitHub's core REST rate-limit budget for the installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GitHubRateLimit {
    /// Calls left in this window.
    pub remaining: i64,
    /// Calls per window.
    pub limit: i64,
    /// When the window resets.
    #[serde(with = "super::timestamp")]
    pub reset_at: DateTime<Utc>,
}
