//! The IdP's discovery document and signing keys, cached.
//!
//! Keys are never fetched per request: they are fresh for `OIDC_JWKS_CACHE_SECONDS`, then
//! refreshed by the first request that needs them (concurrent requests share that one fetch).
//! An unknown `kid` triggers at most one refetch per [`UNKNOWN_KID_COOLDOWN`]. When a refresh
//! fails, the old keys stay usable for up to [`STALE_KEYS_MAX_AGE`].

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use serde::Deserialize;
use tokio::sync::{Mutex, RwLock};

use crate::config::OidcConfig;

/// An unknown `kid` causes at most one refetch per this interval, per process.
pub const UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(60);
/// Keys whose refresh keeps failing are still used for this long (the IdP may be briefly down).
pub const STALE_KEYS_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// The parts of the discovery document GHARTS uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    /// Must equal `OIDC_ISSUER` (a trailing `/` aside).
    pub issuer: String,
    /// Where the keys are.
    pub jwks_uri: String,
    /// Browser login.
    pub authorization_endpoint: Option<String>,
    /// Code exchange.
    pub token_endpoint: Option<String>,
    /// RP-initiated logout.
    pub end_session_endpoint: Option<String>,
}

/// Why no key could be produced.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The IdP cannot be reached and nothing usable is cached: 503.
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
    /// The token names a key the IdP does not publish: 401.
    #[error("unknown signing key")]
    UnknownKid,
}

struct Cached {
    keys: JwkSet,
    fetched_at: Instant,
}

/// Discovery + JWKS cache for one issuer.
pub struct KeyStore {
    cfg: OidcConfig,
    http: reqwest::Client,
    discovery: RwLock<Option<Discovery>>,
    keys: RwLock<Option<Cached>>,
    /// Serialises fetches so concurrent misses share one.
    fetch_lock: Mutex<Option<Instant>>,
}

impl KeyStore {
    /// A store for `cfg` using `http` (with timeouts set).
    pub fn new(cfg: OidcConfig, http: reqwest::Client) -> Self {
        Self { cfg, http, discovery: RwLock::new(None), keys: RwLock::new(None), fetch_lock: Mutex::new(None) }
    }

    /// The discovery document (fetched once, then cached; retried on the next call if it failed).
    pub async fn discovery(&self) -> Result<Discovery, KeyError> {
        if let Some(d) = self.discovery.read().await.clone() {
            return Ok(d);
        }
        let url = format!("{}/.well-known/openid-configuration", self.cfg.issuer);
        let doc: Discovery = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| KeyError::Unavailable(format!("discovery: {}", e.without_url())))?
            .json()
            .await
            .map_err(|e| KeyError::Unavailable(format!("discovery: {}", e.without_url())))?;
        if doc.issuer.trim_end_matches('/') != self.cfg.issuer {
            return Err(KeyError::Unavailable(format!("discovery issuer {:?} does not match OIDC_ISSUER", doc.issuer)));
        }
        *self.discovery.write().await = Some(doc.clone());
        Ok(doc)
    }

    async fn fetch_keys(&self) -> Result<JwkSet, KeyError> {
        let url = match &self.cfg.jwks_url {
            Some(u) => u.clone(),
            None => self.discovery().await?.jwks_uri,
        };
        let set: JwkSet = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| KeyError::Unavailable(format!("jwks: {}", e.without_url())))?
            .json()
            .await
            .map_err(|e| KeyError::Unavailable(format!("jwks: {}", e.without_url())))?;
        tracing::info!(keys = set.keys.len(), "fetched the identity provider's signing keys");
        Ok(set)
    }

    /// Refreshes unless another caller just did; `force` is the unknown-`kid` path (cooldown).
    async fn refresh(&self, force: bool) -> Result<(), KeyError> {
        let mut last_forced = self.fetch_lock.lock().await;
        // Someone refreshed while we waited for the lock: use their result.
        if let Some(c) = self.keys.read().await.as_ref() {
            let fresh = c.fetched_at.elapsed() < self.cfg.jwks_cache;
            if !force && fresh {
                return Ok(());
            }
            if force && last_forced.is_some_and(|t| t.elapsed() < UNKNOWN_KID_COOLDOWN) {
                return Ok(());
            }
        }
        if force {
            *last_forced = Some(Instant::now());
        }
        let keys = self.fetch_keys().await?;
        *self.keys.write().await = Some(Cached { keys, fetched_at: Instant::now() });
        Ok(())
    }

    fn find(set: &JwkSet, kid: Option<&str>, fits: &dyn Fn(&Jwk) -> bool) -> Option<Jwk> {
        match kid {
            Some(kid) => set.keys.iter().find(|k| k.common.key_id.as_deref() == Some(kid) && fits(k)).cloned(),
            None => {
                let mut fitting = set.keys.iter().filter(|k| fits(k));
                match (fitting.next(), fitting.next()) {
                    (Some(only), None) => Some(only.clone()),
                    _ => None,
                }
            }
        }
    }

    /// The key for `kid` (or the single fitting key when the token has no `kid`).
    pub async fn key(&self, kid: Option<&str>, fits: &(dyn Fn(&Jwk) -> bool + Sync)) -> Result<Jwk, KeyError> {
        let state = {
            let guard = self.keys.read().await;
            guard.as_ref().map(|c| (c.fetched_at.elapsed(), Self::find(&c.keys, kid, fits)))
        };
        match state {
            Some((age, Some(key))) if age < self.cfg.jwks_cache => return Ok(key),
            Some((age, found)) if age >= self.cfg.jwks_cache => {
                // Stale: refresh; on failure keep serving the old keys for a while.
                match self.refresh(false).await {
                    Ok(()) => {}
                    Err(e) if age < STALE_KEYS_MAX_AGE => {
                        tracing::warn!(error = %e, "key refresh failed; using cached keys");
                        return found.ok_or(KeyError::UnknownKid);
                    }
                    Err(e) => return Err(e),
                }
            }
            Some(_) => {
                // Fresh keys, unknown kid: one refetch per cooldown.
                self.refresh(true).await?;
            }
            None => self.refresh(false).await?,
        }
        let guard = self.keys.read().await;
        guard.as_ref().and_then(|c| Self::find(&c.keys, kid, fits)).ok_or(KeyError::UnknownKid)
    }

    /// `ok` when keys are cached and fresh, `degraded` when stale or missing (for `/health`).
    pub async fn health(&self) -> &'static str {
        match self.keys.read().await.as_ref() {
            Some(c) if c.fetched_at.elapsed() < self.cfg.jwks_cache => "ok",
            Some(_) => "degraded",
            None => "unknown",
        }
    }
}
