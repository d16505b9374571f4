//! Batch incident actions (API.md §10.7).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

fn yes() -> bool {
    true
}

/// `POST /api/v1/admin/batch/disable-users` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BatchDisableUsersRequest {
    /// 10–500 characters (required; a missing one fails the length rule, naming the field).
    #[serde(default)]
    pub comment: String,
    /// Compute and report only.
    #[serde(default)]
    pub dry_run: bool,
    /// `null`, absent or `[]` = every active user.
    #[serde(default)]
    pub user_ids: Option<Vec<Uuid>>,
    /// Leave admins out (default true).
    #[serde(default = "yes")]
    pub exclude_admins: bool,
}

/// `POST /api/v1/admin/batch/restore-users` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BatchRestoreUsersRequest {
    /// 10–500 characters (required; a missing one fails the length rule, naming the field).
    #[serde(default)]
    pub comment: String,
    /// Compute and report only.
    #[serde(default)]
    pub dry_run: bool,
    /// `null`, absent or `[]` = every inactive user.
    #[serde(default)]
    pub user_ids: Option<Vec<Uuid>>,
}

/// `POST /api/v1/admin/batch/delete-runners` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BatchDeleteRunnersRequest {
    /// 10–500 characters (required; a missing one fails the length rule, naming the field).
    #[serde(default)]
    pub comment: String,
    /// Compute and report only.
    #[serde(default)]
    pub dry_run: bool,
    /// Wins over the other two when given (`[]` counts as absent).
    #[serde(default)]
    pub runner_ids: Option<Vec<Uuid>>,
    /// Runners whose `provisioned_by` equals this.
    #[serde(default)]
    pub user_identity: Option<String>,
    /// Runners of this team (AND with `user_identity`).
    #[serde(default)]
    pub team_id: Option<Uuid>,
}

/// `POST /api/v1/admin/batch/deactivate-teams` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BatchDeactivateTeamsRequest {
    /// 10–500 characters (required; a missing one fails the length rule, naming the field).
    #[serde(default)]
    pub comment: String,
    /// Compute and report only.
    #[serde(default)]
    pub dry_run: bool,
    /// `null`, absent or `[]` = every active team.
    #[serde(default)]
    pub team_ids: Option<Vec<Uuid>>,
    /// 1–500 characters (required); stored on each team.
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/admin/batch/reactivate-teams` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BatchReactivateTeamsRequest {
    /// 10–500 characters (required; a missing one fails the length rule, naming the field).
    #[serde(default)]
    pub comment: String,
    /// Compute and report only.
    #[serde(default)]
    pub dry_run: bool,
    /// `null`, absent or `[]` = every inactive team.
    #[serde(default)]
    pub team_ids: Option<Vec<Uuid>>,
}

/// One user of a user batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserBatchDetail {
    /// The id as given (or found).
    pub user_id: Uuid,
    /// Email (`null` when unknown).
    pub email: Option<String>,
    /// Subject (`null` when unknown).
    pub oidc_sub: Option<String>,
    /// `disabled`/`restored`, `would_be_…`, `skipped`, `not_found` or `failed`.
    pub status: String,
    /// Only for `failed`.
    pub error: Option<String>,
}

/// One runner of a runner batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunnerBatchDetail {
    /// The id as given (or found).
    pub runner_id: Uuid,
    /// Name (`null` when unknown).
    pub runner_name: Option<String>,
    /// Who provisioned it (`null` when unknown).
    pub provisioned_by: Option<String>,
    /// `deleted`, `would_be_deleted`, `skipped`, `not_found` or `failed`.
    pub status: String,
    /// Only for `failed`.
    pub error: Option<String>,
}

/// One team of a team batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamBatchDetail {
    /// The id as given (or found).
    pub team_id: Uuid,
    /// Name (`null` when unknown).
    pub team_name: Option<String>,
    /// `deactivated`/`reactivated`, `would_be_…`, `skipped`, `not_found` or `failed`.
    pub status: String,
    /// Only for `failed`.
    pub error: Option<String>,
}

/// A `details` entry: its shape depends on the route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum BatchDetail {
    /// `disable-users`, `restore-users`.
    User(UserBatchDetail),
    /// `delete-runners`.
    Runner(RunnerBatchDetail),
    /// `deactivate-teams`, `reactivate-teams`.
    Team(TeamBatchDetail),
}

/// The response of every batch route (API.md §10.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BatchActionResponse {
    /// `failed_count == 0`.
    pub success: bool,
    /// `disable_users`, `restore_users`, `delete_runners`, `deactivate_teams` or `reactivate_teams`.
    pub action: String,
    /// Items changed (or that would change, in a dry run).
    pub affected_count: i64,
    /// Items that failed.
    pub failed_count: i64,
    /// Echoed.
    pub comment: String,
    /// Echoed.
    pub dry_run: bool,
    /// One entry per target id or eligible item; always a list.
    pub details: Vec<BatchDetail>,
}
