//! GitHub settings: the App credentials, the webhook secret and the label-policy mode.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::{ConfigError, Env};

/// The GitHub App GHARTS acts as; `None` in [`super::Config`] when `GITHUB_APP_ID` is unset.
#[derive(Clone)]
pub struct GitHubAppConfig {
    /// `GITHUB_APP_ID`.
    pub app_id: u64,
    /// `GITHUB_APP_PRIVATE_KEY` / `_FILE` (alias `GITHUB_APP_PRIVATE_KEY_PATH`): PEM, PKCS#1 or PKCS#8.
    pub private_key: SecretString,
    /// `GITHUB_ORG`: the organisation whose runners GHARTS manages.
    pub org: String,
    /// `GITHUB_INSTALLATION_ID` (alias `GITHUB_APP_INSTALLATION_ID`); discovered from the org when unset.
    pub installation_id: Option<u64>,
    /// `GITHUB_API_URL` (default `https://api.github.com`; GHES: `https://HOST/api/v3`).
    pub api_url: url::Url,
    /// `GITHUB_TIMEOUT_SECONDS` (default 10): one HTTP attempt.
    pub request_timeout: Duration,
    /// `GITHUB_RETRY_DEADLINE_SECONDS` (default 20): retries stop once this much time has passed.
    pub retry_deadline: Duration,
}

impl std::fmt::Debug for GitHubAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubAppConfig")
            .field("app_id", &self.app_id)
            .field("private_key", &"<redacted>")
            .field("org", &self.org)
            .field("installation_id", &self.installation_id)
            .field("api_url", &self.api_url.as_str())
            .finish_non_exhaustive()
    }
}

/// What a label-policy violation found after issue (webhook, sync drift) leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Enforcement {
    /// Record a security event only.
    #[default]
    Audit,
    /// Also cancel the run (webhook) or delete the runner (sync drift).
    Enforce,
}

impl Enforcement {
    /// `audit` or `enforce`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Audit => "audit",
            Self::Enforce => "enforce",
        }
    }
}

/// Webhook and policy settings (usable without the App: the webhook only needs its secret).
#[derive(Clone, Default)]
pub struct WebhookConfig {
    /// `GITHUB_WEBHOOK_SECRET` / `_FILE`: without it the webhook answers `503 WEBHOOK_NOT_CONFIGURED`.
    pub secret: Option<SecretString>,
    /// `GITHUB_WEBHOOK_SECRET_PREVIOUS` / `_FILE`: also accepted while rotating.
    pub secret_previous: Option<SecretString>,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("secret_previous", &self.secret_previous.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl GitHubAppConfig {
    /// Reads the `GITHUB_*` App variables; `Ok(None)` when `GITHUB_APP_ID` is unset.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        if env.raw(&["GITHUB_APP_ID"]).is_none() {
            return Ok(None);
        }
        let app_id: u64 = env.parse(&["GITHUB_APP_ID"], 0)?;
        if app_id == 0 {
            return Err(ConfigError::new("GITHUB_APP_ID", "must be a positive integer"));
        }
        let private_key = match env.secret("GITHUB_APP_PRIVATE_KEY")? {
            Some(k) => k,
            None => match env.raw(&["GITHUB_APP_PRIVATE_KEY_PATH"]) {
                Some((name, path)) => {
                    std::fs::read_to_string(&path).map(SecretString::from).map_err(|e| ConfigError::new(&name, format!("cannot read {path:?}: {e}")))?
                }
                None => return Err(ConfigError::new("GITHUB_APP_PRIVATE_KEY", "required when GITHUB_APP_ID is set (or GITHUB_APP_PRIVATE_KEY_FILE)")),
            },
        };
        let pem = private_key.expose_secret();
        if !(pem.contains("-----BEGIN RSA PRIVATE KEY-----") || pem.contains("-----BEGIN PRIVATE KEY-----")) {
            return Err(ConfigError::new("GITHUB_APP_PRIVATE_KEY", "is not a PEM RSA private key (PKCS#1 or PKCS#8)"));
        }
        jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|e| ConfigError::new("GITHUB_APP_PRIVATE_KEY", format!("cannot be read as an RSA key: {e}")))?;
        let org = env.string(&["GITHUB_ORG"]).ok_or_else(|| ConfigError::new("GITHUB_ORG", "required when GITHUB_APP_ID is set"))?;
        let installation_id = match env.raw(&["GITHUB_INSTALLATION_ID", "GITHUB_APP_INSTALLATION_ID"]) {
            None => None,
            Some((name, v)) => Some(v.trim().parse::<u64>().map_err(|_| ConfigError::new(&name, format!("not a positive integer: {v:?}")))?),
        };
        let api_raw = env.string(&["GITHUB_API_URL"]).unwrap_or_else(|| "https://api.github.com".to_owned());
        let api_url =
            url::Url::parse(api_raw.trim_end_matches('/')).map_err(|e| ConfigError::new("GITHUB_API_URL", format!("invalid URL {api_raw:?}: {e}")))?;
        if !matches!(api_url.scheme(), "http" | "https") {
            return Err(ConfigError::new("GITHUB_API_URL", "must be an http(s) URL"));
        }
        Ok(Some(Self {
            app_id,
            private_key,
            org,
            installation_id,
            api_url,
            request_timeout: Duration::from_secs(env.parse(&["GITHUB_TIMEOUT_SECONDS"], 10)?.max(1)),
            retry_deadline: {
                // Inside the 30 s request timeout, with room for the database around the call.
                let secs: u64 = env.parse(&["GITHUB_RETRY_DEADLINE_SECONDS"], 20)?;
                if secs > 25 {
                    return Err(ConfigError::new("GITHUB_RETRY_DEADLINE_SECONDS", "must be at most 25 (requests time out after 30 s)"));
                }
                Duration::from_secs(secs)
            },
        }))
    }
}

impl WebhookConfig {
    /// Reads `GITHUB_WEBHOOK_SECRET(_PREVIOUS)(_FILE)`; an empty value counts as unset.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let non_empty = |s: Option<SecretString>| s.filter(|s| !s.expose_secret().is_empty());
        Ok(Self { secret: non_empty(env.secret("GITHUB_WEBHOOK_SECRET")?), secret_previous: non_empty(env.secret("GITHUB_WEBHOOK_SECRET_PREVIOUS")?) })
    }
}

impl Enforcement {
    /// Reads `LABEL_POLICY_ENFORCEMENT` (`audit`, the default, or `enforce`; anything else is refused).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        match env.raw(&["LABEL_POLICY_ENFORCEMENT"]) {
            None => Ok(Self::Audit),
            Some((name, v)) => match v.trim().to_ascii_lowercase().as_str() {
                "audit" | "" => Ok(Self::Audit),
                "enforce" => Ok(Self::Enforce),
                _ => Err(ConfigError::new(&name, format!("must be audit or enforce, not {v:?}"))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforcement_refuses_unknown_modes() {
        let env = Env::from_pairs([("LABEL_POLICY_ENFORCEMENT", "bogus")]);
        assert_eq!(Enforcement::from_env(&env).expect_err("refused").var, "LABEL_POLICY_ENFORCEMENT");
        assert_eq!(Enforcement::from_env(&Env::from_pairs([("LABEL_POLICY_ENFORCEMENT", "Enforce")])).expect("ok"), Enforcement::Enforce);
    }

    #[test]
    fn github_needs_a_key_and_an_org() {
        assert!(GitHubAppConfig::from_env(&Env::default()).expect("off").is_none());
        let env = Env::from_pairs([("GITHUB_APP_ID", "1"), ("GITHUB_ORG", "acme")]);
        assert_eq!(GitHubAppConfig::from_env(&env).expect_err("refused").var, "GITHUB_APP_PRIVATE_KEY");
        let env = Env::from_pairs([("GITHUB_APP_ID", "1"), ("GITHUB_ORG", "acme"), ("GITHUB_APP_PRIVATE_KEY", "not a key")]);
        assert_eq!(GitHubAppConfig::from_env(&env).expect_err("refused").var, "GITHUB_APP_PRIVATE_KEY");
    }

    #[test]
    fn empty_webhook_secret_is_unset() {
        let env = Env::from_pairs([("GITHUB_WEBHOOK_SECRET", "")]);
        assert!(WebhookConfig::from_env(&env).expect("ok").secret.is_none());
    }
}
