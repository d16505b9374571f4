//! The sync worker's storage: the leader lease (compare-and-set on one row, portable to SQLite
//! and PostgreSQL), the cycle results, the runners a cycle reconciles, and what it has reported.

use std::time::Duration;

use app::contract::RunnerLifecycle;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{Db, DbError, now};

/// A live runner as the sync cycle sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SyncRunner {
    /// The row's id (a UUID).
    pub id: Uuid,
    /// The runner's name, unique among live runners (case-insensitively).
    pub runner_name: String,
    /// Lifecycle status.
    #[sqlx(try_from = "String")]
    pub status: RunnerLifecycle,
    /// GitHub's id (none while the reservation waits for GitHub).
    pub github_runner_id: Option<i64>,
    /// Labels bound at issue.
    pub labels: Json<Vec<String>>,
    /// The owning team's id.
    pub team_id: Option<Uuid>,
    /// GitHub's last reported status.
    pub github_status: Option<String>,
    /// GitHub's last busy flag.
    pub busy: Option<bool>,
    /// First seen online.
    pub registered_at: Option<DateTime<Utc>>,
    /// Reclaim time while pending.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// The provisioning user or the team is deactivated.
    pub owner_inactive: bool,
}

impl Db {
    /// Takes or renews the lease for `holder` when it is free, expired or already ours.
    pub async fn try_acquire_lease(&self, holder: &str, ttl: Duration) -> Result<bool, DbError> {
        self.try_acquire_lease_at(holder, ttl, now()).await
    }

    /// [`Self::try_acquire_lease`] for a replica whose clock reads `local_now`. PostgreSQL
    /// compares and sets lease times with the database's clock (`now()`), so replicas whose
    /// clocks disagree still agree on who holds the lease; SQLite is one file on one host, whose
    /// replicas share that host's clock, which is `local_now`.
    pub async fn try_acquire_lease_at(&self, holder: &str, ttl: Duration, local_now: DateTime<Utc>) -> Result<bool, DbError> {
        let taken = match self {
            Db::Postgres(p) => sqlx::query(
                "update sync_lease set \
                   acquired_at = case when holder = $1 then acquired_at else now() end, \
                   holder = $1, expires_at = now() + make_interval(secs => $2), renewed_at = now() \
                 where name = 'sync' and (holder is null or holder = $1 or expires_at is null or expires_at < now())",
            )
            .bind(holder)
            .bind(ttl.as_secs_f64())
            .execute(p)
            .await?
            .rows_affected(),
            Db::Sqlite(p) => {
                let expires = local_now + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::seconds(30));
                sqlx::query(
                    "update sync_lease set \
                       acquired_at = case when holder = $1 then acquired_at else $2 end, \
                       holder = $1, expires_at = $3, renewed_at = $2 \
                     where name = 'sync' and (holder is null or holder = $1 or expires_at is null or expires_at < $2)",
                )
                .bind(holder)
                .bind(local_now)
                .bind(expires)
                .execute(p)
                .await?
                .rows_affected()
            }
        };
        Ok(taken == 1)
    }

    /// Gives the lease up (shutdown), if `holder` has it.
    pub async fn release_lease(&self, holder: &str) -> Result<(), DbError> {
        on_pool!(self, p => {
            sqlx::query("update sync_lease set holder = null, expires_at = null where name = 'sync' and holder = $1")
                .bind(holder).execute(p).await?.rows_affected()
        });
        Ok(())
    }

    /// Records a successful cycle (clears the last error).
    pub async fn record_sync_success(&self, result: &serde_json::Value, duration_ms: i64) -> Result<(), DbError> {
        let ts = now();
        on_pool!(self, p => {
            sqlx::query(
                "update sync_state set last_sync_time = $1, last_sync_result = $2, last_sync_error = null, \
                 last_sync_duration_ms = $3, updated_at = $1 where singleton = 1",
            )
            .bind(ts).bind(result.to_string()).bind(duration_ms).execute(p).await?.rows_affected()
        });
        Ok(())
    }

    /// Records a failed cycle.
    pub async fn record_sync_failure(&self, error: &str, duration_ms: i64) -> Result<(), DbError> {
        let ts = now();
        on_pool!(self, p => {
            sqlx::query(
                "update sync_state set last_sync_error = $2, last_error_time = $1, last_sync_duration_ms = $3, updated_at = $1 \
                 where singleton = 1",
            )
            .bind(ts).bind(error).bind(duration_ms).execute(p).await?.rows_affected()
        });
        Ok(())
    }

    /// Every live runner, with whether its owner (user or team) is deactivated.
    pub async fn runners_to_sync(&self) -> Result<Vec<SyncRunner>, DbError> {
        Ok(on_pool!(self, p => {
            sqlx::query_as::<_, SyncRunner>(
                "select r.id, r.runner_name, r.status, r.github_runner_id, r.labels, r.team_id, r.github_status, r.busy, \
                   r.registered_at, r.expires_at, r.created_at, \
                   (coalesce(t.is_active, true) = false or coalesce(u.is_active, true) = false) as owner_inactive \
                 from runners r left join teams t on t.id = r.team_id left join users u on u.id = r.owner_user_id \
                 where r.status <> 'deleted'",
            )
            .fetch_all(p)
            .await?
        }))
    }

    /// Every GitHub id GHARTS ever issued (deleted rows included: they are ours, not unmanaged).
    pub async fn issued_github_ids(&self) -> Result<Vec<i64>, DbError> {
        Ok(on_pool!(self, p => {
            sqlx::query_scalar::<_, i64>("select github_runner_id from runners where github_runner_id is not null").fetch_all(p).await?
        }))
    }

    /// Notes an unmanaged runner; `true` the first time it is seen (report it then).
    pub async fn note_unmanaged_runner(&self, github_id: i64, name: &str) -> Result<bool, DbError> {
        let ts = now();
        Ok(on_pool!(self, p => {
            let inserted = sqlx::query(
                "insert into unmanaged_runners (github_runner_id, runner_name, first_seen_at, last_seen_at) values ($1, $2, $3, $3) \
                 on conflict (github_runner_id) do nothing",
            )
            .bind(github_id).bind(name).bind(ts).execute(p).await?.rows_affected();
            if inserted == 0 {
                sqlx::query("update unmanaged_runners set last_seen_at = $2 where github_runner_id = $1").bind(github_id).bind(ts).execute(p).await?;
            }
            inserted == 1
        }))
    }

    /// Notes a runner's label drift; `true` the first time (report it then).
    pub async fn note_label_drift(&self, runner_id: Uuid) -> Result<bool, DbError> {
        Ok(on_pool!(self, p => {
            sqlx::query("insert into label_drift_reports (runner_id, reported_at) values ($1, $2) on conflict (runner_id) do nothing")
                .bind(runner_id).bind(now()).execute(p).await?.rows_affected() == 1
        }))
    }

    /// Live runners per (status, team name); teams without runners are listed with no status.
    pub async fn runner_counts(&self) -> Result<(Vec<(String, Option<String>, i64)>, Vec<String>), DbError> {
        Ok(on_pool!(self, p => {
            let counts = sqlx::query_as::<_, (String, Option<String>, i64)>(
                "select r.status, t.name, count(*) from runners r left join teams t on t.id = r.team_id \
                 where r.status <> 'deleted' group by r.status, t.name",
            )
            .fetch_all(p)
            .await?;
            let teams = sqlx::query_scalar::<_, String>("select name from teams").fetch_all(p).await?;
            (counts, teams)
        }))
    }
}
