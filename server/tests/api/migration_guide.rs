//! `docs/migration_guide.md`, run as written: every `sh` block of a section, line by line, in
//! order, through `sh -c`, with the guide's variables pointing at test databases.

use std::path::Path;
use std::process::Command;

use crate::both_databases;
use crate::db_copy::{dump, open, other, populated};
use crate::helpers::{Backend, TestDb};
use crate::import_python::{exec, python_fixture};

both_databases!(the_guide_moves_a_database_to_the_other_backend, the_guide_imports_a_python_database);

/// The command lines of the `sh` blocks under `## {section}`.
fn commands(section: &str) -> Vec<String> {
    let guide = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/migration_guide.md")).expect("the guide");
    let heading = format!("## {section}");
    let body = guide.split_once(&heading).unwrap_or_else(|| panic!("no section {heading:?}")).1;
    let body = body.split("\n## ").next().unwrap_or(body);
    let (mut out, mut in_sh) = (Vec::new(), false);
    for line in body.lines() {
        match line.trim_end() {
            "```sh" => in_sh = true,
            "```" => in_sh = false,
            l if in_sh && !l.is_empty() => out.push(l.to_owned()),
            _ => {}
        }
    }
    assert!(!out.is_empty(), "the section has commands");
    out
}

/// Runs each line in `dir` with `gharts` on the `PATH`; returns each line's stdout.
fn run(lines: &[String], vars: &[(&str, &str)], dir: &Path) -> Vec<String> {
    let bin = Path::new(env!("CARGO_BIN_EXE_gharts")).parent().expect("bin dir").display().to_string();
    let path = format!("{bin}:{}", std::env::var("PATH").unwrap_or_default());
    lines
        .iter()
        .map(|line| {
            let out = Command::new("sh").arg("-c").arg(line).current_dir(dir).env_clear().env("PATH", &path).envs(vars.iter().copied()).output().expect("sh");
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(out.status.success(), "{line}\nstdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
            stdout
        })
        .collect()
}

fn head_hash(verify_output: &str) -> &str {
    verify_output.lines().find_map(|l| l.strip_prefix("head hash ")).expect("a head hash")
}

async fn the_guide_moves_a_database_to_the_other_backend(backend: Backend) {
    let old = populated(backend).await.stop().await;
    let new = TestDb::new(other(backend)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = commands("Moving from SQLite to PostgreSQL");
    let out = run(&lines, &[("OLD_DB", &old.url), ("NEW_DB", &new.url)], dir.path());
    let all = out.concat();
    for expected in ["dry run: would copy into the empty target", "copy complete", "target audit chain: ok"] {
        assert!(all.contains(expected), "{expected:?} in {all}");
    }
    let verifies: Vec<&String> = lines.iter().zip(&out).filter(|(l, _)| l.contains("audit verify")).map(|(_, o)| o).collect();
    assert_eq!(verifies.len(), 2);
    assert_eq!(head_hash(verifies[0]), head_hash(verifies[1]), "the new database ends where the old one did");
    assert!(dir.path().join("audit-before-move.jsonl").metadata().expect("export").len() > 0);
    let backup = open(&format!("sqlite://{}", dir.path().join("backup-before-move.db").display())).await;
    assert!(backup.verify_audit_chain().await.expect("verify").checked > 0);
    let (old_db, new_db) = (open(&old.url).await, open(&new.url).await);
    // The new database took one write of its own since (the export in step 4).
    let before_export = |mut d: Vec<(&'static str, Vec<Vec<server::db::table_copy::Cell>>)>| {
        d.retain(|(t, _)| !["audit_log", "audit_chain_head"].contains(t));
        d
    };
    assert_eq!(before_export(dump(&new_db).await), before_export(dump(&old_db).await));
    for db in [backup, old_db, new_db] {
        db.close().await;
    }
}

async fn the_guide_imports_a_python_database(backend: Backend) {
    let python = python_fixture(backend).await;
    // The guide's dry run finds the runner with an unknown status; the operator fixes the source.
    let src = open(&python.url).await;
    exec(&src, "delete from runners where status = 'exploded'").await;
    src.close().await;
    let new = TestDb::new(backend).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(&commands("Moving from the Python service"), &[("PY_DB", &python.url), ("NEW_DB", &new.url)], dir.path());
    let all = out.concat();
    for expected in ["dry run: nothing written", "import complete", "status ok:"] {
        assert!(all.contains(expected), "{expected:?} in {all}");
    }
    assert!(!all.contains("cannot import:"), "{all}");
    let csv = std::fs::read_to_string(dir.path().join("imported-audit.csv")).expect("export");
    assert!(csv.contains("python_import_completed") && csv.contains("provision_jit"), "{csv}");
}
