//! `Idempotency-Key` records of `POST /runners/jit` (API.md §7.1 step 3). Only successful
//! (201) responses are kept, for one hour; the stored body holds a JIT config, so expired
//! rows are erased, not merely ignored.

use chrono::{DateTime, Utc};

use super::{Db, DbError, now};

/// A remembered key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdempotencyRow {
    /// SHA-256 of the normalised request.
    pub request_hash: String,
    /// `in_progress` or `completed`.
    pub state: String,
    /// The exact 201 body, when completed.
    pub response_body: Option<String>,
    /// End of the window.
    pub expires_at: DateTime<Utc>,
}

impl Db {
    /// Erases expired records, then claims the key for a new request. Returns the existing
    /// record instead when the key is live.
    pub async fn claim_idempotency_key(
        &self,
        principal: &str,
        key: &str,
        request_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRow>, DbError> {
        let ts = now();
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("delete from idempotency_keys where expires_at <= $1").bind(ts).execute(&mut *tx).await?;
            let inserted = sqlx::query(
                "insert into idempotency_keys (principal_key, idem_key, request_hash, state, created_at, expires_at) \
                 values ($1, $2, $3, 'in_progress', $4, $5) on conflict do nothing",
            )
            .bind(principal).bind(key).bind(request_hash).bind(ts).bind(expires_at)
            .execute(&mut *tx).await?.rows_affected();
            let existing = if inserted == 1 {
                None
            } else {
                sqlx::query_as::<_, IdempotencyRow>(
                    "select request_hash, state, response_body, expires_at from idempotency_keys where principal_key = $1 and idem_key = $2",
                )
                .bind(principal).bind(key).fetch_optional(&mut *tx).await?
            };
            tx.commit().await?;
            existing
        }))
    }

    /// Stores the 201 body for replays.
    pub async fn complete_idempotency_key(&self, principal: &str, key: &str, body: &str, runner_id: uuid::Uuid) -> Result<(), DbError> {
        on_pool!(self, p => {
            sqlx::query("update idempotency_keys set state = 'completed', response_body = $3, runner_id = $4 where principal_key = $1 and idem_key = $2")
                .bind(principal).bind(key).bind(body).bind(runner_id).execute(p).await?.rows_affected()
        });
        Ok(())
    }

    /// Forgets a key whose request failed, so a retry runs afresh.
    pub async fn release_idempotency_key(&self, principal: &str, key: &str) -> Result<(), DbError> {
        on_pool!(self, p => {
            sqlx::query("delete from idempotency_keys where principal_key = $1 and idem_key = $2 and state = 'in_progress'")
                .bind(principal).bind(key).execute(p).await?.rows_affected()
        });
        Ok(())
    }

    /// Removes expired records (the housekeeping loop); returns how many.
    pub async fn purge_idempotency_keys(&self, at: chrono::DateTime<chrono::Utc>) -> Result<u64, DbError> {
        Ok(on_pool!(self, p => sqlx::query("delete from idempotency_keys where expires_at <= $1").bind(at).execute(p).await?.rows_affected()))
    }
}
