//! Rows as stored. Contract shapes live in `app::contract`; these never leave the server.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A user: an OIDC identity, a local account, or both. `Debug` redacts the password hash.
#[derive(Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    /// Email (unique, case-insensitive).
    pub email: Option<String>,
    /// Bound OIDC subject.
    pub oidc_sub: Option<String>,
    /// Local account name (unique, case-insensitive).
    pub username: Option<String>,
    /// argon2id PHC string; `None` for OIDC-only users. Never leaves the server.
    pub password_hash: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Admin role.
    pub is_admin: bool,
    /// Deactivated users cannot authenticate.
    pub is_active: bool,
    /// May provision runners.
    pub can_use_jit: bool,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Last login (throttled to once a minute).
    pub last_login_at: Option<DateTime<Utc>>,
    /// Who created it: an admin's identity, `cli` or `system`.
    pub created_by: Option<String>,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &self.password_hash.as_ref().map(|_| "<redacted>"))
            .field("is_admin", &self.is_admin)
            .field("is_active", &self.is_active)
            .finish_non_exhaustive()
    }
}

/// A browser session. The cookie value itself is never stored, only its SHA-256.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    /// Hex SHA-256 of the cookie value.
    pub id_hash: String,
    /// The user.
    pub user_id: Uuid,
    /// `local` or `oidc`.
    pub auth_method: String,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// Last activity written (throttled).
    pub last_seen_at: DateTime<Utc>,
    /// Idle expiry.
    pub idle_expires_at: DateTime<Utc>,
    /// Absolute expiry.
    pub absolute_expires_at: DateTime<Utc>,
    /// The ID token of an OIDC login, for RP-initiated logout.
    pub id_token_hint: Option<String>,
}

/// A stored audit row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    /// Increasing id (in PostgreSQL, rows may commit out of id order).
    pub id: i64,
    /// When.
    pub timestamp: DateTime<Utc>,
    /// What (API.md §3.7 catalogue).
    pub event_type: String,
    /// `user`, `m2m`, `local_admin` or `system`.
    pub actor_type: String,
    /// The actor's identity.
    pub user_identity: String,
    /// The actor's subject or client id.
    pub oidc_sub: Option<String>,
    /// Client address.
    pub request_ip: Option<String>,
    /// Client user agent (≤ 512 characters).
    pub user_agent: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// Target runner id.
    pub runner_id: Option<String>,
    /// Target runner name.
    pub runner_name: Option<String>,
    /// Target team.
    pub team_id: Option<Uuid>,
    /// JSON object, as text.
    pub event_data: Option<String>,
    /// Outcome.
    pub success: bool,
    /// Failure message.
    pub error_message: Option<String>,
    /// Hash of the previous row in the chain (64 zeros for the first); `None` until sealed.
    pub prev_hash: Option<String>,
    /// This row's hash; `None` until sealed.
    pub hash: Option<String>,
    /// The row's place in the chain, given by the sealer; `None` until sealed.
    pub chain_seq: Option<i64>,
}
