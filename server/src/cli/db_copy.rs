//! `gharts db copy --from URL --to URL [--force] [--dry-run]`: moves a GHARTS database between
//! SQLite and PostgreSQL (either way), printing the plan, each table as it completes, and the
//! target's audit chain check.

use anyhow::{Context, bail};
use clap::Subcommand;
use secrecy::SecretString;

use crate::config::{Config, DatabaseConfig, redact_url};
use crate::db::Db;
use crate::services::migrate::copy;

/// `gharts db …`
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy every table (ids kept) from one database into another, in one transaction; the
    /// target's schema is created; a target holding data is refused unless --force.
    Copy {
        /// The source database URL (`sqlite://…` or `postgres://…`); only read.
        #[arg(long)]
        from: String,
        /// The target database URL.
        #[arg(long)]
        to: String,
        /// Replace whatever the target holds, its audit log included.
        #[arg(long)]
        force: bool,
        /// Print what would be copied and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Connects to a database named on the command line (not `DATABASE_URL`).
pub(super) async fn connect_url(what: &str, url: &str, config: &Config) -> anyhow::Result<Db> {
    if !["sqlite:", "postgres:", "postgresql:"].iter().any(|s| url.starts_with(s)) {
        bail!("{what}: unsupported URL scheme (use sqlite:// or postgres://)");
    }
    let cfg = DatabaseConfig { url: SecretString::from(url.to_owned()), pool_max: 4, run_migrations: false, ..config.database.clone() };
    Db::connect(&cfg).await.with_context(|| format!("cannot connect to {what} ({})", redact_url(url)))
}

/// Runs `gharts db …`.
pub async fn run(cmd: DbCommand, config: Config) -> anyhow::Result<()> {
    let DbCommand::Copy { from, to, force, dry_run } = cmd;
    if from == to {
        bail!("--from and --to name the same database");
    }
    let src = connect_url("--from", &from, &config).await?;
    let dst = connect_url("--to", &to, &config).await?;
    let result = copy_between(&src, &dst, force, dry_run).await;
    src.close().await;
    dst.close().await;
    result
}

async fn copy_between(src: &Db, dst: &Db, force: bool, dry_run: bool) -> anyhow::Result<()> {
    println!("copy {} -> {}{}", src.kind(), dst.kind(), if dry_run { " (dry run: nothing is written)" } else { "" });
    let plan = copy::plan(src, dst, !dry_run).await?;
    println!("{:<24} {:>10} {:>10}", "table", "source", "target");
    for (name, source, target) in &plan.tables {
        let target = target.map_or_else(|| "no schema".to_owned(), |n| n.to_string());
        println!("{name:<24} {source:>10} {target:>10}");
    }
    let chain = &plan.source_chain;
    println!(
        "source audit chain: {} ({} row(s){}, {} not sealed yet)",
        chain.status,
        chain.checked_count,
        head(chain.head_hash.as_deref()),
        chain.unsealed_count
    );
    let data = plan.target_data();
    if dry_run {
        if !data.is_empty() && !force {
            bail!("the copy would be refused: the target is not empty ({}); pass --force to replace it", data.join(", "));
        }
        let action = if data.is_empty() { "copy into the empty target" } else { "replace the target's contents, audit log included" };
        println!("dry run: would {action}; nothing written");
        return Ok(());
    }
    if !data.is_empty() && force {
        println!("--force: replacing the target's contents ({})", data.join(", "));
    }
    let outcome = copy::execute(src, dst, &plan, force, |table, rows| println!("copied {table}: {rows} row(s)")).await?;
    let chain = &outcome.target_chain;
    println!("target audit chain: {} ({} row(s){})", chain.status, chain.checked_count, head(chain.head_hash.as_deref()));
    let total: i64 = outcome.copied.iter().map(|(_, n)| n).sum();
    println!("copy complete: {total} row(s) in {} table(s)", outcome.copied.len());
    Ok(())
}

fn head(hash: Option<&str>) -> String {
    hash.map(|h| format!(", head {h}")).unwrap_or_default()
}
