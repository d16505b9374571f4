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
//! - [`http`], [`cli`]: the entry points. `http` is the router, the extractors that turn a
//!   request into a `Caller`, and the one place errors become responses; `cli` the sub-commands.
//!
//! A request walks `http::api::<resource>` (parse, extract the caller) → `services::<resource>`
//! (authorise, decide) → `db::<table>` (one query or transaction) and back up as a contract type
//! of `app::contract`.
//!
//! [`run`] serves a router on a listener until a shutdown signal, so tests run the real
//! server on port 0.

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
pub mod state;
pub mod telemetry;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::state::AppState;

/// After a shutdown signal, in-flight requests get this long before the process exits anyway
/// (the deadline is 5 s; the margin covers closing the pool).
pub const DRAIN_DEADLINE: Duration = Duration::from_millis(4500);

/// Serves the application on `listener` until `shutdown` completes, then drains in-flight
/// requests for at most [`DRAIN_DEADLINE`].
pub async fn run(state: AppState, listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let draining = state.draining.clone();
    let (signalled_tx, mut signalled_rx) = tokio::sync::watch::channel(false);
    let app = http::router(state);
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(async move {
        shutdown.await;
        draining.begin();
        tracing::info!("shutdown requested; draining in-flight requests");
        let _ = signalled_tx.send(true);
    });
    tokio::select! {
        result = server => result?,
        () = async {
            let _ = signalled_rx.wait_for(|s| *s).await;
            tokio::time::sleep(DRAIN_DEADLINE).await;
        } => tracing::warn!("drain deadline passed; exiting with requests still in flight"),
    }
    Ok(())
}

/// Connects to the database, applies migrations (unless `RUN_MIGRATIONS=false`) and creates
/// the bootstrap admin: everything `serve` does before it listens.
pub async fn prepare(config: &config::Config) -> anyhow::Result<db::Db> {
    use anyhow::Context;
    use secrecy::ExposeSecret;
    let db = db::Db::connect(&config.database)
        .await
        .with_context(|| format!("cannot connect to DATABASE_URL ({})", config::redact_url(config.database.url.expose_secret())))?;
    if config.database.run_migrations {
        db.migrate().await.context("applying migrations (set RUN_MIGRATIONS=false to skip)")?;
    }
    bootstrap::ensure_bootstrap_admin(&db, &config.local_auth).await?;
    Ok(db)
}

/// Completes on SIGTERM or Ctrl-C.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    // Registered now, not on first poll: a SIGTERM that arrives while start-up is still
    // running is then a graceful stop, never the default "terminate at once".
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {},
            () = term => {},
        }
    }
}
