//! The authenticated caller (API.md §2.7).

use chrono::{DateTime, Utc};

use crate::db::models::UserRow;

/// The actor types of audit rows and `/auth/me`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorType {
    /// An OIDC user.
    User,
    /// A local account signed in with a password.
    LocalAdmin,
    /// The service itself.
    System,
}

impl ActorType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::User => "user",
            ActorType::LocalAdmin => "local_admin",
            ActorType::System => "system",
        }
    }
}

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// The `gharts_session` cookie.
    Session {
        /// The stored hash of the cookie value.
        id_hash: String,
        /// The earlier of the idle and the absolute expiry.
        expires_at: DateTime<Utc>,
    },
}

/// An authenticated caller. The user row is read on every request, so role changes apply at once.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user.
    pub user: UserRow,
    /// `user` or `local_admin`.
    pub actor_type: ActorType,
    /// The credential used.
    pub auth: AuthMethod,
}

impl Principal {
    /// The identity written to audit rows: email, else username, else subject.
    pub fn identity(&self) -> String {
        let u = &self.user;
        match self.actor_type {
            ActorType::LocalAdmin => u.username.clone().or_else(|| u.email.clone()),
            _ => u.email.clone().or_else(|| u.username.clone()).or_else(|| u.oidc_sub.clone()),
        }
        .unwrap_or_else(|| u.id.to_string())
    }

    /// Admin role.
    pub fn is_admin(&self) -> bool {
        self.user.is_admin
    }
}
