//! Authentication: credentials → [`Principal`], browser sessions, local login, CSRF.
//!
//! Authorisation (roles, team membership) is not here: routes and services check it
//! explicitly against the principal.

pub mod caller;
pub mod context;
pub mod local;
pub mod password;
pub mod principal;
pub mod resolve;
pub mod service;
pub mod session;
pub mod sso;
pub mod throttle;

pub use caller::Caller;
pub use context::{RequestContext, RequestId};
pub use principal::{ActorType, AuthMethod, Principal};
