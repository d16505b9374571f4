//! The contract the code cites: every "API.md §N" in the sources names a section of
//! `docs/api.md` (a heading `N.` / `N ` or a bold `**N` entry).

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The section numbers of a text's citations: `API.md §7.1`, and the further `§…` of a list or
/// range that follows it (`API.md §3.2–§3.5, §7.1`).
fn cited(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("API.md §") {
        let rest = &text[i + "API.md ".len()..];
        let line = rest.split(['\n', ')']).next().unwrap_or_default();
        for part in line.split('§').skip(1) {
            let number: String = part.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
            let number = number.trim_end_matches('.').to_owned();
            if !number.is_empty() {
                out.push(number);
            }
        }
    }
    out
}

fn defines(doc: &str, number: &str) -> bool {
    doc.lines().any(|line| {
        let heading = line.trim_start_matches('#');
        let is_heading = heading.len() < line.len() && (heading.starts_with(&format!(" {number} ")) || heading.starts_with(&format!(" {number}. ")));
        is_heading || line.contains(&format!("**{number} ")) || line.contains(&format!("**{number}**"))
    })
}

#[test]
fn every_cited_section_of_the_contract_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc = std::fs::read_to_string(root.join("docs/api.md")).expect("docs/api.md");
    let mut files = Vec::new();
    for dir in ["server/src", "server/tests", "app/src"] {
        sources(&root.join(dir), &mut files);
    }
    let mut missing = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        for number in cited(&text) {
            if !defines(&doc, &number) {
                missing.push(format!("{}: §{number}", file.strip_prefix(&root).unwrap_or(&file).display()));
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "cited but not in docs/api.md:\n{}", missing.join("\n"));
}

#[test]
fn citations_are_read_with_their_lists_and_ranges() {
    assert_eq!(cited("//! Runners (API.md §3.2–§3.5, §7.1).\n"), ["3.2", "3.5", "7.1"]);
    assert!(defines("### 1.5 Errors\n", "1.5") && defines("- **7.4 `GET`**\n", "7.4") && !defines("### 1.5 Errors\n", "1"));
}
