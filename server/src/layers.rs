//! The layer map of [`crate`] as data, and the test that holds the source to it: a module may
//! use modules of lower layers and its own, never one above (or beside) it. Lowest first:
//!
//! | Layer | Modules | Holds |
//! |---|---|---|
//! | 0 | `config` | typed settings from the environment |
//! | 1 | `metrics`, `random_token`, `telemetry` | counters, unguessable tokens, logging |
//! | 2 | `db` | the repository over SQLite or PostgreSQL |
//! | 3 | `error` | [`crate::error::AppError`], which wraps the repository's errors |
//! | 4 | `github`, `oidc` | the two external systems behind small clients |
//! | 5 | `auth` | credentials → principal, the [`crate::auth::Caller`], sessions, audit rows |
//! | 6 | `state`, `bootstrap` | the shared `AppState`; the bootstrap admin |
//! | 7 | `services` | the business rules, one module per resource |
//! | 8 | `http`, `cli`, `startup` | the entry points: routes and extractors; sub-commands; building and running the process |
//!
//! `app::contract` (the wire types) is outside the crate and usable from every layer.

/// Layers, lowest first; the index is the layer's rank.
pub const LAYERS: &[&[&str]] = &[
    &["config"],
    &["metrics", "random_token", "telemetry"],
    &["db"],
    &["error"],
    &["github", "oidc"],
    &["auth"],
    &["state", "bootstrap"],
    &["services"],
    &["http", "cli", "startup"],
];

/// The rank of a top-level module, if it is in the map.
pub fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::{LAYERS, rank};

    /// Every `.rs` file under `dir`, recursively.
    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read source dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The top-level modules a source text names through `crate::` (also inside `crate::{…}`).
    fn crate_uses(text: &str) -> Vec<String> {
        let mut found = Vec::new();
        for (i, _) in text.match_indices("crate::") {
            // Skip `$crate::` and identifiers that merely end in `crate`.
            if text[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let rest = &text[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or_default();
                found.extend(inner.split(',').filter_map(|part| part.trim().split("::").next()).map(str::to_owned));
            } else {
                found.push(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
            }
        }
        found.retain(|m| !m.is_empty());
        found
    }

    #[test]
    fn every_top_level_module_is_on_the_map() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for entry in std::fs::read_dir(&src).expect("src") {
            let path = entry.expect("entry").path();
            let name = path.file_stem().and_then(|n| n.to_str()).expect("name").to_owned();
            if matches!(name.as_str(), "lib" | "main" | "bin" | "layers") {
                continue;
            }
            assert!(rank(&name).is_some(), "server/src/{name} is not in the layer map (server/src/layers.rs)");
        }
    }

    #[test]
    fn no_module_imports_from_a_layer_above_or_beside_it() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let top = LAYERS.len() - 1;
        let mut breaches = Vec::new();
        for (r, layer) in LAYERS.iter().enumerate() {
            for module in *layer {
                let mut files = Vec::new();
                let dir = src.join(module);
                if dir.is_dir() {
                    sources(&dir, &mut files);
                } else {
                    files.push(src.join(format!("{module}.rs")));
                }
                for file in files {
                    let text = std::fs::read_to_string(&file).expect("read source");
                    for used in crate_uses(&text) {
                        let Some(used_rank) = rank(&used) else { continue };
                        let allowed = used == *module || used_rank < r || (r == top && used_rank == top);
                        if !allowed {
                            breaches
                                .push(format!("{} uses crate::{used} (layer {used_rank} from layer {r})", file.strip_prefix(&src).unwrap_or(&file).display()));
                        }
                    }
                }
            }
        }
        assert!(breaches.is_empty(), "upward imports:\n{}", breaches.join("\n"));
    }

    #[test]
    fn the_scanner_sees_grouped_and_plain_paths() {
        let uses = crate_uses("use crate::{db::Db, http::extract};\nlet x = crate::services::f();\nmacro $crate::x");
        assert_eq!(uses, ["db", "http", "services"]);
    }
}
