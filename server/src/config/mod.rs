//! The one typed configuration, loaded once at start from the environment.
//!
//! Every part has `from_env`; a missing or invalid value stops the start with an error
//! naming the variable. Secrets are [`SecretString`]s and never appear in `Debug` output;
//! [`Config::redacted_lines`] is what `gharts check-config` prints.

mod env;
mod github;
mod oidc;
mod username;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};

pub use env::{ConfigError, Env, parse_bool};
pub use github::{Enforcement, GitHubAppConfig, WebhookConfig};
pub use oidc::{DEFAULT_ALGORITHMS, OidcConfig};
pub use username::validate_username;

/// Everything the service reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `GHARTS_ADDR`: listen address (default `127.0.0.1:3000`).
    pub addr: SocketAddr,
    /// `GHARTS_SITE_ROOT` (or cargo-leptos's `LEPTOS_SITE_ROOT`): the UI bundle to serve, if any.
    pub site_root: Option<PathBuf>,
    /// `PUBLIC_URL`: external base URL, for redirects, CSRF origin and `Secure` cookies.
    pub public_url: Option<url::Url>,
    /// `TRUSTED_PROXIES`: CIDRs whose `X-Forwarded-*` headers are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Database settings.
    pub database: DatabaseConfig,
    /// Local accounts and the bootstrap admin.
    pub local_auth: LocalAuthConfig,
    /// Browser sessions.
    pub session: SessionConfig,
    /// Logging.
    pub log: LogConfig,
    /// OIDC (bearer tokens, browser login); `None` when `OIDC_ISSUER` is unset.
    pub oidc: Option<OidcConfig>,
    /// `METRICS_TOKEN` / `_FILE`: when set, `/metrics` requires `Authorization: Bearer <token>`.
    pub metrics_token: Option<SecretString>,
    /// `JIT_UNUSED_EXPIRY` seconds (default 1800): a pending runner not seen online by then is reclaimed.
    pub jit_unused_expiry: Duration,
    /// `SYNC_ENABLED` (default true): whether the background sync worker runs and manual syncs
    /// are accepted. The worker also needs GitHub configured to do anything.
    pub sync_enabled: bool,
    /// `SYNC_INTERVAL_SECONDS` (default 120, at least 10): time between sync cycles; status
    /// reports sync as stale after three intervals without a successful cycle.
    pub sync_interval_seconds: u64,
    /// `DEFAULT_RUNNER_GROUP_ID` (default 1): a new team's allowlist and default group.
    pub default_runner_group_id: i64,
    /// `SESSION_SECRET` / `_FILE`: key material for the encrypted login-flow cookie. Required for
    /// several replicas (a random per-process key is used otherwise).
    pub session_secret: Option<SecretString>,
    /// The GitHub App; `None` when `GITHUB_APP_ID` is unset (provisioning answers 503).
    pub github: Option<GitHubAppConfig>,
    /// The webhook secret(s).
    pub webhook: WebhookConfig,
    /// `LABEL_POLICY_ENFORCEMENT`: `audit` (default) or `enforce`.
    pub label_policy_enforcement: Enforcement,
    /// `LABEL_DRIFT_DELETE_BUSY_RUNNERS` (default false): in enforce mode, also delete busy drifted runners.
    pub label_drift_delete_busy: bool,
    /// `SYNC_LEASE_SECONDS` (default 10, at least 3): how long the sync leader's lease lasts
    /// without renewal. Every replica polls every third of it, so a crashed leader is replaced
    /// within 4/3 of this (13 s by default); a leader shutting down releases it at once.
    pub sync_lease: Duration,
}

/// Database settings.
#[derive(Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL` / `DATABASE_URL_FILE` (default `sqlite://gharts.db`). `sslmode` and
    /// `sslrootcert` in a PostgreSQL URL configure TLS.
    pub url: SecretString,
    /// `DB_POOL_MAX` (default 10).
    pub pool_max: u32,
    /// `DB_ACQUIRE_TIMEOUT_SECONDS` (default 5): how long a request waits for a connection.
    pub acquire_timeout: Duration,
    /// `DB_CONNECT_TIMEOUT_SECONDS` (default 10): how long start-up waits for the database.
    pub connect_timeout: Duration,
    /// `RUN_MIGRATIONS` (default true).
    pub run_migrations: bool,
    /// `DB_SQLITE_CACHE_KIB` (default 2048): SQLite's page cache per connection, in KiB
    /// (`PRAGMA cache_size`); the memory it may take is this × `DB_POOL_MAX`.
    pub sqlite_cache_kib: u32,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_url(self.url.expose_secret()))
            .field("pool_max", &self.pool_max)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("run_migrations", &self.run_migrations)
            .field("sqlite_cache_kib", &self.sqlite_cache_kib)
            .finish()
    }
}

/// Local login and the bootstrap admin (API.md §2.6).
#[derive(Debug, Clone)]
pub struct LocalAuthConfig {
    /// `LOCAL_LOGIN_ENABLED` (default true).
    pub enabled: bool,
    /// `BOOTSTRAP_ADMIN_USERNAME` (default `admin`).
    pub bootstrap_username: String,
    /// `BOOTSTRAP_ADMIN_PASSWORD` / `_FILE`: enables the bootstrap admin.
    pub bootstrap_password: Option<SecretString>,
    /// `BOOTSTRAP_ADMIN_EMAIL` (optional).
    pub bootstrap_email: Option<String>,
    /// `LOGIN_MAX_CONCURRENT_HASHES` (default 4): password checks running at once (19 MiB each).
    pub max_concurrent_hashes: usize,
    /// `LOGIN_IP_ATTEMPTS_PER_MINUTE` (default 20): login attempts per address (IPv6: per /64).
    pub ip_attempts_per_minute: u32,
    /// `LOGIN_ACCOUNT_MAX_FAILURES` (default 20): failures per username, from any address, in 15 minutes.
    pub account_max_failures: i64,
}

/// Browser session lifetimes (API.md §2.5).
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// `SESSION_IDLE_TIMEOUT` seconds (default 3600).
    pub idle_timeout: Duration,
    /// `SESSION_ABSOLUTE_TIMEOUT` or `SESSION_MAX_AGE` seconds (default 28800).
    pub absolute_timeout: Duration,
}

/// Log output.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// `LOG_FORMAT`: `json` or `pretty` (default `pretty`; the images set `json`).
    pub json: bool,
    /// `LOG_LEVEL` or a `RUST_LOG`-style filter (default `info`).
    pub level: String,
}

/// The default database: a SQLite file in the working directory, created if absent.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://gharts.db";

impl Config {
    /// Loads and validates the configuration.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let addr = env.parse(&["GHARTS_ADDR"], SocketAddr::from(([127, 0, 0, 1], 3000)))?;
        let site_root = env.string(&["GHARTS_SITE_ROOT", "LEPTOS_SITE_ROOT"]).map(PathBuf::from);
        let public_url = env
            .raw(&["PUBLIC_URL"])
            .map(|(name, v)| {
                let url = url::Url::parse(&v).map_err(|e| ConfigError::new(&name, format!("invalid URL {v:?}: {e}")))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(ConfigError::new(&name, "must start with http:// or https://"));
                }
                Ok(url)
            })
            .transpose()?;
        let trusted_proxies = env.raw(&["TRUSTED_PROXIES"]).map(|(name, v)| parse_cidrs(&name, &v)).transpose()?.unwrap_or_default();
        let oidc = OidcConfig::from_env(env)?;
        // The SSO redirect URI and the same-origin rule must not come from the Host header.
        if oidc.as_ref().is_some_and(|o| o.client_id.is_some()) && public_url.is_none() {
            return Err(ConfigError::new(
                "PUBLIC_URL",
                "is required when single sign-on is enabled (OIDC_CLIENT_ID): the SSO redirect URI is built from it, e.g. https://gharts.example.com",
            ));
        }
        Ok(Self {
            addr,
            site_root,
            public_url,
            trusted_proxies,
            database: DatabaseConfig::from_env(env)?,
            local_auth: LocalAuthConfig::from_env(env)?,
            session: SessionConfig::from_env(env)?,
            log: LogConfig::from_env(env)?,
            oidc,
            metrics_token: env.secret("METRICS_TOKEN")?,
            jit_unused_expiry: {
                let secs: u64 = env.parse(&["JIT_UNUSED_EXPIRY"], 1800)?;
                if secs < 60 {
                    return Err(ConfigError::new("JIT_UNUSED_EXPIRY", "must be at least 60 seconds"));
                }
                Duration::from_secs(secs)
            },
            sync_enabled: env.bool(&["SYNC_ENABLED"], true)?,
            sync_interval_seconds: {
                let secs: u64 = env.parse(&["SYNC_INTERVAL_SECONDS"], 120)?;
                if secs < 10 {
                    return Err(ConfigError::new("SYNC_INTERVAL_SECONDS", "must be at least 10 seconds"));
                }
                secs
            },
            default_runner_group_id: {
                let g: i64 = env.parse(&["DEFAULT_RUNNER_GROUP_ID"], 1)?;
                if g < 1 {
                    return Err(ConfigError::new("DEFAULT_RUNNER_GROUP_ID", "must be at least 1"));
                }
                g
            },
            session_secret: {
                let s = env.secret("SESSION_SECRET")?;
                if s.as_ref().is_some_and(|s| s.expose_secret().len() < 32) {
                    return Err(ConfigError::new("SESSION_SECRET", "must be at least 32 characters"));
                }
                s
            },
            github: GitHubAppConfig::from_env(env)?,
            webhook: WebhookConfig::from_env(env)?,
            label_policy_enforcement: Enforcement::from_env(env)?,
            label_drift_delete_busy: env.bool(&["LABEL_DRIFT_DELETE_BUSY_RUNNERS"], false)?,
            sync_lease: {
                let secs: u64 = env.parse(&["SYNC_LEASE_SECONDS"], 10)?;
                if secs < 3 {
                    return Err(ConfigError::new("SYNC_LEASE_SECONDS", "must be at least 3 seconds"));
                }
                Duration::from_secs(secs)
            },
        })
    }

    /// The effective configuration as `NAME=value` lines, secrets redacted.
    pub fn redacted_lines(&self) -> Vec<String> {
        let secret = |s: &Option<SecretString>| if s.is_some() { "<set, redacted>" } else { "<unset>" }.to_owned();
        let opt = |s: Option<String>| s.unwrap_or_else(|| "<unset>".to_owned());
        vec![
            format!("GHARTS_ADDR={}", self.addr),
            format!("GHARTS_SITE_ROOT={}", opt(self.site_root.as_ref().map(|p| p.display().to_string()))),
            format!("PUBLIC_URL={}", opt(self.public_url.as_ref().map(url::Url::to_string))),
            format!("TRUSTED_PROXIES={}", self.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")),
            format!("DATABASE_URL={}", redact_url(self.database.url.expose_secret())),
            format!("DB_POOL_MAX={}", self.database.pool_max),
            format!("DB_ACQUIRE_TIMEOUT_SECONDS={}", self.database.acquire_timeout.as_secs()),
            format!("DB_CONNECT_TIMEOUT_SECONDS={}", self.database.connect_timeout.as_secs()),
            format!("RUN_MIGRATIONS={}", self.database.run_migrations),
            format!("LOCAL_LOGIN_ENABLED={}", self.local_auth.enabled),
            format!("BOOTSTRAP_ADMIN_USERNAME={}", self.local_auth.bootstrap_username),
            format!("BOOTSTRAP_ADMIN_PASSWORD={}", secret(&self.local_auth.bootstrap_password)),
            format!("BOOTSTRAP_ADMIN_EMAIL={}", opt(self.local_auth.bootstrap_email.clone())),
            format!("LOGIN_MAX_CONCURRENT_HASHES={}", self.local_auth.max_concurrent_hashes),
            format!("LOGIN_IP_ATTEMPTS_PER_MINUTE={}", self.local_auth.ip_attempts_per_minute),
            format!("LOGIN_ACCOUNT_MAX_FAILURES={}", self.local_auth.account_max_failures),
            format!("SESSION_IDLE_TIMEOUT={}", self.session.idle_timeout.as_secs()),
            format!("SESSION_ABSOLUTE_TIMEOUT={}", self.session.absolute_timeout.as_secs()),
            format!("LOG_FORMAT={}", if self.log.json { "json" } else { "pretty" }),
            format!("LOG_LEVEL={}", self.log.level),
            format!("SESSION_SECRET={}", secret(&self.session_secret)),
            format!("DEFAULT_RUNNER_GROUP_ID={}", self.default_runner_group_id),
            format!("SYNC_ENABLED={}", self.sync_enabled),
            format!("SYNC_INTERVAL_SECONDS={}", self.sync_interval_seconds),
            format!("JIT_UNUSED_EXPIRY={}", self.jit_unused_expiry.as_secs()),
            format!("METRICS_TOKEN={}", secret(&self.metrics_token)),
            format!("SYNC_LEASE_SECONDS={}", self.sync_lease.as_secs()),
            format!("GITHUB_APP_ID={}", opt(self.github.as_ref().map(|g| g.app_id.to_string()))),
            format!("GITHUB_APP_PRIVATE_KEY={}", if self.github.is_some() { "<set, redacted>" } else { "<unset>" }),
            format!("GITHUB_ORG={}", opt(self.github.as_ref().map(|g| g.org.clone()))),
            format!("GITHUB_INSTALLATION_ID={}", opt(self.github.as_ref().and_then(|g| g.installation_id.map(|i| i.to_string())))),
            format!("GITHUB_API_URL={}", opt(self.github.as_ref().map(|g| g.api_url.to_string()))),
            format!("GITHUB_WEBHOOK_SECRET={}", secret(&self.webhook.secret)),
            format!("GITHUB_WEBHOOK_SECRET_PREVIOUS={}", secret(&self.webhook.secret_previous)),
            format!("LABEL_POLICY_ENFORCEMENT={}", self.label_policy_enforcement.as_str()),
            format!("LABEL_DRIFT_DELETE_BUSY_RUNNERS={}", self.label_drift_delete_busy),
            format!("OIDC_ISSUER={}", opt(self.oidc.as_ref().map(|o| o.issuer.clone()))),
            format!("OIDC_AUDIENCE={}", opt(self.oidc.as_ref().and_then(|o| o.audience.clone()))),
            format!("OIDC_CLIENT_ID={}", opt(self.oidc.as_ref().and_then(|o| o.client_id.clone()))),
            format!("OIDC_CLIENT_SECRET={}", secret(&self.oidc.as_ref().and_then(|o| o.client_secret.clone()))),
            format!("OIDC_JWKS_URL={}", opt(self.oidc.as_ref().and_then(|o| o.jwks_url.clone()))),
            format!(
                "OIDC_ALLOWED_ALGORITHMS={}",
                self.oidc.as_ref().map(|o| o.algorithms.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(",")).unwrap_or_default()
            ),
        ]
    }
}

impl DatabaseConfig {
    /// Reads `DATABASE_URL(_FILE)`, `DB_POOL_MAX`, `DB_*_TIMEOUT_SECONDS`, `RUN_MIGRATIONS`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let url = env.secret("DATABASE_URL")?.unwrap_or_else(|| SecretString::from(DEFAULT_DATABASE_URL));
        let scheme = url.expose_secret().split(':').next().unwrap_or_default().to_owned();
        if !matches!(scheme.as_str(), "sqlite" | "postgres" | "postgresql") {
            return Err(ConfigError::new("DATABASE_URL", format!("unsupported scheme {scheme:?} (use sqlite:// or postgres://)")));
        }
        let pool_max: u32 = env.parse(&["DB_POOL_MAX", "DATABASE_POOL_SIZE"], 10)?;
        if pool_max == 0 {
            return Err(ConfigError::new("DB_POOL_MAX", "must be at least 1"));
        }
        Ok(Self {
            url,
            pool_max,
            acquire_timeout: Duration::from_secs(env.parse(&["DB_ACQUIRE_TIMEOUT_SECONDS"], 5)?),
            connect_timeout: Duration::from_secs(env.parse(&["DB_CONNECT_TIMEOUT_SECONDS"], 10)?),
            run_migrations: env.bool(&["RUN_MIGRATIONS"], true)?,
            sqlite_cache_kib: env.parse(&["DB_SQLITE_CACHE_KIB"], 2048)?,
        })
    }
}

impl LocalAuthConfig {
    /// Reads `LOCAL_LOGIN_ENABLED` and `BOOTSTRAP_ADMIN_*`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let bootstrap_username = env.string(&["BOOTSTRAP_ADMIN_USERNAME"]).unwrap_or_else(|| "admin".to_owned());
        if let Some(msg) = validate_username(&bootstrap_username) {
            return Err(ConfigError::new("BOOTSTRAP_ADMIN_USERNAME", msg));
        }
        let bootstrap_email = env.string(&["BOOTSTRAP_ADMIN_EMAIL"]);
        if bootstrap_email.as_deref().is_some_and(|e| !e.contains('@')) {
            return Err(ConfigError::new("BOOTSTRAP_ADMIN_EMAIL", "must be an email address"));
        }
        let max_concurrent_hashes: usize = env.parse(&["LOGIN_MAX_CONCURRENT_HASHES"], 4)?;
        if !(1..=256).contains(&max_concurrent_hashes) {
            return Err(ConfigError::new("LOGIN_MAX_CONCURRENT_HASHES", "must be 1–256"));
        }
        let ip_attempts_per_minute: u32 = env.parse(&["LOGIN_IP_ATTEMPTS_PER_MINUTE"], 20)?;
        if ip_attempts_per_minute == 0 {
            return Err(ConfigError::new("LOGIN_IP_ATTEMPTS_PER_MINUTE", "must be at least 1"));
        }
        let account_max_failures: i64 = env.parse(&["LOGIN_ACCOUNT_MAX_FAILURES"], 20)?;
        if account_max_failures < 5 {
            return Err(ConfigError::new("LOGIN_ACCOUNT_MAX_FAILURES", "must be at least 5 (the per-address limit)"));
        }
        Ok(Self {
            enabled: env.bool(&["LOCAL_LOGIN_ENABLED"], true)?,
            bootstrap_username,
            bootstrap_password: env.secret("BOOTSTRAP_ADMIN_PASSWORD")?,
            bootstrap_email,
            max_concurrent_hashes,
            ip_attempts_per_minute,
            account_max_failures,
        })
    }
}

impl SessionConfig {
    /// Reads `SESSION_IDLE_TIMEOUT` and `SESSION_ABSOLUTE_TIMEOUT` (alias `SESSION_MAX_AGE`).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let idle: u64 = env.parse(&["SESSION_IDLE_TIMEOUT"], 3600)?;
        let absolute: u64 = env.parse(&["SESSION_ABSOLUTE_TIMEOUT", "SESSION_MAX_AGE"], 28800)?;
        if idle == 0 || absolute == 0 {
            return Err(ConfigError::new("SESSION_IDLE_TIMEOUT", "session timeouts must be positive"));
        }
        Ok(Self { idle_timeout: Duration::from_secs(idle), absolute_timeout: Duration::from_secs(absolute) })
    }
}

impl LogConfig {
    /// Reads `LOG_FORMAT` and `LOG_LEVEL`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let json = match env.raw(&["LOG_FORMAT"]) {
            None => false,
            Some((_, v)) if v.eq_ignore_ascii_case("json") => true,
            Some((_, v)) if v.eq_ignore_ascii_case("pretty") || v.eq_ignore_ascii_case("text") => false,
            Some((name, v)) => return Err(ConfigError::new(&name, format!("invalid value {v:?} (use json or pretty)"))),
        };
        Ok(Self { json, level: env.string(&["LOG_LEVEL"]).unwrap_or_else(|| "info".to_owned()).to_ascii_lowercase() })
    }
}

fn parse_cidrs(name: &str, v: &str) -> Result<Vec<IpNet>, ConfigError> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|e| ConfigError::new(name, format!("invalid CIDR {s:?}: {e}")))
        })
        .collect()
}

/// A database URL with its passwords replaced, safe to print: the user-info password and any
/// query parameter whose name holds `password` (`?password=`, `sslpassword=`).
pub fn redact_url(raw: &str) -> String {
    let Ok(mut u) = url::Url::parse(raw) else { return "<unparseable>".to_owned() };
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    let secret = |k: &str| k.to_ascii_lowercase().contains("password");
    if u.query_pairs().any(|(k, _)| secret(&k)) {
        let pairs: Vec<(String, String)> = u.query_pairs().map(|(k, v)| (k.to_string(), if secret(&k) { "***".to_owned() } else { v.to_string() })).collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_configuration() {
        let cfg = Config::from_env(&Env::default()).expect("defaults are valid");
        assert_eq!(cfg.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(cfg.database.url.expose_secret(), DEFAULT_DATABASE_URL);
        assert!(cfg.local_auth.enabled);
        assert_eq!(cfg.local_auth.bootstrap_username, "admin");
    }

    #[test]
    fn an_invalid_value_names_its_variable() {
        let err = Config::from_env(&Env::from_pairs([("DB_POOL_MAX", "lots")])).expect_err("invalid");
        assert_eq!(err.var, "DB_POOL_MAX");
        let err = Config::from_env(&Env::from_pairs([("LOCAL_LOGIN_ENABLED", "maybe")])).expect_err("invalid");
        assert_eq!(err.var, "LOCAL_LOGIN_ENABLED");
        let err = Config::from_env(&Env::from_pairs([("DATABASE_URL", "mysql://x")])).expect_err("invalid");
        assert_eq!(err.var, "DATABASE_URL");
    }

    #[test]
    fn secrets_come_from_files_and_never_print() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret-value\n").expect("write");
        let p = path.to_string_lossy().to_string();
        let env = Env::from_pairs([("BOOTSTRAP_ADMIN_PASSWORD_FILE", p.as_str()), ("DATABASE_URL", "postgres://gharts:dbpass@db:5432/gharts?sslmode=require")]);
        let cfg = Config::from_env(&env).expect("valid");
        assert_eq!(cfg.local_auth.bootstrap_password.as_ref().map(|s| s.expose_secret().to_owned()).as_deref(), Some("s3cret-value"));
        let printed = format!("{:?}\n{}", cfg, cfg.redacted_lines().join("\n"));
        assert!(!printed.contains("s3cret-value"), "{printed}");
        assert!(!printed.contains("dbpass"), "{printed}");
        assert!(printed.contains("sslmode=require"));
    }

    #[test]
    fn database_passwords_in_the_query_never_print() {
        let url = "postgres://gharts@db:5432/gharts?sslmode=require&password=q-secret&sslpassword=k-secret";
        let printed = redact_url(url);
        assert!(!printed.contains("q-secret") && !printed.contains("k-secret"), "{printed}");
        assert!(printed.contains("sslmode=require") && printed.contains("password=***"), "{printed}");
        let cfg = Config::from_env(&Env::from_pairs([("DATABASE_URL", url)])).expect("valid");
        assert!(!cfg.redacted_lines().join("\n").contains("q-secret"));
        assert_eq!(redact_url("sqlite://gharts.db"), "sqlite://gharts.db");
    }

    #[test]
    fn single_sign_on_needs_public_url() {
        let sso = [("OIDC_ISSUER", "https://idp.example"), ("OIDC_CLIENT_ID", "ui")];
        let err = Config::from_env(&Env::from_pairs(sso)).expect_err("no PUBLIC_URL");
        assert_eq!(err.var, "PUBLIC_URL");
        let with = Config::from_env(&Env::from_pairs(sso.into_iter().chain([("PUBLIC_URL", "https://gharts.example")]))).expect("valid");
        assert!(with.public_url.is_some());
        // Bearer tokens alone build no redirect URI.
        Config::from_env(&Env::from_pairs([("OIDC_ISSUER", "https://idp.example"), ("OIDC_AUDIENCE", "api")])).expect("valid without PUBLIC_URL");
    }

    #[test]
    fn a_secret_and_its_file_together_are_refused() {
        let env = Env::from_pairs([("BOOTSTRAP_ADMIN_PASSWORD", "a"), ("BOOTSTRAP_ADMIN_PASSWORD_FILE", "/nonexistent")]);
        assert_eq!(Config::from_env(&env).expect_err("ambiguous").var, "BOOTSTRAP_ADMIN_PASSWORD");
    }
}
