//! The background sync worker, one per process. Leader election by the `sync_lease` row:
//! every `SYNC_LEASE_SECONDS / 3` each replica tries to take or renew the lease (compare-and-set,
//! so exactly one holds it); the leader runs a cycle every `SYNC_INTERVAL_SECONDS`, or sooner
//! when an admin asked for one. A crashed leader's lease runs out and a standby takes over
//! within `SYNC_LEASE_SECONDS` plus one poll; on shutdown the lease is released at once.
//! Every replica also refreshes `gharts_runners_by_status` every 30 s.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::sync;
use crate::state::AppState;

/// How often every replica recomputes `gharts_runners_by_status`.
const GAUGE_INTERVAL: Duration = Duration::from_secs(30);

/// This process's lease identity: the hostname plus a random suffix, so two processes on one
/// host differ.
pub fn holder_identity() -> String {
    let host = hostname::get().ok().and_then(|h| h.into_string().ok()).unwrap_or_else(|| "gharts".to_owned());
    format!("{host}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// Starts the worker; it stops (releasing the lease) when `shutdown` turns true.
pub fn spawn(state: AppState, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(run(state, holder_identity(), shutdown))
}

async fn run(state: AppState, holder: String, mut shutdown: watch::Receiver<bool>) {
    let cfg = &state.config;
    let poll = cfg.sync_lease / 3;
    let interval = Duration::from_secs(cfg.sync_interval_seconds);
    let m = state.metrics.clone();
    let mut leader = false;
    let mut last_cycle_start: Option<DateTime<Utc>> = None;
    let mut last_gauges: Option<Instant> = None;
    m.sync_leadership.with_label_values(&[&holder]).set(0);
    tracing::info!(holder = %holder, lease_seconds = cfg.sync_lease.as_secs(), interval_seconds = interval.as_secs(), "sync worker started");
    // Without GitHub there is nothing to sync: say so once, and never run (or fail) a cycle.
    let cycles = cfg.sync_enabled && state.github.is_some();
    if cfg.sync_enabled && state.github.is_none() {
        tracing::warn!("GitHub is not configured: the sync worker runs no cycles (runner gauges only)");
    }
    // Test builds: a worker that dies, to prove `serve` notices (GHARTS_TEST_SYNC_WORKER_PANIC).
    #[cfg(feature = "fake-github")]
    if std::env::var_os("GHARTS_TEST_SYNC_WORKER_PANIC").is_some() {
        panic!("GHARTS_TEST_SYNC_WORKER_PANIC: the sync worker dies on purpose");
    }
    loop {
        if last_gauges.is_none_or(|t| t.elapsed() >= GAUGE_INTERVAL) {
            if let Err(e) = sync::refresh_runner_gauges(&state).await {
                tracing::warn!(error = %e, "cannot refresh runner gauges");
            }
            last_gauges = Some(Instant::now());
        }
        let acquired = if !cycles {
            false
        } else {
            match state.db.try_acquire_lease(&holder, cfg.sync_lease).await {
                Ok(a) => a,
                Err(e) => {
                    m.sync_errors.with_label_values(&["lease_error"]).inc();
                    tracing::warn!(error = %e, "sync: cannot reach the lease");
                    false
                }
            }
        };
        m.leader_attempts.with_label_values(&[if acquired { "success" } else { "failed" }]).inc();
        if !acquired && cfg.sync_enabled {
            tracing::debug!(holder = %holder, "sync lease held by another replica; standing by");
        }
        if acquired != leader {
            let (from, to) = if acquired { ("standby", "leader") } else { ("leader", "standby") };
            m.leader_transitions.with_label_values(&[from, to]).inc();
            m.sync_leadership.with_label_values(&[&holder]).set(i64::from(acquired));
            tracing::info!(holder = %holder, from, to, "sync leadership changed");
            leader = acquired;
        }
        if leader {
            m.sync_heartbeat.with_label_values(&[&holder]).set(Utc::now().timestamp() as f64);
            let requested = match state.db.latest_sync_request().await {
                Ok(r) => r.is_some_and(|at| last_cycle_start.is_none_or(|start| at > start)),
                Err(_) => false,
            };
            let due = last_cycle_start.is_none_or(|start| (Utc::now() - start).to_std().is_ok_and(|age| age >= interval));
            if requested || due {
                last_cycle_start = Some(crate::db::now());
                // Keep renewing the lease while a long cycle runs; stop it if the lease is lost.
                let cycle = sync::run_and_record(&state);
                tokio::pin!(cycle);
                let lost = loop {
                    tokio::select! {
                        _ = &mut cycle => break false,
                        () = tokio::time::sleep(poll) => {
                            if !state.db.try_acquire_lease(&holder, cfg.sync_lease).await.unwrap_or(false) {
                                break true;
                            }
                            m.sync_heartbeat.with_label_values(&[&holder]).set(Utc::now().timestamp() as f64);
                        }
                        _ = shutdown.changed() => break true,
                    }
                };
                if lost {
                    tracing::warn!(holder = %holder, "sync cycle abandoned: lease lost or shutting down");
                }
            }
        }
        if *shutdown.borrow() {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
    }
    if leader {
        if let Err(e) = state.db.release_lease(&holder).await {
            tracing::warn!(error = %e, "sync: cannot release the lease");
        }
        m.sync_leadership.with_label_values(&[&holder]).set(0);
    }
    tracing::info!(holder = %holder, "sync worker stopped");
}
