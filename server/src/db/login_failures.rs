//! Local login attempts for the limiter, per (lower-cased username, client IP) and per account.
//!
//! An attempt is recorded *before* its password is checked, in a transaction serialised per
//! username (PostgreSQL: a transaction-scoped advisory lock on the name; SQLite: the first
//! statement is a write, which takes the database write lock). So a burst of parallel guesses
//! is counted one by one: only as many get checked as the limits allow. A successful login
//! removes its (username, IP) rows, the pending one included.

use chrono::{DateTime, Utc};

use super::{Db, DbError};

/// The limits an attempt is checked against, over the window since `since`.
#[derive(Debug, Clone, Copy)]
pub struct AttemptLimits {
    /// Failures allowed per (username, IP).
    pub per_client: i64,
    /// Failures allowed per username, across addresses.
    pub per_account: i64,
    /// Start of the sliding window.
    pub since: DateTime<Utc>,
}

/// What recording an attempt decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Recorded; these are its positions among the window's attempts (1-based).
    Recorded {
        /// Position among this (username, IP)'s attempts.
        client_ordinal: i64,
        /// Position among this username's attempts from any address.
        account_ordinal: i64,
    },
    /// Refused, not recorded: the per-client limit is used up; the oldest counted attempt.
    ClientLimited(Option<DateTime<Utc>>),
    /// Refused, not recorded: the per-account limit is used up; the oldest counted attempt.
    AccountLimited(Option<DateTime<Utc>>),
}

impl Db {
    /// Records an attempt for (`username_lower`, `client_ip`) at `at` unless a limit is used up.
    pub async fn record_login_attempt(&self, username_lower: &str, client_ip: &str, at: DateTime<Utc>, limits: AttemptLimits) -> Result<Attempt, DbError> {
        let lock = match self {
            // The prune below is the first statement and a write: it takes SQLite's write lock.
            Db::Sqlite(_) => None,
            Db::Postgres(_) => Some("select pg_advisory_xact_lock(hashtextextended($1, 7451312727692345346))"),
        };
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            if let Some(lock) = lock {
                sqlx::query(lock).bind(username_lower).execute(&mut *tx).await?;
            }
            sqlx::query("delete from login_failures where username_lower = $1 and failed_at <= $2")
                .bind(username_lower)
                .bind(limits.since)
                .execute(&mut *tx)
                .await?;
            let (client, client_oldest) = sqlx::query_as::<_, (i64, Option<DateTime<Utc>>)>(
                "select count(*), min(failed_at) from login_failures where username_lower = $1 and client_ip = $2",
            )
            .bind(username_lower)
            .bind(client_ip)
            .fetch_one(&mut *tx)
            .await?;
            let (account, account_oldest) =
                sqlx::query_as::<_, (i64, Option<DateTime<Utc>>)>("select count(*), min(failed_at) from login_failures where username_lower = $1")
                    .bind(username_lower)
                    .fetch_one(&mut *tx)
                    .await?;
            if client >= limits.per_client {
                Attempt::ClientLimited(client_oldest)
            } else if account >= limits.per_account {
                Attempt::AccountLimited(account_oldest)
            } else {
                sqlx::query("insert into login_failures (username_lower, client_ip, failed_at) values ($1, $2, $3)")
                    .bind(username_lower)
                    .bind(client_ip)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Attempt::Recorded { client_ordinal: client + 1, account_ordinal: account + 1 }
            }
        }))
    }

    /// Clears the key after a successful login.
    pub async fn clear_login_failures(&self, username_lower: &str, client_ip: &str) -> Result<(), DbError> {
        on_pool!(self, p => {
            sqlx::query("delete from login_failures where username_lower = $1 and client_ip = $2")
                .bind(username_lower)
                .bind(client_ip)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Drops attempts older than `before` (the maintenance loop); returns how many.
    pub async fn purge_login_failures(&self, before: DateTime<Utc>) -> Result<u64, DbError> {
        Ok(on_pool!(self, p => sqlx::query("delete from login_failures where failed_at <= $1").bind(before).execute(p).await?.rows_affected()))
    }
}
