//! The repository layer: one [`Db`] over a SQLite or a PostgreSQL pool, chosen from the
//! `DATABASE_URL` scheme, with one method per use case (in the submodules).
//!
//! Queries are written once in portable SQL (`$1` placeholders, `returning`, `on conflict`)
//! and run on either pool through [`on_pool!`]; each backend has its own migrations.
//!
//! SQLite rule: a transaction that reads and then writes must *start* with a write (take the
//! write lock first); otherwise two connections can deadlock on the upgrade (`SQLITE_BUSY`).

/// Runs the same code on whichever pool `$db` holds; `$p` names the pool inside `$body`.
macro_rules! on_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($p) => $body,
            $crate::db::Db::Postgres($p) => $body,
        }
    };
}

pub mod admin_stats;
pub mod audit;
pub mod audit_query;
pub mod filter;
pub mod idempotency;
pub mod import_write;
pub mod login_failures;
pub mod models;
pub mod oauth_clients;
pub mod page;
pub mod plan;
pub mod python_source;
pub mod runners;
pub mod security_events;
pub mod sessions;
pub mod sync;
pub mod table_copy;
pub mod tables;
pub mod teams;
pub mod user_admin;
pub mod users;
pub mod webhooks;
pub mod write_gate;

pub use page::Page;
pub use write_gate::SqliteDb;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use secrecy::ExposeSecret;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::config::DatabaseConfig;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// Repository errors.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A unique constraint refused the write.
    #[error("conflict on {0}")]
    Conflict(String),
    /// The database could not be reached or answered with an error.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// Stored data could not be decoded.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

impl DbError {
    /// True when the database itself is unreachable (as opposed to a query fault).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_)))
    }
}

/// Maps a unique violation to [`DbError::Conflict`].
pub(crate) fn conflict_or(e: sqlx::Error) -> DbError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => DbError::Conflict(d.constraint().unwrap_or("unique").to_owned()),
        _ => DbError::Sqlx(e),
    }
}

/// The database: a SQLite or a PostgreSQL pool. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    /// Embedded SQLite (the default): the pool with its write gate.
    Sqlite(SqliteDb),
    /// PostgreSQL (production).
    Postgres(PgPool),
}

/// Readiness of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationState {
    /// Every migration this build knows is applied (newer ones may exist).
    Applied,
    /// Some are not applied yet.
    Pending,
}

impl Db {
    /// Connects to `DATABASE_URL` (SQLite files are created if absent).
    pub async fn connect(cfg: &DatabaseConfig) -> Result<Self, sqlx::Error> {
        let url = cfg.url.expose_secret();
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", format!("-{}", cfg.sqlite_cache_kib));
            let pool = SqlitePoolOptions::new().max_connections(cfg.pool_max).acquire_timeout(cfg.acquire_timeout).connect_with(opts).await?;
            Ok(Db::Sqlite(SqliteDb::new(pool)))
        } else {
            // sslmode / sslrootcert / sslcert come from the URL's query.
            let opts = PgConnectOptions::from_str(url)?.application_name("gharts");
            let pool = PgPoolOptions::new().max_connections(cfg.pool_max).acquire_timeout(cfg.acquire_timeout).connect_with(opts);
            let pool = tokio::time::timeout(cfg.connect_timeout, pool).await.map_err(|_| sqlx::Error::PoolTimedOut)??;
            Ok(Db::Postgres(pool))
        }
    }

    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies pending migrations (safe to run concurrently: sqlx takes a lock).
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(p) => self.migrator().run(p.pool()).await,
            Db::Postgres(p) => self.migrator().run(p).await,
        }
    }

    /// A trivial query, for readiness.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(self, p => sqlx::query("select 1").execute(p).await.map(|_| ()))
    }

    /// Whether every migration this build knows has been applied.
    pub async fn migration_state(&self) -> Result<MigrationState, sqlx::Error> {
        let applied: Vec<i64> = match on_pool!(self, p => {
            sqlx::query_scalar("select version from _sqlx_migrations where success").fetch_all(p).await
        }) {
            Ok(v) => v,
            // No bookkeeping table yet: nothing applied.
            Err(sqlx::Error::Database(_)) => return Ok(MigrationState::Pending),
            Err(e) => return Err(e),
        };
        let all = self.migrator().iter().filter(|m| m.migration_type.is_up_migration()).all(|m| applied.contains(&m.version));
        Ok(if all { MigrationState::Applied } else { MigrationState::Pending })
    }

    /// Closes the pool (on shutdown).
    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }
}

/// Now, truncated to microseconds: what both databases store exactly, and what the contract prints.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
