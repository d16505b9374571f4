//! `make bench`: starts GHARTS in-process with the fake GitHub on a fresh database and prints
//! provisioning throughput and latency at 16 and 64 concurrent callers, list latency over
//! 10,000 runners (the admin's view and one team's), and peak RSS. The fake answers at once, so
//! provisioning latency here is GHARTS's own overhead.
//!
//! `BENCH_DATABASE_URL` picks the database (default: a SQLite file in a temp dir).

use std::sync::Arc;
use std::time::{Duration, Instant};

use server::config::{Config, Env};
use server::github::fake::FakeGitHub;
use server::state::AppState;

const PASSWORD: &str = "bench-password-123";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

async fn provision_round(client: &reqwest::Client, base: &str, concurrency: usize, total: usize, tag: &str) -> (Vec<Duration>, Duration, usize) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, base, next, tag) = (client.clone(), base.to_owned(), next.clone(), tag.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let resp = client
                    .post(format!("{base}/api/v1/runners/jit"))
                    .header("x-requested-with", "gharts")
                    .json(&serde_json::json!({ "runner_name": format!("{tag}-{i}"), "team_name": "bench", "labels": ["linux", "x64"] }))
                    .send()
                    .await;
                lat.push(t.elapsed());
                if !resp.is_ok_and(|r| r.status() == 201) {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("task");
        all.extend(lat);
        errors += e;
    }
    let wall = started.elapsed();
    all.sort();
    (all, wall, errors)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile_dir();
    let db_url = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{dir}/bench.db"));
    let env = Env::from_pairs([("DATABASE_URL", db_url.as_str()), ("BOOTSTRAP_ADMIN_PASSWORD", PASSWORD), ("DB_POOL_MAX", "16"), ("LOG_LEVEL", "warn")]);
    let config = Config::from_env(&env)?;
    let db = server::prepare(&config).await?;
    let fake = Arc::new(FakeGitHub::new());
    let state = AppState::new(config, db.clone())?.with_github(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::run(state, listener, async move {
        let _ = rx.await;
    }));

    let client = reqwest::Client::builder().cookie_store(true).pool_max_idle_per_host(128).build()?;
    let login = client
        .post(format!("{base}/auth/local-login"))
        .header("x-requested-with", "gharts")
        .json(&serde_json::json!({ "username": "admin", "password": PASSWORD }))
        .send()
        .await?;
    anyhow::ensure!(login.status() == 200, "login failed: {}", login.status());
    let team =
        client.post(format!("{base}/api/v1/admin/teams")).header("x-requested-with", "gharts").json(&serde_json::json!({ "name": "bench" })).send().await?;
    anyhow::ensure!(team.status() == 201, "team: {}", team.status());

    println!("GHARTS benchmark ({}; fake GitHub in-process; 2 cores shared with the load generator)", db.kind());
    // Warm-up.
    provision_round(&client, &base, 4, 100, "warm").await;
    for (concurrency, total) in [(16, 2000), (64, 2000)] {
        let (lat, wall, errors) = provision_round(&client, &base, concurrency, total, &format!("c{concurrency}")).await;
        println!(
            "provision  concurrency={concurrency:<3} requests={total} errors={errors} throughput={:.0}/s p50={:.2}ms p99={:.2}ms",
            total as f64 / wall.as_secs_f64(),
            percentile(&lat, 0.50).as_secs_f64() * 1000.0,
            percentile(&lat, 0.99).as_secs_f64() * 1000.0,
        );
    }

    // Bring the table to 10,000 runners, then time paginated list calls.
    let have = 4100;
    let (_, _, errors) = provision_round(&client, &base, 32, 10_000 - have, "fill").await;
    anyhow::ensure!(errors == 0, "fill errors: {errors}");
    let team_id = team_id(&client, &base).await?;
    // The admin's view, and a team's view (`team_id=`: the same query as an M2M client of the
    // team sees): first pages as a pipeline reads them, then pages across the list.
    for (label, filter) in [("admin", String::new()), ("team", format!("&team_id={team_id}"))] {
        for (pages, spread) in [("first", false), ("any", true)] {
            let mut lat = Vec::new();
            for i in 0..500 {
                let offset = if spread { (i * 97) % 9_950 } else { 0 };
                let t = Instant::now();
                let resp = client.get(format!("{base}/api/v1/runners?limit=50&offset={offset}{filter}")).send().await?;
                anyhow::ensure!(resp.status() == 200);
                let _ = resp.bytes().await?;
                lat.push(t.elapsed());
            }
            lat.sort();
            println!(
                "list       view={label:<5} pages={pages:<5} runners=10000 page=50 requests=500 p50={:.2}ms p99={:.2}ms",
                percentile(&lat, 0.50).as_secs_f64() * 1000.0,
                percentile(&lat, 0.99).as_secs_f64() * 1000.0
            );
        }
    }
    sync_bench(&db_url, db.clone(), fake).await?;
    println!("peak RSS (server + load generator + fake GitHub, one process): {:.1} MiB", peak_rss_mib());
    let _ = tx.send(());
    server.await??;
    Ok(())
}

/// The bench team's id.
async fn team_id(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let teams: serde_json::Value = client.get(format!("{base}/api/v1/admin/teams?limit=100")).send().await?.json().await?;
    teams["teams"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == "bench"))
        .and_then(|t| t["id"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no bench team"))
}

/// Sync cycles over the 10,000 runners, through the real App client and the fake GitHub's
/// HTTP API (100 pages): the first cycle updates every runner, the second finds no change.
async fn sync_bench(db_url: &str, db: server::db::Db, fake: Arc<FakeGitHub>) -> anyhow::Result<()> {
    use server::github::fake_server::{FakeServer, FakeServerConfig};
    let server_cfg = FakeServerConfig {
        app_id: 1,
        app_public_key_pem: include_str!("../../tests/fixtures/github-app-test-key.pub.pem").to_owned(),
        org: "bench".into(),
        installation_id: 1,
        token_lifetime: chrono::TimeDelta::hours(1),
    };
    let github = FakeServer::new(server_cfg, fake.clone())?;
    let url = github.spawn().await?;
    let env = Env::from_pairs([
        ("DATABASE_URL", db_url),
        ("LOG_LEVEL", "warn"),
        ("GITHUB_APP_ID", "1"),
        ("GITHUB_INSTALLATION_ID", "1"),
        ("GITHUB_ORG", "bench"),
        ("GITHUB_API_URL", url.as_str()),
        ("GITHUB_APP_PRIVATE_KEY", include_str!("../../tests/fixtures/github-app-test-key.pem")),
    ]);
    let config = Config::from_env(&env)?;
    let client = server::github::from_config(&config, &server::metrics::Metrics::new())?.expect("GitHub configured");
    let state = AppState::new(config, db)?.with_github(client);
    for r in fake.runners() {
        fake.set_state(r.id, "online", false);
    }
    for label in ["first (10,000 updates)", "steady (no change)"] {
        let calls = github.count("GET /orgs/bench/actions/runners");
        let t = Instant::now();
        let report = server::services::sync::run_and_record(&state).await?;
        println!(
            "sync       {label:<22} runners={} duration={:.0}ms github_list_calls={} updated={} unchanged={}",
            fake.runner_count(),
            t.elapsed().as_secs_f64() * 1000.0,
            github.count("GET /orgs/bench/actions/runners") - calls,
            report.updated,
            report.unchanged
        );
    }
    Ok(())
}

fn tempfile_dir() -> String {
    let dir = std::env::temp_dir().join(format!("gharts-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir.display().to_string()
}
