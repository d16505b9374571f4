//! The append-only, hash-chained audit log (API.md §3.7).
//!
//! Each row's `hash` is the SHA-256 of the RFC 8785 canonical JSON of its content plus the
//! previous row's hash. Inserts are serialised by updating the one-row `audit_chain_head`
//! first (a row lock in PostgreSQL, the write lock in SQLite), which also hands out the id.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::models::AuditRow;
use super::{Db, DbError};

/// The `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// User agents are stored truncated to this many characters.
const USER_AGENT_MAX: usize = 512;

/// An audit row to write.
#[derive(Debug, Clone, Default)]
pub struct NewAudit {
    /// What happened.
    pub event_type: String,
    /// `user`, `m2m`, `local_admin` or `system`.
    pub actor_type: String,
    /// The actor's identity, or `system`.
    pub user_identity: String,
    /// The actor's subject or client id.
    pub oidc_sub: Option<String>,
    /// Client address.
    pub request_ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// Target runner id.
    pub runner_id: Option<String>,
    /// Target runner name.
    pub runner_name: Option<String>,
    /// Target team.
    pub team_id: Option<Uuid>,
    /// Event details (a JSON object, no floats).
    pub event_data: Option<Value>,
    /// Outcome.
    pub success: bool,
    /// Failure message.
    pub error_message: Option<String>,
}

/// The hash of a row, from its fields and the previous hash.
pub fn chain_hash(prev_hash: &str, id: i64, timestamp: &DateTime<Utc>, row: &NewAudit) -> String {
    let doc = json!({
        "prev_hash": prev_hash,
        "id": id,
        "timestamp": app::contract::timestamp::format(timestamp),
        "event_type": row.event_type,
        "actor_type": row.actor_type,
        "user_identity": row.user_identity,
        "oidc_sub": row.oidc_sub,
        "request_ip": row.request_ip,
        "user_agent": row.user_agent,
        "request_id": row.request_id,
        "runner_id": row.runner_id,
        "runner_name": row.runner_name,
        "team_id": row.team_id.map(|t| t.to_string()),
        "event_data": row.event_data,
        "success": row.success,
        "error_message": row.error_message,
    });
    // Canonicalisation of a serde_json::Value cannot fail (no floats are NaN, keys are strings).
    let canonical = serde_json_canonicalizer::to_vec(&doc).unwrap_or_default();
    hex::encode(Sha256::digest(&canonical))
}

impl NewAudit {
    /// A row carrying the request's address, user agent and id (other fields default).
    pub fn from_context(ctx: &crate::auth::RequestContext) -> Self {
        NewAudit {
            request_ip: ctx.client_ip.map(|i| i.to_string()),
            user_agent: ctx.user_agent.clone(),
            request_id: ctx.request_id.clone(),
            ..Default::default()
        }
    }

    /// Applies the storage bounds (user agent ≤ 512 characters).
    pub(crate) fn normalised(mut self) -> Self {
        if let Some(ua) = &self.user_agent {
            if ua.chars().count() > USER_AGENT_MAX {
                self.user_agent = Some(ua.chars().take(USER_AGENT_MAX).collect());
            }
        }
        self
    }
}

impl From<&AuditRow> for NewAudit {
    fn from(r: &AuditRow) -> Self {
        NewAudit {
            event_type: r.event_type.clone(),
            actor_type: r.actor_type.clone(),
            user_identity: r.user_identity.clone(),
            oidc_sub: r.oidc_sub.clone(),
            request_ip: r.request_ip.clone(),
            user_agent: r.user_agent.clone(),
            request_id: r.request_id.clone(),
            runner_id: r.runner_id.clone(),
            runner_name: r.runner_name.clone(),
            team_id: r.team_id,
            event_data: r.event_data.as_deref().map(|t| serde_json::from_str(t).unwrap_or_else(|_| json!({ "raw": t }))),
            success: r.success,
            error_message: r.error_message.clone(),
        }
    }
}

/// Appends one audit row inside an open transaction `$tx` (either backend). Evaluates to
/// `Result<i64, sqlx::Error>` with the new row's id.
macro_rules! append_in_tx {
    ($tx:expr, $entry:expr) => {{
        async {
            let entry: $crate::db::audit::NewAudit = $entry.normalised();
            let (id, prev_hash): (i64, String) = sqlx::query_as(
                "update audit_chain_head set last_id = last_id + 1 where singleton = 1 returning last_id, last_hash",
            )
            .fetch_one(&mut *$tx)
            .await?;
            let ts = $crate::db::now();
            let hash = $crate::db::audit::chain_hash(&prev_hash, id, &ts, &entry);
            sqlx::query(
                "insert into audit_log (id, timestamp, event_type, actor_type, user_identity, oidc_sub, request_ip, \
                 user_agent, request_id, runner_id, runner_name, team_id, event_data, success, error_message, prev_hash, hash) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            )
            .bind(id)
            .bind(ts)
            .bind(&entry.event_type)
            .bind(&entry.actor_type)
            .bind(&entry.user_identity)
            .bind(&entry.oidc_sub)
            .bind(&entry.request_ip)
            .bind(&entry.user_agent)
            .bind(&entry.request_id)
            .bind(&entry.runner_id)
            .bind(&entry.runner_name)
            .bind(entry.team_id)
            .bind(entry.event_data.as_ref().map(|v| v.to_string()))
            .bind(entry.success)
            .bind(&entry.error_message)
            .bind(&prev_hash)
            .bind(&hash)
            .execute(&mut *$tx)
            .await?;
            sqlx::query("update audit_chain_head set last_hash = $1 where singleton = 1")
                .bind(&hash)
                .execute(&mut *$tx)
                .await?;
            Ok::<i64, sqlx::Error>(id)
        }
    }};
}
pub(crate) use append_in_tx;

/// The outcome of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Rows checked.
    pub checked: u64,
    /// The first row whose hash or link does not match, if any.
    pub first_broken_id: Option<i64>,
}

/// Rows are verified in pages of this size, so memory stays flat for any log size.
const VERIFY_PAGE: i64 = 1000;

impl Db {
    /// Appends one audit row in its own transaction; returns its id.
    pub async fn append_audit(&self, entry: NewAudit) -> Result<i64, DbError> {
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let id = append_in_tx!(tx, entry).await?;
            tx.commit().await?;
            id
        }))
    }

    /// Audit rows of one event type, oldest first (for tests and the CLI).
    pub async fn audit_rows_by_type(&self, event_type: &str) -> Result<Vec<AuditRow>, DbError> {
        Ok(on_pool!(self, p => {
            sqlx::query_as::<_, AuditRow>("select * from audit_log where event_type = $1 order by id")
                .bind(event_type)
                .fetch_all(p)
                .await?
        }))
    }

    /// Recomputes every row's hash and link, oldest first; reports the first broken row.
    pub async fn verify_audit_chain(&self) -> Result<ChainReport, DbError> {
        let mut prev = GENESIS_HASH.to_owned();
        let mut after = 0_i64;
        let mut checked = 0_u64;
        loop {
            let page: Vec<AuditRow> = on_pool!(self, p => {
                sqlx::query_as::<_, AuditRow>("select * from audit_log where id > $1 order by id limit $2")
                    .bind(after)
                    .bind(VERIFY_PAGE)
                    .fetch_all(p)
                    .await?
            });
            let Some(last) = page.last() else { break };
            after = last.id;
            for row in &page {
                checked += 1;
                let expected = chain_hash(&prev, row.id, &row.timestamp, &NewAudit::from(row));
                if row.prev_hash != prev || row.hash != expected {
                    return Ok(ChainReport { checked, first_broken_id: Some(row.id) });
                }
                prev = row.hash.clone();
            }
        }
        Ok(ChainReport { checked, first_broken_id: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_every_field_and_the_link() {
        let ts = chrono::DateTime::parse_from_rfc3339("2026-11-26T08:41:21.966085Z").expect("ts").to_utc();
        let row = NewAudit { event_type: "login".into(), actor_type: "local_admin".into(), user_identity: "admin".into(), success: true, ..Default::default() };
        let h = chain_hash(GENESIS_HASH, 1, &ts, &row);
        assert_eq!(h.len(), 64);
        assert_ne!(h, chain_hash(GENESIS_HASH, 2, &ts, &row));
        assert_ne!(h, chain_hash(&"1".repeat(64), 1, &ts, &row));
        let other = NewAudit { success: false, ..row.clone() };
        assert_ne!(h, chain_hash(GENESIS_HASH, 1, &ts, &other));
    }
}
