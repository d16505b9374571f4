//! SQLite's in-process write gate (issue 14): write transactions queue in the process and start
//! with the write lock (`BEGIN IMMEDIATE`), instead of meeting `SQLITE_BUSY` or sleeping in the
//! busy handler. The same transactions on PostgreSQL all commit too.

use server::config::{Config, Env};
use server::db::Db;

use crate::helpers::{Backend, TestDb};
use crate::{both_databases, on_pool};

both_databases!(concurrent_read_then_write_transactions_all_commit);

async fn open(backend: Backend) -> (TestDb, Db) {
    let test_db = TestDb::new(backend).await;
    let config = Config::from_env(&Env::from_pairs([("DATABASE_URL", test_db.url.as_str()), ("DB_POOL_MAX", "8")])).expect("config");
    let db = Db::connect(&config.database).await.expect("connect");
    on_pool!(&db, p => sqlx::query("create table gate_probe (n bigint not null)").execute(p).await.map(|_| ()).expect("create"));
    (test_db, db)
}

/// Each transaction reads, then writes what it read: on SQLite without the gate, a transaction
/// whose snapshot is older than another's commit cannot upgrade to a writer (`SQLITE_BUSY`).
async fn concurrent_read_then_write_transactions_all_commit(backend: Backend) {
    let (_test_db, db) = open(backend).await;
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            on_pool!(&db, p => {
                let mut tx = p.begin().await?;
                let n: i64 = sqlx::query_scalar("select count(*) from gate_probe").fetch_one(&mut *tx).await?;
                tokio::task::yield_now().await;
                sqlx::query("insert into gate_probe (n) values ($1)").bind(n).execute(&mut *tx).await?;
                tx.commit().await
            })
        }));
    }
    for t in tasks {
        t.await.expect("task").expect("every transaction commits");
    }
    let mut seen: Vec<i64> = on_pool!(&db, p => sqlx::query_scalar("select n from gate_probe order by n").fetch_all(p).await.expect("read"));
    assert_eq!(seen.len(), 24);
    if backend == Backend::Sqlite {
        // One writer at a time: each saw every commit before it.
        seen.dedup();
        assert_eq!(seen, (0..24).collect::<Vec<i64>>());
    }
}

/// A second write transaction waits in the process (not in SQLite's busy handler) and starts
/// once the first commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_writer_waits_for_the_gate_then_starts() {
    let (_test_db, db) = open(Backend::Sqlite).await;
    let Db::Sqlite(p) = &db else { unreachable!("a SQLite database") };
    let mut first = p.begin().await.expect("first");
    sqlx::query("insert into gate_probe (n) values (1)").execute(&mut *first).await.expect("insert");
    let mut second = Box::pin(p.begin());
    assert!(futures::poll!(&mut second).is_pending(), "a second writer started while the first held the gate");
    assert!(p.writer_active());
    first.commit().await.expect("commit");
    let mut second = second.await.expect("second starts after the commit");
    let n: i64 = sqlx::query_scalar("select count(*) from gate_probe").fetch_one(&mut *second).await.expect("count");
    assert_eq!(n, 1, "the second writer sees the first one's commit");
    second.commit().await.expect("commit");
    assert!(!p.writer_active());
}
