//! The audit chain sealed after the fact (`docs/audit_chain.md`): audited writes never wait for
//! each other, the sealer links them into one chain, and verification still catches every
//! change to a sealed row. Each test drives the sealer itself (no server, no background loop).

use chrono::{Duration, Utc};
use server::db::Db;
use server::db::audit::{ChainBreak, NewAudit};
use server::services::audit::verify_chain;

use crate::both_databases;
use crate::db_copy::open;
use crate::helpers::{Backend, TestDb};

both_databases!(
    concurrent_audited_writes_are_sealed_into_one_chain,
    a_row_committed_late_is_sealed_after_the_rows_sealed_before_it,
    sealed_rows_cannot_be_altered_or_removed_unnoticed,
    two_sealers_at_once_do_not_fork_the_chain,
    verification_reports_the_unsealed_tail_and_warns_when_it_is_old,
);

/// A migrated, empty database (kept alive by the returned `TestDb`).
async fn fresh(backend: Backend) -> (TestDb, Db) {
    let t = TestDb::new(backend).await;
    let db = open(&t.url).await;
    db.migrate().await.expect("migrate");
    (t, db)
}

fn entry(i: usize) -> NewAudit {
    NewAudit {
        event_type: "provision_jit".into(),
        actor_type: "m2m".into(),
        user_identity: format!("client-{i}"),
        event_data: Some(serde_json::json!({ "n": i })),
        success: true,
        ..Default::default()
    }
}

async fn exec(db: &Db, sql: &'static str) -> Result<u64, sqlx::Error> {
    crate::on_pool!(db, p => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()))
}

/// An audit row with an explicit id and time, as another writer would insert it.
async fn insert_at(db: &Db, id: Option<i64>, at: chrono::DateTime<Utc>) -> i64 {
    let sql = "insert into audit_log (id, timestamp, event_type, actor_type, user_identity, success) \
               values (coalesce($1, (select coalesce(max(id), 0) + 1 from audit_log)), $2, 'login', 'user', 'someone', true) returning id";
    crate::on_pool!(db, p => sqlx::query_scalar::<_, i64>(sql).bind(id).bind(at).fetch_one(p).await).expect("insert")
}

/// (count, distinct `chain_seq`, min, max) over the sealed rows.
async fn chain_positions(db: &Db) -> (i64, i64, Option<i64>, Option<i64>) {
    let sql = "select count(*), count(distinct chain_seq), min(chain_seq), max(chain_seq) from audit_log where chain_seq is not null";
    crate::on_pool!(db, p => sqlx::query_as(sql).fetch_one(p).await).expect("positions")
}

async fn chain_seq_of(db: &Db, id: i64) -> i64 {
    crate::on_pool!(db, p => sqlx::query_scalar::<_, i64>("select chain_seq from audit_log where id = $1").bind(id).fetch_one(p).await).expect("chain_seq")
}

async fn concurrent_audited_writes_are_sealed_into_one_chain(backend: Backend) {
    let (_t, db) = fresh(backend).await;
    const WRITES: usize = 200;
    // Writers and sealers at once: a sealer sees whatever has committed, the rest waits.
    let writers: Vec<_> = (0..WRITES)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move { db.append_audit(entry(i)).await.expect("append") })
        })
        .collect();
    let sealers: Vec<_> = (0..3)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut sealed = 0;
                for _ in 0..10 {
                    sealed += db.seal_audit_chain().await.expect("seal");
                    tokio::task::yield_now().await;
                }
                sealed
            })
        })
        .collect();
    let mut ids = Vec::new();
    for w in writers {
        ids.push(w.await.expect("writer"));
    }
    let mut sealed = 0;
    for s in sealers {
        sealed += s.await.expect("sealer");
    }
    sealed += db.seal_audit_chain().await.expect("final seal");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((ids.len(), sealed), (WRITES, WRITES as u64), "every write got its own id and was sealed exactly once");
    assert_eq!(chain_positions(&db).await, (WRITES as i64, WRITES as i64, Some(1), Some(WRITES as i64)));
    let report = db.verify_audit_chain().await.expect("verify");
    assert_eq!((report.checked, report.first_broken_id, report.unsealed), (WRITES as u64, None, 0));
    assert_eq!(report.last_seq, Some(WRITES as i64));
    assert_eq!(db.seal_audit_chain().await.expect("nothing left"), 0);
}

async fn a_row_committed_late_is_sealed_after_the_rows_sealed_before_it(backend: Backend) {
    let (_t, db) = fresh(backend).await;
    db.append_audit(entry(0)).await.expect("append");
    let (late, after) = match &db {
        // A transaction takes an id from the sequence, and a later id commits and is sealed
        // before it: the sealer cannot see the earlier row yet.
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await.expect("begin");
            let late: i64 = sqlx::query_scalar(
                "insert into audit_log (timestamp, event_type, actor_type, user_identity, success) values ($1, 'login', 'user', 'late', true) returning id",
            )
            .bind(Utc::now())
            .fetch_one(&mut *tx)
            .await
            .expect("insert in the open transaction");
            let after = db.append_audit(entry(1)).await.expect("append");
            assert!(after > late);
            assert_eq!(db.seal_audit_chain().await.expect("seal"), 2, "the first row and the later one; the open one is invisible");
            tx.commit().await.expect("commit late");
            (late, after)
        }
        // SQLite has one writer, so no transaction holds an id while another commits; the same
        // shape is a lower id appearing after higher ones were sealed.
        Db::Sqlite(_) => {
            let after = insert_at(&db, Some(100), Utc::now()).await;
            assert_eq!(db.seal_audit_chain().await.expect("seal"), 2);
            (insert_at(&db, Some(50), Utc::now()).await, after)
        }
    };
    let before = db.verify_audit_chain().await.expect("verify");
    assert_eq!((before.checked, before.first_broken_id, before.unsealed), (2, None, 1), "the late row waits, unsealed, and is not an error");
    assert_eq!(db.seal_audit_chain().await.expect("seal the late row"), 1);
    assert!(chain_seq_of(&db, late).await > chain_seq_of(&db, after).await, "chain order is sealing order, not id order");
    let report = db.verify_audit_chain().await.expect("verify");
    assert_eq!((report.checked, report.first_broken_id, report.unsealed, report.last_id), (3, None, 0, Some(late)));
}

async fn sealed_rows_cannot_be_altered_or_removed_unnoticed(backend: Backend) {
    let (_t, db) = fresh(backend).await;
    for i in 0..5 {
        db.append_audit(entry(i)).await.expect("append");
    }
    // Before sealing, the only change the database accepts is the seal itself.
    assert!(exec(&db, "update audit_log set user_identity = 'x' where id = 3").await.is_err());
    assert!(exec(&db, "update audit_log set chain_seq = 7, prev_hash = 'a', hash = 'b', success = false where id = 3").await.is_err());
    assert_eq!(db.seal_audit_chain().await.expect("seal"), 5);
    // Sealed, a row changes no more, not even its seal.
    assert!(exec(&db, "update audit_log set hash = 'b' where id = 3").await.is_err());
    assert!(exec(&db, "delete from audit_log where id = 3").await.is_err());
    let head = db.verify_audit_chain().await.expect("verify").head_hash;

    // With the guards switched off (DDL rights), edits and deletions are still found.
    match backend {
        Backend::Sqlite => exec(&db, "drop trigger audit_log_no_update").await.and(exec(&db, "drop trigger audit_log_no_delete").await),
        Backend::Postgres => exec(&db, "alter table audit_log disable trigger user").await,
    }
    .expect("disable the guards");
    exec(&db, "update audit_log set user_identity = 'someone-else' where id = 3").await.expect("tamper");
    let r = db.verify_audit_chain().await.expect("verify");
    assert_eq!((r.first_broken_id, r.reason, r.checked), (Some(3), Some(ChainBreak::HashMismatch), 3));
    exec(&db, "update audit_log set user_identity = 'client-2' where id = 3").await.expect("restore");
    let r = db.verify_audit_chain().await.expect("verify");
    assert_eq!((r.first_broken_id, r.head_hash), (None, head), "restored exactly, the chain holds again");

    // Re-linking a row elsewhere in the chain breaks its links.
    exec(&db, "update audit_log set chain_seq = 100 where id = 2").await.expect("move");
    let r = db.verify_audit_chain().await.expect("verify");
    assert_eq!((r.first_broken_id, r.reason), (Some(3), Some(ChainBreak::ChainMismatch)));
    exec(&db, "update audit_log set chain_seq = 2 where id = 2").await.expect("move back");

    exec(&db, "delete from audit_log where id = 4").await.expect("remove");
    let r = db.verify_audit_chain().await.expect("verify");
    assert_eq!((r.first_broken_id, r.reason, r.checked), (Some(5), Some(ChainBreak::ChainMismatch), 4));
    exec(&db, "delete from audit_log where id = 5").await.expect("remove the tail");
    let r = db.verify_audit_chain().await.expect("verify");
    assert_eq!((r.first_broken_id, r.reason), (Some(5), Some(ChainBreak::ChainMismatch)), "the head remembers the removed tail");
}

async fn two_sealers_at_once_do_not_fork_the_chain(backend: Backend) {
    let (t, db) = fresh(backend).await;
    for i in 0..300 {
        db.append_audit(entry(i)).await.expect("append");
    }
    // Two processes' pools, sealing the same backlog at the same moment.
    let other = open(&t.url).await;
    let (a, b) = tokio::join!(db.seal_audit_chain(), other.seal_audit_chain());
    assert_eq!(a.expect("sealer a") + b.expect("sealer b"), 300);
    assert_eq!(chain_positions(&db).await, (300, 300, Some(1), Some(300)));
    let report = db.verify_audit_chain().await.expect("verify");
    assert_eq!((report.checked, report.first_broken_id, report.unsealed), (300, None, 0));
    other.close().await;
}

async fn verification_reports_the_unsealed_tail_and_warns_when_it_is_old(backend: Backend) {
    let (_t, db) = fresh(backend).await;
    let empty = verify_chain(&db, None, None).await.expect("verify");
    assert_eq!((empty.status.as_str(), empty.unsealed_count, empty.oldest_unsealed_age_seconds, empty.warning), ("empty", 0, None, None));

    db.append_audit(entry(0)).await.expect("append");
    let fresh_tail = verify_chain(&db, None, None).await.expect("verify");
    assert_eq!((fresh_tail.status.as_str(), fresh_tail.checked_count, fresh_tail.unsealed_count), ("empty", 0, 1));
    assert!(fresh_tail.oldest_unsealed_age_seconds.is_some_and(|a| a < 60) && fresh_tail.warning.is_none());

    // A row nobody sealed for two minutes: the sealer is not running.
    insert_at(&db, None, Utc::now() - Duration::seconds(120)).await;
    let stale = verify_chain(&db, None, None).await.expect("verify");
    assert_eq!((stale.status.as_str(), stale.unsealed_count), ("empty", 2));
    assert!(stale.oldest_unsealed_age_seconds.is_some_and(|a| a >= 120), "{stale:?}");
    assert!(stale.warning.as_deref().is_some_and(|w| w.contains("2 audit row(s) unsealed")), "{stale:?}");

    assert_eq!(db.seal_audit_chain().await.expect("seal"), 2);
    let sealed = verify_chain(&db, None, None).await.expect("verify");
    assert_eq!(
        (sealed.status.as_str(), sealed.checked_count, sealed.last_chain_seq, sealed.unsealed_count, sealed.oldest_unsealed_age_seconds, sealed.warning),
        ("ok", 2, Some(2), 0, None, None)
    );
}
