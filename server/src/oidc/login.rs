//! The browser login (API.md §6.1, §6.2): authorization code + PKCE S256, with state and
//! nonce kept in the encrypted, short-lived `gharts_oidc_flow` cookie.
//!
//! The code exchange uses the `oauth2` crate; the ID token is verified by [`super::token`]
//! with the same keys and rules as bearer tokens (audience = the client id, plus the nonce).

use std::time::Duration;

use cookie::{Cookie, CookieJar, Key, SameSite};
use oauth2::basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType};
use oauth2::{
    AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Oidc;
use super::keys::KeyError;
use super::token::{self, Expect, TokenError};

/// The login-flow cookie.
pub const FLOW_COOKIE: &str = "gharts_oidc_flow";
/// The flow must complete within this time.
pub const FLOW_MAX_AGE: Duration = Duration::from_secs(600);

/// What the flow cookie carries across the IdP round trip.
#[derive(Debug, Serialize, Deserialize)]
pub struct FlowState {
    /// `state` sent to the IdP.
    pub state: String,
    /// `nonce` sent to the IdP.
    pub nonce: String,
    /// The PKCE verifier (a secret).
    pub verifier: String,
    /// Where to go after login.
    pub next: String,
}

/// The ID token field of the token response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenFields {
    /// The ID token (JWT).
    pub id_token: Option<String>,
}
impl ExtraTokenFields for IdTokenFields {}

type TokenResponse = StandardTokenResponse<IdTokenFields, BasicTokenType>;
type CodeClient<HasTokenUrl> = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    HasTokenUrl,
>;

/// Why the login could not complete (all end as a redirect to the login page with a code).
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Bad state, IdP error, refused exchange, invalid ID token: `OIDC_LOGIN_FAILED`.
    #[error("{0}")]
    Failed(String),
    /// The IdP cannot be reached: `IDP_UNAVAILABLE`.
    #[error("{0}")]
    Unavailable(String),
}

impl From<KeyError> for LoginError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::UnknownKid => LoginError::Failed("ID token signed with an unknown key".into()),
            other => LoginError::Unavailable(other.to_string()),
        }
    }
}

/// Where to go after login: `next` when it is a path on our own origin, else the console.
///
/// `next` must start with one `/`; it may hold no backslash or control character, raw or
/// percent-decoded (browsers drop a tab or newline, so `/%09/evil.example` would become
/// `//evil.example`), and its decoded form may not start with `//`. It is then resolved
/// against `base` (our public URL) and must keep its origin; what is returned is the resolved
/// path, query and fragment (never a path starting with `//`).
pub fn safe_next(next: Option<&str>, base: &url::Url) -> String {
    const DEFAULT: &str = "/app/";
    let Some(raw) = next else { return DEFAULT.to_owned() };
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    let unsafe_text = |t: &str| t.chars().any(|c| c.is_control() || c == '\\');
    if !raw.starts_with('/') || unsafe_text(raw) || unsafe_text(&decoded) || decoded.starts_with("//") {
        return DEFAULT.to_owned();
    }
    let Ok(resolved) = base.join(raw) else { return DEFAULT.to_owned() };
    if resolved.origin() != base.origin() || resolved.path().starts_with("//") {
        return DEFAULT.to_owned();
    }
    let mut out = resolved.path().to_owned();
    if let Some(q) = resolved.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = resolved.fragment() {
        out.push('#');
        out.push_str(f);
    }
    out
}

fn random_token() -> String {
    crate::random_token::new_token()
}

impl Oidc {
    /// The authorization URL and the flow state to remember (API.md §6.1).
    pub async fn begin_login(&self, redirect_uri: &str, next: String) -> Result<(String, FlowState), LoginError> {
        let discovery = self.keys.discovery().await?;
        let endpoint = discovery.authorization_endpoint.ok_or_else(|| LoginError::Unavailable("the IdP publishes no authorization_endpoint".into()))?;
        let client_id = self.cfg.client_id.as_deref().unwrap_or_default();
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let flow = FlowState { state: random_token(), nonce: random_token(), verifier: verifier.secret().clone(), next };
        let mut url = url::Url::parse(&endpoint).map_err(|e| LoginError::Unavailable(format!("bad authorization_endpoint: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", &self.cfg.scopes.join(" "))
                .append_pair("state", &flow.state)
                .append_pair("nonce", &flow.nonce)
                .append_pair("code_challenge", challenge.as_str())
                .append_pair("code_challenge_method", challenge.method().as_str());
            if self.cfg.send_audience
                && let Some(aud) = &self.cfg.audience
            {
                q.append_pair("audience", aud);
            }
            if let Some(prompt) = &self.cfg.prompt {
                q.append_pair("prompt", prompt);
            }
        }
        Ok((url.to_string(), flow))
    }

    /// Exchanges the code and verifies the ID token; returns its claims and the raw token.
    pub async fn finish_login(&self, redirect_uri: &str, code: String, flow: &FlowState) -> Result<(Map<String, Value>, String), LoginError> {
        let discovery = self.keys.discovery().await?;
        let token_url = discovery.token_endpoint.ok_or_else(|| LoginError::Unavailable("the IdP publishes no token_endpoint".into()))?;
        let client_id = self.cfg.client_id.clone().unwrap_or_default();
        let mut client: CodeClient<EndpointSet> = CodeClient::<EndpointNotSet>::new(ClientId::new(client_id.clone()))
            .set_token_uri(TokenUrl::new(token_url).map_err(|e| LoginError::Unavailable(format!("bad token_endpoint: {e}")))?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| LoginError::Failed(format!("bad redirect URI: {e}")))?);
        if let Some(secret) = &self.cfg.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()));
        }
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(flow.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                oauth2::RequestTokenError::Request(inner) => LoginError::Unavailable(format!("token endpoint: {inner}")),
                other => LoginError::Failed(format!("code exchange refused: {other}")),
            })?;
        let id_token = response.extra_fields().id_token.clone().ok_or_else(|| LoginError::Failed("no id_token in the token response".into()))?;
        let claims = token::validate(&self.keys, &id_token, &Expect { issuer: &self.cfg.issuer, audience: &client_id, algorithms: &self.cfg.algorithms })
            .await
            .map_err(|e| match e {
                TokenError::Invalid(reason) => LoginError::Failed(format!("invalid ID token: {reason}")),
                TokenError::Unavailable(k) => LoginError::Unavailable(k.to_string()),
            })?;
        if claims.get("nonce").and_then(Value::as_str) != Some(flow.nonce.as_str()) {
            return Err(LoginError::Failed("ID token nonce mismatch".into()));
        }
        Ok((claims, id_token))
    }

    /// The IdP's end-session URL for RP-initiated logout, if it has one.
    pub async fn logout_url(&self, id_token_hint: Option<&str>, post_logout_redirect: &str) -> Option<String> {
        let endpoint = self.keys.discovery().await.ok()?.end_session_endpoint?;
        let mut url = url::Url::parse(&endpoint).ok()?;
        if let Some(hint) = id_token_hint {
            url.query_pairs_mut().append_pair("id_token_hint", hint);
        }
        url.query_pairs_mut().append_pair("post_logout_redirect_uri", post_logout_redirect);
        if let Some(cid) = &self.cfg.client_id {
            url.query_pairs_mut().append_pair("client_id", cid);
        }
        Some(url.to_string())
    }
}

/// Encrypts and authenticates the flow state into a `Set-Cookie` value.
pub fn flow_cookie(key: &Key, flow: &FlowState, secure: bool) -> String {
    let mut jar = CookieJar::new();
    let value = serde_json::to_string(flow).unwrap_or_default();
    jar.private_mut(key).add(
        Cookie::build((FLOW_COOKIE, value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .path("/auth")
            .max_age(cookie::time::Duration::seconds(FLOW_MAX_AGE.as_secs() as i64))
            .build(),
    );
    jar.get(FLOW_COOKIE).map(|c| c.to_string()).unwrap_or_default()
}

/// A `Set-Cookie` value that removes the flow cookie.
pub fn clear_flow_cookie(secure: bool) -> String {
    Cookie::build((FLOW_COOKIE, ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/auth")
        .max_age(cookie::time::Duration::ZERO)
        .build()
        .to_string()
}

/// Decrypts the flow cookie from request headers (`None` if absent, expired or forged).
pub fn read_flow_cookie(key: &Key, headers: &http::HeaderMap) -> Option<FlowState> {
    let mut jar = CookieJar::new();
    for c in headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(Cookie::split_parse).flatten() {
        jar.add_original(c.into_owned());
    }
    let c = jar.private(key).get(FLOW_COOKIE)?;
    serde_json::from_str(c.value()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_keeps_our_own_paths_and_refuses_known_open_redirect_bypasses() {
        let base = url::Url::parse("https://gharts.example").expect("url");
        for ok in ["/app/", "/app/runners?status=idle&team=a%2Fb", "/app/runners/1#audit", "/app/x?next=//elsewhere"] {
            assert_eq!(safe_next(Some(ok), &base), ok);
        }
        assert_eq!(safe_next(Some("/app/../admin"), &base), "/admin", "dot segments are resolved");
        let bypasses = [
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "/%5Cevil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0d%0a/evil.example",
            "/%00/evil.example",
            "/%2F%2Fevil.example",
            "/%2f/evil.example",
            "/app/../..//evil.example",
            "/.//evil.example",
            "https://evil.example",
            "https:evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "evil.example",
            "",
        ];
        for bad in bypasses {
            assert_eq!(safe_next(Some(bad), &base), "/app/", "{bad:?} must fall back to the console");
        }
        assert_eq!(safe_next(None, &base), "/app/");
    }
}
