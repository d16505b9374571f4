//! OAuth (M2M) client registrations (API.md §11).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::teams::double_option;

/// A registration binding an `IdP` client id to one team (API.md §11.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OAuthClientResponse {
    /// Internal id (used in paths).
    pub id: Uuid,
    /// The `IdP` client id (= the token's `sub`).
    pub client_id: String,
    /// The team it acts for.
    pub team_id: Uuid,
    /// Free text.
    pub description: Option<String>,
    /// Active.
    pub is_active: bool,
    /// When the row was created.
    #[serde(with = "super::timestamp")]
    pub created_at: DateTime<Utc>,
    /// Creating admin's identity.
    pub created_by: Option<String>,
    /// Last use (written at most once a minute).
    #[serde(with = "super::timestamp::option")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// The team's name.
    pub team_name: String,
    /// When the row last changed.
    #[serde(with = "super::timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/admin/oauth-clients` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OAuthClientCreateRequest {
    /// 1–255 characters, no whitespace.
    pub client_id: String,
    /// A stored team (inactive allowed; not the virtual admins team).
    pub team_id: Uuid,
    /// ≤ 500 characters.
    #[serde(default)]
    pub description: Option<String>,
}

/// `PATCH /api/v1/admin/oauth-clients/{id}` body (merge-patch).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OAuthClientPatchRequest {
    /// ≤ 500 characters; `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    pub description: Option<Option<String>>,
    /// `null` → 422.
    #[serde(default, deserialize_with = "double_option")]
    pub is_active: Option<Option<bool>>,
}

/// `GET /api/v1/admin/oauth-clients` response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OAuthClientListResponse {
    /// The page.
    pub clients: Vec<OAuthClientResponse>,
    /// All matches.
    pub total: i64,
    /// As applied.
    pub limit: i64,
    /// As applied.
    pub offset: i64,
}
