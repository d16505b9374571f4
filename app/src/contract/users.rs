//! Users (API.md §10.0–§10.6).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A user (API.md §10.0). Never carries a password or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserResponse {
    /// Id.
    pub id: Uuid,
    /// Unique, compared case-insensitively.
    pub email: Option<String>,
    /// Unique; bound on the first login by verified email.
    pub oidc_sub: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Admin role.
    pub is_admin: bool,
    /// Deactivated users cannot authenticate.
    pub is_active: bool,
    /// May provision runners.
    pub can_use_jit: bool,
    /// When the row was created.
    #[serde(with = "super::timestamp")]
    pub created_at: DateTime<Utc>,
    /// When the row last changed.
    #[serde(with = "super::timestamp")]
    pub updated_at: DateTime<Utc>,
    /// Last login (written at most once a minute).
    #[serde(with = "super::timestamp::option")]
    pub last_login_at: Option<DateTime<Utc>>,
    /// The creating admin's identity, `cli` or `system`.
    pub created_by: Option<String>,
    /// Local accounts only.
    pub username: Option<String>,
}

fn yes() -> bool {
    true
}

/// `POST /api/v1/admin/users` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserCreateRequest {
    /// A valid address, ≤ 254 characters.
    #[serde(default)]
    pub email: Option<String>,
    /// 1–255 characters.
    #[serde(default)]
    pub oidc_sub: Option<String>,
    /// ≤ 255 characters; defaults to the email, else the subject.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Default false.
    #[serde(default)]
    pub is_admin: bool,
    /// Default true.
    #[serde(default = "yes")]
    pub can_use_jit: bool,
    /// Real teams (inactive allowed, the virtual team not); a non-admin needs at least one.
    #[serde(default)]
    pub team_ids: Vec<Uuid>,
}

/// `PUT /api/v1/admin/users/{id}` body: only present, non-null fields apply.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserUpdateRequest {
    /// ≤ 255 characters.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Admin role.
    #[serde(default)]
    pub is_admin: Option<bool>,
    /// Active.
    #[serde(default)]
    pub is_active: Option<bool>,
    /// May provision runners.
    #[serde(default)]
    pub can_use_jit: Option<bool>,
}

/// `DELETE /api/v1/admin/users/{id}` body (a soft delete).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserDeactivateRequest {
    /// 10–500 characters (required; a missing one fails the length rule, naming the field).
    #[serde(default)]
    pub comment: String,
}

/// `GET /api/v1/admin/users` query (API.md §10.2). The server parses it and the console builds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserListQuery {
    /// Adds the deactivated users to the active ones.
    #[serde(default, deserialize_with = "super::query::flex_bool", skip_serializing_if = "Option::is_none")]
    pub include_inactive: Option<bool>,
    /// Only active (`true`) or only deactivated (`false`) users; overrides `include_inactive`.
    #[serde(default, deserialize_with = "super::query::flex_bool", skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Admins only (`true`) or non-admins only (`false`).
    #[serde(default, deserialize_with = "super::query::flex_bool", skip_serializing_if = "Option::is_none")]
    pub is_admin: Option<bool>,
    /// Case-insensitive substring of the email, display name, OIDC subject or username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// Only users who are not members of this team (the candidates to add to it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_member_of: Option<Uuid>,
    /// Page size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Rows skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
}

/// `GET /api/v1/admin/users` response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserListResponse {
    /// The page.
    pub users: Vec<UserResponse>,
    /// All matches.
    pub total: i64,
    /// As applied.
    pub limit: i64,
    /// As applied.
    pub offset: i64,
}
