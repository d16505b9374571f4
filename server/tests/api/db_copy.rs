//! `gharts db copy`: SQLite ⇄ PostgreSQL round trips of data the app itself wrote, compared row
//! by row; a target holding data; a copy killed part-way.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::{Value, json};
use server::config::{Config, Env};
use server::db::Db;
use server::db::table_copy::Cell;
use server::db::tables::TABLES;

use crate::both_databases;
use crate::cli::gharts;
use crate::helpers::probe::Probe;
use crate::helpers::{Backend, TestApp, TestDb, json, spawn_app};

both_databases!(a_round_trip_through_the_other_database_keeps_every_row, a_killed_copy_leaves_the_target_empty_and_can_be_rerun);

/// The other backend.
pub fn other(b: Backend) -> Backend {
    match b {
        Backend::Sqlite => Backend::Postgres,
        Backend::Postgres => Backend::Sqlite,
    }
}

/// A pool on `url`.
pub async fn open(url: &str) -> Db {
    let config = Config::from_env(&Env::from_pairs([("DATABASE_URL", url)])).expect("config");
    Db::connect(&config.database).await.expect("connect")
}

/// Runs `gharts` with `args`; the database URLs are in the arguments.
pub fn run(args: &[&str]) -> std::process::Output {
    gharts("sqlite://unused.db").args(args).output().expect("run gharts")
}

/// Every table's rows, each table sorted (collations differ between the backends).
pub async fn dump(db: &Db) -> Vec<(&'static str, Vec<Vec<Cell>>)> {
    let mut out = Vec::new();
    for t in TABLES {
        let mut rows = db.table_rows(t).await.expect("rows");
        rows.sort_by_cached_key(|r| format!("{r:?}"));
        out.push((t.name, rows));
    }
    out
}

/// An app whose services wrote a row into nearly every table.
pub async fn populated(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    app.login_admin().await;
    let this = &app;
    let team = |body: Value| async move { json(this.post_json("/api/v1/admin/teams", &body).await).await["id"].as_str().expect("team id").to_owned() };
    let a = team(json!({ "name": "team-a", "required_labels": ["gpu"], "optional_label_patterns": ["cuda-.*"], "max_runners": 5 })).await;
    let b = team(json!({ "name": "team-b", "description": "with \"quotes\" and ünïcode" })).await;
    for (email, teams) in [("alice@example.com", json!([a])), ("bob@example.com", json!([a, b]))] {
        assert_eq!(app.post_json("/api/v1/admin/users", &json!({ "email": email, "team_ids": teams })).await.status(), 201);
    }
    let client = json!({ "client_id": "ci-a", "team_id": a, "description": "CI" });
    assert_eq!(app.post_json("/api/v1/admin/oauth-clients", &client).await.status(), 201);
    let jit = |name: &str, labels: Value| {
        app.client
            .post(app.url("/api/v1/runners/jit"))
            .header("x-requested-with", "gharts")
            .header("idempotency-key", format!("key-{name}"))
            .json(&json!({ "runner_name": name, "team_name": "team-a", "labels": labels }))
            .send()
    };
    let first = json(jit("r-one", json!(["gpu"])).await.expect("jit")).await;
    assert_eq!(jit("r-two", json!(["gpu", "cuda-12"])).await.expect("jit").status(), 201);
    assert_eq!(jit("r-three", json!(["gpu", "cpu"])).await.expect("jit").status(), 403, "a policy violation: a security event");
    let id = first["runner_id"].as_str().expect("runner id");
    let del = app.client.delete(app.url(&format!("/api/v1/runners/{id}"))).header("x-requested-with", "gharts").send().await.expect("delete");
    assert!(del.status().is_success(), "{}", del.status());
    let batch = json!({ "comment": "moving to PostgreSQL", "reason": "moving", "team_ids": [b] });
    assert_eq!(app.post_json("/api/v1/admin/batch/deactivate-teams", &batch).await.status(), 200);
    server::services::sync::run_and_record(&app.state).await.expect("a sync cycle");
    let stranger = reqwest::Client::new().post(app.url("/auth/local-login")).header("x-requested-with", "gharts");
    assert_eq!(stranger.json(&json!({ "username": "ghost", "password": "guess" })).send().await.expect("login").status(), 401);
    for table in
        ["users", "teams", "team_members", "oauth_clients", "runners", "idempotency_keys", "audit_log", "security_events", "sessions", "login_failures"]
    {
        let t = TABLES.iter().find(|t| t.name == table).expect("table");
        assert!(app.db.count_rows(t).await.expect("count") > 0, "{table} has rows");
    }
    app
}

fn ok(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    stdout
}

async fn a_round_trip_through_the_other_database_keeps_every_row(backend: Backend) {
    let app = populated(backend).await;
    let origin = app.stop().await;
    let (mid, back) = (TestDb::new(other(backend)).await, TestDb::new(backend).await);

    let dry = ok(&run(&["db", "copy", "--from", &origin.url, "--to", &mid.url, "--dry-run"]));
    assert!(dry.contains("dry run: would copy into the empty target"), "{dry}");
    let there = ok(&run(&["db", "copy", "--from", &origin.url, "--to", &mid.url]));
    assert!(there.contains("target audit chain: ok"), "{there}");
    assert!(there.contains("copied audit_log: "), "{there}");
    let again = ok(&run(&["db", "copy", "--from", &mid.url, "--to", &back.url]));
    assert!(again.contains("copy complete"), "{again}");

    let (origin_db, mid_db, back_db) = (open(&origin.url).await, open(&mid.url).await, open(&back.url).await);
    let expected = dump(&origin_db).await;
    assert_eq!(dump(&mid_db).await, expected, "{backend:?} -> {:?}", other(backend));
    assert_eq!(dump(&back_db).await, expected, "{backend:?} -> {:?} -> {backend:?}", other(backend));
    for db in [&mid_db, &back_db] {
        assert_eq!(db.verify_audit_chain().await.expect("verify").first_broken_id, None);
    }

    // A target holding data is refused (a dry run says so too), unless --force.
    let refused = run(&["db", "copy", "--from", &origin.url, "--to", &mid.url]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("the target is not empty (users: "), "{}", String::from_utf8_lossy(&refused.stderr));
    let dry = run(&["db", "copy", "--from", &origin.url, "--to", &mid.url, "--dry-run"]);
    assert_eq!(dry.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dry.stderr).contains("would be refused"));
    assert!(run(&["db", "copy", "--from", &origin.url, "--to", &origin.url]).status.code() == Some(1), "a database onto itself");

    // --force replaces the target, audit log included, in one transaction.
    mid_db
        .append_audit(server::db::audit::NewAudit { event_type: "extra".into(), actor_type: "system".into(), user_identity: "x".into(), ..Default::default() })
        .await
        .expect("append");
    let forced = ok(&run(&["db", "copy", "--from", &back.url, "--to", &mid.url, "--force"]));
    assert!(forced.contains("--force: replacing the target's contents"), "{forced}");
    assert_eq!(dump(&mid_db).await, expected);
    assert!(mid_db.audit_rows_by_type("extra").await.expect("rows").is_empty());
    // The audit log is append-only again afterwards.
    let refused_delete = match &mid_db {
        Db::Sqlite(p) => sqlx::query("delete from audit_log").execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::query("delete from audit_log").execute(p).await.map(|_| ()),
    };
    assert!(refused_delete.is_err(), "the delete guard is back");
    for db in [origin_db, mid_db, back_db] {
        db.close().await;
    }
}

async fn a_killed_copy_leaves_the_target_empty_and_can_be_rerun(backend: Backend) {
    let origin = TestDb::new(backend).await;
    let src = open(&origin.url).await;
    src.migrate().await.expect("migrate");
    // Enough rows that the copy is still running when it is killed.
    let bulk = "with recursive n(i) as (select 1 union all select i + 1 from n where i < 60000) \
                insert into login_failures (username_lower, client_ip, failed_at) select 'user-' || i, '192.0.2.1', '2026-01-01T00:00:00Z' from n";
    let bulk =
        bulk.replace("'2026-01-01T00:00:00Z'", if backend == Backend::Postgres { "timestamptz '2026-01-01T00:00:00Z'" } else { "'2026-01-01T00:00:00Z'" });
    match &src {
        Db::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(bulk)).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(bulk)).execute(p).await.map(|_| ()),
    }
    .expect("bulk rows");
    src.append_audit(server::db::audit::NewAudit { event_type: "before".into(), actor_type: "system".into(), user_identity: "x".into(), ..Default::default() })
        .await
        .expect("append");
    let target = TestDb::new(other(backend)).await;

    let mut child = gharts("sqlite://unused.db")
        .args(["db", "copy", "--from", &origin.url, "--to", &target.url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.find_map(|l| l.ok().filter(|l| l.starts_with("copied "))).expect("a table completed");
    assert_eq!(first, "copied users: 0 row(s)");
    child.kill().expect("kill");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "killed before it finished");

    let dst = open(&target.url).await;
    for t in TABLES.iter().filter(|t| t.holds_data()) {
        assert_eq!(dst.count_rows(t).await.expect("count"), 0, "{} is empty after the kill", t.name);
    }
    let rerun = ok(&run(&["db", "copy", "--from", &origin.url, "--to", &target.url]));
    assert!(rerun.contains("copied login_failures: 60000 row(s)"), "{rerun}");
    assert_eq!(dump(&dst).await, dump(&src).await);
    src.close().await;
    dst.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_copy_catalogue_lists_every_table_and_column_of_both_schemas() {
    crate::skip_without!(PostgreSql);
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = TestDb::new(backend).await;
        let db = open(&db.url).await;
        db.migrate().await.expect("migrate");
        let mut names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        assert_eq!(db.schema_tables().await.expect("tables"), names, "{backend:?}");
        for t in TABLES {
            let cols: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
            assert_eq!(db.schema_columns(t.name).await.expect("columns"), cols, "{backend:?} {}", t.name);
        }
        db.close().await;
    }
}
