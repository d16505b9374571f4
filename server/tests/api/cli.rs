//! The `gharts` binary's subcommands, run as a user would.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::probe::Probe;
use crate::helpers::{Backend, TestDb, app, assert_error};

/// The binary with a clean environment and `DATABASE_URL` set.
pub(crate) fn gharts(db_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gharts"));
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).env("DATABASE_URL", db_url);
    cmd
}

#[test]
fn the_cli_definition_is_consistent() {
    use clap::CommandFactory;
    server::cli::Cli::command().debug_assert();
}

#[test]
fn check_config_prints_the_effective_configuration_without_secrets() {
    let out = gharts("postgres://gharts:db-secret@db.internal:5432/gharts?sslmode=verify-full")
        .arg("check-config")
        .env("BOOTSTRAP_ADMIN_PASSWORD", "pw-secret")
        .output()
        .expect("run gharts");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DATABASE_URL=postgres://gharts:***@db.internal:5432/gharts?sslmode=verify-full"), "{text}");
    assert!(text.contains("BOOTSTRAP_ADMIN_PASSWORD=<set, redacted>"), "{text}");
    assert!(!text.contains("db-secret") && !text.contains("pw-secret"), "{text}");
}

#[test]
fn an_invalid_setting_stops_the_start_naming_the_variable() {
    let out = gharts("sqlite://x.db").env("DB_POOL_MAX", "many").output().expect("run gharts");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DB_POOL_MAX"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_create_and_set_password_make_a_working_local_admin() {
    let db = std::sync::Arc::new(TestDb::new(Backend::Sqlite).await);
    let run = |args: &[&str], stdin: &str| {
        let mut child = gharts(&db.url).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write");
        child.wait_with_output().expect("wait")
    };
    let created = run(&["admin", "create", "--username", "ops", "--email", "ops@example.com"], "first-password\n");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let again = run(&["admin", "create", "--username", "OPS"], "x\n");
    assert!(!again.status.success(), "a second account with the same name is refused");

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pw");
    std::fs::write(&file, "second-password\n").expect("write");
    let changed = run(&["admin", "set-password", "--username", "ops", "--password-file", file.to_str().expect("utf8")], "");
    assert!(changed.status.success(), "{}", String::from_utf8_lossy(&changed.stderr));

    let app = app(Backend::Sqlite).database(db.clone()).start().await;
    assert_error(app.login("ops", "first-password").await, 401, "INVALID_CREDENTIALS").await;
    let me = app.login("ops", "second-password").await;
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.expect("json");
    assert_eq!(me["is_admin"], true);
    assert_eq!(me["email"], "ops@example.com");
    assert_eq!(app.db.audit_rows_by_type("user_created").await.expect("audit").len(), 1);
    assert_eq!(app.db.audit_rows_by_type("user_updated").await.expect("audit").len(), 1);
}
