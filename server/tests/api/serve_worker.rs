//! `gharts serve` and its sync worker (issue 13, items 18 and 19): without GitHub the worker
//! says so once and runs no cycles; a worker that dies takes the process down non-zero, so the
//! orchestrator restarts the pod.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{BufReader, Lines};
use tokio::process::{Child, ChildStdout};

use crate::both_databases;
use crate::helpers::{Backend, TestDb, spawn_gharts};

both_databases!(without_github_the_worker_warns_once_and_runs_no_cycle, a_sync_worker_that_dies_stops_serve_non_zero);

fn serve(db: &TestDb, extra: &[(&str, &str)]) -> (Child, Lines<BufReader<ChildStdout>>) {
    let (child, _, lines) = spawn_gharts(db, extra);
    (child, lines)
}

/// Log messages up to (and including) the first that satisfies `want`.
async fn messages_until(lines: &mut Lines<BufReader<ChildStdout>>, want: impl Fn(&str) -> bool) -> Vec<String> {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            let message = serde_json::from_str::<Value>(&line).ok().and_then(|f| f["message"].as_str().map(str::to_owned)).unwrap_or(line);
            let done = want(&message);
            seen.push(message);
            if done {
                return;
            }
        }
        panic!("the log ended before the awaited line: {seen:?}");
    })
    .await
    .unwrap_or_else(|_| panic!("no awaited line within 30 s"));
    seen
}

async fn without_github_the_worker_warns_once_and_runs_no_cycle(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (child, mut lines) = serve(&db, &[]);
    let seen = messages_until(&mut lines, |m| m.starts_with("GitHub is not configured: the sync worker runs no cycles")).await;
    assert!(!seen.iter().any(|m| m.contains("sync cycle")), "{seen:?}");
    drop(child);
    // No cycle ran, so none failed and no replica took the lease.
    let pool = server::db::Db::connect(
        &server::config::DatabaseConfig::from_env(&server::config::Env::from_pairs([("DATABASE_URL", db.url.as_str())])).expect("config"),
    )
    .await
    .expect("connect");
    let (sync, lease) = pool.sync_state().await.expect("state");
    assert!(lease.holder.is_none(), "lease taken: {lease:?}");
    assert!(sync.last_sync_error.is_none() && sync.last_sync_time.is_none(), "{sync:?}");
    pool.close().await;
}

async fn a_sync_worker_that_dies_stops_serve_non_zero(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (mut child, mut lines) = serve(&db, &[("GHARTS_FAKE_GITHUB", "true"), ("GHARTS_TEST_SYNC_WORKER_PANIC", "1")]);
    messages_until(&mut lines, |m| m.contains("the sync worker ended on its own")).await;
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await.expect("exits within 10 s").expect("wait");
    assert!(!status.success(), "exit status {status:?}");
}
