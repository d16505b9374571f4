//! The IdP's discovery document and signing keys, cached.
//!
//! Keys are never fetched per request: they are fresh for `OIDC_JWKS_CACHE_SECONDS`; after
//! that a request is answered with the cached keys at once while one refresh runs in the
//! background. An unknown `kid` triggers at most one refetch per [`UNKNOWN_KID_COOLDOWN`].
//! When a fetch fails, no other fetch starts for a random 30–60 s back-off
//! ([`FAILURE_BACKOFF`]), and the old keys stay usable for up to [`STALE_KEYS_MAX_AGE`]: an
//! IdP outage costs bearer requests no latency, and the IdP sees one attempt per back-off.
//! Without usable keys, a request during the back-off is `503 IDP_UNAVAILABLE` at once.

use std::ops::RangeInclusive;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::Rng as _;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use serde::Deserialize;
use tokio::sync::{Mutex, RwLock};

use crate::config::OidcConfig;

/// An unknown `kid` causes at most one refetch per this interval, per process.
pub const UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(60);
/// Keys whose refresh keeps failing are still used for this long (the IdP may be briefly down).
pub const STALE_KEYS_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// After a failed fetch, no fetch starts for a random time in this range (seconds).
pub const FAILURE_BACKOFF: RangeInclusive<u64> = 30..=60;

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

/// Discovery + JWKS cache for one issuer. Cheap to clone (shared state).
#[derive(Clone)]
pub struct KeyStore(Arc<Inner>);

struct Inner {
    cfg: OidcConfig,
    http: reqwest::Client,
    discovery: RwLock<Option<Discovery>>,
    keys: RwLock<Option<Cached>>,
    /// Serialises fetches so concurrent misses share one; holds the last forced refetch.
    fetch_lock: Mutex<Option<Instant>>,
    /// No fetch starts before this instant (set by a failed fetch).
    backoff_until: std::sync::Mutex<Option<Instant>>,
    /// A background refresh is running.
    refreshing: AtomicBool,
    /// Counts successful key fetches (the verified-token cache follows it).
    generation: std::sync::atomic::AtomicU64,
}

impl KeyStore {
    /// A store for `cfg` using `http` (with timeouts set).
    pub fn new(cfg: OidcConfig, http: reqwest::Client) -> Self {
        Self(Arc::new(Inner {
            cfg,
            http,
            discovery: RwLock::new(None),
            keys: RwLock::new(None),
            fetch_lock: Mutex::new(None),
            backoff_until: std::sync::Mutex::new(None),
            refreshing: AtomicBool::new(false),
            generation: std::sync::atomic::AtomicU64::new(0),
        }))
    }

    /// How many times keys were fetched: a verified token is reused only under the keys it
    /// was verified with.
    pub fn generation(&self) -> u64 {
        self.0.generation.load(Ordering::SeqCst)
    }

    /// The discovery document (fetched once, then cached; retried on the next call if it failed).
    pub async fn discovery(&self) -> Result<Discovery, KeyError> {
        if let Some(d) = self.0.discovery.read().await.clone() {
            return Ok(d);
        }
        let url = format!("{}/.well-known/openid-configuration", self.0.cfg.issuer);
        let doc: Discovery = self
            .0
            .http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| KeyError::Unavailable(format!("discovery: {}", e.without_url())))?
            .json()
            .await
            .map_err(|e| KeyError::Unavailable(format!("discovery: {}", e.without_url())))?;
        if doc.issuer.trim_end_matches('/') != self.0.cfg.issuer {
            return Err(KeyError::Unavailable(format!("discovery issuer {:?} does not match OIDC_ISSUER", doc.issuer)));
        }
        *self.0.discovery.write().await = Some(doc.clone());
        Ok(doc)
    }

    async fn fetch_keys(&self) -> Result<JwkSet, KeyError> {
        let url = match &self.0.cfg.jwks_url {
            Some(u) => u.clone(),
            None => self.discovery().await?.jwks_uri,
        };
        let set: JwkSet = self
            .0
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

    /// `Err` while a failed fetch's back-off lasts.
    fn check_backoff(&self) -> Result<(), KeyError> {
        let until = *self.0.backoff_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match until {
            Some(t) if Instant::now() < t => {
                Err(KeyError::Unavailable(format!("the last key fetch failed; next attempt in {} s", t.saturating_duration_since(Instant::now()).as_secs())))
            }
            _ => Ok(()),
        }
    }

    /// Refreshes unless another caller just did or a back-off lasts; `force` is the
    /// unknown-`kid` path (cooldown).
    async fn refresh(&self, force: bool) -> Result<(), KeyError> {
        self.check_backoff()?;
        let mut last_forced = self.0.fetch_lock.lock().await;
        // Someone fetched, or failed, while we waited for the lock: use their result.
        self.check_backoff()?;
        if let Some(c) = self.0.keys.read().await.as_ref() {
            let fresh = c.fetched_at.elapsed() < self.0.cfg.jwks_cache;
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
        match self.fetch_keys().await {
            Ok(keys) => {
                *self.0.keys.write().await = Some(Cached { keys, fetched_at: Instant::now() });
                self.0.generation.fetch_add(1, Ordering::SeqCst);
                *self.0.backoff_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
                Ok(())
            }
            Err(e) => {
                let wait = Duration::from_secs(rand::thread_rng().gen_range(FAILURE_BACKOFF));
                *self.0.backoff_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now() + wait);
                tracing::warn!(error = %e, backoff.seconds = wait.as_secs(), "identity provider key fetch failed; backing off");
                Err(e)
            }
        }
    }

    /// Starts one background refresh unless one runs or a back-off lasts.
    fn refresh_in_background(&self) {
        if self.check_backoff().is_err() || self.0.refreshing.swap(true, Ordering::SeqCst) {
            return;
        }
        let store = self.clone();
        tokio::spawn(async move {
            let _ = store.refresh(false).await;
            store.0.refreshing.store(false, Ordering::SeqCst);
        });
    }

    /// Waits until no background refresh is running (tests: a refresh must not straddle an
    /// IdP restart they make).
    pub async fn settled(&self) {
        while self.0.refreshing.load(Ordering::SeqCst) {
            drop(self.0.fetch_lock.lock().await);
            tokio::task::yield_now().await;
        }
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
            let guard = self.0.keys.read().await;
            guard.as_ref().map(|c| (c.fetched_at.elapsed(), Self::find(&c.keys, kid, fits)))
        };
        match state {
            Some((age, Some(key))) if age < self.0.cfg.jwks_cache => return Ok(key),
            Some((age, found)) if age < STALE_KEYS_MAX_AGE && age >= self.0.cfg.jwks_cache => {
                // Stale but usable: answer now, refresh behind the request.
                self.refresh_in_background();
                return match found {
                    Some(key) => Ok(key),
                    // A kid the old keys lack may be new: one forced refetch per cooldown.
                    None => match self.refresh(true).await {
                        Ok(()) => self.find_cached(kid, fits).await,
                        Err(_) => Err(KeyError::UnknownKid),
                    },
                };
            }
            // Fresh keys, unknown kid: one refetch per cooldown.
            Some((age, None)) if age < self.0.cfg.jwks_cache => self.refresh(true).await?,
            // Nothing cached, or too old to trust: fetch now (503 during a back-off).
            _ => self.refresh(false).await?,
        }
        self.find_cached(kid, fits).await
    }

    async fn find_cached(&self, kid: Option<&str>, fits: &(dyn Fn(&Jwk) -> bool + Sync)) -> Result<Jwk, KeyError> {
        let guard = self.0.keys.read().await;
        guard.as_ref().and_then(|c| Self::find(&c.keys, kid, fits)).ok_or(KeyError::UnknownKid)
    }

    /// `ok` when keys are cached and fresh, `degraded` when stale or missing (for `/health`).
    pub async fn health(&self) -> &'static str {
        match self.0.keys.read().await.as_ref() {
            Some(c) if c.fetched_at.elapsed() < self.0.cfg.jwks_cache => "ok",
            Some(_) => "degraded",
            None => "unknown",
        }
    }
}
