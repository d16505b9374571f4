//! `gharts import python-gharts --from URL`: moves the Python service's data into this
//! service's database (`DATABASE_URL`), all or nothing, printing every conversion and every
//! row that cannot be imported.

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::config::Config;
use crate::services::migrate::python_import::{self, Options};

/// `gharts import …`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a Python GHARTS database (SQLite or PostgreSQL URL) into `DATABASE_URL`.
    PythonGharts {
        /// The Python service's database URL; only read.
        #[arg(long)]
        from: String,
        /// Import what can be imported even if some rows cannot (each is reported).
        #[arg(long)]
        skip_invalid: bool,
        /// Print the report; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Runs `gharts import …`.
pub async fn run(cmd: ImportCommand, config: Config) -> anyhow::Result<()> {
    let ImportCommand::PythonGharts { from, skip_invalid, dry_run } = cmd;
    let src = super::db_copy::connect_url("--from", &from, &config).await?;
    let dst = crate::startup::connect(&config).await?;
    if !dry_run {
        dst.migrate().await.context("applying migrations to DATABASE_URL")?;
    }
    let opts = Options { default_runner_group_id: config.default_runner_group_id, skip_invalid, dry_run };
    let result = python_import::import(&src, &dst, opts).await;
    src.close().await;
    dst.close().await;
    let outcome = result?;
    let report = &outcome.report;
    println!("{:<18} {:>8} {:>10}", "table", "read", "importable");
    for (table, read, importable) in &report.counts {
        println!("{table:<18} {read:>8} {importable:>10}");
    }
    for line in &report.conversions {
        println!("converted: {line}");
    }
    for line in &report.rejected {
        println!("cannot import: {line}");
    }
    if dry_run {
        println!("dry run: nothing written");
        return Ok(());
    }
    if !outcome.written {
        bail!("nothing was imported: {} row(s) cannot be imported (fix them in the source, or pass --skip-invalid to leave them out)", report.rejected.len());
    }
    if let Some(chain) = &outcome.chain {
        println!("audit chain: {} ({} row(s))", chain.status, chain.checked_count);
        if chain.status == "broken" {
            bail!("the audit chain does not verify after the import (first broken id {:?})", chain.first_broken_id);
        }
    }
    println!("import complete");
    Ok(())
}
