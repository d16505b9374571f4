//! `make bench`: GHARTS measured the way CI pipelines use it. The release `gharts` binary runs as
//! its own process (so its CPU and memory are its own, read from `/proc/<pid>`), against the
//! `fake-github` process (the real App client over HTTP; GitHub calls counted at the fake) and
//! the OpenID Provider test peer (`end2end/oidc/provider.mjs`, real RS256 keys).
//!
//! Per database (SQLite in a temp file; PostgreSQL in a fresh database it creates and drops), it
//! prints for each phase: throughput, p50/p99, answers by status, the server's own CPU-ms per
//! request (utime + stime of the `gharts` process ÷ requests), its peak RSS in the phase (`VmHWM`,
//! reset between phases through `/proc/<pid>/clear_refs`), and GitHub calls per created runner:
//! - idle RSS after start-up;
//! - provisioning with M2M bearer tokens (client credentials, bound to the team's M2M client)
//!   at 16, 64 and 256 concurrent callers;
//! - after seeding 10,000 runners of one team and 100,000 audit rows directly in SQL: the first
//!   page (50) of the team's runners for each visibility — an admin session (`team_id=`), the
//!   team's M2M token, and the OIDC access token of a user who is a member of two teams;
//! - webhook deliveries (`workflow_job` started and completed on runners it made, signed);
//! - the audit log: a filter with paging (admin), and the JSONL export of 100,000 rows;
//! - then, with the server stopped, two sync cycles over the ~12,000 runners in this process.
//!
//! Environment: `BENCH_DATABASE_URL` (`sqlite` or a `postgres://` server URL; default both,
//! PostgreSQL when `postgres://postgres@127.0.0.1:5432` answers), `BENCH_QUICK=1` (fewer
//! requests: a smoke run). Every other variable is passed to `gharts`, so the knobs of README
//! "Performance" can be tried (`DB_POOL_MAX=4 make bench`). Nothing is asserted.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::process::Command;

mod measure;
mod peers;
mod seed;
mod webhooks;

use measure::{MakeRequest, Phase, Proc, drive, percentile, table};
use peers::{Peers, free_port, github_calls, repo, start_peers};
use seed::{seed, sync_bench};
use server::oidc::peer_tokens::{client_credentials_token, code_flow_token};
use webhooks::{hooked_runners, webhook_delivery};

const PASSWORD: &str = "bench-password-123";
const TEAM_RUNNERS: i64 = 10_000;
const OTHER_RUNNERS: i64 = 2_000;
const AUDIT_ROWS: i64 = 100_000;
const PG_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// The webhook secret `gharts` runs with; deliveries are signed with it as GitHub signs them.
const WEBHOOK_SECRET: &str = "bench-webhook-secret";
/// Runners the webhook phase reports jobs for.
const HOOKED_RUNNERS: usize = 32;

/// Where a run's database lives, and how to remove it.
enum Target {
    Sqlite { url: String },
    Postgres { url: String, admin: String, name: String },
}

impl Target {
    fn url(&self) -> &str {
        match self {
            Target::Sqlite { url } | Target::Postgres { url, .. } => url,
        }
    }

    async fn drop_database(&self) {
        if let Target::Postgres { admin, name, .. } = self
            && let Ok(pool) = sqlx::PgPool::connect(admin).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("drop database if exists \"{name}\" with (force)"))).execute(&pool).await;
        }
    }
}

async fn targets(dir: &Path) -> Vec<Target> {
    let wanted = std::env::var("BENCH_DATABASE_URL").ok();
    let sqlite = || Target::Sqlite { url: format!("sqlite://{}/bench.db", dir.display()) };
    let pg = |admin: String| {
        let name = format!("gharts_bench_{}", std::process::id());
        let mut url = reqwest::Url::parse(&admin).expect("postgres URL");
        url.set_path(&name);
        Target::Postgres { url: url.to_string(), admin, name }
    };
    match wanted.as_deref() {
        Some(u) if u.starts_with("sqlite") => vec![sqlite()],
        Some(u) if u.starts_with("postgres") => vec![pg(u.to_owned())],
        _ => {
            let mut v = vec![sqlite()];
            match tokio::time::timeout(Duration::from_secs(3), sqlx::PgPool::connect(PG_DEFAULT)).await {
                Ok(Ok(_)) => v.push(pg(PG_DEFAULT.to_owned())),
                _ => println!("(PostgreSQL at {PG_DEFAULT} does not answer: SQLite only)"),
            }
            v
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let dir = std::env::temp_dir().join(format!("gharts-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let peers = start_peers(&dir).await?;
    let ticks: f64 =
        std::process::Command::new("getconf").arg("CLK_TCK").output().ok().and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok()).unwrap_or(100.0);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "GHARTS benchmark: release gharts process, fake-github process, OpenID Provider peer; {cores} cores shared by all; load average at start {}",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    let mut summaries = Vec::new();
    for target in targets(&dir).await {
        let result = run(&peers, &target, ticks, quick).await;
        target.drop_database().await;
        summaries.push(result?);
    }
    for s in summaries {
        println!("{s}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// One database: start gharts, run the phases, print; returns the README table.
async fn run(peers: &Peers, target: &Target, ticks_per_sec: f64, quick: bool) -> anyhow::Result<String> {
    if let Target::Postgres { admin, name, .. } = target {
        let pool = sqlx::PgPool::connect(admin).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("drop database if exists \"{name}\" with (force)"))).execute(&pool).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("create database \"{name}\""))).execute(&pool).await?;
    }
    let kind = if matches!(target, Target::Sqlite { .. }) { "sqlite" } else { "postgres" };
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let exe_dir = std::env::current_exe()?.parent().map(Path::to_path_buf).unwrap_or_default();
    let key = repo().join("server/tests/fixtures/github-app-test-key.pem");
    let mut child = Command::new(exe_dir.join("gharts"))
        .env("DATABASE_URL", target.url())
        .env("GHARTS_ADDR", format!("127.0.0.1:{port}"))
        .env("BOOTSTRAP_ADMIN_PASSWORD", PASSWORD)
        .env("GITHUB_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("LOG_LEVEL", std::env::var("LOG_LEVEL").unwrap_or_else(|_| "warn".into()))
        .env("OIDC_ISSUER", &peers.oidc_issuer)
        .env("OIDC_AUDIENCE", "gharts-api")
        .env("GITHUB_API_URL", &peers.github_url)
        .env("GITHUB_ORG", "bench")
        .env("GITHUB_APP_ID", "1")
        .env("GITHUB_INSTALLATION_ID", "1")
        .env("GITHUB_APP_PRIVATE_KEY_PATH", key)
        .env("SYNC_ENABLED", "false")
        .env_remove("GHARTS_FAKE_GITHUB")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let proc = Proc { pid: child.id().ok_or_else(|| anyhow::anyhow!("gharts exited"))?, ticks_per_sec };
    let http = reqwest::Client::builder().pool_max_idle_per_host(512).build()?;
    let started = Instant::now();
    loop {
        if http.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            break;
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(60), "gharts did not become ready");
        if let Ok(Some(st)) = child.try_wait() {
            anyhow::bail!("gharts exited: {st}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_start = (proc.rss(), proc.anon());
    println!(
        "\n== {kind} ==\nidle RSS after start-up: {:.1} MiB, {:.1} MiB of it anonymous (started in {:.2} s)",
        idle_start.0,
        idle_start.1,
        started.elapsed().as_secs_f64()
    );

    // The administrator's session, two teams, the team's M2M client, a user in both teams.
    let admin = reqwest::Client::builder().cookie_store(true).pool_max_idle_per_host(512).build()?;
    let post = |path: &str, body: Value| admin.post(format!("{base}{path}")).header("x-requested-with", "gharts").json(&body).send();
    let login = post("/auth/local-login", json!({ "username": "admin", "password": PASSWORD })).await?;
    anyhow::ensure!(login.status() == 200, "login: {}", login.status());
    let mut team_ids = Vec::new();
    for name in ["bench", "other"] {
        let resp = post("/api/v1/admin/teams", json!({ "name": name })).await?;
        anyhow::ensure!(resp.status() == 201, "team: {}", resp.status());
        let v: Value = resp.json().await?;
        team_ids.push(v["id"].as_str().unwrap_or_default().to_owned());
    }
    let resp = post("/api/v1/admin/oauth-clients", json!({ "client_id": "m2m-a", "team_id": team_ids[0] })).await?;
    anyhow::ensure!(resp.status() == 201, "oauth client: {}", resp.status());
    let resp = post("/api/v1/admin/users", json!({ "email": "alice@example.com", "oidc_sub": "alice-sub", "team_ids": team_ids })).await?;
    anyhow::ensure!(resp.status() == 201, "user: {}", resp.status());
    let m2m = client_credentials_token(&peers.oidc_issuer, "m2m-a").await?;
    let alice = code_flow_token(&peers.oidc_issuer, "gharts-ui", "gharts-ui-secret", "alice").await?;

    let mut phases: Vec<Phase> = Vec::new();
    let measure = |label: String, requests: usize, lat: &[Duration], st: BTreeMap<u16, usize>, wall: Duration, cpu: f64, peak: f64| Phase {
        label,
        requests,
        by_status: st,
        throughput: requests as f64 / wall.as_secs_f64(),
        p50: percentile(lat, 0.50),
        p99: percentile(lat, 0.99),
        cpu_ms: cpu * 1000.0 / requests as f64,
        peak_mib: peak,
        ..Default::default()
    };

    // Warm-up (token keys fetched, connections open), then provisioning.
    let provision = |tag: String| -> MakeRequest {
        let (base, token) = (base.clone(), m2m.clone());
        Arc::new(move |c: &reqwest::Client, i| {
            c.post(format!("{base}/api/v1/runners/jit")).bearer_auth(&token).json(&json!({ "runner_name": format!("{tag}-{i}"), "labels": ["linux", "x64"] }))
        })
    };
    drive(&http, 4, 50, provision(format!("{kind}-warm"))).await;
    let n = if quick { 512 } else { 2560 };
    for c in [16, 64, 256] {
        proc.reset_peak();
        let (cpu0, gh0) = (proc.cpu(), github_calls(peers).await?);
        let (lat, st, wall) = drive(&http, c, n, provision(format!("{kind}-c{c}"))).await;
        let (cpu, gh) = (proc.cpu() - cpu0, github_calls(peers).await? - gh0);
        let created = st.get(&201).copied().unwrap_or(0);
        let mut p = measure(format!("provision M2M c={c}"), n, &lat, st, wall, cpu, proc.peak());
        p.github_per_runner = (created > 0).then(|| gh as f64 / created as f64);
        p.print();
        phases.push(p);
    }

    // Webhook deliveries: jobs starting and finishing on runners GHARTS made.
    let hooked = hooked_runners(&http, &base, &m2m, kind).await?;
    let hooks_n = if quick { 400 } else { 2000 };
    proc.reset_peak();
    let (cpu0, gh0) = (proc.cpu(), github_calls(peers).await?);
    let (lat, st, wall) = drive(&http, 16, hooks_n, webhook_delivery(&base, hooked)).await;
    let (cpu, gh) = (proc.cpu() - cpu0, github_calls(peers).await? - gh0);
    let mut p = measure("webhook workflow_job c=16".into(), hooks_n, &lat, st, wall, cpu, proc.peak());
    p.extra = format!(" github_calls/delivery={:.2}", gh as f64 / hooks_n as f64);
    p.print();
    phases.push(p);

    // Seed to 10,000 runners in the team, 2,000 in the other, 100,000 audit rows.
    let t = Instant::now();
    seed(target.url(), &team_ids).await?;
    println!("seeded to {TEAM_RUNNERS} team runners, {OTHER_RUNNERS} in a second team, {AUDIT_ROWS} audit rows in {:.1} s", t.elapsed().as_secs_f64());

    let list_n = if quick { 300 } else { 2000 };
    let lists: [(&str, reqwest::Client, String, Option<String>); 3] = [
        ("list admin session team_id=", admin.clone(), format!("/api/v1/runners?limit=50&team_id={}", team_ids[0]), None),
        ("list team M2M", http.clone(), "/api/v1/runners?limit=50".into(), Some(m2m.clone())),
        ("list user of 2 teams (OIDC)", http.clone(), "/api/v1/runners?limit=50".into(), Some(alice.clone())),
    ];
    for (label, client, path, token) in lists {
        let url = format!("{base}{path}");
        // The answer's total, to show what was listed.
        let mut probe = client.get(&url);
        if let Some(tk) = &token {
            probe = probe.bearer_auth(tk);
        }
        let total = probe.send().await?.json::<Value>().await?.get("total").cloned().unwrap_or(Value::Null);
        let make: MakeRequest = Arc::new(move |c: &reqwest::Client, _| {
            let r = c.get(&url);
            match &token {
                Some(tk) => r.bearer_auth(tk),
                None => r,
            }
        });
        proc.reset_peak();
        let cpu0 = proc.cpu();
        let (lat, st, wall) = drive(&client, 16, list_n, make).await;
        let mut p = measure(format!("{label} c=16"), list_n, &lat, st, wall, proc.cpu() - cpu0, proc.peak());
        p.extra = format!(" total={total}");
        p.print();
        phases.push(p);
    }

    // The audit log: a filter paged through (admin), then the JSONL export of every row.
    let audit_n = if quick { 200 } else { 1000 };
    let url = format!("{base}/api/v1/audit-logs?event_type=runner_deleted&limit=50");
    let make: MakeRequest = Arc::new(move |c: &reqwest::Client, i| c.get(format!("{url}&offset={}", (i % 40) * 50)));
    proc.reset_peak();
    let cpu0 = proc.cpu();
    let (lat, st, wall) = drive(&admin, 16, audit_n, make).await;
    let p = measure("audit filter+paging admin c=16".into(), audit_n, &lat, st, wall, proc.cpu() - cpu0, proc.peak());
    p.print();
    phases.push(p);

    let exports = if quick { 1 } else { 3 };
    proc.reset_peak();
    let cpu0 = proc.cpu();
    let mut lat = Vec::new();
    let mut st = BTreeMap::new();
    let mut bytes = 0;
    let started = Instant::now();
    for _ in 0..exports {
        let t = Instant::now();
        let resp = admin.get(format!("{base}/api/v1/audit-logs?format=jsonl&limit={AUDIT_ROWS}")).send().await?;
        *st.entry(resp.status().as_u16()).or_default() += 1;
        bytes = resp.bytes().await?.len();
        lat.push(t.elapsed());
    }
    lat.sort();
    let mut p = measure(format!("audit export JSONL {AUDIT_ROWS} rows"), exports, &lat, st, started.elapsed(), proc.cpu() - cpu0, proc.peak());
    p.extra = format!(" size={:.1}MiB", bytes as f64 / 1048576.0);
    p.print();
    phases.push(p);

    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_end = (proc.rss(), proc.anon());
    println!("idle RSS after the phases: {:.1} MiB, {:.1} MiB of it anonymous", idle_end.0, idle_end.1);
    let _ = child.start_kill();
    let _ = child.wait().await;
    sync_bench(target.url()).await?;
    Ok(table(kind, idle_start, idle_end, &phases))
}
