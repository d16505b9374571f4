//! Admin statistics and the sync worker's stored state (API.md §14).
//!
//! A manual sync request is the `sync_triggered` audit row itself: append-only, timestamped,
//! already written by `POST /admin/sync/trigger`. The leader polls
//! [`Db::latest_sync_request`] and runs a cycle when the newest request is later than the
//! start of its last cycle. No extra table is needed and nothing is ever updated in place.

use chrono::{DateTime, Utc};

use super::{Db, DbError};

/// Every count of `GET /admin/stats`, read in one statement.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatsRow {
    /// Runners not `deleted`.
    pub runners_total: i64,
    /// `idle`.
    pub runners_idle: i64,
    /// `busy`.
    pub runners_busy: i64,
    /// `offline`.
    pub runners_offline: i64,
    /// `pending`.
    pub runners_pending: i64,
    pub users_total: i64,
    /// Active users.
    pub users_active: i64,
    /// Active admins.
    pub users_admins: i64,
    /// Stored teams.
    pub teams_total: i64,
    /// Active teams.
    pub teams_active: i64,
    /// Security events.
    pub security_total: i64,
    /// Critical ones.
    pub security_critical: i64,
    /// High ones.
    pub security_high: i64,
    /// Audit rows.
    pub audit_total: i64,
    /// Failed operations.
    pub audit_failed: i64,
}

/// The one `sync_state` row, as the worker leaves it.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct SyncStateRow {
    /// The end of the last successful cycle.
    pub last_sync_time: Option<DateTime<Utc>>,
    /// Its counters (JSON text).
    pub last_sync_result: Option<String>,
    /// The most recent failure, cleared by a success.
    pub last_sync_error: Option<String>,
    /// When it happened.
    pub last_error_time: Option<DateTime<Utc>>,
    /// How long the last cycle took.
    pub last_sync_duration_ms: Option<i64>,
}

/// The sync leader's lease.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct SyncLeaseRow {
    /// The holder's hostname.
    pub holder: Option<String>,
    /// When the lease runs out unless renewed.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the holder took it.
    pub acquired_at: Option<DateTime<Utc>>,
    /// The holder's last renewal (its heartbeat).
    pub renewed_at: Option<DateTime<Utc>>,
}

const STATS_SQL: &str = "select \
     (select count(*) from runners where status <> 'deleted') as runners_total, \
     (select count(*) from runners where status = 'idle') as runners_idle, \
     (select count(*) from runners where status = 'busy') as runners_busy, \
     (select count(*) from runners where status = 'offline') as runners_offline, \
     (select count(*) from runners where status = 'pending') as runners_pending, \
     (select count(*) from users) as users_total, \
     (select count(*) from users where is_active) as users_active, \
     (select count(*) from users where is_active and is_admin) as users_admins, \
     (select count(*) from teams) as teams_total, \
     (select count(*) from teams where is_active) as teams_active, \
     (select count(*) from security_events) as security_total, \
     (select count(*) from security_events where severity = 'critical') as security_critical, \
     (select count(*) from security_events where severity = 'high') as security_high, \
     (select count(*) from audit_log) as audit_total, \
     (select count(*) from audit_log where not success) as audit_failed";

impl Db {
    /// The counts of `GET /admin/stats`.
    pub async fn admin_stats(&self) -> Result<StatsRow, DbError> {
        Ok(on_pool!(self, p => sqlx::query_as::<_, StatsRow>(STATS_SQL).fetch_one(p).await?))
    }

    /// The worker's last results and its lease (defaults when a row is missing).
    pub async fn sync_state(&self) -> Result<(SyncStateRow, SyncLeaseRow), DbError> {
        Ok(on_pool!(self, p => {
            let state = sqlx::query_as::<_, SyncStateRow>(
                "select last_sync_time, last_sync_result, last_sync_error, last_error_time, last_sync_duration_ms \
                 from sync_state where singleton = 1",
            )
            .fetch_optional(p)
            .await?;
            let lease = sqlx::query_as::<_, SyncLeaseRow>("select holder, expires_at, acquired_at, renewed_at from sync_lease where name = 'sync'")
                .fetch_optional(p)
                .await?;
            (state.unwrap_or_default(), lease.unwrap_or_default())
        }))
    }

    /// When the newest accepted manual sync request was made (its `sync_triggered` audit row).
    pub async fn latest_sync_request(&self) -> Result<Option<DateTime<Utc>>, DbError> {
        Ok(on_pool!(self, p => {
            sqlx::query_scalar::<_, DateTime<Utc>>(
                "select timestamp from audit_log where event_type = 'sync_triggered' and success order by id desc limit 1",
            )
            .fetch_optional(p)
            .await?
        }))
    }
}
