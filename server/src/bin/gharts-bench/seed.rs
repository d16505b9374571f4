//! Seeding 10,000 runners and 100,000 audit rows straight into the database, and the sync phase.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use serde_json::json;
use server::config::{Config, Env};
use server::db::Db;

use crate::{AUDIT_ROWS, OTHER_RUNNERS, TEAM_RUNNERS};

/// Runners and audit rows straight into the database, in one transaction per table, many rows
/// per statement.
pub(crate) async fn seed(url: &str, team_ids: &[String]) -> anyhow::Result<()> {
    let config = Config::from_env(&Env::from_pairs([("DATABASE_URL", url), ("DB_POOL_MAX", "2")]))?;
    let db = Db::connect(&config.database).await?;
    let team: uuid::Uuid = team_ids[0].parse()?;
    let other: uuid::Uuid = team_ids[1].parse()?;
    macro_rules! seed_on {
        ($p:expr) => {{
            let p = $p;
            let have: i64 = sqlx::query_scalar("select count(*) from runners where team_id = $1").bind(team).fetch_one(p).await?;
            let now = Utc::now();
            let mut tx = p.begin().await?;
            let rows: Vec<(uuid::Uuid, i64)> = (0..(TEAM_RUNNERS - have).max(0)).map(|i| (team, i)).chain((0..OTHER_RUNNERS).map(|i| (other, TEAM_RUNNERS + i))).collect();
            for chunk in rows.chunks(500) {
                let mut sql = String::from("insert into runners (id, runner_name, status, runner_group_id, labels, ephemeral, team_id, provisioned_by, actor_type, created_at, updated_at, github_runner_id) values ");
                for (k, _) in chunk.iter().enumerate() {
                    let b = k * 5;
                    sql.push_str(&format!("{}(${}, ${}, 'idle', 1, '[\"self-hosted\", \"linux\", \"x64\"]', true, ${}, 'seed', 'm2m', ${}, ${}, ${})", if k > 0 { "," } else { "" }, b + 1, b + 2, b + 3, b + 4, b + 4, b + 5));
                }
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (t, i) in chunk {
                    q = q.bind(uuid::Uuid::new_v4()).bind(format!("seed-{i}")).bind(*t).bind(now - chrono::Duration::seconds(100_000 - i)).bind(1_000_000 + i);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;

            // The audit log: unsealed rows as requests write them (ids from the table), sealed
            // into the chain below by the same sealer the server runs.
            let existing: i64 = sqlx::query_scalar("select count(*) from audit_log").fetch_one(p).await?;
            let mut tx = p.begin().await?;
            let events = ["runner_deleted", "runner_state_changed", "runner_state_changed", "provision_jit"];
            let ids: Vec<i64> = (existing + 1..=AUDIT_ROWS.max(existing)).collect();
            let start = now - chrono::Duration::days(30);
            for chunk in ids.chunks(400) {
                let mut sql = String::from("insert into audit_log (timestamp, event_type, actor_type, user_identity, team_id, event_data, success) values ");
                for k in 0..chunk.len() {
                    let b = k * 7;
                    sql.push_str(&format!("{}(${}, ${}, ${}, ${}, ${}, ${}, ${})", if k > 0 { "," } else { "" }, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7));
                }
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    let ts = server::db::now().min(start + chrono::Duration::seconds(*id * 20));
                    let team_id = if id % 2 == 0 { team } else { other };
                    let data = json!({ "runner_name": format!("seed-{id}"), "labels": ["linux", "x64"] }).to_string();
                    q = q.bind(ts).bind(events[(*id % 4) as usize]).bind("m2m").bind("m2m-a").bind(team_id).bind(data).bind(true);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }};
    }
    match &db {
        Db::Sqlite(p) => seed_on!(p),
        Db::Postgres(p) => seed_on!(p),
    }
    db.seal_audit_chain().await?;
    // What autovacuum does after this many changes on a production server (it is off on some
    // test machines): without statistics PostgreSQL guesses a plan (the audit filter read
    // 25,000 rows through a bitmap and sorted them: 659 ms p50 at c=16), and without a vacuum
    // every count reads the heap, half of it dead rows left by sealing. SQLite never analyzes
    // on its own, and the server does not either.
    if let Db::Postgres(p) = &db {
        sqlx::query("vacuum analyze").execute(p).await?;
    }
    db.close().await;
    Ok(())
}

/// Two sync cycles over every runner the database holds with a GitHub id, in this process
/// (the server is stopped): the real App client against an in-process fake GitHub that reports
/// them online. The first cycle updates every runner, the second finds nothing to change.
pub(crate) async fn sync_bench(url: &str) -> anyhow::Result<()> {
    use server::github::GitHubRunner;
    use server::github::fake::FakeGitHub;
    use server::github::fake_server::{FakeServer, FakeServerConfig};
    use server::state::AppState;
    let config = Config::from_env(&Env::from_pairs([("DATABASE_URL", url), ("DB_POOL_MAX", "4")]))?;
    let db = Db::connect(&config.database).await?;
    let rows: Vec<(i64, String)> = match &db {
        Db::Sqlite(p) => {
            sqlx::query_as("select github_runner_id, runner_name from runners where github_runner_id is not null and status <> 'deleted'").fetch_all(p).await?
        }
        Db::Postgres(p) => {
            sqlx::query_as("select github_runner_id, runner_name from runners where github_runner_id is not null and status <> 'deleted'").fetch_all(p).await?
        }
    };
    let fake = Arc::new(FakeGitHub::new());
    for (id, name) in &rows {
        fake.put_runner(GitHubRunner {
            id: *id,
            name: name.clone(),
            status: "online".into(),
            busy: false,
            labels: vec!["self-hosted".into(), "linux".into(), "x64".into()],
            read_only_labels: vec![],
            runner_group_id: Some(1),
        });
    }
    let server_cfg = FakeServerConfig {
        app_id: 1,
        app_public_key_pem: include_str!("../../../tests/fixtures/github-app-test-key.pub.pem").to_owned(),
        org: "bench".into(),
        installation_id: 1,
        token_lifetime: chrono::TimeDelta::hours(1),
    };
    let github = FakeServer::new(server_cfg, fake.clone())?;
    let gh_url = github.spawn().await?;
    let env = Env::from_pairs([
        ("DATABASE_URL", url),
        ("LOG_LEVEL", "warn"),
        ("GITHUB_APP_ID", "1"),
        ("GITHUB_INSTALLATION_ID", "1"),
        ("GITHUB_ORG", "bench"),
        ("GITHUB_API_URL", gh_url.as_str()),
        ("GITHUB_APP_PRIVATE_KEY", include_str!("../../../tests/fixtures/github-app-test-key.pem")),
    ]);
    let config = Config::from_env(&env)?;
    let client = server::github::from_config(&config, &server::metrics::Metrics::new())?.ok_or_else(|| anyhow::anyhow!("GitHub not configured"))?;
    let state = AppState::new(config, db.clone())?.with_github(client);
    for label in ["sync first (updates all)", "sync steady (no change)"] {
        let calls = github.count("GET /orgs/bench/actions/runners");
        let t = Instant::now();
        let report = server::services::sync::run_and_record(&state).await?;
        println!(
            "{label:<34} runners={} duration={:.0}ms github_list_calls={} updated={} unchanged={} (in the bench process)",
            fake.runner_count(),
            t.elapsed().as_secs_f64() * 1000.0,
            github.count("GET /orgs/bench/actions/runners") - calls,
            report.updated,
            report.unchanged
        );
    }
    db.close().await;
    Ok(())
}
