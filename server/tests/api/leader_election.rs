//! Two real `gharts` processes on one database (a SQLite file, or one PostgreSQL database):
//! exactly one holds the sync lease; killing it (-9) hands the lease over within 15 s with
//! default settings; a leader stopping with SIGTERM releases it at once.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{BufReader, Lines};
use tokio::process::{Child, ChildStdout};

use crate::both_databases;
use crate::helpers::{Backend, TestDb, spawn_gharts};

struct Replica {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    holder: Option<String>,
}

impl Replica {
    fn start(db: &TestDb, lease_seconds: Option<u64>) -> Self {
        let lease = lease_seconds.map(|s| s.to_string());
        let mut env = vec![("GHARTS_FAKE_GITHUB", "true"), ("LOG_LEVEL", "info,server::services::sync_worker=debug")];
        env.extend(lease.as_deref().map(|s| ("SYNC_LEASE_SECONDS", s)));
        let (child, _, lines) = spawn_gharts(db, &env);
        Self { child, lines, holder: None }
    }

    /// Reads the log until a sync-worker line satisfying `want`; returns its fields.
    async fn until(&mut self, within: Duration, want: impl Fn(&Value) -> bool) -> Value {
        let found = tokio::time::timeout(within, async {
            while let Ok(Some(line)) = self.lines.next_line().await {
                let Ok(fields) = serde_json::from_str::<Value>(&line) else { continue };
                if let Some(h) = fields["holder"].as_str() {
                    self.holder = Some(h.to_owned());
                }
                if want(&fields) {
                    return Some(fields);
                }
            }
            None
        })
        .await;
        found.ok().flatten().unwrap_or_else(|| panic!("no such log line within {within:?}"))
    }

    async fn becomes_leader(&mut self, within: Duration) {
        self.until(within, |f| f["message"] == "sync leadership changed" && f["to"] == "leader").await;
    }

    async fn stands_by(&mut self) {
        self.until(Duration::from_secs(20), |f| f["message"] == "sync lease held by another replica; standing by").await;
    }
}

async fn lease_holder(db: &TestDb) -> Option<String> {
    let pool = server::db::Db::connect(
        &server::config::DatabaseConfig::from_env(&server::config::Env::from_pairs([("DATABASE_URL", db.url.as_str())])).expect("config"),
    )
    .await
    .expect("connect");
    let (_, lease) = pool.sync_state().await.expect("state");
    pool.close().await;
    lease.holder
}

/// A leader and a standby on one database.
async fn pair(backend: Backend, lease_seconds: Option<u64>) -> (TestDb, Replica, Replica) {
    let db = TestDb::new(backend).await;
    let mut a = Replica::start(&db, lease_seconds);
    a.becomes_leader(Duration::from_secs(30)).await;
    let mut b = Replica::start(&db, lease_seconds);
    b.stands_by().await;
    assert_ne!(a.holder, b.holder, "two processes on one host have different identities");
    assert_eq!(lease_holder(&db).await, a.holder, "exactly one leader");
    (db, a, b)
}

both_databases!(a_killed_leader_is_replaced_within_15_seconds, a_leader_stopping_gracefully_hands_over_at_once);

async fn a_killed_leader_is_replaced_within_15_seconds(backend: Backend) {
    let (db, mut a, mut b) = pair(backend, None).await;
    a.child.kill().await.expect("kill -9");
    let killed = Instant::now();
    b.becomes_leader(Duration::from_secs(15)).await;
    assert!(killed.elapsed() < Duration::from_secs(15));
    assert_eq!(lease_holder(&db).await, b.holder);
}

async fn a_leader_stopping_gracefully_hands_over_at_once(backend: Backend) {
    // With a 60 s lease an expired lease would take a minute; a released one is taken at the
    // standby's next poll (every 20 s).
    let (db, mut a, mut b) = pair(backend, Some(60)).await;
    let pid = a.child.id().expect("pid");
    let status = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status().expect("kill");
    assert!(status.success());
    let stopped = Instant::now();
    assert!(a.child.wait().await.expect("wait").success(), "clean exit on SIGTERM");
    b.becomes_leader(Duration::from_secs(25)).await;
    assert!(stopped.elapsed() < Duration::from_secs(25), "taken over without waiting for expiry");
    assert_eq!(lease_holder(&db).await, b.holder);
}

/// The lease is judged by PostgreSQL's clock, not each replica's: a replica whose clock runs an
/// hour fast cannot take a lease another replica renewed a moment ago. (SQLite replicas share
/// one host, hence one clock.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_with_a_fast_clock_cannot_take_a_live_lease() {
    if !crate::helpers::postgres_available("leader_election::a_replica_with_a_fast_clock_cannot_take_a_live_lease") {
        return;
    }
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let ttl = Duration::from_secs(10);
    let real = server::db::now();
    assert!(app.db.try_acquire_lease_at("replica-a", ttl, real).await.expect("lease"));
    let fast = real + chrono::TimeDelta::hours(1);
    assert!(!app.db.try_acquire_lease_at("replica-b", ttl, fast).await.expect("lease"), "the fast clock took a live lease");
    // A slow clock cannot keep a lease alive past its expiry either: renewing sets the database's time.
    let slow = real - chrono::TimeDelta::hours(1);
    assert!(app.db.try_acquire_lease_at("replica-a", ttl, slow).await.expect("renew"));
    let (_, lease) = app.db.sync_state().await.expect("state");
    let expires = lease.expires_at.expect("expiry");
    assert!(expires > real && expires <= server::db::now() + chrono::TimeDelta::seconds(11), "expiry {expires} from the database clock");
}
