//! The HTTP contract types (`docs/api.md`, which the code cites as "API.md §N"), shared by the
//! server and the WASM UI.
//!
//! Responses serialise every optional field as `null` (never omitted) and every timestamp
//! in the fixed form of [`timestamp`].

pub mod admin;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod console;
pub mod error;
pub mod lifecycle;
pub mod oauth_clients;
pub mod query;
pub mod runners;
pub mod security;
pub mod security_event_type;
pub mod severity;
pub mod string_enum;
pub mod teams;
pub mod timestamp;
pub mod users;

pub use auth::{LocalLoginRequest, LoginOptions, LogoutResponse, MeResponse, TeamRef};
pub use error::{ApiError, ErrorCode, FieldError};
pub use lifecycle::RunnerLifecycle;
pub use security_event_type::SecurityEventType;
pub use severity::Severity;
pub use string_enum::UnknownValue;
