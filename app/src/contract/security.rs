//! Security events (API.md §3.8, §13).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::Severity;

/// `GET /api/v1/admin/security-events` query (API.md §13.2); every filter is optional. The
/// server parses it and the console builds it (the console also sends it, less the admin-only
/// filters, to a team's own list).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityEventQuery {
    /// Comma-separated event types.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// Comma-separated severities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// The actor's identity, exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_identity: Option<String>,
    /// A team's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    /// A team's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Inclusive lower bound (RFC 3339 or `YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Inclusive upper bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Page size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Rows skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
}

/// One security event (API.md §13.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SecurityEventResponse {
    /// Increases with insertion order.
    pub id: i64,
    /// Text, not [`super::SecurityEventType`]: rows imported from the Python service may hold
    /// types outside today's catalogue (API.md §3.8), and they are listed as stored.
    pub event_type: String,
    /// How serious.
    pub severity: Severity,
    /// Runner concerned.
    pub runner_id: Option<String>,
    /// Its name.
    pub runner_name: Option<String>,
    /// Its GitHub id.
    pub github_runner_id: Option<i64>,
    /// Team concerned.
    pub team_id: Option<Uuid>,
    /// Resolved whenever `team_id` is set.
    pub team_name: Option<String>,
    /// The actor's identity, or `system`.
    pub user_identity: String,
    /// The actor's subject.
    pub oidc_sub: Option<String>,
    /// Details; legacy text that cannot be parsed comes back as `{"raw": "<text>"}`.
    pub violation_data: Value,
    /// What GHARTS did.
    pub action_taken: Option<String>,
    /// When.
    #[serde(with = "super::timestamp")]
    pub timestamp: DateTime<Utc>,
    /// The request that recorded it.
    pub request_id: Option<String>,
}

/// `GET /api/v1/admin/security-events` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SecurityEventListResponse {
    /// The page, newest first.
    pub events: Vec<SecurityEventResponse>,
    /// All matches.
    pub total: i64,
    /// As applied.
    pub limit: i64,
    /// As applied.
    pub offset: i64,
}

/// `GET /api/v1/admin/teams/{team_id}/security-events` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamSecurityEventListResponse {
    /// The team.
    pub team_id: Uuid,
    /// Its name.
    pub team_name: String,
    /// The page, newest first.
    pub events: Vec<SecurityEventResponse>,
    /// All matches.
    pub total: i64,
    /// As applied.
    pub limit: i64,
    /// As applied.
    pub offset: i64,
}
