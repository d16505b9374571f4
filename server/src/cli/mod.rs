//! The `gharts` command line: one clap enum, each subcommand a small function. Building and
//! running the process is [`crate::startup`]'s.

mod audit;
mod db_copy;
mod github;
mod import_python;

pub use audit::AuditCommand;
pub use db_copy::DbCommand;
pub use import_python::ImportCommand;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use secrecy::SecretString;
use serde_json::json;

use crate::auth::password::hash_password;
use crate::config::Config;
use crate::db::audit::NewAudit;
use crate::db::users::{Created, NewLocalUser};

/// GitHub Actions Runner Token Service.
#[derive(Debug, Parser)]
#[command(name = "gharts", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and (with `GHARTS_SITE_ROOT`) the console.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the effective configuration, secrets redacted.
    CheckConfig,
    /// Exit 0 when the local server answers /healthz (for container health checks).
    Healthcheck {
        /// Base URL to probe (default: `http://<GHARTS_ADDR>`).
        #[arg(long)]
        url: Option<String>,
    },
    /// Manage local accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Run the sync worker without the HTTP server (with --once: one cycle now, ignoring the
    /// lease, printing what changed).
    Sync {
        /// Run a single cycle and exit.
        #[arg(long)]
        once: bool,
    },
    /// Check the GitHub App configuration.
    #[command(subcommand)]
    Github(GithubCommand),
    /// Verify or export the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Move a GHARTS database between SQLite and PostgreSQL.
    #[command(subcommand)]
    Db(DbCommand),
    /// Import another system's database.
    #[command(subcommand)]
    Import(ImportCommand),
}

/// `gharts github …`
#[derive(Debug, Subcommand)]
pub enum GithubCommand {
    /// Verify the App's credentials: the App, its installation, the organisation permission,
    /// and list the runner groups.
    Check,
}

/// `gharts admin …`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a local admin account (password from --password-file or stdin).
    Create {
        /// Account name.
        #[arg(long)]
        username: String,
        /// Optional email (lets the account bind an OIDC login with that verified email).
        #[arg(long)]
        email: Option<String>,
        /// File holding the password (else read from stdin).
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Set a local account's password (from --password-file or stdin).
    SetPassword {
        /// Account name.
        #[arg(long)]
        username: String,
        /// File holding the password (else read from stdin).
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
}

/// Runs a subcommand with a loaded configuration.
pub async fn dispatch(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => crate::startup::serve(config).await,
        Command::Migrate => {
            let db = crate::startup::connect(&config).await?;
            db.migrate().await.context("applying migrations")?;
            println!("migrations applied ({})", db.kind());
            Ok(())
        }
        Command::CheckConfig => {
            for line in config.redacted_lines() {
                println!("{line}");
            }
            Ok(())
        }
        Command::Healthcheck { url } => healthcheck(url.unwrap_or_else(|| format!("http://{}", config.addr))).await,
        Command::Admin(cmd) => admin(cmd, config).await,
        Command::Sync { once: true } => github::sync_once(config).await,
        Command::Sync { once: false } => github::sync_worker(config).await,
        Command::Github(GithubCommand::Check) => github::check(config).await,
        Command::Audit(cmd) => audit::run(cmd, config).await,
        Command::Db(cmd) => db_copy::run(cmd, config).await,
        Command::Import(cmd) => import_python::run(cmd, config).await,
    }
}

async fn healthcheck(base: String) -> anyhow::Result<()> {
    let url = format!("{}/healthz", base.trim_end_matches('/'));
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(3)).build()?;
    let resp = client.get(&url).send().await.with_context(|| format!("{url} did not answer"))?;
    if !resp.status().is_success() {
        bail!("{url} answered {}", resp.status());
    }
    Ok(())
}

fn read_password(file: Option<PathBuf>) -> anyhow::Result<SecretString> {
    let raw = match file {
        Some(path) => std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?,
        None if std::io::stdin().is_terminal() => rpassword::prompt_password("Password: ")?,
        None => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line
        }
    };
    let password = raw.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() || password.chars().count() > 1024 {
        bail!("the password must be 1–1024 characters");
    }
    Ok(SecretString::from(password))
}

fn cli_audit(event_type: &str) -> NewAudit {
    NewAudit { event_type: event_type.to_owned(), actor_type: "system".to_owned(), user_identity: "cli".to_owned(), success: true, ..Default::default() }
}

async fn admin(cmd: AdminCommand, config: Config) -> anyhow::Result<()> {
    let db = crate::startup::connect(&config).await?;
    if config.database.run_migrations {
        db.migrate().await.context("applying migrations")?;
    }
    match cmd {
        AdminCommand::Create { username, email, password_file } => {
            if let Some(msg) = crate::config::validate_username(&username) {
                bail!("--username {msg}");
            }
            let password_hash = hash_password(read_password(password_file)?).await?;
            let id = uuid::Uuid::new_v4();
            let user = NewLocalUser { id, username: username.clone(), email, password_hash, is_admin: true, created_by: "cli".to_owned() };
            let mut audit = cli_audit("user_created");
            audit.event_data = Some(json!({ "user_id": id.to_string(), "username": username, "team_ids": [] }));
            match db.create_local_user(&user, audit).await {
                Ok(Created::New(id)) => println!("created admin {username} ({id})"),
                Ok(Created::AlreadyExists) => bail!("a user named {username} already exists (use `gharts admin set-password`)"),
                Err(crate::db::DbError::Conflict(_)) => bail!("another user already has this email"),
                Err(e) => return Err(e.into()),
            }
        }
        AdminCommand::SetPassword { username, password_file } => {
            let password_hash = hash_password(read_password(password_file)?).await?;
            if !db.set_user_password(&username, &password_hash, cli_audit("user_updated")).await? {
                bail!("no local account named {username}");
            }
            println!("password updated for {username}");
        }
    }
    db.close().await;
    Ok(())
}
