//! `gharts`: parses the command line, loads the configuration, starts logging, dispatches.

use clap::Parser;
use server::cli::{Cli, Command};
use server::config::{Config, Env};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env(&Env::from_process()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gharts: configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    server::telemetry::init(&config.log);
    match server::cli::dispatch(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "gharts failed");
            eprintln!("gharts: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
