//! Writing an import (from the Python service) in one transaction: users, teams, memberships,
//! M2M clients, runners, then the audit rows appended to the hash chain with their original
//! times, the security events, and a closing `python_import_completed` row. The transaction
//! first re-checks, under the write lock, that nothing was imported before.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::audit::{NewAudit, append_in_tx};
use super::{Db, DbError};

/// The audit event that closes an import; its presence refuses a second one.
pub const IMPORT_COMPLETED: &str = "python_import_completed";

/// A user to insert.
#[derive(Debug, Clone)]
pub struct ImportUser {
    /// Id (kept).
    pub id: Uuid,
    pub email: Option<String>,
    /// OIDC subject.
    pub oidc_sub: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Admin role.
    pub is_admin: bool,
    pub is_active: bool,
    /// May provision.
    pub can_use_jit: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Last login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Creator.
    pub created_by: Option<String>,
    /// When deactivated (inactive users).
    pub deactivated_at: Option<DateTime<Utc>>,
}

/// A team to insert.
#[derive(Debug, Clone)]
pub struct ImportTeam {
    /// Id (kept).
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// Required labels.
    pub required_labels: Vec<String>,
    /// Full-match patterns.
    pub optional_label_patterns: Option<Vec<String>>,
    /// Team quota.
    pub max_runners: Option<i64>,
    /// Allowed runner groups.
    pub allowed_runner_group_ids: Vec<i64>,
    /// Default runner group.
    pub default_runner_group_id: i64,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Creator.
    pub created_by: Option<String>,
    /// Deactivated at.
    pub deactivated_at: Option<DateTime<Utc>>,
    /// Deactivated by.
    pub deactivated_by: Option<String>,
    /// Why.
    pub deactivation_reason: Option<String>,
}

/// A membership to insert.
#[derive(Debug, Clone)]
pub struct ImportMember {
    pub team_id: Uuid,
    pub user_id: Uuid,
    pub joined_at: DateTime<Utc>,
    /// Added by.
    pub added_by: Option<String>,
}

/// An M2M client registration to insert.
#[derive(Debug, Clone)]
pub struct ImportClient {
    /// Id (kept).
    pub id: Uuid,
    /// The IdP client id.
    pub client_id: String,
    pub team_id: Uuid,
    pub description: Option<String>,
    pub is_active: bool,
    /// Created (also the update time).
    pub created_at: DateTime<Utc>,
    /// Creator.
    pub created_by: Option<String>,
    /// Last used.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A runner to insert.
#[derive(Debug, Clone)]
pub struct ImportRunner {
    /// Id (kept).
    pub id: Uuid,
    pub runner_name: String,
    /// Our lifecycle status.
    pub status: String,
    /// GitHub's id.
    pub github_runner_id: Option<i64>,
    /// Runner group.
    pub runner_group_id: i64,
    pub labels: Vec<String>,
    pub ephemeral: bool,
    pub team_id: Option<Uuid>,
    /// The provisioning identity.
    pub provisioned_by: String,
    /// `user` or `m2m`.
    pub actor_type: String,
    /// Owning user.
    pub owner_user_id: Option<Uuid>,
    /// Owning client.
    pub owner_client_id: Option<Uuid>,
    /// GitHub's last reported status.
    pub github_status: Option<String>,
    /// GitHub's busy flag.
    pub busy: Option<bool>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// First seen at GitHub.
    pub registered_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// Why deleted.
    pub deletion_reason: Option<String>,
}

/// A security event to insert with its original time.
#[derive(Debug, Clone)]
pub struct ImportSecurityEvent {
    /// When.
    pub timestamp: DateTime<Utc>,
    /// What.
    pub event_type: String,
    pub severity: String,
    /// Runner id.
    pub runner_id: Option<String>,
    /// Runner name.
    pub runner_name: Option<String>,
    /// GitHub runner id.
    pub github_runner_id: Option<i64>,
    pub team_id: Option<Uuid>,
    /// Actor.
    pub user_identity: String,
    /// Actor's subject.
    pub oidc_sub: Option<String>,
    /// Details.
    pub violation_data: Value,
    pub action_taken: Option<String>,
}

/// Everything one import writes.
#[derive(Debug, Clone, Default)]
pub struct Import {
    pub users: Vec<ImportUser>,
    pub teams: Vec<ImportTeam>,
    /// Memberships.
    pub members: Vec<ImportMember>,
    /// M2M clients.
    pub clients: Vec<ImportClient>,
    pub runners: Vec<ImportRunner>,
    /// Audit rows with their original times, oldest first.
    pub audit: Vec<(DateTime<Utc>, NewAudit)>,
    /// Security events, oldest first.
    pub security_events: Vec<ImportSecurityEvent>,
}

/// Why an import was not written.
#[derive(Debug, thiserror::Error)]
pub enum ImportWriteError {
    /// The target already holds an import, or teams, runners or clients of its own.
    #[error("the target is not empty: {0}")]
    NotEmpty(String),
    /// The database failed (nothing was written).
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ImportWriteError {
    fn from(e: sqlx::Error) -> Self {
        ImportWriteError::Db(super::conflict_or(e))
    }
}

impl Db {
    /// Writes `import` and then `completed` (stamped now) in one transaction, refusing a
    /// target that already holds an import or any team, runner or M2M client.
    pub async fn write_import(&self, import: &Import, completed: NewAudit) -> Result<(), ImportWriteError> {
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            // A write first: it takes the write lock before the emptiness check reads.
            sqlx::query("update audit_chain_head set last_id = last_id where singleton = 1").execute(&mut *tx).await?;
            let done: i64 = sqlx::query_scalar("select count(*) from audit_log where event_type = $1").bind(IMPORT_COMPLETED).fetch_one(&mut *tx).await?;
            if done > 0 {
                return Err(ImportWriteError::NotEmpty("a Python GHARTS database was already imported".to_owned()));
            }
            let held: i64 = sqlx::query_scalar("select (select count(*) from teams) + (select count(*) from runners) + (select count(*) from oauth_clients)")
                .fetch_one(&mut *tx)
                .await?;
            if held > 0 {
                return Err(ImportWriteError::NotEmpty(format!("{held} team, runner or M2M client row(s)")));
            }
            for u in &import.users {
                sqlx::query(
                    "insert into users (id, email, oidc_sub, display_name, is_admin, is_active, can_use_jit, created_at, updated_at, \
                     last_login_at, created_by, deactivated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(u.id).bind(&u.email).bind(&u.oidc_sub).bind(&u.display_name).bind(u.is_admin).bind(u.is_active).bind(u.can_use_jit)
                .bind(u.created_at).bind(u.updated_at).bind(u.last_login_at).bind(&u.created_by).bind(u.deactivated_at)
                .execute(&mut *tx)
                .await?;
            }
            for t in &import.teams {
                sqlx::query(
                    "insert into teams (id, name, description, required_labels, optional_label_patterns, max_runners, allowed_runner_group_ids, \
                     default_runner_group_id, is_active, created_at, updated_at, created_by, deactivated_at, deactivated_by, deactivation_reason) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(t.id).bind(&t.name).bind(&t.description).bind(Json(&t.required_labels)).bind(t.optional_label_patterns.as_ref().map(Json))
                .bind(t.max_runners).bind(Json(&t.allowed_runner_group_ids)).bind(t.default_runner_group_id).bind(t.is_active)
                .bind(t.created_at).bind(t.updated_at).bind(&t.created_by).bind(t.deactivated_at).bind(&t.deactivated_by).bind(&t.deactivation_reason)
                .execute(&mut *tx)
                .await?;
            }
            for m in &import.members {
                sqlx::query("insert into team_members (team_id, user_id, joined_at, added_by) values ($1, $2, $3, $4)")
                    .bind(m.team_id).bind(m.user_id).bind(m.joined_at).bind(&m.added_by)
                    .execute(&mut *tx)
                    .await?;
            }
            for c in &import.clients {
                sqlx::query(
                    "insert into oauth_clients (id, client_id, team_id, description, is_active, created_at, updated_at, created_by, last_used_at) \
                     values ($1, $2, $3, $4, $5, $6, $6, $7, $8)",
                )
                .bind(c.id).bind(&c.client_id).bind(c.team_id).bind(&c.description).bind(c.is_active).bind(c.created_at).bind(&c.created_by).bind(c.last_used_at)
                .execute(&mut *tx)
                .await?;
            }
            for r in &import.runners {
                sqlx::query(
                    "insert into runners (id, runner_name, status, github_runner_id, runner_group_id, labels, ephemeral, team_id, provisioned_by, \
                     actor_type, owner_user_id, owner_client_id, github_status, busy, created_at, updated_at, registered_at, deleted_at, deletion_reason) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
                )
                .bind(r.id).bind(&r.runner_name).bind(&r.status).bind(r.github_runner_id).bind(r.runner_group_id).bind(Json(&r.labels)).bind(r.ephemeral)
                .bind(r.team_id).bind(&r.provisioned_by).bind(&r.actor_type).bind(r.owner_user_id).bind(r.owner_client_id).bind(&r.github_status)
                .bind(r.busy).bind(r.created_at).bind(r.updated_at).bind(r.registered_at).bind(r.deleted_at).bind(&r.deletion_reason)
                .execute(&mut *tx)
                .await?;
            }
            for (ts, entry) in &import.audit {
                append_in_tx!(tx, entry.clone(), *ts).await?;
            }
            for e in &import.security_events {
                sqlx::query(
                    "insert into security_events (timestamp, event_type, severity, runner_id, runner_name, github_runner_id, team_id, \
                     user_identity, oidc_sub, violation_data, action_taken) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(e.timestamp).bind(&e.event_type).bind(&e.severity).bind(&e.runner_id).bind(&e.runner_name).bind(e.github_runner_id)
                .bind(e.team_id).bind(&e.user_identity).bind(&e.oidc_sub).bind(Json(&e.violation_data)).bind(&e.action_taken)
                .execute(&mut *tx)
                .await?;
            }
            append_in_tx!(tx, completed, super::now()).await?;
            tx.commit().await?;
        });
        // The imported history is sealed at once, in import order, so the import is complete
        // (and verifiable) without a running server.
        self.seal_audit_chain().await.map_err(ImportWriteError::Db)?;
        Ok(())
    }
}

impl Db {
    /// Every user's id, lower-cased email and subject: what an import must not collide with.
    pub async fn user_keys(&self) -> Result<Vec<(Uuid, Option<String>, Option<String>)>, DbError> {
        Ok(on_pool!(self, p => sqlx::query_as("select id, lower(email), oidc_sub from users").fetch_all(p).await?))
    }
}
