//! The audit chain's sealer loop (`docs/audit_chain.md`): every [`INTERVAL`], in every replica,
//! link the audit rows written since into the hash chain ([`crate::db::Db::seal_audit_chain`]).
//! Replicas need no leader for it: a pass that finds nothing takes no lock, and two passes at
//! once take turns on the chain head's lock, so the chain never forks. It runs whether or not
//! GitHub is configured (the sync worker only leads with GitHub), as long as the server runs.

use std::time::Duration;

use crate::db::Db;

/// How often unsealed rows are sealed: the window in which a row carries no hash yet.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// Seals now and then every [`INTERVAL`], until the task is dropped. A failure is logged and
/// retried on the next tick; rows wait unsealed meanwhile (verification reports their age).
pub async fn run(db: Db) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match db.seal_audit_chain().await {
            Ok(0) => {}
            Ok(n) => tracing::trace!(rows = n, "audit rows sealed"),
            Err(e) => tracing::warn!(error = %e, "cannot seal the audit chain; retrying in a second"),
        }
    }
}
