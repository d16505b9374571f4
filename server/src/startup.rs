//! The one place that builds the process from the configuration and runs it.
//!
//! [`connect`] → [`prepare`] (migrations, bootstrap admin) → [`build`] (the [`AppState`] with
//! the GitHub client: the App, or the in-process fake under the `fake-github` feature) →
//! [`serve`], which runs the HTTP server ([`run`]) and the sync worker under one supervisor
//! that notices when either ends. The sub-commands in `cli` call these; so do the tests and
//! the benchmark ([`prepare`], [`run`]).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

use crate::config::{Config, redact_url};
use crate::db::Db;
use crate::services::sync_worker;
use crate::state::AppState;

/// After a shutdown signal, in-flight requests get this long before the process exits anyway
/// (the deadline is 5 s; the margin covers closing the pool).
pub const DRAIN_DEADLINE: Duration = Duration::from_millis(4500);

/// How long the sync worker gets to release its lease once the server has stopped.
const WORKER_STOP_DEADLINE: Duration = Duration::from_secs(3);

/// Connects to `DATABASE_URL` (its password redacted in the error).
pub async fn connect(config: &Config) -> anyhow::Result<Db> {
    Db::connect(&config.database).await.with_context(|| format!("cannot connect to DATABASE_URL ({})", redact_url(config.database.url.expose_secret())))
}

/// Connects, applies migrations (unless `RUN_MIGRATIONS=false`) and creates the bootstrap
/// admin: everything `serve` does before it listens.
pub async fn prepare(config: &Config) -> anyhow::Result<Db> {
    let db = connect(config).await?;
    if config.database.run_migrations {
        db.migrate().await.context("applying migrations (set RUN_MIGRATIONS=false to skip)")?;
    }
    crate::bootstrap::ensure_bootstrap_admin(&db, &config.local_auth).await?;
    Ok(db)
}

/// The application over a prepared database: [`prepare`], then the state with its GitHub client.
pub async fn build(config: Config) -> anyhow::Result<AppState> {
    let db = prepare(&config).await?;
    with_github(AppState::new(config, db)?)
}

/// Attaches the configured GitHub client: the App, or (test builds with `GHARTS_FAKE_GITHUB`)
/// the in-process fake.
fn with_github(state: AppState) -> anyhow::Result<AppState> {
    #[cfg(feature = "fake-github")]
    if std::env::var("GHARTS_FAKE_GITHUB").is_ok_and(|v| crate::config::parse_bool(&v) == Some(true)) {
        tracing::warn!("GHARTS_FAKE_GITHUB: using the in-process fake GitHub (a test build)");
        return Ok(state.with_github(std::sync::Arc::new(crate::github::fake::FakeGitHub::new())));
    }
    match crate::github::from_config(&state.config, &state.metrics)? {
        Some(gh) => {
            if let Some(app) = &state.config.github {
                tracing::info!(org = %app.org, api = %app.api_url, app_id = app.app_id, "GitHub App configured");
            }
            Ok(state.with_github(gh))
        }
        None => {
            tracing::warn!("GitHub is not configured: runners cannot be provisioned. Set GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_ORG.");
            Ok(state)
        }
    }
}

/// `gharts serve`: builds the application, listens on `GHARTS_ADDR`, and runs the HTTP server
/// and the sync worker until SIGTERM. Should the worker end on its own (a panic), the server is
/// stopped too and the process fails, so the orchestrator restarts a whole instance.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let signal = shutdown_signal();
    let db = prepare(&config).await?;
    if config.local_auth.bootstrap_password.is_none() {
        tracing::info!("no bootstrap admin configured (set BOOTSTRAP_ADMIN_PASSWORD to create one)");
    }
    match &config.site_root {
        Some(root) if !root.join("index.html").is_file() => {
            tracing::warn!(site.root = %root.display(), "GHARTS_SITE_ROOT has no index.html; the console will not load")
        }
        Some(root) => tracing::info!(site.root = %root.display(), "serving the console at /app/"),
        None => tracing::info!("no site bundle configured (GHARTS_SITE_ROOT); serving the API only"),
    }
    let addr = config.addr;
    let listener = TcpListener::bind(addr).await.with_context(|| format!("GHARTS_ADDR: cannot listen on {addr}"))?;
    tracing::info!(addr = %addr, database = db.kind(), "gharts listening on http://{addr}");
    let state = with_github(AppState::new(config, db.clone())?)?;

    let (stop_worker, worker_stop) = tokio::sync::watch::channel(false);
    let stopping = worker_stop.clone();
    let mut worker = sync_worker::spawn(state.clone(), worker_stop);
    let (stop_server, server_stop) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        tokio::select! {
            () = signal => {},
            _ = server_stop => {},
        }
        let _ = stop_worker.send(true);
    };
    let server = run(state, listener, shutdown);
    tokio::pin!(server);
    let result = tokio::select! {
        result = &mut server => {
            // The worker releases the sync lease on its way out, so a standby takes over at once.
            if tokio::time::timeout(WORKER_STOP_DEADLINE, &mut worker).await.is_err() {
                tracing::warn!("sync worker did not stop in time");
            }
            result
        }
        // Asked to stop, the worker may release its lease before the server has drained: that is
        // the normal way out, not a crash.
        ended = &mut worker => {
            if *stopping.borrow() {
                server.await
            } else {
                tracing::error!(error = ?ended.err(), "the sync worker ended on its own; stopping the server");
                let _ = stop_server.send(());
                server.await.and(Err(anyhow::anyhow!("the sync worker ended unexpectedly")))
            }
        }
    };
    db.close().await;
    tracing::info!("gharts stopped");
    result
}

/// Serves the application on `listener` until `shutdown` completes, then drains in-flight
/// requests for at most [`DRAIN_DEADLINE`].
pub async fn run(state: AppState, listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let draining = state.draining.clone();
    let (signalled_tx, mut signalled_rx) = tokio::sync::watch::channel(false);
    // Housekeeping lives as long as the server does.
    let _maintenance = AbortOnDrop(tokio::spawn(crate::services::maintenance::run(state.clone())));
    // So does the audit chain's sealer (in every replica: it needs no leader, see its module).
    let _sealer = AbortOnDrop(tokio::spawn(crate::services::audit_seal::run(state.db.clone())));
    let app = crate::http::router(state);
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

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
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
