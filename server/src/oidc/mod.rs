//! OpenID Connect: the IdP's keys ([`keys`]), token validation ([`token`]) and the browser
//! login flow ([`login`]); with the `fake-github` feature, tokens from the test peer
//! ([`peer_tokens`]).

pub mod keys;
pub mod login;
#[cfg(feature = "fake-github")]
pub mod peer_tokens;
pub mod token;
pub mod token_cache;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::config::OidcConfig;
use keys::KeyStore;
use token::{Expect, TokenError};

/// Everything OIDC, for one issuer. Cheap to clone.
#[derive(Clone)]
pub struct Oidc {
    /// The settings.
    pub cfg: Arc<OidcConfig>,
    /// Discovery + JWKS cache.
    pub keys: Arc<KeyStore>,
    /// HTTP client for the IdP (timeouts, user agent).
    pub http: reqwest::Client,
    /// Access tokens verified in the last minute.
    pub tokens: Arc<token_cache::TokenCache>,
}

impl Oidc {
    /// Builds the client; nothing is fetched until needed.
    pub fn new(cfg: OidcConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(cfg.http_timeout)
            .user_agent(concat!("gharts/", env!("CARGO_PKG_VERSION")))
            // The token endpoint must not redirect (credentials would follow).
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let tokens = Arc::new(token_cache::TokenCache::new(cfg.token_cache_size));
        Ok(Self { keys: Arc::new(KeyStore::new(cfg.clone(), http.clone())), cfg: Arc::new(cfg), http, tokens })
    }

    /// Validates a bearer access token (`aud` must contain `OIDC_AUDIENCE`); a token verified
    /// in the last minute is answered from [`token_cache`].
    pub async fn validate_access_token(&self, token: &str) -> Result<Map<String, Value>, TokenError> {
        let Some(audience) = self.cfg.audience.as_deref() else {
            return Err(TokenError::Invalid("bearer tokens are not enabled (OIDC_AUDIENCE is unset)".into()));
        };
        let now = std::time::Instant::now();
        let generation = self.keys.generation();
        self.tokens.follow_keys(generation);
        if let Some(claims) = self.tokens.get(token, now) {
            return Ok(claims);
        }
        let claims = token::validate(&self.keys, token, &Expect { issuer: &self.cfg.issuer, audience, algorithms: &self.cfg.algorithms }).await?;
        // Verified under keys fetched since: not kept (the next request checks it again).
        if self.keys.generation() == generation {
            self.tokens.put(token, &claims, now);
        }
        Ok(claims)
    }

    /// Whether the browser login is configured.
    pub fn browser_login_enabled(&self) -> bool {
        self.cfg.client_id.is_some()
    }
}
