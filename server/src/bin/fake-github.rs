//! `fake-github`: the fake GitHub as a process, for trying GHARTS end to end without GitHub.
//! It trusts the test App key in `server/tests/fixtures/` and, unless `--no-simulate`, plays
//! the runners' part: a runner comes online a few seconds after its JIT config is issued, takes
//! a job, and finishes it (offline), so `make run` shows the lifecycle move through sync.
//!
//! ```text
//! cargo run -p server --features fake-github --bin fake-github -- --port 9000 --org demo
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use server::github::fake::FakeGitHub;
use server::github::fake_server::{FakeServer, FakeServerConfig};

/// A fake GitHub organisation with one App installation.
#[derive(Debug, Parser)]
struct Args {
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// Organisation name.
    #[arg(long, default_value = "demo")]
    org: String,
    /// App id the fake trusts (JWTs signed with the fixture key).
    #[arg(long, default_value_t = 1)]
    app_id: u64,
    /// Installation id.
    #[arg(long, default_value_t = 1)]
    installation_id: u64,
    /// Do not move runners through their lifecycle.
    #[arg(long)]
    no_simulate: bool,
    /// Seconds after its JIT config is issued until a runner comes online.
    #[arg(long, default_value_t = 5)]
    online_after: u64,
    /// Seconds until it takes a job (busy).
    #[arg(long, default_value_t = 10)]
    busy_after: u64,
    /// Seconds until its job is done and it goes offline.
    #[arg(long, default_value_t = 20)]
    done_after: u64,
    /// Runners whose name starts with this never come online: a JIT config issued and never
    /// used, which GHARTS keeps `pending` (the browser journey's incident flow needs some).
    #[arg(long)]
    never_online: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let state = Arc::new(FakeGitHub::new());
    let config = FakeServerConfig {
        app_id: args.app_id,
        app_public_key_pem: include_str!("../../tests/fixtures/github-app-test-key.pub.pem").to_owned(),
        org: args.org.clone(),
        installation_id: args.installation_id,
        token_lifetime: chrono::TimeDelta::hours(1),
    };
    let server = FakeServer::new(config, state.clone())?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("fake GitHub for organisation '{}' on http://127.0.0.1:{}", args.org, args.port);
    println!("configure GHARTS with:");
    println!(
        "  GITHUB_API_URL=http://127.0.0.1:{} GITHUB_ORG={} GITHUB_APP_ID={} GITHUB_INSTALLATION_ID={} \\",
        args.port, args.org, args.app_id, args.installation_id
    );
    println!("  GITHUB_APP_PRIVATE_KEY_FILE=server/tests/fixtures/github-app-test-key.pem");
    if !args.no_simulate {
        let timing = [args.online_after, args.busy_after, args.done_after].map(Duration::from_secs);
        tokio::spawn(simulate(state, timing, args.never_online));
    }
    // `GET /_fake/requests`: how many GitHub API requests the fake has answered (`make bench`
    // counts GitHub calls per created runner with it); not itself counted.
    let counter = server.clone();
    let app =
        server.router().route("/_fake/requests", axum::routing::get(move || async move { axum::Json(serde_json::json!({ "total": counter.count("") })) }));
    axum::serve(listener, app).with_graceful_shutdown(server::shutdown_signal()).await?;
    Ok(())
}

/// Each new runner: online after `online`, busy after `busy`, done (offline) after `done`
/// (5, 10 and 20 s unless told otherwise); never, for a name starting with `never_online`.
async fn simulate(state: Arc<FakeGitHub>, [online, busy, done]: [Duration; 3], never_online: Option<String>) {
    let mut first_seen: HashMap<i64, Instant> = HashMap::new();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        for r in state.runners() {
            if never_online.as_deref().is_some_and(|p| r.name.starts_with(p)) {
                continue;
            }
            let age = first_seen.entry(r.id).or_insert_with(Instant::now).elapsed();
            let (status, is_busy) = if age < online {
                continue;
            } else if age < busy {
                ("online", false)
            } else if age < done {
                ("online", true)
            } else {
                ("offline", false)
            };
            if r.status != status || r.busy != is_busy {
                state.set_state(r.id, status, is_busy);
                println!("runner {} ({}) is now {status}{}", r.name, r.id, if is_busy { ", busy" } else { "" });
            }
        }
    }
}
