//! Shapes only the console uses: composite answers its server functions assemble from several
//! REST calls (nothing here is a REST resource of its own).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::admin::SyncStatusResponse;
use super::audit::AuditLogResponse;
use super::teams::TeamResponse;

/// Runners the caller can see, by lifecycle status (deleted ones left out), counted by the server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunnerCounts {
    /// JIT config issued, runner not seen online yet.
    pub pending: i64,
    /// Online, waiting for a job.
    pub idle: i64,
    /// Running a job.
    pub busy: i64,
    /// Registered but not connected.
    pub offline: i64,
}

/// The service's health as `/health` reports it (public facts only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    /// `healthy`, `warning` or `unhealthy`.
    pub status: String,
    /// `ok`, `stale`, `waiting` (no cycle yet) or `disabled`.
    pub sync: String,
    /// `configured` or `unconfigured`.
    pub github: String,
    /// The end of the last successful sync cycle.
    #[serde(with = "super::timestamp::option")]
    pub last_sync_time: Option<DateTime<Utc>>,
}

/// Everything the dashboard shows, scoped by the server to what the caller may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Runner counts (all runners for admins, own and team runners for members).
    pub counts: RunnerCounts,
    /// The caller's active teams with their quota and usage.
    pub teams: Vec<TeamResponse>,
    /// Recent provisioning and deletion entries of the audit log the caller may read.
    pub recent: Vec<AuditLogResponse>,
    /// Health and sync as everyone may see them.
    pub status: ServiceStatus,
    /// The sync worker's full status (admins only).
    pub sync: Option<SyncStatusResponse>,
}
