//! `gharts sync [--once]` and `gharts github check`.

use anyhow::{Context, bail};

use crate::config::Config;
use crate::github::app_client::AppClient;
use crate::github::{GitHubApi, GitHubError};
use crate::metrics::Metrics;
use crate::services::{github, sync, sync_worker};

/// `gharts sync --once`.
pub async fn sync_once(config: Config) -> anyhow::Result<()> {
    if config.github.is_none() {
        bail!("GitHub is not configured: set GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_ORG");
    }
    let state = crate::startup::build(config).await?;
    let report = sync::run_and_record(&state).await.context("sync cycle failed")?;
    for (id, name, from, to) in &report.changes {
        println!("{name} ({id}): {from} -> {to}");
    }
    println!("{}", serde_json::to_string(&report)?);
    state.db.close().await;
    Ok(())
}

/// `gharts sync`: the worker alone, until SIGTERM.
pub async fn sync_worker(config: Config) -> anyhow::Result<()> {
    let signal = crate::shutdown_signal();
    let state = crate::startup::build(config).await?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let worker = sync_worker::spawn(state.clone(), rx);
    signal.await;
    let _ = tx.send(true);
    let _ = worker.await;
    state.db.close().await;
    Ok(())
}

/// `gharts github check`: the health facts the admin console shows (one service function),
/// then the runner permission and the runner groups.
pub async fn check(config: Config) -> anyhow::Result<()> {
    let Some(app) = &config.github else {
        bail!("GitHub is not configured: set GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_ORG");
    };
    let client = AppClient::new(app, config.label_policy_enforcement, Metrics::new())?;
    let step = |what: &str, r: Result<String, String>| match r {
        Ok(detail) => {
            println!("ok    {what}: {detail}");
            Ok(())
        }
        Err(e) => {
            println!("FAIL  {what}: {e}");
            Err(anyhow::anyhow!("{what}: {e}"))
        }
    };
    let h = github::health(Some(&client as &dyn GitHubApi), Some(client.org()), github::HEALTH_TIMEOUT).await;
    let failed = || h.error.clone().unwrap_or_default();
    step(
        "app",
        match (&h.app_name, &h.app_slug, h.app_id) {
            (Some(name), Some(slug), Some(id)) => Ok(format!("{name} ({slug}, id {id})")),
            _ => Err(failed()),
        },
    )?;
    step(
        "installation",
        match (h.installation_id, &h.installation_account) {
            (Some(id), Some(account)) => Ok(format!("{id} on organisation {} (account {account})", client.org())),
            _ => Err(failed()),
        },
    )?;
    let github_step = |r: Result<String, GitHubError>| r.map_err(|e| e.to_string());
    step("runner permission", github_step(client.list_runners().await.map(|inv| format!("{} runners in {} page(s)", inv.runners.len(), inv.pages))))?;
    let groups = client.list_runner_groups().await;
    step("runner groups", github_step(groups.as_ref().map(|g| format!("{} group(s)", g.len())).map_err(Clone::clone)))?;
    for g in groups.unwrap_or_default() {
        println!("      group {:>6}  {} ({})", g.id, g.name, g.visibility);
    }
    step("rate limit", h.rate_limit.as_ref().map(|r| format!("core {}/{}, resets {}", r.remaining, r.limit, r.reset_at.to_rfc3339())).ok_or_else(failed))?;
    Ok(())
}
