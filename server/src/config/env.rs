//! Reading typed values from the environment, with `NAME_FILE` for secrets and a clear
//! error naming the variable when a value is invalid.

use std::collections::HashMap;
use std::str::FromStr;

use secrecy::SecretString;

/// A configuration problem; the message always names the variable.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    /// An error about `var`.
    pub fn new(var: &str, message: impl Into<String>) -> Self {
        Self { var: var.to_owned(), message: message.into() }
    }
}

/// A snapshot of the environment (the process's, or a map in tests).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// The process environment.
    pub fn from_process() -> Self {
        Self { vars: std::env::vars().collect() }
    }

    /// A fixed map, for tests.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self { vars: pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect() }
    }

    /// The raw value of the first of `names` that is set and non-empty (aliases in order).
    pub fn raw(&self, names: &[&str]) -> Option<(String, String)> {
        names.iter().find_map(|n| self.vars.get(*n).filter(|v| !v.trim().is_empty()).map(|v| ((*n).to_owned(), v.trim().to_owned())))
    }

    /// A string value.
    pub fn string(&self, names: &[&str]) -> Option<String> {
        self.raw(names).map(|(_, v)| v)
    }

    /// A parsed value, or `default` when unset.
    pub fn parse<T: FromStr>(&self, names: &[&str], default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.raw(names) {
            None => Ok(default),
            Some((name, v)) => v.parse().map_err(|e: T::Err| ConfigError::new(&name, format!("invalid value {v:?}: {e}"))),
        }
    }

    /// A boolean: `true/false`, `1/0`, `yes/no`, `on/off`, any case.
    pub fn bool(&self, names: &[&str], default: bool) -> Result<bool, ConfigError> {
        match self.raw(names) {
            None => Ok(default),
            Some((name, v)) => parse_bool(&v).ok_or_else(|| ConfigError::new(&name, format!("invalid boolean {v:?} (use true or false)"))),
        }
    }

    /// A secret from `NAME` or from the file named by `NAME_FILE` (trailing newline trimmed).
    /// Setting both is an error, so an operator never wonders which one won.
    pub fn secret(&self, name: &str) -> Result<Option<SecretString>, ConfigError> {
        let file_var = format!("{name}_FILE");
        match (self.raw(&[name]), self.raw(&[file_var.as_str()])) {
            (Some(_), Some(_)) => Err(ConfigError::new(name, format!("set either {name} or {file_var}, not both"))),
            (Some((_, v)), None) => Ok(Some(SecretString::from(v))),
            (None, Some((_, path))) => {
                let content = std::fs::read_to_string(&path).map_err(|e| ConfigError::new(&file_var, format!("cannot read {path}: {e}")))?;
                let value = content.trim_end_matches(['\r', '\n']).to_owned();
                if value.is_empty() {
                    return Err(ConfigError::new(&file_var, format!("{path} is empty")));
                }
                Ok(Some(SecretString::from(value)))
            }
            (None, None) => Ok(None),
        }
    }
}

/// Parses the boolean spellings the API and the configuration accept.
pub use app::contract::query::parse_bool;
