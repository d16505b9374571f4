//! SQLite's in-process write gate. SQLite admits one writer at a time; without a gate, a
//! transaction that finds the write lock taken sleeps in SQLite's busy handler (1, 2, 5, 10 …
//! 100 ms steps), which was the provisioning p99 at 64 concurrent callers (issue 14). Here every
//! transaction first takes a permit of a fair in-process semaphore, then starts with
//! `BEGIN IMMEDIATE` (the write lock at once): writers queue in order and start the moment the
//! previous one commits. Reads outside a transaction never wait (WAL); the busy timeout stays
//! as the fallback for another process on the same file and for single-statement writes.
//!
//! [`SqliteDb`] is what [`super::Db::Sqlite`] holds: an executor like the pool (reads and
//! single statements), whose `begin` gives a [`GatedTx`] that dereferences to the connection,
//! so repository code reads the same on both databases (`p.begin()`, `&mut *tx`, `tx.commit()`).

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteQueryResult, SqliteRow, SqliteStatement, SqliteTypeInfo};
use sqlx::{Describe, Either, Execute, Executor, SqlStr, Sqlite, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A SQLite pool with its write gate. Cheap to clone (shared state).
#[derive(Clone, Debug)]
pub struct SqliteDb {
    pool: SqlitePool,
    gate: Arc<Semaphore>,
}

impl SqliteDb {
    /// Gates `pool`'s transactions.
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool, gate: Arc::new(Semaphore::new(1)) }
    }

    /// The pool itself (migrations, tools that need a plain pool).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A write transaction: waits for the gate, then `BEGIN IMMEDIATE`.
    pub async fn begin(&self) -> Result<GatedTx, sqlx::Error> {
        let permit = self.gate.clone().acquire_owned().await.map_err(|_| sqlx::Error::PoolClosed)?;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(GatedTx { tx, _permit: permit })
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.gate.close();
        self.pool.close().await;
    }

    /// Whether a write transaction holds the gate (for tests and diagnostics).
    pub fn writer_active(&self) -> bool {
        self.gate.available_permits() == 0
    }
}

/// A transaction holding the write gate until it commits, rolls back or is dropped.
pub struct GatedTx {
    tx: Transaction<'static, Sqlite>,
    _permit: OwnedSemaphorePermit,
}

impl GatedTx {
    /// Commits, then opens the gate.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Rolls back, then opens the gate.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl Deref for GatedTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl DerefMut for GatedTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

// Every call goes to the pool (whose futures and streams own a handle of it, so they do not
// borrow `self`): reads and single statements are not gated.
impl<'p> Executor<'p> for &'_ SqliteDb {
    type Database = Sqlite;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<SqliteQueryResult, SqliteRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        self.pool.fetch_many(query)
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<SqliteRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        self.pool.fetch_optional(query)
    }

    fn prepare_with<'e>(self, sql: SqlStr, parameters: &'e [SqliteTypeInfo]) -> BoxFuture<'e, Result<SqliteStatement, sqlx::Error>>
    where
        'p: 'e,
    {
        self.pool.prepare_with(sql, parameters)
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<Sqlite>, sqlx::Error>>
    where
        'p: 'e,
    {
        self.pool.describe(sql)
    }
}
