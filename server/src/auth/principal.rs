//! The authenticated caller (API.md §2.7).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::models::UserRow;

/// The actor types of audit rows and `/auth/me`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorType {
    /// An OIDC user.
    User,
    /// A registered OAuth client acting for its team.
    M2m,
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
            ActorType::M2m => "m2m",
            ActorType::LocalAdmin => "local_admin",
            ActorType::System => "system",
        }
    }
}

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// `Authorization: Bearer` with an OIDC access token.
    Bearer,
    /// The `gharts_session` cookie.
    Session {
        /// The stored hash of the cookie value.
        id_hash: String,
        /// The earlier of the idle and the absolute expiry.
        expires_at: DateTime<Utc>,
    },
}

/// A registered M2M client, resolved with its (active) team.
#[derive(Debug, Clone)]
pub struct M2mClient {
    /// Registration id.
    pub id: Uuid,
    /// The IdP client id (= the token's `sub`).
    pub client_id: String,
    /// The one team it acts for.
    pub team_id: Uuid,
    /// That team's name.
    pub team_name: String,
    /// The token's `name` claim, if any.
    pub display_name: Option<String>,
}

/// Who the caller is.
#[derive(Debug, Clone)]
pub enum Identity {
    /// A user row (OIDC user or local account); read on every request.
    User {
        /// The user.
        user: UserRow,
        /// `user` or `local_admin`.
        actor_type: ActorType,
    },
    /// An M2M client.
    M2m(M2mClient),
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Who.
    pub identity: Identity,
    /// The credential used.
    pub auth: AuthMethod,
}

impl Principal {
    /// The user row, for user principals.
    pub fn user(&self) -> Option<&UserRow> {
        match &self.identity {
            Identity::User { user, .. } => Some(user),
            Identity::M2m(_) => None,
        }
    }

    /// The actor type.
    pub fn actor_type(&self) -> ActorType {
        match &self.identity {
            Identity::User { actor_type, .. } => *actor_type,
            Identity::M2m(_) => ActorType::M2m,
        }
    }

    /// The identity written to audit rows: `m2m:<team>`; for users email, else username, else subject.
    pub fn identity(&self) -> String {
        match &self.identity {
            Identity::M2m(c) => format!("m2m:{}", c.team_name),
            Identity::User { user: u, actor_type } => match actor_type {
                ActorType::LocalAdmin => u.username.clone().or_else(|| u.email.clone()),
                _ => u.email.clone().or_else(|| u.username.clone()).or_else(|| u.oidc_sub.clone()),
            }
            .unwrap_or_else(|| u.id.to_string()),
        }
    }

    /// The `sub` (users) or client id (M2M) for audit rows.
    pub fn oidc_sub(&self) -> Option<String> {
        match &self.identity {
            Identity::User { user, .. } => user.oidc_sub.clone(),
            Identity::M2m(c) => Some(c.client_id.clone()),
        }
    }

    /// Admin role (never for M2M).
    pub fn is_admin(&self) -> bool {
        self.user().is_some_and(|u| u.is_admin)
    }

    /// May provision runners (always for M2M, for its team).
    pub fn can_use_jit(&self) -> bool {
        self.user().is_none_or(|u| u.can_use_jit)
    }
}
