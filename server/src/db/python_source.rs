//! Reading a database of the Python GHARTS service (its schema: string ids, JSON in text
//! columns, timestamps without a zone), on SQLite or PostgreSQL, as plain rows for
//! `gharts import python-gharts`. Every value is read as text or a 64-bit integer so that
//! column types that differ between its backends (varchar or uuid ids, timestamp or text
//! times) read alike; interpreting them is the importer's job.

use super::{Db, DbError};

/// A `users` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PyUser {
    /// `id`.
    pub id: String,
    /// `email`.
    pub email: Option<String>,
    /// `oidc_sub`.
    pub oidc_sub: Option<String>,
    /// `display_name`.
    pub display_name: Option<String>,
    /// `is_admin`.
    pub is_admin: bool,
    /// `is_active`.
    pub is_active: bool,
    /// `can_use_jit`.
    pub can_use_jit: bool,
    /// `created_at` (no zone).
    pub created_at: String,
    /// `updated_at`.
    pub updated_at: String,
    /// `last_login_at`.
    pub last_login_at: Option<String>,
    /// `created_by`.
    pub created_by: Option<String>,
}

/// A `teams` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PyTeam {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `required_labels`: a JSON array, as text.
    pub required_labels: Option<String>,
    /// `optional_label_patterns`: a JSON array of Python regexes, as text.
    pub optional_label_patterns: Option<String>,
    /// `max_runners`.
    pub max_runners: Option<i64>,
    /// `is_active`.
    pub is_active: bool,
    /// `deactivation_reason`.
    pub deactivation_reason: Option<String>,
    /// `deactivated_at`.
    pub deactivated_at: Option<String>,
    /// `deactivated_by`.
    pub deactivated_by: Option<String>,
    /// `created_at`.
    pub created_at: String,
    /// `updated_at`.
    pub updated_at: String,
    /// `created_by`.
    pub created_by: Option<String>,
}

/// A `user_team_memberships` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PyMembership {
    /// `user_id`.
    pub user_id: String,
    /// `team_id`.
    pub team_id: String,
    /// `joined_at`.
    pub joined_at: String,
    /// `added_by`.
    pub added_by: Option<String>,
}

/// An `oauth_clients` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PyClient {
    /// `id`.
    pub id: String,
    /// `client_id` (the M2M token's `sub`).
    pub client_id: String,
    /// `team_id`.
    pub team_id: String,
    /// `description`.
    pub description: Option<String>,
    /// `is_active`.
    pub is_active: bool,
    /// `created_at`.
    pub created_at: String,
    /// `created_by`.
    pub created_by: Option<String>,
    /// `last_used_at`.
    pub last_used_at: Option<String>,
}

/// A `runners` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PyRunner {
    /// `id`.
    pub id: String,
    /// `runner_name`.
    pub runner_name: String,
    /// `github_runner_id`.
    pub github_runner_id: Option<i64>,
    /// `runner_group_id`.
    pub runner_group_id: i64,
    /// `labels`: a JSON array, as text.
    pub labels: Option<String>,
    /// `ephemeral`.
    pub ephemeral: bool,
    /// `provisioned_by`: an identity, or `m2m:<team>`.
    pub provisioned_by: String,
    /// `oidc_sub`.
    pub oidc_sub: Option<String>,
    /// `team_id`.
    pub team_id: Option<String>,
    /// `status`: pending, active, online, offline or deleted.
    pub status: String,
    /// `created_at`.
    pub created_at: String,
    /// `updated_at`.
    pub updated_at: String,
    /// `registered_at`.
    pub registered_at: Option<String>,
    /// `deleted_at`.
    pub deleted_at: Option<String>,
}

/// An `audit_log` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PyAudit {
    /// `id`.
    pub id: i64,
    /// `event_type`.
    pub event_type: String,
    /// `runner_id`.
    pub runner_id: Option<String>,
    /// `runner_name`.
    pub runner_name: Option<String>,
    /// `team_id`.
    pub team_id: Option<String>,
    /// `user_identity`.
    pub user_identity: String,
    /// `oidc_sub`.
    pub oidc_sub: Option<String>,
    /// `request_ip`.
    pub request_ip: Option<String>,
    /// `user_agent`.
    pub user_agent: Option<String>,
    /// `event_data`: JSON, as text.
    pub event_data: Option<String>,
    /// `success`.
    pub success: bool,
    /// `error_message`.
    pub error_message: Option<String>,
    /// `timestamp`.
    pub timestamp: String,
}

/// A `security_events` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PySecurityEvent {
    /// `id`.
    pub id: i64,
    /// `event_type`.
    pub event_type: String,
    /// `severity`.
    pub severity: String,
    /// `runner_id`.
    pub runner_id: Option<String>,
    /// `runner_name`.
    pub runner_name: Option<String>,
    /// `github_runner_id`.
    pub github_runner_id: Option<i64>,
    /// `team_id`.
    pub team_id: Option<String>,
    /// `user_identity`.
    pub user_identity: String,
    /// `oidc_sub`.
    pub oidc_sub: Option<String>,
    /// `violation_data`: JSON, as text.
    pub violation_data: Option<String>,
    /// `action_taken`.
    pub action_taken: Option<String>,
    /// `timestamp`.
    pub timestamp: String,
}

/// Everything the importer reads.
#[derive(Debug, Default)]
pub struct PythonData {
    pub users: Vec<PyUser>,
    pub teams: Vec<PyTeam>,
    pub memberships: Vec<PyMembership>,
    /// M2M clients.
    pub clients: Vec<PyClient>,
    pub runners: Vec<PyRunner>,
    /// The audit log, by id.
    pub audit: Vec<PyAudit>,
    /// Security events, by id.
    pub security_events: Vec<PySecurityEvent>,
}

const USERS: &str = "select cast(id as text) as id, email, oidc_sub, display_name, is_admin, is_active, can_use_jit, \
     cast(created_at as text) as created_at, cast(updated_at as text) as updated_at, cast(last_login_at as text) as last_login_at, created_by \
     from users order by created_at, id";
const TEAMS: &str = "select cast(id as text) as id, name, description, cast(required_labels as text) as required_labels, \
     cast(optional_label_patterns as text) as optional_label_patterns, cast(max_runners as bigint) as max_runners, is_active, deactivation_reason, \
     cast(deactivated_at as text) as deactivated_at, deactivated_by, cast(created_at as text) as created_at, cast(updated_at as text) as updated_at, created_by \
     from teams order by name";
const MEMBERSHIPS: &str = "select cast(user_id as text) as user_id, cast(team_id as text) as team_id, cast(joined_at as text) as joined_at, added_by \
     from user_team_memberships order by joined_at, id";
const CLIENTS: &str = "select cast(id as text) as id, client_id, cast(team_id as text) as team_id, description, is_active, \
     cast(created_at as text) as created_at, created_by, cast(last_used_at as text) as last_used_at from oauth_clients order by created_at, id";
const RUNNERS: &str = "select cast(id as text) as id, runner_name, cast(github_runner_id as bigint) as github_runner_id, \
     cast(runner_group_id as bigint) as runner_group_id, cast(labels as text) as labels, ephemeral, provisioned_by, oidc_sub, cast(team_id as text) as team_id, status, \
     cast(created_at as text) as created_at, cast(updated_at as text) as updated_at, cast(registered_at as text) as registered_at, \
     cast(deleted_at as text) as deleted_at from runners order by created_at, id";
const AUDIT: &str = "select cast(id as bigint) as id, event_type, runner_id, runner_name, cast(team_id as text) as team_id, user_identity, oidc_sub, \
     request_ip, user_agent, cast(event_data as text) as event_data, success, error_message, cast(\"timestamp\" as text) as \"timestamp\" from audit_log order by id";
const SECURITY_EVENTS: &str = "select cast(id as bigint) as id, event_type, severity, runner_id, runner_name, cast(github_runner_id as bigint) as github_runner_id, \
     cast(team_id as text) as team_id, user_identity, oidc_sub, cast(violation_data as text) as violation_data, action_taken, cast(\"timestamp\" as text) as \"timestamp\" \
     from security_events order by id";

impl Db {
    /// Reads every table the importer maps from a Python GHARTS database.
    pub async fn read_python_gharts(&self) -> Result<PythonData, DbError> {
        Ok(on_pool!(self, p => PythonData {
            users: sqlx::query_as(USERS).fetch_all(p).await?,
            teams: sqlx::query_as(TEAMS).fetch_all(p).await?,
            memberships: sqlx::query_as(MEMBERSHIPS).fetch_all(p).await?,
            clients: sqlx::query_as(CLIENTS).fetch_all(p).await?,
            runners: sqlx::query_as(RUNNERS).fetch_all(p).await?,
            audit: sqlx::query_as(AUDIT).fetch_all(p).await?,
            security_events: sqlx::query_as(SECURITY_EVENTS).fetch_all(p).await?,
        }))
    }
}
