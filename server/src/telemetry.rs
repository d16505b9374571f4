//! Logging: JSON lines (`LOG_FORMAT=json`) or readable text, to stdout.

use tracing_subscriber::EnvFilter;

use crate::config::LogConfig;

/// Installs the global subscriber. `LOG_LEVEL` may be a level or a full filter directive.
pub fn init(cfg: &LogConfig) {
    let filter = EnvFilter::try_new(format!("{},sqlx=warn,leptos=warn", cfg.level)).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = if cfg.json { builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init() } else { builder.compact().try_init() };
}
