//! Label policy v2 (API.md §3.2): label syntax, full-match case-insensitive patterns, the exact
//! system-label list, and the merged final label list.

use app::contract::FieldError;
use regex::{Regex, RegexBuilder};

/// The only labels allowed without a pattern. Nothing else is exempt (`self-hosted-prod` is not).
pub const SYSTEM_LABELS: &[&str] = &["self-hosted", "linux", "windows", "macos", "x64", "arm64", "arm"];
/// GitHub's limit on labels per runner.
pub const MAX_LABELS: usize = 100;
/// Patterns per team.
pub const MAX_PATTERNS: usize = 50;
/// Characters per pattern.
pub const MAX_PATTERN_LEN: usize = 256;
/// Compiled-size limit per pattern, so a team cannot make matching expensive.
const PATTERN_SIZE_LIMIT: usize = 256 * 1024;
/// The message the contract requires for a bad character.
pub const ALNUM_MESSAGE: &str = "must be alphanumeric (letters, digits, '-' and '_' only)";

/// Why `value` is not a name token (1–`max` characters: ASCII letters, digits, `-`, `_`), if
/// it is not. The one rule for labels, runner names and runner name prefixes.
pub fn token_error(value: &str, max: usize) -> Option<String> {
    if value.is_empty() || value.len() > max {
        return Some(format!("must be 1–{max} characters"));
    }
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Some(ALNUM_MESSAGE.to_owned());
    }
    None
}

/// Why a label is malformed, if it is.
pub fn label_error(label: &str) -> Option<String> {
    token_error(label, 100)
}

/// Field errors for a list of labels named `field[i]`.
pub fn label_errors(field: &str, labels: &[String]) -> Vec<FieldError> {
    labels.iter().enumerate().filter_map(|(i, l)| label_error(l).map(|message| FieldError { field: format!("{field}[{i}]"), message })).collect()
}

/// Case-insensitive de-duplication keeping the first spelling.
pub fn dedup(labels: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in labels {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&l)) {
            out.push(l);
        }
    }
    out
}

/// Compiles one pattern as a full, case-insensitive match.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    if pattern.chars().count() > MAX_PATTERN_LEN {
        return Err(format!("must be at most {MAX_PATTERN_LEN} characters"));
    }
    // The raw pattern must parse on its own: `prod)|(dev` would otherwise close the wrapper's
    // group and match anything starting with `prod` or ending with `dev`.
    let build = |p: &str| RegexBuilder::new(p).case_insensitive(true).size_limit(PATTERN_SIZE_LIMIT).build();
    build(pattern).map_err(|e| format!("INVALID_LABEL_PATTERN: {e}"))?;
    build(&format!("^(?:{pattern})$")).map_err(|e| format!("INVALID_LABEL_PATTERN: {e}"))
}

/// Field errors for patterns that do not compile (`optional_label_patterns[i]`).
pub fn pattern_errors(patterns: &[String]) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = patterns
        .iter()
        .enumerate()
        .filter_map(|(i, p)| compile(p).err().map(|message| FieldError { field: format!("optional_label_patterns[{i}]"), message }))
        .collect();
    if patterns.len() > MAX_PATTERNS {
        errors.push(FieldError { field: "optional_label_patterns".into(), message: format!("at most {MAX_PATTERNS} patterns") });
    }
    errors
}

/// The outcome of checking a request's labels against a team's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelCheck {
    /// The final label list to register.
    Allowed(Vec<String>),
    /// Labels no rule permits.
    Violation {
        /// The offending labels.
        invalid: Vec<String>,
        /// The contract's detail text.
        detail: String,
    },
    /// More than GitHub's 100 labels after merging.
    TooMany(usize),
}

/// Merges `self-hosted`, the required labels and the requested ones, then checks every
/// requested label that is neither required nor a system label against the patterns.
pub fn evaluate(team: &str, required: &[String], patterns: &[String], requested: &[String]) -> LabelCheck {
    let compiled: Vec<Regex> = patterns.iter().filter_map(|p| compile(p).ok()).collect();
    let exempt = |l: &str| SYSTEM_LABELS.iter().any(|s| s.eq_ignore_ascii_case(l)) || required.iter().any(|r| r.eq_ignore_ascii_case(l));
    let invalid: Vec<String> = dedup(requested.iter().cloned()).into_iter().filter(|l| !exempt(l) && !compiled.iter().any(|re| re.is_match(l))).collect();
    if !invalid.is_empty() {
        let allowed = if patterns.is_empty() { "No optional patterns configured".to_owned() } else { format!("Allowed patterns: {}", patterns.join(", ")) };
        let detail = format!("Labels not permitted by team '{team}' policy: {}. {allowed}", invalid.join(", "));
        return LabelCheck::Violation { invalid, detail };
    }
    let merged = dedup(std::iter::once("self-hosted".to_owned()).chain(required.iter().cloned()).chain(requested.iter().cloned()));
    if merged.len() > MAX_LABELS {
        return LabelCheck::TooMany(merged.len());
    }
    LabelCheck::Allowed(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    fn allowed(req: &[&str], pats: &[&str], labels: &[&str]) -> Option<Vec<String>> {
        match evaluate("t", &s(req), &s(pats), &s(labels)) {
            LabelCheck::Allowed(l) => Some(l),
            _ => None,
        }
    }

    #[test]
    fn the_policy_table_of_the_contract() {
        // Required labels are merged in, first spelling kept, order defined.
        assert_eq!(allowed(&["team-a"], &[], &["Linux", "x64"]), Some(s(&["self-hosted", "team-a", "Linux", "x64"])));
        assert_eq!(allowed(&["team-a"], &[], &["TEAM-A"]), Some(s(&["self-hosted", "team-a"])));
        // Only the exact system labels are exempt.
        assert_eq!(allowed(&[], &[], &["self-hosted-evil"]), None);
        assert_eq!(allowed(&[], &[], &["SELF-HOSTED", "ARM64"]), Some(s(&["self-hosted", "ARM64"])));
        // Full match: `gpu` does not admit `gpu-x` unless the pattern says so.
        assert_eq!(allowed(&[], &["gpu"], &["gpu-x"]), None);
        assert_eq!(allowed(&[], &["gpu.*"], &["gpu-x"]), Some(s(&["self-hosted", "gpu-x"])));
        assert_eq!(allowed(&[], &["gpu"], &["GPU"]), Some(s(&["self-hosted", "GPU"])));
        // A pattern cannot be escaped by alternation: it is wrapped as ^(?:…)$.
        assert_eq!(allowed(&[], &["a|b"], &["ab"]), None);
        assert_eq!(allowed(&[], &["a|b"], &["b"]), Some(s(&["self-hosted", "b"])));
        // Nor by closing the wrapper's group: such a pattern is refused, and admits nothing.
        for escape in ["prod)|(dev", "x)|(.*", ")|("] {
            assert!(compile(escape).is_err_and(|e| e.starts_with("INVALID_LABEL_PATTERN")), "{escape}");
            assert_eq!(allowed(&[], &[escape], &["prod-anything"]), None, "{escape}");
            assert_eq!(allowed(&[], &[escape], &["anything-dev"]), None, "{escape}");
        }
    }

    #[test]
    fn one_token_rule_for_labels_names_and_prefixes() {
        assert_eq!(token_error("build_1-x", 64), None);
        assert_eq!(token_error(&"a".repeat(65), 64).as_deref(), Some("must be 1–64 characters"));
        assert_eq!(token_error("", 50).as_deref(), Some("must be 1–50 characters"));
        assert_eq!(token_error("a b", 64).as_deref(), Some(ALNUM_MESSAGE));
        assert_eq!(label_error(&"a".repeat(101)).as_deref(), Some("must be 1–100 characters"));
    }

    #[test]
    fn violations_name_the_labels_and_patterns() {
        match evaluate("ml", &[], &s(&["gpu-[0-9]+"]), &s(&["cpu", "gpu-1", "evil"])) {
            LabelCheck::Violation { invalid, detail } => {
                assert_eq!(invalid, s(&["cpu", "evil"]));
                assert_eq!(detail, "Labels not permitted by team 'ml' policy: cpu, evil. Allowed patterns: gpu-[0-9]+");
            }
            other => panic!("{other:?}"),
        }
        match evaluate("ml", &[], &[], &s(&["x"])) {
            LabelCheck::Violation { detail, .. } => assert!(detail.ends_with("No optional patterns configured")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn syntax_and_limits() {
        assert_eq!(label_error("ok_label-1"), None);
        assert_eq!(label_error("bad label").as_deref(), Some(ALNUM_MESSAGE));
        assert_eq!(label_error("ünï").as_deref(), Some(ALNUM_MESSAGE));
        assert!(label_error("").is_some());
        assert!(compile("(unclosed").is_err());
        let many: Vec<String> = (0..120).map(|i| format!("l{i}")).collect();
        assert!(matches!(evaluate("t", &[], &s(&["l[0-9]+"]), &many), LabelCheck::TooMany(121)));
    }
}
