//! The UI's server functions, under `/api/ui/…` with fixed endpoint names (so a bundle and a
//! backend built in different directories always agree on the URLs), JSON in both directions.
//!
//! Each body is one typed call of the REST contract run in process ([`crate::ssr`]): the
//! console can do exactly what the API lets its user do, with the same error codes.

pub mod admin;
pub mod clients;
pub mod console;
pub mod logs;
pub mod provision;
pub mod runners;
pub mod session;
pub mod teams;
pub mod users;
