//! `gharts audit verify` and `gharts audit export`: the audit service's chain check and export,
//! for operators and for the steps of the migration guide.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Subcommand, ValueEnum};
use tokio::io::AsyncWriteExt;

use crate::config::Config;
use crate::db::audit_query::AuditFilter;
use crate::services::audit::{self, ExportFormat};

/// `gharts audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain; print the first broken link and exit non-zero if there is one.
    Verify {
        /// Start at the first-sealed row with at least this id (the stored hash of the row
        /// before it in the chain is trusted).
        #[arg(long)]
        from_id: Option<i64>,
        /// End at the last-sealed row with at most this id (default: the recorded chain head).
        #[arg(long)]
        to_id: Option<i64>,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Stream the audit log to stdout, newest first (itself recorded as `audit_exported`).
    Export {
        /// Output format.
        #[arg(long, value_enum)]
        format: Format,
        /// Only rows at or after this RFC 3339 time.
        #[arg(long, value_parser = parse_time)]
        since: Option<DateTime<Utc>>,
        /// Only rows at or before this RFC 3339 time.
        #[arg(long, value_parser = parse_time)]
        until: Option<DateTime<Utc>>,
    },
}

/// `--format` of `gharts audit export`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// RFC 4180 with a header row.
    Csv,
}

fn parse_time(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw).map(|t| t.to_utc()).map_err(|e| format!("not an RFC 3339 time ({e}), e.g. 2026-01-31T00:00:00Z"))
}

/// Runs `gharts audit …` against `DATABASE_URL`.
pub async fn run(cmd: AuditCommand, config: Config) -> anyhow::Result<()> {
    let db = crate::startup::connect(&config).await?;
    let result = match cmd {
        AuditCommand::Verify { from_id, to_id, json } => verify(&db, from_id, to_id, json).await,
        AuditCommand::Export { format, since, until } => export(&db, format, since, until).await,
    };
    db.close().await;
    result
}

async fn verify(db: &crate::db::Db, from_id: Option<i64>, to_id: Option<i64>, json: bool) -> anyhow::Result<()> {
    let report = audit::verify_chain(db, from_id, to_id).await.context("reading the audit log")?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        let range = match (report.first_id, report.last_id) {
            (Some(first), Some(last)) => format!("ids {first}..={last}"),
            _ => "no rows".to_owned(),
        };
        println!("status {}: {} row(s) checked ({range}) in {} ms", report.status, report.checked_count, report.duration_ms);
        if let Some(head) = &report.head_hash {
            println!("head hash {head} (chain position {})", report.last_chain_seq.unwrap_or_default());
        }
        match report.oldest_unsealed_age_seconds {
            Some(age) => println!("{} row(s) not sealed yet, the oldest for {age} s", report.unsealed_count),
            None => println!("every row is sealed"),
        }
    }
    if let Some(warning) = &report.warning {
        eprintln!("warning: {warning}");
    }
    if let Some(id) = report.first_broken_id {
        bail!("the audit chain is broken: first broken link at id {id} ({})", report.reason.as_deref().unwrap_or("unknown"));
    }
    Ok(())
}

async fn export(db: &crate::db::Db, format: Format, since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> anyhow::Result<()> {
    let format = match format {
        Format::Jsonl => ExportFormat::Jsonl,
        Format::Csv => ExportFormat::Csv,
    };
    let filter = AuditFilter { since, until, ..Default::default() };
    let mut export = audit::export_all(db, filter, format, super::cli_audit("audit_exported")).await.context("starting the export")?;
    let mut out = tokio::io::stdout();
    while let Some(chunk) = export.chunks.recv().await {
        out.write_all(chunk.context("reading the audit log")?.as_bytes()).await.context("writing to stdout")?;
    }
    out.flush().await?;
    eprintln!("exported {} audit row(s)", export.row_count);
    Ok(())
}
