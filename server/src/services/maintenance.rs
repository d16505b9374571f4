//! Housekeeping, once a minute in every replica (each step is an idempotent delete, so
//! replicas need no coordination): expired browser sessions, login attempts older than the
//! limiter's window, expired `Idempotency-Key` records (they may hold a JIT config), and the
//! login throttle's finished per-address windows.

use std::time::Duration;

use crate::auth::local::LOGIN_WINDOW;
use crate::db::{DbError, now};
use crate::state::AppState;

/// How often the housekeeping runs.
pub const INTERVAL: Duration = Duration::from_secs(60);

/// What one pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Sessions past their idle or absolute expiry.
    pub sessions: u64,
    /// Login attempts older than the limiter window.
    pub login_failures: u64,
    /// Expired idempotency records.
    pub idempotency_keys: u64,
}

/// One pass.
pub async fn run_once(state: &AppState) -> Result<Purged, DbError> {
    let at = now();
    state.auth.login_throttle().prune();
    Ok(Purged {
        sessions: state.db.purge_expired_sessions(at).await?,
        login_failures: state.db.purge_login_failures(at - chrono::Duration::from_std(LOGIN_WINDOW).unwrap_or(chrono::Duration::MAX)).await?,
        idempotency_keys: state.db.purge_idempotency_keys(at).await?,
    })
}

/// Runs [`run_once`] now and then every [`INTERVAL`], until the task is dropped.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match run_once(&state).await {
            Ok(p) if p != Purged::default() => tracing::debug!(?p, "housekeeping removed expired rows"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "housekeeping failed; retrying next minute"),
        }
    }
}
