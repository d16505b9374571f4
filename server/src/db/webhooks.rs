//! GitHub webhook bookkeeping (API.md §15.1): delivery-id claims for de-duplication, the
//! `workflow_job` ids already completed (to spot replays), and the lifecycle changes a
//! `workflow_job` event makes to a runner.
//!
//! Both lifecycle changes run in one transaction that starts by writing the runner row, so two
//! events about the same runner are serialised (a row lock in `PostgreSQL`, the write lock in
//! `SQLite`).

use app::contract::RunnerLifecycle;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Db, DbError, now};

/// What an `in_progress` event did to its runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStarted {
    /// A `completed` event for this job was already processed: nothing changed.
    Stale,
    /// The runner was deleted meanwhile: nothing changed.
    Deleted,
    /// Already `busy`: nothing changed.
    Unchanged,
    /// Set `busy`; holds the previous status.
    Changed(RunnerLifecycle),
}

/// A stored `status` read as a lifecycle value.
fn lifecycle(stored: Option<String>) -> Result<Option<RunnerLifecycle>, DbError> {
    stored.map(RunnerLifecycle::try_from).transpose().map_err(|e| DbError::Corrupt(e.to_string()))
}

/// Locks the runner row for the rest of the transaction (see the module docs).
const LOCK_RUNNER: &str = "update runners set updated_at = updated_at where id = $1";

impl Db {
    /// Purges expired rows, then claims `delivery_id` for processing. `false` when the id was
    /// processed since `window_start` or is being processed by a claim newer than `lease_start`.
    pub async fn claim_webhook_delivery(
        &self,
        delivery_id: &str,
        event: &str,
        window_start: DateTime<Utc>,
        lease_start: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let ts = now();
        Ok(on_pool!(self, p => {
            sqlx::query("delete from webhook_deliveries where received_at < $1").bind(window_start).execute(p).await?;
            let n = sqlx::query(
                "insert into webhook_deliveries (delivery_id, event, action, result, received_at, state) \
                 values ($1, $2, null, 'processing', $3, 'processing') \
                 on conflict (delivery_id) do update set event = excluded.event, action = null, result = 'processing', \
                 received_at = excluded.received_at, state = 'processing' \
                 where webhook_deliveries.received_at < $4 \
                 or (webhook_deliveries.state = 'processing' and webhook_deliveries.received_at < $5)",
            )
            .bind(delivery_id).bind(event).bind(ts).bind(window_start).bind(lease_start)
            .execute(p).await?.rows_affected();
            n == 1
        }))
    }

    /// Marks a claimed delivery processed, with its result and the payload's action.
    pub async fn finish_webhook_delivery(&self, delivery_id: &str, result: &str, action: Option<&str>) -> Result<(), DbError> {
        on_pool!(self, p => {
            sqlx::query("update webhook_deliveries set state = 'processed', result = $2, action = $3 where delivery_id = $1")
                .bind(delivery_id).bind(result).bind(action).execute(p).await?.rows_affected()
        });
        Ok(())
    }

    /// Drops the claim of a delivery whose processing failed, so a redelivery runs again.
    pub async fn release_webhook_delivery(&self, delivery_id: &str) -> Result<(), DbError> {
        on_pool!(self, p => {
            sqlx::query("delete from webhook_deliveries where delivery_id = $1 and state = 'processing'")
                .bind(delivery_id).execute(p).await?.rows_affected()
        });
        Ok(())
    }

    /// `completed`: remembers the job, if the payload named it (purging entries older than
    /// `forget_before`), and sets
    /// the runner `offline` unless it is already `offline` or `deleted`. Returns the previous
    /// status when it changed.
    pub async fn webhook_job_completed(
        &self,
        runner_id: Uuid,
        github_runner_id: i64,
        job_id: Option<i64>,
        forget_before: DateTime<Utc>,
    ) -> Result<Option<RunnerLifecycle>, DbError> {
        let ts = now();
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(LOCK_RUNNER).bind(runner_id).execute(&mut *tx).await?;
            sqlx::query("delete from webhook_completed_jobs where completed_at < $1").bind(forget_before).execute(&mut *tx).await?;
            if let Some(job_id) = job_id {
                sqlx::query(
                    "insert into webhook_completed_jobs (workflow_job_id, github_runner_id, completed_at) values ($1, $2, $3) \
                     on conflict (workflow_job_id) do nothing",
                )
                .bind(job_id).bind(github_runner_id).bind(ts).execute(&mut *tx).await?;
            }
            let status = lifecycle(sqlx::query_scalar("select status from runners where id = $1").bind(runner_id).fetch_optional(&mut *tx).await?)?;
            let changed = match status {
                Some(s) if !matches!(s, RunnerLifecycle::Offline | RunnerLifecycle::Deleted) => {
                    sqlx::query("update runners set status = 'offline', busy = false, expires_at = null, updated_at = $2 where id = $1")
                        .bind(runner_id).bind(ts).execute(&mut *tx).await?;
                    Some(s)
                }
                _ => None,
            };
            tx.commit().await?;
            changed
        }))
    }

    /// `in_progress`: unless job `job_id` already completed (a job without id never has), sets the runner `busy` (GitHub
    /// reports it online and busy) and its first-online time if it had none.
    pub async fn webhook_job_started(&self, runner_id: Uuid, job_id: Option<i64>) -> Result<JobStarted, DbError> {
        let ts = now();
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(LOCK_RUNNER).bind(runner_id).execute(&mut *tx).await?;
            let done: i64 = match job_id {
                Some(j) => sqlx::query_scalar("select count(*) from webhook_completed_jobs where workflow_job_id = $1").bind(j).fetch_one(&mut *tx).await?,
                None => 0,
            };
            let status = lifecycle(sqlx::query_scalar("select status from runners where id = $1").bind(runner_id).fetch_optional(&mut *tx).await?)?;
            let outcome = match status {
                _ if done > 0 => JobStarted::Stale,
                None | Some(RunnerLifecycle::Deleted) => JobStarted::Deleted,
                Some(RunnerLifecycle::Busy) => JobStarted::Unchanged,
                Some(s) => {
                    sqlx::query(
                        "update runners set status = 'busy', busy = true, github_status = 'online', registered_at = coalesce(registered_at, $2), \
                         last_seen_at = $2, expires_at = null, updated_at = $2 where id = $1",
                    )
                    .bind(runner_id).bind(ts).execute(&mut *tx).await?;
                    JobStarted::Changed(s)
                }
            };
            tx.commit().await?;
            outcome
        }))
    }
}
