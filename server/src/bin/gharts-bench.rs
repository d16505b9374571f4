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
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde_json::{Value, json};
use server::config::{Config, Env};
use server::db::Db;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const PASSWORD: &str = "bench-password-123";
const TEAM_RUNNERS: i64 = 10_000;
const OTHER_RUNNERS: i64 = 2_000;
const AUDIT_ROWS: i64 = 100_000;
const PG_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// The webhook secret `gharts` runs with; deliveries are signed with it as GitHub signs them.
const WEBHOOK_SECRET: &str = "bench-webhook-secret";
/// Runners the webhook phase reports jobs for.
const HOOKED_RUNNERS: usize = 32;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// The server process as `/proc` shows it.
struct Proc {
    pid: u32,
    ticks_per_sec: f64,
}

impl Proc {
    /// utime + stime, in seconds.
    fn cpu(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
        let f: Vec<f64> = after.split_whitespace().map(|x| x.parse().unwrap_or(0.0)).collect();
        (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / self.ticks_per_sec
    }

    fn status_mib(&self, field: &str) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
            .map(|kb| kb / 1024.0)
            .unwrap_or(0.0)
    }

    fn rss(&self) -> f64 {
        self.status_mib("VmRSS:")
    }

    /// The anonymous part of the RSS (heap, stacks): the rest is file pages, mostly the
    /// binary's own code, clean and shared with the page cache.
    fn anon(&self) -> f64 {
        self.status_mib("RssAnon:")
    }

    fn peak(&self) -> f64 {
        self.status_mib("VmHWM:")
    }

    /// Resets the peak (`VmHWM`) to the current RSS.
    fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5");
    }
}

/// One phase's figures.
#[derive(Default)]
struct Phase {
    label: String,
    requests: usize,
    by_status: BTreeMap<u16, usize>,
    throughput: f64,
    p50: f64,
    p99: f64,
    cpu_ms: f64,
    peak_mib: f64,
    github_per_runner: Option<f64>,
    extra: String,
}

impl Phase {
    fn print(&self) {
        let statuses: Vec<String> = self.by_status.iter().map(|(s, n)| format!("{s}×{n}")).collect();
        let gh = self.github_per_runner.map(|g| format!(" github_calls/runner={g:.2}")).unwrap_or_default();
        println!(
            "{:<34} n={:<6} [{}] {:>7.0}/s p50={:.2}ms p99={:.2}ms cpu/req={:.3}ms peak_rss={:.1}MiB{gh}{}",
            self.label,
            self.requests,
            statuses.join(" "),
            self.throughput,
            self.p50,
            self.p99,
            self.cpu_ms,
            self.peak_mib,
            self.extra
        );
    }

    fn errors(&self) -> usize {
        self.by_status.iter().filter(|(s, _)| !(200..300).contains(*s)).map(|(_, n)| n).sum()
    }
}

/// A request the load generator repeats: the `i`-th call.
type MakeRequest = Arc<dyn Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync>;

/// Provisions [`HOOKED_RUNNERS`] runners; their GitHub ids and names.
async fn hooked_runners(http: &reqwest::Client, base: &str, token: &str, kind: &str) -> anyhow::Result<Vec<(i64, String)>> {
    let mut runners = Vec::new();
    for i in 0..HOOKED_RUNNERS {
        let name = format!("{kind}-hook-{i}");
        let body = json!({ "runner_name": name, "labels": ["linux", "x64"] });
        let resp = http.post(format!("{base}/api/v1/runners/jit")).bearer_auth(token).json(&body).send().await?;
        anyhow::ensure!(resp.status() == 201, "provision for the webhook phase: {}", resp.status());
        let v: Value = resp.json().await?;
        runners.push((v["github_runner_id"].as_i64().unwrap_or_default(), name));
    }
    Ok(runners)
}

/// Delivery `i`: `workflow_job` `in_progress` (even `i`) or `completed` (odd) of job `i / 2` on
/// one of `runners`, with the headers and the HMAC signature GitHub sends.
fn webhook_delivery(base: &str, runners: Vec<(i64, String)>) -> MakeRequest {
    use hmac::{Hmac, Mac};
    let url = format!("{base}/api/v1/webhooks/github");
    Arc::new(move |c: &reqwest::Client, i| {
        let job = (i / 2) as i64 + 1;
        let (github_id, name) = &runners[(i / 2) % runners.len()];
        let payload = json!({
            "action": if i % 2 == 0 { "in_progress" } else { "completed" },
            "workflow_job": { "id": job, "run_id": 4242, "runner_id": github_id, "runner_name": name, "labels": ["self-hosted", "linux", "x64"] },
            "repository": { "full_name": "bench/app" },
            "organization": { "login": "bench" },
        });
        let body = serde_json::to_vec(&payload).unwrap_or_default();
        let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).expect("an HMAC key of any length");
        mac.update(&body);
        c.post(&url)
            .header("content-type", "application/json")
            .header("x-github-event", "workflow_job")
            .header("x-github-delivery", uuid::Uuid::new_v4().to_string())
            .header("x-hub-signature-256", format!("sha256={}", hex::encode(mac.finalize().into_bytes())))
            .body(body)
    })
}

/// Runs `total` requests with `concurrency` callers; returns latencies (sorted), statuses, wall time.
async fn drive(client: &reqwest::Client, concurrency: usize, total: usize, make: MakeRequest) -> (Vec<Duration>, BTreeMap<u16, usize>, Duration) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, next, make) = (client.clone(), next.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut statuses = BTreeMap::<u16, usize>::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let status = match make(&client, i).send().await {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => 0,
                };
                lat.push(t.elapsed());
                *statuses.entry(status).or_default() += 1;
            }
            (lat, statuses)
        }));
    }
    let mut all = Vec::new();
    let mut statuses = BTreeMap::new();
    for t in tasks {
        if let Ok((lat, s)) = t.await {
            all.extend(lat);
            for (k, v) in s {
                *statuses.entry(k).or_default() += v;
            }
        }
    }
    let wall = started.elapsed();
    all.sort();
    (all, statuses, wall)
}

/// The peers shared by every database run.
struct Peers {
    oidc_issuer: String,
    github_url: String,
    _children: Vec<Child>,
    _dir: PathBuf,
}

async fn wait_for_line(child: &mut Child, needle: &str) -> anyhow::Result<()> {
    let out = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut lines = BufReader::new(out).lines();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(l) = lines.next_line().await? {
            if l.contains(needle) {
                return Ok::<bool, std::io::Error>(true);
            }
        }
        Ok(false)
    })
    .await;
    anyhow::ensure!(matches!(found, Ok(Ok(true))), "did not see '{needle}'");
    // Keep draining so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(())
}

async fn start_peers(dir: &Path) -> anyhow::Result<Peers> {
    let oidc_dir = repo().join("end2end/oidc");
    anyhow::ensure!(oidc_dir.join("node_modules").exists(), "the OpenID Provider test peer needs `npm ci` in end2end/oidc (make setup-test)");
    let oidc_port = free_port()?;
    let mut oidc = Command::new("node")
        .arg("provider.mjs")
        .args(["--port", &oidc_port.to_string(), "--keys"])
        .arg(dir.join("op-keys.json"))
        .current_dir(&oidc_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    wait_for_line(&mut oidc, "oidc-provider ready").await?;

    let gh_port = free_port()?;
    let exe_dir = std::env::current_exe()?.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut github = Command::new(exe_dir.join("fake-github"))
        .args(["--port", &gh_port.to_string(), "--org", "bench", "--no-simulate"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    wait_for_line(&mut github, "fake GitHub").await?;
    Ok(Peers {
        oidc_issuer: format!("http://127.0.0.1:{oidc_port}"),
        github_url: format!("http://127.0.0.1:{gh_port}"),
        _children: vec![oidc, github],
        _dir: dir.to_owned(),
    })
}

async fn github_calls(peers: &Peers) -> anyhow::Result<u64> {
    let v: Value = reqwest::get(format!("{}/_fake/requests", peers.github_url)).await?.json().await?;
    Ok(v["total"].as_u64().unwrap_or(0))
}

async fn m2m_token(issuer: &str, client: &str) -> anyhow::Result<String> {
    let resp: Value = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .basic_auth(client, Some(format!("{client}-secret")))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?
        .json()
        .await?;
    resp["access_token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no token: {resp}"))
}

/// A user's access token through the provider's login form (code flow with PKCE).
async fn user_token(issuer: &str, user: &str) -> anyhow::Result<String> {
    let redirect_uri = "http://127.0.0.1:9/auth/callback";
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let browser = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build()?;
    let mut url = reqwest::Url::parse(&format!("{issuer}/auth"))?;
    url.query_pairs_mut()
        .append_pair("client_id", "gharts-ui")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", "s")
        .append_pair("nonce", "n");
    let mut resp = browser.get(url).send().await?;
    let mut logged_in = false;
    let code = loop {
        if resp.status().is_redirection() {
            let loc = resp.headers()["location"].to_str()?.to_owned();
            let next = reqwest::Url::parse(issuer)?.join(&loc)?;
            if next.as_str().starts_with(redirect_uri) {
                break next.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).ok_or_else(|| anyhow::anyhow!("no code"))?;
            }
            resp = browser.get(next).send().await?;
        } else {
            anyhow::ensure!(!logged_in, "login page shown twice");
            let action = format!("{issuer}{}/login", resp.url().path());
            resp = browser.post(action).form(&[("username", user), ("password", "password")]).send().await?;
            logged_in = true;
        }
    };
    let tokens: Value = browser
        .post(format!("{issuer}/token"))
        .basic_auth("gharts-ui", Some("gharts-ui-secret"))
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", redirect_uri), ("code_verifier", &verifier)])
        .send()
        .await?
        .json()
        .await?;
    tokens["access_token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no token: {tokens}"))
}

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
    let m2m = m2m_token(&peers.oidc_issuer, "m2m-a").await?;
    let alice = user_token(&peers.oidc_issuer, "alice").await?;

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

/// The README table: each phase with its targets.
fn table(kind: &str, idle_start: (f64, f64), idle_end: (f64, f64), phases: &[Phase]) -> String {
    let mut s = format!(
        "\n{kind}: phase | throughput | p50 / p99 | non-2xx | own CPU per request (target) | peak RSS (target)\n---|---|---|---|---|---\nidle after start-up / after the phases | | | | | {:.1} / {:.1} MiB (≤ 20 MB); anonymous {:.1} / {:.1} MiB\n",
        idle_start.0, idle_end.0, idle_start.1, idle_end.1
    );
    for p in phases {
        let (cpu_target, rss_target) = if p.label.starts_with("audit export") { ("–", "–") } else { ("≤ 1 ms", "≤ 40 MB") };
        s.push_str(&format!(
            "{} | {:.0}/s | {:.2} / {:.2} ms | {} | {:.3} ms ({cpu_target}) | {:.1} MiB ({rss_target}){}\n",
            p.label,
            p.throughput,
            p.p50,
            p.p99,
            p.errors(),
            p.cpu_ms,
            p.peak_mib,
            p.github_per_runner.map(|g| format!("; {g:.2} GitHub calls per runner")).unwrap_or_default()
        ));
    }
    s
}

/// Runners and audit rows straight into the database, in one transaction per table, many rows
/// per statement.
async fn seed(url: &str, team_ids: &[String]) -> anyhow::Result<()> {
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
async fn sync_bench(url: &str) -> anyhow::Result<()> {
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
        app_public_key_pem: include_str!("../../tests/fixtures/github-app-test-key.pub.pem").to_owned(),
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
        ("GITHUB_APP_PRIVATE_KEY", include_str!("../../tests/fixtures/github-app-test-key.pem")),
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
