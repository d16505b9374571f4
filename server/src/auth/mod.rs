//! Authentication: credentials → [`Principal`], browser sessions, local login, CSRF.
//!
//! Authorisation (roles, team membership) is not here: routes and services check it
//! explicitly against the principal.

pub mod context;
pub mod local;
pub mod password;
pub mod principal;
pub mod resolve;
pub mod service;
pub mod session;
pub mod sso;

pub use context::{RequestContext, RequestId};
pub use principal::{ActorType, AuthMethod, Principal};

/// Why a username is not acceptable, if it is not (1–150 characters, no spaces or controls).
pub fn validate_username(name: &str) -> Option<String> {
    let len = name.chars().count();
    if len == 0 || len > 150 {
        return Some("must be 1–150 characters".to_owned());
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("must not contain spaces or control characters".to_owned());
    }
    None
}
