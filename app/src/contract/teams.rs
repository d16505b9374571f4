//! Teams and memberships (API.md §8, §9).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// A team, with its policy and live statistics (API.md §8.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamResponse {
    /// Id.
    pub id: Uuid,
    /// Kebab-case, unique, never changes.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Labels merged into every runner of the team.
    pub required_labels: Vec<String>,
    /// Full-match, case-insensitive patterns; `null` when none (never `[]`).
    pub optional_label_patterns: Option<Vec<String>>,
    /// `null` = unlimited.
    pub max_runners: Option<i64>,
    /// `null` = no per-user cap.
    pub max_runners_per_user: Option<i64>,
    /// Runner groups the team may use (`[]` only for the system team).
    pub allowed_runner_group_ids: Vec<i64>,
    /// The group used when a request names none (`null` only for the system team).
    pub default_runner_group_id: Option<i64>,
    /// Active.
    pub is_active: bool,
    /// Only the virtual admins team.
    pub is_system: bool,
    /// When the row was created.
    #[serde(with = "super::timestamp")]
    pub created_at: DateTime<Utc>,
    /// When the row last changed.
    #[serde(with = "super::timestamp")]
    pub updated_at: DateTime<Utc>,
    /// Creator's identity.
    pub created_by: Option<String>,
    /// Deactivated when.
    #[serde(with = "super::timestamp::option")]
    pub deactivated_at: Option<DateTime<Utc>>,
    /// Deactivated by whom.
    pub deactivated_by: Option<String>,
    /// Why.
    pub deactivation_reason: Option<String>,
    /// Memberships (active or inactive users).
    pub member_count: i64,
    /// Runners counting against the quota.
    pub active_runner_count: i64,
}

/// `POST /api/v1/admin/teams` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamCreateRequest {
    /// 2–50 characters, kebab-case; `admins` is reserved.
    pub name: String,
    /// ≤ 500 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Label syntax, ≤ 50, duplicates collapsed.
    #[serde(default)]
    pub required_labels: Vec<String>,
    /// Each compiles; `[]` is stored as `null`.
    #[serde(default)]
    pub optional_label_patterns: Option<Vec<String>>,
    /// 0–100000.
    #[serde(default)]
    pub max_runners: Option<i64>,
    /// 0–100000.
    #[serde(default)]
    pub max_runners_per_user: Option<i64>,
    /// 1–100 distinct ids ≥ 1.
    #[serde(default)]
    pub allowed_runner_group_ids: Option<Vec<i64>>,
    /// Must be in the allowlist.
    #[serde(default)]
    pub default_runner_group_id: Option<i64>,
}

/// Absent → `None`; `null` → `Some(None)`; a value → `Some(Some(v))` (merge-patch semantics).
pub fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `PATCH /api/v1/admin/teams/{id}` body (merge-patch).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamPatchRequest {
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    pub description: Option<Option<String>>,
    /// `null` → 422; `[]` clears.
    #[serde(default, deserialize_with = "double_option")]
    pub required_labels: Option<Option<Vec<String>>>,
    /// `null` or `[]` clears.
    #[serde(default, deserialize_with = "double_option")]
    pub optional_label_patterns: Option<Option<Vec<String>>>,
    /// `null` = unlimited.
    #[serde(default, deserialize_with = "double_option")]
    pub max_runners: Option<Option<i64>>,
    /// `null` = no cap.
    #[serde(default, deserialize_with = "double_option")]
    pub max_runners_per_user: Option<Option<i64>>,
    /// `null` → 422.
    #[serde(default, deserialize_with = "double_option")]
    pub allowed_runner_group_ids: Option<Option<Vec<i64>>>,
    /// `null` → 422.
    #[serde(default, deserialize_with = "double_option")]
    pub default_runner_group_id: Option<Option<i64>>,
}

/// `POST /api/v1/admin/teams/{id}/deactivate` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamDeactivateRequest {
    /// 1–500 characters.
    pub reason: String,
}

/// `GET /api/v1/admin/teams` response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamListResponse {
    /// The page.
    pub teams: Vec<TeamResponse>,
    /// All matches.
    pub total: i64,
    /// As applied.
    pub limit: i64,
    /// As applied.
    pub offset: i64,
}

/// A member of a team (API.md §9.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberResponse {
    /// User id.
    pub user_id: Uuid,
    /// Email.
    pub email: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Joined when.
    #[serde(with = "super::timestamp")]
    pub joined_at: DateTime<Utc>,
    /// Added by whom.
    pub added_by: Option<String>,
    /// Whether the account is active.
    pub is_active: bool,
}

/// `GET …/members` response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberListResponse {
    /// The team.
    pub team_id: Uuid,
    /// Its name.
    pub team_name: String,
    /// The page.
    pub members: Vec<MemberResponse>,
    /// All members.
    pub total: i64,
    /// As applied.
    pub limit: i64,
    /// As applied.
    pub offset: i64,
}

/// `GET /api/v1/admin/teams/users/{user_id}/teams` response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserTeamsResponse {
    /// The user.
    pub user_id: Uuid,
    /// The page.
    pub teams: Vec<TeamResponse>,
    /// All memberships.
    pub total: i64,
    /// As applied.
    pub limit: i64,
    /// As applied.
    pub offset: i64,
}

/// `POST /api/v1/admin/teams/label-policy/validate` body (API.md §8.7): a policy to check
/// before saving it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LabelPolicyCheckRequest {
    /// Required labels, as team create/update take them.
    #[serde(default)]
    pub required_labels: Vec<String>,
    /// Optional label patterns, as team create/update take them.
    #[serde(default)]
    pub optional_label_patterns: Vec<String>,
}

/// `POST /api/v1/admin/teams/label-policy/validate` response: the field errors team create and
/// update would answer for this policy (none: they would accept it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LabelPolicyCheckResponse {
    /// No errors.
    pub valid: bool,
    /// Per field (`required_labels[i]`, `optional_label_patterns[i]`, …), with the same messages.
    pub errors: Vec<super::FieldError>,
}
