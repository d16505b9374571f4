//! `gharts audit verify` and `gharts audit export`, run as an operator would.

use serde_json::Value;
use server::db::Db;

use crate::both_databases;
use crate::cli::gharts;
use crate::helpers::probe::Probe;
use crate::helpers::{Backend, spawn_app};

both_databases!(audit_verify_reports_the_first_broken_link, audit_export_streams_every_row_in_both_formats);

fn run(url: &str, args: &[&str]) -> std::process::Output {
    gharts(url).args(args).output().expect("run gharts")
}

async fn exec(db: &Db, sql: &'static str) {
    match db {
        Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    }
    .expect(sql);
}

async fn audit_verify_reports_the_first_broken_link(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..3 {
        app.login_admin().await;
    }
    app.seal_audit().await;
    let url = app.test_db.url.clone();
    let ok = run(&url, &["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(stdout.contains("status ok: 4 row(s) checked (ids 1..=4)"), "{stdout}");

    let json = run(&url, &["audit", "verify", "--from-id", "2", "--to-id", "3", "--json"]);
    assert!(json.status.success());
    let report: Value = serde_json::from_slice(&json.stdout).expect("one JSON object");
    assert_eq!((report["status"].as_str(), report["checked_count"].as_i64()), (Some("ok"), Some(2)));

    match backend {
        Backend::Sqlite => exec(&app.db, "drop trigger audit_log_no_update").await,
        Backend::Postgres => exec(&app.db, "alter table audit_log disable trigger audit_log_no_update").await,
    }
    exec(&app.db, "update audit_log set user_identity = 'someone-else' where id = 3").await;
    let broken = run(&url, &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(stderr.contains("first broken link at id 3 (hash_mismatch)"), "{stderr}");
    assert!(String::from_utf8_lossy(&broken.stdout).contains("status broken"));
}

async fn audit_export_streams_every_row_in_both_formats(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..3 {
        app.login_admin().await;
    }
    app.seal_audit().await;
    let url = app.test_db.url.clone();

    let jsonl = run(&url, &["audit", "export", "--format", "jsonl"]);
    assert!(jsonl.status.success(), "{}", String::from_utf8_lossy(&jsonl.stderr));
    let rows: Vec<Value> = String::from_utf8(jsonl.stdout).expect("utf8").lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().expect("id")).collect();
    assert_eq!(ids, [4, 3, 2, 1], "newest first, without the export's own row");
    assert!(rows.iter().all(|r| r["hash"].as_str().is_some_and(|h| h.len() == 64)));
    assert!(String::from_utf8_lossy(&jsonl.stderr).contains("exported 4 audit row(s)"));
    let recorded = app.db.audit_rows_by_type("audit_exported").await.expect("rows");
    assert_eq!(recorded.len(), 1, "the export is itself audited");
    assert_eq!((recorded[0].id, recorded[0].user_identity.as_str(), recorded[0].actor_type.as_str()), (5, "cli", "system"));

    let csv = run(&url, &["audit", "export", "--format", "csv"]);
    assert!(csv.status.success());
    let text = String::from_utf8(csv.stdout).expect("utf8");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("id,timestamp,event_type,"), "{}", lines[0]);
    assert_eq!(lines.len(), 1 + 5, "a header and the five rows before this export");
    assert!(lines[1].starts_with("5,"), "{}", lines[1]);

    let none = run(&url, &["audit", "export", "--format", "jsonl", "--since", "2999-01-01T00:00:00Z"]);
    assert!(none.status.success());
    assert!(none.stdout.is_empty());
    let all = run(&url, &["audit", "export", "--format", "jsonl", "--since", "2000-01-01T00:00:00Z", "--until", "2999-01-01T00:00:00+02:00"]);
    assert_eq!(String::from_utf8_lossy(&all.stdout).lines().count(), 7, "four, the two exports, and the empty one");

    let bad = run(&url, &["audit", "export", "--format", "jsonl", "--since", "yesterday"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("RFC 3339"));
}
