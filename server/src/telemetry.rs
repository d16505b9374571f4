//! Logging: JSON lines (`LOG_FORMAT=json`) or readable text, to stdout.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::config::LogConfig;

/// Installs the global subscriber. `LOG_LEVEL` may be a level or a full filter directive.
pub fn init(cfg: &LogConfig) {
    let filter = EnvFilter::try_new(format!("{},sqlx=warn,leptos=warn", cfg.level)).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour only on a terminal: a file or pipe gets plain text, not escape codes.
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(!cfg.json && std::io::stdout().is_terminal());
    let _ = if cfg.json { builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init() } else { builder.compact().try_init() };
}
