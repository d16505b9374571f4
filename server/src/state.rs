//! The application state: built once at start, cheap to clone, reachable from REST handlers
//! (Axum `State`) and from the UI's server functions (Leptos context).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::FromRef;

use crate::auth::service::AuthService;
use crate::config::Config;
use crate::db::Db;
use crate::github::SharedGitHub;
use crate::metrics::Metrics;
use crate::oidc::Oidc;
use crate::random_token::NameSuffixes;

/// Shared by every request.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// The configuration, loaded once.
    pub config: Arc<Config>,
    /// The database.
    pub db: Db,
    /// Authentication (sessions, local login, `/auth/me`).
    pub auth: AuthService,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// GitHub, when configured (`None` → `503 GITHUB_NOT_CONFIGURED`).
    pub github: Option<SharedGitHub>,
    /// Set once shutdown begins, so `/readyz` stops attracting traffic while requests drain.
    pub draining: Arc<Draining>,
    /// The random parts of names made from a `runner_name_prefix`.
    pub runner_names: Arc<NameSuffixes>,
}

/// The shutdown flag.
#[derive(Debug, Default)]
pub struct Draining(AtomicBool);

impl Draining {
    /// Marks the process as shutting down.
    pub fn begin(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl AppState {
    /// Builds the state over a connected, migrated database.
    pub fn new(config: Config, db: Db) -> anyhow::Result<Self> {
        let oidc = config.oidc.clone().map(Oidc::new).transpose()?;
        let config = Arc::new(config);
        let metrics = Metrics::new();
        Ok(Self {
            auth: AuthService::new(db.clone(), config.clone(), oidc, metrics.clone()),
            config,
            db,
            github: None,
            metrics,
            draining: Arc::default(),
            runner_names: Arc::new(NameSuffixes::from_entropy()),
        })
    }

    /// Uses `github` for every GitHub call.
    pub fn with_github(mut self, github: SharedGitHub) -> Self {
        self.github = Some(github);
        self
    }

    /// Draws prefix names from `names` (a seeded sequence, in tests).
    pub fn with_runner_names(mut self, names: NameSuffixes) -> Self {
        self.runner_names = Arc::new(names);
        self
    }
}
