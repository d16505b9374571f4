//! The append-only, hash-chained audit log (API.md §3.7, `docs/audit_chain.md`).
//!
//! Each row's `hash` is the SHA-256 of the RFC 8785 canonical JSON of its content plus the
//! previous row's hash. A request inserts its row with an id from the table's own sequence and
//! no hash, touching no shared row, so audited requests never wait for each other. The sealer
//! ([`Db::seal_audit_chain`]) later links the unsealed rows it can see, in id order, behind the
//! chain head: it gives each its place (`chain_seq`), `prev_hash` and `hash`. Only the sealer
//! locks the one-row `audit_chain_head`, so two sealers at once take turns and never fork the
//! chain. Ids from a PostgreSQL sequence may commit out of order; a late row is simply sealed
//! by a later pass, which is why the chain order is `chain_seq`, not the id.

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
/// at `$ts` (rows imported from another system keep their time). The row is unsealed: the
/// sealer links it into the chain after the transaction commits. Evaluates to
/// `Result<i64, sqlx::Error>` with the new row's id.
macro_rules! append_in_tx {
    ($tx:expr, $entry:expr) => {
        $crate::db::audit::append_in_tx!($tx, $entry, $crate::db::now())
    };
    ($tx:expr, $entry:expr, $ts:expr) => {{
        async {
            let entry: $crate::db::audit::NewAudit = $entry.normalised();
            let ts: chrono::DateTime<chrono::Utc> = $ts;
            sqlx::query_scalar::<_, i64>(
                "insert into audit_log (timestamp, event_type, actor_type, user_identity, oidc_sub, request_ip, \
                 user_agent, request_id, runner_id, runner_name, team_id, event_data, success, error_message) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) returning id",
            )
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
            .fetch_one(&mut *$tx)
            .await
        }
    }};
}
pub(crate) use append_in_tx;

/// The outcome of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Sealed rows checked (up to and including the first broken one).
    pub checked: u64,
    /// The first row whose hash or link does not match, if any.
    pub first_broken_id: Option<i64>,
    /// The first row checked.
    pub first_id: Option<i64>,
    /// The last row checked.
    pub last_id: Option<i64>,
    /// The chain position (`chain_seq`) of `last_id`.
    pub last_seq: Option<i64>,
    /// The stored hash of `last_id`.
    pub head_hash: Option<String>,
    /// Why the chain is broken, if it is.
    pub reason: Option<ChainBreak>,
    /// Rows written but not sealed yet (the whole log, whatever the range).
    pub unsealed: u64,
    /// The time of the oldest unsealed row.
    pub oldest_unsealed: Option<DateTime<Utc>>,
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
/// Rows sealed per transaction: a second's worth of audited requests at full load, while a
/// transaction stays short enough not to hold the head for long.
pub const SEAL_BATCH: i64 = 1000;
/// Rows per `update … from (values …)` statement (4 parameters each, well under both
/// databases' parameter limits).
const SEAL_CHUNK: usize = 200;

/// The chain head: (`last_seq`, `last_id`, `last_hash`).
type Head = (i64, i64, String);

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

    /// Links every unsealed row this connection can see into the chain, in id order, in
    /// batches of [`SEAL_BATCH`]; returns how many it sealed. Safe to run from several
    /// processes at once: each batch holds the chain head's row lock (PostgreSQL) or the write
    /// lock (SQLite) from reading the head to committing the new one.
    pub async fn seal_audit_chain(&self) -> Result<u64, DbError> {
        let mut total = 0;
        loop {
            // A cheap probe first (the partial index), so an idle replica takes no lock.
            let pending: Option<i64> = on_pool!(self, p => {
                sqlx::query_scalar("select id from audit_log where hash is null limit 1").fetch_optional(p).await?
            });
            if pending.is_none() {
                return Ok(total);
            }
            let sealed = self.seal_batch().await?;
            total += sealed;
            if sealed < SEAL_BATCH as u64 {
                return Ok(total);
            }
        }
    }

    async fn seal_batch(&self) -> Result<u64, DbError> {
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            // The lock: a write to the head that changes nothing. A second sealer waits here and
            // then reads the head (and, in its next statement, the rows) as the first left them.
            let (mut seq, mut last_id, mut prev): Head =
                sqlx::query_as("update audit_chain_head set last_seq = last_seq where singleton = 1 returning last_seq, last_id, last_hash")
                    .fetch_one(&mut *tx)
                    .await?;
            let rows: Vec<AuditRow> = sqlx::query_as("select * from audit_log where hash is null order by id limit $1").bind(SEAL_BATCH).fetch_all(&mut *tx).await?;
            let mut links = Vec::with_capacity(rows.len());
            for row in &rows {
                seq += 1;
                last_id = row.id;
                let hash = chain_hash(&prev, row.id, &row.timestamp, &NewAudit::from(row));
                links.push((row.id, seq, std::mem::replace(&mut prev, hash.clone()), hash));
            }
            for chunk in links.chunks(SEAL_CHUNK) {
                let values = (0..chunk.len()).map(|i| format!("(${}, ${}, ${}, ${})", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4)).collect::<Vec<_>>().join(", ");
                // Both dialects name the columns of a VALUES list column1, column2, …
                let sql = format!(
                    "update audit_log set chain_seq = v.column2, prev_hash = v.column3, hash = v.column4 \
                     from (values {values}) as v where audit_log.id = v.column1"
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, seq, prev_hash, hash) in chunk {
                    q = q.bind(*id).bind(*seq).bind(prev_hash.as_str()).bind(hash.as_str());
                }
                q.execute(&mut *tx).await?;
            }
            if !links.is_empty() {
                sqlx::query("update audit_chain_head set last_seq = $1, last_id = $2, last_hash = $3 where singleton = 1")
                    .bind(seq)
                    .bind(last_id)
                    .bind(&prev)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            links.len() as u64
        }))
    }

    /// Recomputes every sealed row's hash and link in chain order; reports the first broken
    /// row and the unsealed tail.
    pub async fn verify_audit_chain(&self) -> Result<ChainReport, DbError> {
        self.verify_audit_range(None, None).await
    }

    /// Recomputes the hashes and links of the sealed rows in chain order, stopping at the first
    /// broken row (API.md §12.4). `from_id` starts the walk at the first-sealed row with an id
    /// of at least `from_id` (the stored hash of its predecessor in the chain is trusted as the
    /// starting point); `to_id` ends it at the last-sealed row with an id of at most `to_id`.
    /// Without `to_id`, the last row must also be the recorded chain head, so a removed tail is
    /// noticed too. Unsealed rows are counted, not checked: they carry no hash yet.
    pub async fn verify_audit_range(&self, from_id: Option<i64>, to_id: Option<i64>) -> Result<ChainReport, DbError> {
        let mut report = ChainReport {
            checked: 0,
            first_broken_id: None,
            first_id: None,
            last_id: None,
            last_seq: None,
            head_hash: None,
            reason: None,
            unsealed: 0,
            oldest_unsealed: None,
        };
        // The head is read before the rows: it commits together with the rows it seals, so
        // every row up to `last_seq` is visible, and rows sealed meanwhile are out of range.
        let head: Head = on_pool!(self, p => {
            sqlx::query_as("select last_seq, last_id, last_hash from audit_chain_head where singleton = 1").fetch_one(p).await?
        });
        let (unsealed, oldest): (i64, Option<DateTime<Utc>>) = on_pool!(self, p => (
            sqlx::query_scalar("select count(*) from audit_log where hash is null").fetch_one(p).await?,
            sqlx::query_scalar("select timestamp from audit_log where hash is null order by timestamp limit 1").fetch_optional(p).await?,
        ));
        report.unsealed = u64::try_from(unsealed).unwrap_or_default();
        report.oldest_unsealed = oldest;
        let bound = |sql: &'static str, id: i64| async move {
            Ok::<_, DbError>(on_pool!(self, p => sqlx::query_scalar::<_, Option<i64>>(sql).bind(id).fetch_one(p).await?))
        };
        let from_seq = match from_id {
            // Nothing sealed there yet (or only rows sealed after the head was read).
            Some(f) => match bound("select min(chain_seq) from audit_log where id >= $1", f).await? {
                Some(s) if s <= head.0 => Some(s),
                _ => return Ok(report),
            },
            None => None,
        };
        let upper = match to_id {
            Some(t) => match bound("select max(chain_seq) from audit_log where id <= $1", t).await? {
                Some(s) => s,
                None => return Ok(report),
            },
            None => head.0,
        };
        let mut prev = match from_seq {
            Some(from) => on_pool!(self, p => {
                sqlx::query_scalar::<_, Option<String>>("select hash from audit_log where chain_seq < $1 order by chain_seq desc limit 1")
                    .bind(from)
                    .fetch_optional(p)
                    .await?
            })
            .flatten()
            .unwrap_or_else(|| GENESIS_HASH.to_owned()),
            None => GENESIS_HASH.to_owned(),
        };
        let mut after = from_seq.map_or(0, |f| f.saturating_sub(1));
        loop {
            let page: Vec<AuditRow> = on_pool!(self, p => {
                sqlx::query_as::<_, AuditRow>("select * from audit_log where chain_seq > $1 and chain_seq <= $2 order by chain_seq limit $3")
                    .bind(after)
                    .bind(upper)
                    .bind(VERIFY_PAGE)
                    .fetch_all(p)
                    .await?
            });
            let Some(last) = page.last() else { break };
            after = last.chain_seq.unwrap_or(i64::MAX);
            for row in &page {
                let (prev_hash, hash) = (row.prev_hash.as_deref().unwrap_or_default(), row.hash.as_deref().unwrap_or_default());
                report.checked += 1;
                report.first_id.get_or_insert(row.id);
                report.last_id = Some(row.id);
                report.last_seq = row.chain_seq;
                report.head_hash = Some(hash.to_owned());
                // Content first: an edited row fails its own hash whatever its link says.
                let broken = if hash != chain_hash(prev_hash, row.id, &row.timestamp, &NewAudit::from(row)) {
                    Some(ChainBreak::HashMismatch)
                } else if prev_hash != prev {
                    Some(ChainBreak::ChainMismatch)
                } else {
                    None
                };
                if let Some(reason) = broken {
                    report.first_broken_id = Some(row.id);
                    report.reason = Some(reason);
                    return Ok(report);
                }
                prev = hash.to_owned();
            }
        }
        if to_id.is_none() {
            // A chain cut short at the end links perfectly; only the head still remembers it.
            let (head_seq, head_id, head_hash) = head;
            let empty_and_fresh = report.checked == 0 && head_seq == 0;
            if !empty_and_fresh && prev != head_hash {
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
