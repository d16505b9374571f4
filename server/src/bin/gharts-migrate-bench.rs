//! `make bench-migrate`: how long moving in takes at scale. Builds, in a temp dir, a Python
//! GHARTS database the size of a real organisation (500 users, 200 teams, 30,000 runners,
//! 5,000 audit rows, 1,000 security events) and imports it; then a GHARTS database with
//! 100,000 audit rows, and copies it. Prints the times; asserts nothing.
//!
//! `BENCH_TARGET_URL` is where the copy goes (default: a SQLite file in the temp dir); what it
//! holds is replaced.

use std::time::Instant;

use chrono::{Duration, Utc};
use server::config::{Config, Env};
use server::db::Db;
use server::db::audit::{GENESIS_HASH, NewAudit, chain_hash};
use server::services::migrate::{copy, python_import};

const PYTHON_SCHEMA: &str = include_str!("../../tests/fixtures/python-gharts-schema.sql");
const TEAMS: usize = 200;
const USERS: usize = 500;
const RUNNERS: usize = 30_000;
const PY_AUDIT: usize = 5_000;
const PY_EVENTS: usize = 1_000;
const AUDIT_ROWS: i64 = 100_000;

async fn open(url: &str) -> anyhow::Result<Db> {
    let config = Config::from_env(&Env::from_pairs([("DATABASE_URL", url)]))?;
    Ok(Db::connect(&config.database).await?)
}

fn sqlite(db: &Db) -> &sqlx::SqlitePool {
    match db {
        Db::Sqlite(p) => p.pool(),
        Db::Postgres(_) => unreachable!("the benchmark's sources are SQLite"),
    }
}

/// A Python GHARTS database with an organisation's worth of rows.
async fn python_source(db: &Db) -> anyhow::Result<()> {
    let p = sqlite(db);
    for stmt in PYTHON_SCHEMA.replace("{ts}", "datetime").replace("{serial}", "integer not null primary key").split(';').filter(|s| !s.trim().is_empty()) {
        sqlx::query(sqlx::AssertSqlSafe(stmt.to_owned())).execute(p).await?;
    }
    let t = "2025-06-01 12:00:00.123456";
    let team = |i: usize| format!("00000000-0000-4000-8000-{i:012}");
    let user = |i: usize| format!("00000000-0000-4000-9000-{i:012}");
    let mut tx = p.begin().await?;
    for i in 0..TEAMS {
        sqlx::query("insert into teams values ($1, $2, null, '[\"linux\"]', '[\"gpu\", \"team-.*\"]', 50, $3, null, null, null, $4, $4, 'cli')")
            .bind(team(i))
            .bind(format!("team-{i}"))
            .bind(i % 10 != 0)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        sqlx::query("insert into oauth_clients values ($1, $2, $3, null, true, $4, 'cli', $4)")
            .bind(format!("00000000-0000-4000-a000-{i:012}"))
            .bind(format!("ci-{i}"))
            .bind(team(i))
            .bind(t)
            .execute(&mut *tx)
            .await?;
    }
    for i in 0..USERS {
        sqlx::query("insert into users values ($1, $2, $3, null, $4, true, true, $5, $5, $5, 'cli')")
            .bind(user(i))
            .bind(format!("user{i}@example.com"))
            .bind(format!("sub-{i}"))
            .bind(i < 5)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        for k in 0..2 {
            sqlx::query("insert into user_team_memberships values ($1, $2, $3, $4, 'cli')")
                .bind(format!("m-{i}-{k}"))
                .bind(user(i))
                .bind(team((i + k * 7) % TEAMS))
                .bind(t)
                .execute(&mut *tx)
                .await?;
        }
    }
    let statuses = ["deleted", "deleted", "deleted", "online", "active", "offline", "pending"];
    for i in 0..RUNNERS {
        sqlx::query("insert into runners values ($1, $2, $3, 1, '[\"self-hosted\", \"linux\"]', true, false, $4, $5, $6, null, $7, 'https://github.com/acme', $8, $8, $8, null)")
            .bind(format!("00000000-0000-4000-b000-{i:012}"))
            .bind(format!("runner-{i}"))
            .bind(i64::try_from(i)?)
            .bind(format!("user{}@example.com", i % USERS))
            .bind(format!("sub-{}", i % USERS))
            .bind(team(i % TEAMS))
            .bind(statuses[i % statuses.len()])
            .bind(t)
            .execute(&mut *tx)
            .await?;
    }
    for i in 0..PY_AUDIT {
        sqlx::query("insert into audit_log (event_type, team_id, user_identity, event_data, success, timestamp) values ('provision_jit', $1, $2, '{\"labels\": [\"linux\"]}', true, $3)")
            .bind(team(i % TEAMS))
            .bind(format!("user{}@example.com", i % USERS))
            .bind(t)
            .execute(&mut *tx)
            .await?;
    }
    for i in 0..PY_EVENTS {
        sqlx::query("insert into security_events (event_type, severity, team_id, user_identity, violation_data, action_taken, timestamp) values ('quota_exceeded', 'low', $1, 'x', '{}', 'rejected', $2)")
            .bind(team(i % TEAMS))
            .bind(t)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A GHARTS database whose audit log holds `AUDIT_ROWS` chained rows.
async fn audit_source(db: &Db) -> anyhow::Result<()> {
    db.migrate().await?;
    let p = sqlite(db);
    let mut tx = p.begin().await?;
    let (mut prev, start) = (GENESIS_HASH.to_owned(), Utc::now() - Duration::days(365));
    for id in 1..=AUDIT_ROWS {
        let ts = start + Duration::seconds(id);
        let ts = ts - Duration::nanoseconds(i64::from(ts.timestamp_subsec_nanos()));
        let row = NewAudit {
            event_type: "provision_jit".into(),
            actor_type: "user".into(),
            user_identity: format!("user{}@example.com", id % 500),
            event_data: Some(serde_json::json!({ "labels": ["linux", "x64"], "runner_group_id": 1 })),
            success: true,
            ..Default::default()
        };
        let hash = chain_hash(&prev, id, &ts, &row);
        sqlx::query("insert into audit_log (id, timestamp, event_type, actor_type, user_identity, event_data, success, prev_hash, hash, chain_seq) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $1)")
            .bind(id)
            .bind(ts)
            .bind(&row.event_type)
            .bind(&row.actor_type)
            .bind(&row.user_identity)
            .bind(row.event_data.as_ref().map(|v| v.to_string()))
            .bind(row.success)
            .bind(&prev)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        prev = hash;
    }
    sqlx::query("update audit_chain_head set last_id = $1, last_seq = $1, last_hash = $2 where singleton = 1")
        .bind(AUDIT_ROWS)
        .bind(&prev)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("gharts-migrate-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = |name: &str| format!("sqlite://{}", dir.join(name).display());

    let py = open(&url("python.db")).await?;
    python_source(&py).await?;
    let target = open(&url("imported.db")).await?;
    target.migrate().await?;
    let started = Instant::now();
    let opts = python_import::Options { default_runner_group_id: 1, skip_invalid: false, dry_run: false };
    let outcome = python_import::import(&py, &target, opts).await?;
    let took = started.elapsed();
    let rows: usize = outcome.report.counts.iter().map(|(_, _, n)| n).sum();
    println!("import python-gharts: {rows} rows ({TEAMS} teams, {USERS} users, {RUNNERS} runners, {PY_AUDIT} audit rows) in {:.2} s", took.as_secs_f64());

    let src = open(&url("audit.db")).await?;
    audit_source(&src).await?;
    let dst_url = std::env::var("BENCH_TARGET_URL").unwrap_or_else(|_| url("copy.db"));
    let dst = open(&dst_url).await?;
    let started = Instant::now();
    let plan = copy::plan(&src, &dst, true).await?;
    let outcome = copy::execute(&src, &dst, &plan, true, |_, _| {}).await?;
    println!(
        "db copy sqlite -> {}: {AUDIT_ROWS} audit rows in {:.2} s (chain {} after the copy; the verification is included)",
        dst.kind(),
        started.elapsed().as_secs_f64(),
        outcome.target_chain.status
    );
    for db in [py, target, src, dst] {
        db.close().await;
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
