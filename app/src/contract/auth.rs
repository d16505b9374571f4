//! Authentication shapes: `GET /api/v1/auth/me` (API.md §6.5) and the login routes (§6.3, §6.4).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A team the caller belongs to, as listed by `/auth/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamRef {
    /// Team id.
    pub id: Uuid,
    /// Team name (kebab-case).
    pub name: String,
}

/// Who the caller is (API.md §6.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MeResponse {
    /// The user's id; `m2m:<team>` for M2M principals.
    pub user_id: String,
    /// The user's email; `null` for M2M.
    pub email: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Bound OIDC subject (the client id for M2M, `null` for local accounts).
    pub oidc_sub: Option<String>,
    /// Admin role.
    pub is_admin: bool,
    /// May provision runners.
    pub can_use_jit: bool,
    /// `["admin"]` or `["user"]`.
    pub roles: Vec<String>,
    /// Active teams, ordered by name.
    pub teams: Vec<TeamRef>,
    /// `user`, `m2m` or `local_admin`.
    pub actor_type: String,
    /// `bearer` or `session`.
    pub auth_method: String,
    /// Local accounts only.
    pub username: Option<String>,
    /// For sessions: the earlier of the absolute and the idle expiry.
    #[serde(with = "super::timestamp::option")]
    pub session_expires_at: Option<DateTime<Utc>>,
}

/// `POST /auth/local-login` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LocalLoginRequest {
    /// 1–150 characters, compared case-insensitively.
    pub username: String,
    /// 1–1024 characters. Never logged.
    pub password: String,
}

/// `POST /auth/logout` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LogoutResponse {
    /// The identity provider's end-session URL, or `null` for local sessions.
    pub logout_url: Option<String>,
}

/// Which login methods the login page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LoginOptions {
    /// The username/password form.
    pub local_enabled: bool,
    /// The "Sign in with SSO" button.
    pub oidc_enabled: bool,
}
