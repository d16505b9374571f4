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
    /// Applies the storage bounds (user agent ≤ 512 characters).
    pub(crate) fn normalised(mut self) -> Self {
        if let Some(ua) = &self.user_agent
            && ua.chars().count() > USER_AGENT_MAX
        {
            self.user_agent = Some(ua.chars().take(USER_AGENT_MAX).collect());
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

/// Appends one audit row inside an open transaction `$tx` (either backend), stamped now, or
/// at `$ts` (rows imported from another system keep their time). Evaluates to
/// `Result<i64, sqlx::Error>` with the new row's id.
macro_rules! append_in_tx {
    ($tx:expr, $entry:expr) => {
        $crate::db::audit::append_in_tx!($tx, $entry, $crate::db::now())
    };
    ($tx:expr, $entry:expr, $ts:expr) => {{
        async {
            let entry: $crate::db::audit::NewAudit = $entry.normalised();
            let (id, prev_hash): (i64, String) =
                sqlx::query_as("update audit_chain_head set last_id = last_id + 1 where singleton = 1 returning last_id, last_hash")
                    .fetch_one(&mut *$tx)
                    .await?;
            let ts: chrono::DateTime<chrono::Utc> = $ts;
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
            sqlx::query("update audit_chain_head set last_hash = $1 where singleton = 1").bind(&hash).execute(&mut *$tx).await?;
            Ok::<i64, sqlx::Error>(id)
        }
    }};
}
pub(crate) use append_in_tx;

/// The outcome of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Rows checked (up to and including the first broken one).
    pub checked: u64,
    /// The first row whose hash or link does not match, if any.
    pub first_broken_id: Option<i64>,
    /// The first row checked.
    pub first_id: Option<i64>,
    /// The last row checked.
    pub last_id: Option<i64>,
    /// The stored hash of `last_id`.
    pub head_hash: Option<String>,
    /// Why the chain is broken, if it is.
    pub reason: Option<ChainBreak>,
}

/// How a chain link failed (API.md §12.4 `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainBreak {
    /// The row's content no longer matches its own hash: the row was edited.
    HashMismatch,
    /// The row is intact but its `prev_hash` is not its predecessor's hash (or the last row is
    /// not the recorded chain head): a row was removed or inserted.
    ChainMismatch,
}

impl ChainBreak {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChainBreak::HashMismatch => "hash_mismatch",
            ChainBreak::ChainMismatch => "chain_mismatch",
        }
    }
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

    /// Recomputes every row's hash and link, oldest first; reports the first broken row.
    pub async fn verify_audit_chain(&self) -> Result<ChainReport, DbError> {
        self.verify_audit_range(None, None).await
    }

    /// Recomputes the hashes and links of the rows with `from_id <= id <= to_id`, oldest first,
    /// stopping at the first broken row (API.md §12.4). With `from_id`, the stored hash of the
    /// row just before it is trusted as the starting point. Without `to_id`, the last row must
    /// also be the recorded chain head, so a removed tail is noticed too.
    pub async fn verify_audit_range(&self, from_id: Option<i64>, to_id: Option<i64>) -> Result<ChainReport, DbError> {
        let mut report = ChainReport { checked: 0, first_broken_id: None, first_id: None, last_id: None, head_hash: None, reason: None };
        let mut prev = match from_id {
            Some(from) => on_pool!(self, p => {
                sqlx::query_scalar::<_, String>("select hash from audit_log where id < $1 order by id desc limit 1")
                    .bind(from)
                    .fetch_optional(p)
                    .await?
            })
            .unwrap_or_else(|| GENESIS_HASH.to_owned()),
            None => GENESIS_HASH.to_owned(),
        };
        // The head is read before the rows: it commits together with its row, so every row up
        // to `last_id` is visible, and rows appended meanwhile are simply out of range.
        let head: Option<(i64, String)> = match to_id {
            Some(_) => None,
            None => Some(on_pool!(self, p => {
                sqlx::query_as("select last_id, last_hash from audit_chain_head where singleton = 1").fetch_one(p).await?
            })),
        };
        let upper = to_id.or(head.as_ref().map(|h| h.0)).unwrap_or(i64::MAX);
        let mut after = from_id.map_or(0, |f| f.saturating_sub(1));
        loop {
            let page: Vec<AuditRow> = on_pool!(self, p => {
                sqlx::query_as::<_, AuditRow>("select * from audit_log where id > $1 and id <= $2 order by id limit $3")
                    .bind(after)
                    .bind(upper)
                    .bind(VERIFY_PAGE)
                    .fetch_all(p)
                    .await?
            });
            let Some(last) = page.last() else { break };
            after = last.id;
            for row in &page {
                report.checked += 1;
                report.first_id.get_or_insert(row.id);
                report.last_id = Some(row.id);
                report.head_hash = Some(row.hash.clone());
                // Content first: an edited row fails its own hash whatever its link says.
                let broken = if row.hash != chain_hash(&row.prev_hash, row.id, &row.timestamp, &NewAudit::from(row)) {
                    Some(ChainBreak::HashMismatch)
                } else if row.prev_hash != prev {
                    Some(ChainBreak::ChainMismatch)
                } else {
                    None
                };
                if let Some(reason) = broken {
                    report.first_broken_id = Some(row.id);
                    report.reason = Some(reason);
                    return Ok(report);
                }
                prev = row.hash.clone();
            }
        }
        if let Some((head_id, head_hash)) = head {
            // A chain cut short at the end links perfectly; only the head still remembers it.
            let empty_and_fresh = report.checked == 0 && head_id == 0;
            let starts_after_head = from_id.is_some_and(|f| f > head_id);
            if !empty_and_fresh && !starts_after_head && prev != head_hash {
                report.first_broken_id = Some(head_id);
                report.reason = Some(ChainBreak::ChainMismatch);
            }
        }
        Ok(report)
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
