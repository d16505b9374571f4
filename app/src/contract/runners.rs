//! Runners and provisioning (API.md §7).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::RunnerLifecycle;

/// `POST /api/v1/runners/jit` (and `/dry-run`) body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JitProvisionRequest {
    /// 1–64 of `[A-Za-z0-9_-]`; exactly one of this and the prefix.
    #[serde(default)]
    pub runner_name: Option<String>,
    /// 1–50 of the same; the name becomes `<prefix>-<6 hex>`.
    #[serde(default)]
    pub runner_name_prefix: Option<String>,
    /// Requested labels.
    #[serde(default)]
    pub labels: Vec<String>,
    /// `null` or 0 = the team default.
    #[serde(default)]
    pub runner_group_id: Option<i64>,
    /// The team, by id.
    #[serde(default)]
    pub team_id: Option<Uuid>,
    /// The team, by name.
    #[serde(default)]
    pub team_name: Option<String>,
    /// Relative working directory (default `_work`).
    #[serde(default)]
    pub work_folder: Option<String>,
}

/// `201` of `POST /api/v1/runners/jit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JitProvisionResponse {
    /// The runner's id in GHARTS (a UUID; GitHub's id is `github_runner_id`).
    pub runner_id: Uuid,
    /// The runner's name, unique among live runners (case-insensitively).
    pub runner_name: String,
    /// The bearer secret, returned only here (and in an idempotent replay).
    pub encoded_jit_config: String,
    /// Final labels.
    pub labels: Vec<String>,
    /// When an unused config is reclaimed.
    #[serde(with = "super::timestamp")]
    pub expires_at: DateTime<Utc>,
    /// `./run.sh --jitconfig <config>`.
    pub run_command: String,
    /// The owning team's id.
    pub team_id: Uuid,
    /// The owning team's current name, resolved when read.
    pub team_name: String,
    /// Runner group.
    pub runner_group_id: i64,
    /// GitHub's runner id.
    pub github_runner_id: i64,
    /// Always `pending`.
    pub status: RunnerLifecycle,
    /// When the row was created.
    #[serde(with = "super::timestamp")]
    pub created_at: DateTime<Utc>,
}

/// Quota figures of a dry run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuotaInfo {
    /// Team quota.
    pub max_runners: Option<i64>,
    /// Team runners counting now.
    pub in_use: i64,
    /// Per-principal quota.
    pub max_runners_per_user: Option<i64>,
    /// The caller's counting runners in the team.
    pub in_use_by_caller: i64,
}

/// `200` of `POST /api/v1/runners/jit/dry-run`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DryRunResponse {
    /// Always true in a 200.
    pub allowed: bool,
    /// The name, or an example name for a prefix (not reserved).
    pub runner_name: String,
    /// Whether `runner_name` is an example.
    pub runner_name_is_example: bool,
    /// Final labels.
    pub labels: Vec<String>,
    /// The owning team's id.
    pub team_id: Uuid,
    /// The owning team's current name, resolved when read.
    pub team_name: String,
    /// Runner group.
    pub runner_group_id: i64,
    /// Quota figures.
    pub quota: QuotaInfo,
    /// Whether a real provisioning could reach GitHub.
    pub github_configured: bool,
}

/// A runner (`RunnerStatus`, also `RunnerDetailResponse`; API.md §7.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunnerStatus {
    /// The runner's id in GHARTS (a UUID; GitHub's id is `github_runner_id`).
    pub runner_id: Uuid,
    /// The runner's name, unique among live runners (case-insensitively).
    pub runner_name: String,
    /// Our lifecycle state (GitHub's own report is `github_status` and `busy`).
    pub status: RunnerLifecycle,
    /// GitHub's id.
    pub github_runner_id: Option<i64>,
    /// Runner group.
    pub runner_group_id: i64,
    /// Final labels.
    pub labels: Vec<String>,
    /// Always true.
    pub ephemeral: bool,
    /// The provisioning principal's identity.
    pub provisioned_by: String,
    /// When the row was created.
    #[serde(with = "super::timestamp")]
    pub created_at: DateTime<Utc>,
    /// When the row last changed.
    #[serde(with = "super::timestamp")]
    pub updated_at: DateTime<Utc>,
    /// First seen online.
    #[serde(with = "super::timestamp::option")]
    pub registered_at: Option<DateTime<Utc>>,
    /// When the runner was deleted (`null` while it lives).
    #[serde(with = "super::timestamp::option")]
    pub deleted_at: Option<DateTime<Utc>>,
    /// The owning team's id.
    pub team_id: Option<Uuid>,
    /// The owning team's current name, resolved when read.
    pub team_name: Option<String>,
    /// GitHub's last report.
    pub github_status: Option<String>,
    /// GitHub's last busy flag.
    pub busy: Option<bool>,
    /// For pending runners: the reclaim time.
    #[serde(with = "super::timestamp::option")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Why it was deleted.
    pub deletion_reason: Option<String>,
}

/// `GET /api/v1/runners` query: the filters and the page, shared by the REST API and the
/// console (whose runners page keeps the same names in its own URL).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunnerListQuery {
    /// Comma-separated: `pending`, `idle`, `busy`, `offline`, `deleted`, `active`/`online` (= idle + busy).
    /// Without it, every status but `deleted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Only ephemeral (`true`) or only persistent (`false`) runners.
    #[serde(default, deserialize_with = "super::query::flex_bool", skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<bool>,
    /// A team, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// A team, by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    /// Exact runner name (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_name: Option<String>,
    /// Part of the runner name (case-insensitive): the console's search box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_contains: Option<String>,
    /// GitHub's runner id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_runner_id: Option<i64>,
    /// Page size, 1–1000 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Rows skipped (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
}

/// `GET /api/v1/runners` response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunnerListResponse {
    /// The page.
    pub runners: Vec<RunnerStatus>,
    /// All matches.
    pub total: i64,
    /// As applied.
    pub limit: i64,
    /// As applied.
    pub offset: i64,
}

/// `DELETE /api/v1/runners/{id}` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeprovisionResponse {
    /// The runner's id in GHARTS (a UUID; GitHub's id is `github_runner_id`).
    pub runner_id: Uuid,
    /// The runner's name, unique among live runners (case-insensitively).
    pub runner_name: String,
    /// Always true.
    pub success: bool,
    /// `Runner '<name>' successfully deprovisioned`.
    pub message: String,
}
