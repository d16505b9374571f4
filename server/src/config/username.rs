//! The rule for local account names, shared by the bootstrap variable, the CLI and the API.

/// Why a username is not acceptable, if it is not (1–150 characters, no spaces or controls).
pub fn validate_username(name: &str) -> Option<String> {
    let len = name.chars().count();
    if len == 0 || len > 150 {
        return Some("must be 1–150 characters".to_owned());
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("must not contain spaces or control characters".to_owned());
    }
    None
}
