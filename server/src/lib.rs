//! GHARTS server: the `gharts` binary's library.
//!
//! # Layers
//!
//! Imports point down only; [`layers`] holds the map as data and a test that fails on an
//! upward import. Lowest first:
//!
//! - [`config`]: typed configuration from the environment.
//! - [`metrics`], [`random_token`], [`telemetry`]: counters, unguessable tokens, logging.
//! - [`db`]: the repository over SQLite or PostgreSQL (rows, filters, [`db::Page`]).
//! - [`error`]: [`error::AppError`], the one error type of handlers and services.
//! - [`github`], [`oidc`]: the two external systems behind small clients.
//! - [`auth`]: credentials → [`auth::Principal`], the [`auth::Caller`] every service takes
//!   (and the audit rows and security events written in its name), sessions, local login.
//! - [`state`], [`bootstrap`]: the shared [`state::AppState`]; the bootstrap admin.
//! - [`services`]: the business rules, one module per resource.
//! - [`http`], [`cli`], [`startup`]: the entry points. `http` is the router, the extractors that
//!   turn a request into a `Caller`, and the one place errors become responses; `cli` the
//!   sub-commands; `startup` builds and runs the process.
//!
//! A request walks `http::api::<resource>` (parse, extract the caller) → `services::<resource>`
//! (authorise, decide) → `db::<table>` (one query or transaction) and back up as a contract type
//! of `app::contract`.
//!
//! [`startup`] is the one place that builds the process (connect, migrate, GitHub client,
//! state) and runs it; [`run`] serves a router on a listener until a shutdown signal, so tests
//! run the real server on port 0.

pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod github;
pub mod http;
pub mod layers;
pub mod metrics;
pub mod oidc;
pub mod random_token;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use startup::{DRAIN_DEADLINE, prepare, run, shutdown_signal};
