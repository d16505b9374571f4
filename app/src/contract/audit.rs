//! The audit log (API.md §3.7, §12): rows, lists, and the chain verification report.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// `GET /api/v1/audit-logs` query (API.md §12.2); every filter is optional. The server parses
/// it and the console builds it: one type for both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogQuery {
    /// Comma-separated event types.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// The actor's identity, exact (admins only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_identity: Option<String>,
    /// A team's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// A team's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    /// The target runner's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_id: Option<String>,
    /// Comma-separated actor types.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_type: Option<String>,
    /// Outcome.
    #[serde(default, deserialize_with = "super::query::flex_bool", skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// Inclusive lower bound (RFC 3339 or `YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Inclusive upper bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// `json` (default), `jsonl` or `csv`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Page size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Rows skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
}

/// One audit row (API.md §12.1). The hash-relevant fields are exactly what the chain covers,
/// so a JSON or JSONL export can be verified without GHARTS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditLogResponse {
    /// Increases with insertion order.
    pub id: i64,
    /// See the catalogue in API.md §3.7.
    pub event_type: String,
    /// Target runner id.
    pub runner_id: Option<String>,
    /// Target runner name.
    pub runner_name: Option<String>,
    /// Target team.
    pub team_id: Option<Uuid>,
    /// Resolved when the row is read (not stored).
    pub team_name: Option<String>,
    /// The actor's identity, or `system`.
    pub user_identity: String,
    /// The actor's subject or client id.
    pub oidc_sub: Option<String>,
    /// Client address.
    pub request_ip: Option<String>,
    /// Client user agent (≤ 512 characters).
    pub user_agent: Option<String>,
    /// A JSON object; legacy text that cannot be parsed comes back as `{"raw": "<text>"}`.
    pub event_data: Option<Value>,
    /// Outcome.
    pub success: bool,
    /// Failure message.
    pub error_message: Option<String>,
    /// When.
    #[serde(with = "super::timestamp")]
    pub timestamp: DateTime<Utc>,
    /// `user`, `m2m`, `local_admin` or `system`.
    pub actor_type: String,
    /// The request that wrote the row.
    pub request_id: Option<String>,
    /// The previous row's hash in the chain (64 zeros for the first row); `null` until the row
    /// is sealed (within about a second of being written, `docs/audit_chain.md`).
    pub prev_hash: Option<String>,
    /// This row's hash (64 hex characters); `null` until sealed.
    pub hash: Option<String>,
    /// The row's place in the hash chain (1, 2, …); `null` until sealed. Chain order is
    /// sealing order, which may differ from id order for rows that committed late.
    pub chain_seq: Option<i64>,
}

/// `GET /api/v1/audit-logs` response (`format=json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditLogListResponse {
    /// The page, newest first.
    pub logs: Vec<AuditLogResponse>,
    /// All matches.
    pub total: i64,
    /// As applied.
    pub limit: i64,
    /// As applied.
    pub offset: i64,
}

/// `GET /api/v1/admin/teams/{team_id}/audit-logs` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamAuditLogListResponse {
    /// The team.
    pub team_id: Uuid,
    /// Its name.
    pub team_name: String,
    /// The page, newest first.
    pub logs: Vec<AuditLogResponse>,
    /// All matches.
    pub total: i64,
    /// As applied.
    pub limit: i64,
    /// As applied.
    pub offset: i64,
}

/// `GET /api/v1/admin/audit-logs/verify` response (API.md §12.4). Always 200: `status` says
/// whether the chain holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditVerifyResponse {
    /// `ok`, `broken` or `empty`.
    pub status: String,
    /// Rows checked (up to and including the first broken one).
    pub checked_count: i64,
    /// The first row checked.
    pub first_id: Option<i64>,
    /// The last row checked.
    pub last_id: Option<i64>,
    /// The chain position (`chain_seq`) of `last_id`.
    pub last_chain_seq: Option<i64>,
    /// The stored hash of `last_id`, for an auditor to record and compare later.
    pub head_hash: Option<String>,
    /// The first row whose content or link does not match.
    pub first_broken_id: Option<i64>,
    /// `hash_mismatch` (content changed) or `chain_mismatch` (a row removed or inserted).
    pub reason: Option<String>,
    /// When the check ran.
    #[serde(with = "super::timestamp")]
    pub verified_at: DateTime<Utc>,
    /// How long it took.
    pub duration_ms: i64,
    /// Rows written but not sealed into the chain yet (the whole log, whatever the range): not
    /// an error, rows are sealed within about a second.
    pub unsealed_count: i64,
    /// How old the oldest unsealed row is, in seconds (`null` when every row is sealed).
    pub oldest_unsealed_age_seconds: Option<i64>,
    /// Set when a row has waited longer than 60 seconds to be sealed: no sealer is running,
    /// or it fails (see the server log).
    pub warning: Option<String>,
}
