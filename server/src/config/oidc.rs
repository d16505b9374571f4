//! OIDC settings (API.md §2.2, §6): bearer-token validation and the browser login.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use secrecy::SecretString;

use super::{ConfigError, Env};

/// The algorithms accepted by default. `none` and every `HS*` are never accepted.
pub const DEFAULT_ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// OIDC is optional: `None` in [`super::Config`] when `OIDC_ISSUER` is unset.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// `OIDC_ISSUER`: the issuer URL; discovery is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// `OIDC_AUDIENCE`: required in access tokens' `aud`. Without it, bearer tokens are refused.
    pub audience: Option<String>,
    /// `OIDC_JWKS_URL`: overrides the discovered `jwks_uri`.
    pub jwks_url: Option<String>,
    /// `OIDC_CLIENT_ID`: enables the browser login ("Sign in with SSO").
    pub client_id: Option<String>,
    /// `OIDC_CLIENT_SECRET` / `_FILE`: confidential client; without it, a public client with PKCE.
    pub client_secret: Option<SecretString>,
    /// `OIDC_SCOPES` (default `openid profile email`).
    pub scopes: Vec<String>,
    /// `OIDC_ALLOWED_ALGORITHMS` (comma-separated; default [`DEFAULT_ALGORITHMS`]).
    pub algorithms: Vec<Algorithm>,
    /// `OIDC_JWKS_CACHE_SECONDS` (default 600): how long fetched keys are fresh.
    pub jwks_cache: Duration,
    /// `OIDC_SEND_AUDIENCE` (default false): add `audience=` to the authorization request (Auth0).
    pub send_audience: bool,
    /// `OIDC_PROMPT`: `prompt=` for the authorization request.
    pub prompt: Option<String>,
    /// `OIDC_HTTP_TIMEOUT_SECONDS` (default 5): discovery, JWKS and token calls.
    pub http_timeout: Duration,
    /// `OIDC_TOKEN_CACHE_SIZE` (default 1024; 0 turns it off): verified access tokens kept for
    /// at most a minute (never past `exp`), so a repeated token skips the signature check.
    pub token_cache_size: usize,
}

impl OidcConfig {
    /// Reads the `OIDC_*` variables; `Ok(None)` when `OIDC_ISSUER` is unset.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let Some((name, issuer)) = env.raw(&["OIDC_ISSUER", "OIDC_ISSUER_URL"]) else {
            return Ok(None);
        };
        let parsed = url::Url::parse(&issuer).map_err(|e| ConfigError::new(&name, format!("invalid URL {issuer:?}: {e}")))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(ConfigError::new(&name, "must be an http(s) URL"));
        }
        let audience = env.string(&["OIDC_AUDIENCE"]);
        let client_id = env.string(&["OIDC_CLIENT_ID"]);
        if audience.is_none() && client_id.is_none() {
            return Err(ConfigError::new("OIDC_AUDIENCE", "set OIDC_AUDIENCE (bearer tokens) and/or OIDC_CLIENT_ID (browser login)"));
        }
        let algorithms = match env.raw(&["OIDC_ALLOWED_ALGORITHMS"]) {
            None => DEFAULT_ALGORITHMS.to_vec(),
            Some((name, v)) => parse_algorithms(&name, &v)?,
        };
        let scopes = env
            .string(&["OIDC_SCOPES"])
            .map(|s| s.split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_else(|| vec!["openid".into(), "profile".into(), "email".into()]);
        Ok(Some(Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            audience,
            jwks_url: env.string(&["OIDC_JWKS_URL"]),
            client_id,
            client_secret: env.secret("OIDC_CLIENT_SECRET")?,
            scopes,
            algorithms,
            jwks_cache: Duration::from_secs(env.parse(&["OIDC_JWKS_CACHE_SECONDS"], 600)?),
            send_audience: env.bool(&["OIDC_SEND_AUDIENCE"], false)?,
            prompt: env.string(&["OIDC_PROMPT"]),
            http_timeout: Duration::from_secs(env.parse(&["OIDC_HTTP_TIMEOUT_SECONDS"], 5)?),
            token_cache_size: env.parse(&["OIDC_TOKEN_CACHE_SIZE"], 1024)?,
        }))
    }
}

fn parse_algorithms(name: &str, v: &str) -> Result<Vec<Algorithm>, ConfigError> {
    let mut out = Vec::new();
    for raw in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let alg: Algorithm = raw.parse().map_err(|_| ConfigError::new(name, format!("unknown algorithm {raw:?}")))?;
        if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
            return Err(ConfigError::new(name, format!("{raw} is never accepted (symmetric algorithms are refused)")));
        }
        out.push(alg);
    }
    if out.is_empty() {
        return Err(ConfigError::new(name, "lists no algorithm"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_algorithms_cannot_be_allowed() {
        let env = Env::from_pairs([("OIDC_ISSUER", "https://idp"), ("OIDC_AUDIENCE", "a"), ("OIDC_ALLOWED_ALGORITHMS", "RS256,HS256")]);
        assert_eq!(OidcConfig::from_env(&env).expect_err("refused").var, "OIDC_ALLOWED_ALGORITHMS");
    }

    #[test]
    fn oidc_is_off_without_an_issuer() {
        assert!(OidcConfig::from_env(&Env::default()).expect("valid").is_none());
    }
}
