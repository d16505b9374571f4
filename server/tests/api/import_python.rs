//! `gharts import python-gharts`: a fixture in the Python service's schema (built from its
//! documented columns, awkward cases included), imported all or nothing.

use serde_json::Value;
use server::db::Db;

use crate::both_databases;
use crate::cli::gharts;
use crate::db_copy::open;
use crate::helpers::probe::Probe as _;
use crate::helpers::{Backend, TestDb};

both_databases!(a_python_database_is_imported_with_every_conversion_reported);

/// The Python service's tables as its ORM creates them; `{ts}` and `{serial}` are filled in per dialect.
const PYTHON_SCHEMA: &str = include_str!("../fixtures/python-gharts-schema.sql");

const ML: &str = "11111111-1111-4111-8111-111111111111";
const WEB: &str = "22222222-2222-4222-8222-222222222222";
const LEGACY_ADMINS: &str = "33333333-3333-4333-8333-333333333333";
const ALICE: &str = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
const BOB: &str = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
const CAROL: &str = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";

/// Rows with the awkward cases: naive times, labels as JSON text, `online`/`active` statuses,
/// an inactive team, the legacy stored admins team, two active M2M clients of one team,
/// prefix patterns and one Rust cannot express, and a runner with an unknown status.
fn fixture_rows() -> Vec<String> {
    let t = "'2025-06-01 12:00:00.123456'";
    vec![
        format!("insert into teams values ('{ML}', 'ml-infra', 'GPU training', '[\"gpu\"]', '[\"gpu\", \"team-.*\", \"cuda-(?!11)\"]', 10, true, null, null, null, {t}, {t}, 'cli')"),
        format!("insert into teams values ('{WEB}', 'web', null, '[]', null, null, false, 'sunset', '2025-07-01 08:00:00', 'alice@example.com', {t}, {t}, 'cli')"),
        format!("insert into teams values ('{LEGACY_ADMINS}', 'admins', 'System administrators team', '[]', '[\".*\"]', null, true, null, null, null, {t}, {t}, 'system')"),
        format!("insert into users values ('{ALICE}', 'alice@example.com', 'alice-sub', 'Alice', true, true, true, {t}, {t}, '2025-08-01 09:30:00', 'cli')"),
        format!("insert into users values ('{BOB}', 'Bob@Example.com', 'bob-sub', null, false, false, true, {t}, '2025-09-01 10:00:00', null, 'alice@example.com')"),
        format!("insert into users values ('{CAROL}', 'carol@example.com', null, null, false, true, false, {t}, {t}, null, null)"),
        format!("insert into user_team_memberships values ('m1', '{ALICE}', '{ML}', {t}, 'cli')"),
        format!("insert into user_team_memberships values ('m2', '{BOB}', '{ML}', {t}, 'alice@example.com')"),
        format!("insert into user_team_memberships values ('m3', '{CAROL}', '{WEB}', {t}, null)"),
        format!("insert into user_team_memberships values ('m4', '{ALICE}', '{LEGACY_ADMINS}', {t}, 'system')"),
        format!("insert into oauth_clients values ('44444444-4444-4444-8444-444444444444', 'ci-ml', '{ML}', 'CI', true, {t}, 'cli', '2025-10-01 00:00:00')"),
        format!("insert into oauth_clients values ('55555555-5555-4555-8555-555555555555', 'ci-ml-old', '{ML}', null, true, {t}, 'cli', null)"),
        format!(
            "insert into runners values ('66666666-6666-4666-8666-666666666661', 'gpu-1', 101, 3, '[\"self-hosted\", \"gpu\"]', true, false, 'alice@example.com', 'alice-sub', '{ML}', 'ml-infra', 'online', 'https://github.com/acme', {t}, {t}, {t}, null)"
        ),
        format!(
            "insert into runners values ('66666666-6666-4666-8666-666666666662', 'ci-1', 102, 3, '[\"self-hosted\", \"gpu\", \"team-x\"]', true, false, 'm2m:ml-infra', 'ci-ml', '{ML}', 'ml-infra', 'active', 'https://github.com/acme', {t}, {t}, {t}, null)"
        ),
        format!(
            "insert into runners values ('66666666-6666-4666-8666-666666666663', 'gpu-1', 99, 3, '[\"self-hosted\"]', true, false, 'alice@example.com', 'alice-sub', '{ML}', 'ml-infra', 'deleted', 'https://github.com/acme', {t}, {t}, null, '2025-06-02 00:00:00')"
        ),
        format!(
            "insert into runners values ('66666666-6666-4666-8666-666666666664', 'web-1', null, 1, '[\"self-hosted\"]', true, false, 'carol@example.com', null, '{WEB}', 'web', 'pending', 'https://github.com/acme', {t}, {t}, null, null)"
        ),
        format!(
            "insert into runners values ('66666666-6666-4666-8666-666666666665', 'odd-1', null, 1, '[]', true, false, 'carol@example.com', null, '{WEB}', 'web', 'exploded', 'https://github.com/acme', {t}, {t}, null, null)"
        ),
        format!(
            "insert into audit_log (event_type, runner_id, runner_name, team_id, user_identity, oidc_sub, event_data, success, error_message, timestamp) values ('provision_jit', '66666666-6666-4666-8666-666666666661', 'gpu-1', '{ML}', 'alice@example.com', 'alice-sub', '{{\"labels\": [\"gpu\"], \"runner_group_id\": 3}}', true, null, '2025-06-01 12:00:00')"
        ),
        "insert into audit_log (event_type, user_identity, event_data, success, error_message, timestamp) values ('provision_jit_failed', 'm2m:ml-infra', null, false, 'quota', '2025-06-01 12:05:00')".to_owned(),
        format!(
            "insert into security_events (event_type, severity, team_id, user_identity, violation_data, action_taken, timestamp) values ('label_policy_violation', 'medium', '{ML}', 'm2m:ml-infra', '{{\"invalid_labels\": [\"cpu\"]}}', 'rejected', {t})"
        ),
    ]
}

/// Runs one statement, panicking with it on failure.
pub async fn exec(db: &Db, sql: &str) {
    let sql = sql.to_owned();
    match db {
        Db::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(sql.clone())).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(sql.clone())).execute(p).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A Python GHARTS database on `backend`.
pub async fn python_fixture(backend: Backend) -> TestDb {
    let fixture = TestDb::new(backend).await;
    let db = open(&fixture.url).await;
    let (ts, serial) = match backend {
        Backend::Sqlite => ("datetime", "integer not null primary key"),
        Backend::Postgres => ("timestamp without time zone", "serial primary key"),
    };
    for stmt in PYTHON_SCHEMA.replace("{ts}", ts).replace("{serial}", serial).split(';').filter(|s| !s.trim().is_empty()) {
        exec(&db, stmt).await;
    }
    for row in fixture_rows() {
        exec(&db, &row).await;
    }
    db.close().await;
    fixture
}

fn import(target: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = gharts(target).args(["import", "python-gharts"]).args(args).output().expect("run gharts");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

async fn a_python_database_is_imported_with_every_conversion_reported(backend: Backend) {
    let fixture = python_fixture(backend).await;
    let target = TestDb::new(backend).await;

    let (code, dry, _) = import(&target.url, &["--from", &fixture.url, "--dry-run"]);
    assert_eq!(code, Some(0), "{dry}");
    assert!(dry.contains("dry run: nothing written"), "{dry}");

    // One row cannot be imported: nothing is.
    let (code, out, err) = import(&target.url, &["--from", &fixture.url]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("cannot import: runner odd-1 (66666666-6666-4666-8666-666666666665): unknown status \"exploded\""), "{out}");
    assert!(err.contains("nothing was imported: 1 row(s) cannot be imported"), "{err}");
    let db = open(&target.url).await;
    let teams_table = server::db::tables::TABLES.iter().find(|t| t.name == "teams").expect("teams");
    assert_eq!(db.count_rows(teams_table).await.expect("count"), 0);

    let (code, out, err) = import(&target.url, &["--from", &fixture.url, "--skip-invalid"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    for line in [
        "converted: team ml-infra (11111111-1111-4111-8111-111111111111): pattern \"gpu\" -> \"gpu.*\" (Python re.match prefix match made a full match)",
        "converted: team ml-infra (11111111-1111-4111-8111-111111111111): pattern \"cuda-(?!11)\" dropped: cannot be expressed as a Rust regex",
        "converted: team ml-infra (11111111-1111-4111-8111-111111111111): patterns now match case-insensitively",
        "converted: team ml-infra (11111111-1111-4111-8111-111111111111): runner groups [3] allowed (those its runners used), default 3",
        "converted: team web (22222222-2222-4222-8222-222222222222): imported inactive",
        "converted: team admins (33333333-3333-4333-8333-333333333333): the legacy stored admins team is not imported",
        "converted: 1 membership(s) of the legacy admins team not imported",
        "converted: M2M client ci-ml-old: imported inactive",
        "converted: 1 inactive user(s): deactivated_at set to their last update",
        "converted: runner status active -> busy: 1 runner(s)",
        "converted: runner status online -> idle: 1 runner(s)",
        "converted: 2 audit row(s) appended to the hash chain with their original times",
        "timestamp(s) without a time zone read as UTC",
        "audit chain: ok (3 row(s))",
        "import complete",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    assert!(!out.contains("pattern \"team-.*\" ->"), "an explicit prefix pattern is kept as it is");

    let team = db.find_team_by_name("ml-infra").await.expect("query").expect("imported");
    assert_eq!(team.optional_label_patterns.map(|p| p.0), Some(vec!["gpu.*".to_owned(), "team-.*".to_owned()]));
    assert_eq!(team.allowed_runner_group_ids.0, vec![3]);
    assert!(!db.find_team_by_name("web").await.expect("query").expect("imported").is_active);
    assert!(db.find_team_by_name("admins").await.expect("query").is_none());
    let runners: Vec<(String, String, Option<String>)> = match &db {
        Db::Sqlite(p) => sqlx::query_as("select runner_name, status, actor_type from runners order by id").fetch_all(p).await,
        Db::Postgres(p) => sqlx::query_as("select runner_name, status, actor_type from runners order by id").fetch_all(p).await,
    }
    .expect("runners");
    let expected = [("gpu-1", "idle", "user"), ("ci-1", "busy", "m2m"), ("gpu-1", "deleted", "user"), ("web-1", "pending", "user")];
    assert_eq!(runners.iter().map(|(n, s, a)| (n.as_str(), s.as_str(), a.as_deref().unwrap_or(""))).collect::<Vec<_>>(), expected);

    let imported = db.audit_rows_by_type("provision_jit").await.expect("rows");
    assert_eq!(imported.len(), 1);
    assert_eq!(app::contract::timestamp::format(&imported[0].timestamp), "2025-06-01T12:00:00.000000Z", "a naive time read as UTC");
    let data: Value = serde_json::from_str(imported[0].event_data.as_deref().expect("data")).expect("json");
    assert_eq!(data["imported"]["source"], "python-gharts");
    assert_eq!(data["imported"]["original_id"], 1);
    assert_eq!(data["runner_group_id"], 3);
    let failed = db.audit_rows_by_type("provision_jit_failed").await.expect("rows");
    assert_eq!((failed[0].actor_type.as_str(), failed[0].success), ("m2m", false));
    assert_eq!(db.audit_rows_by_type("python_import_completed").await.expect("rows").len(), 1);
    assert_eq!(db.count_security_events("label_policy_violation").await.expect("count"), 1);
    assert_eq!(db.verify_audit_chain().await.expect("verify").first_broken_id, None);

    // A second import is refused and writes nothing.
    let (code, _, err) = import(&target.url, &["--from", &fixture.url, "--skip-invalid"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("already imported"), "{err}");
    assert_eq!(db.audit_rows_by_type("provision_jit").await.expect("rows").len(), 1);
    db.close().await;
}
