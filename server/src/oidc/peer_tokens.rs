//! Access tokens from the OpenID Provider test peer (`end2end/oidc/provider.mjs`), got the way a
//! CI pipeline and a person get theirs: client credentials, and the authorization-code flow with
//! PKCE through the provider's login form. For the integration tests and `make bench` (cargo
//! feature `fake-github`, like the other stand-ins); never part of a release build.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::redirect::Policy;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Where the code flow "returns" to: never contacted, the code is read from the redirect.
const REDIRECT_URI: &str = "http://127.0.0.1:9/auth/callback";

/// A `client_credentials` access token for `client` (the peer's secret is `<client>-secret`).
pub async fn client_credentials_token(issuer: &str, client: &str) -> anyhow::Result<String> {
    let resp: Value = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .basic_auth(client, Some(format!("{client}-secret")))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?
        .json()
        .await?;
    access_token(&resp)
}

/// `user`'s access token through the provider's login form (code flow with PKCE), for the UI
/// client `client_id`/`client_secret`; the peer accepts the password `password` for every user.
pub async fn code_flow_token(issuer: &str, client_id: &str, client_secret: &str, user: &str) -> anyhow::Result<String> {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let browser = reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).build()?;
    let mut url = reqwest::Url::parse(&format!("{issuer}/auth"))?;
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", "s")
        .append_pair("nonce", "n");
    let mut resp = browser.get(url).send().await?;
    let mut logged_in = false;
    let code = loop {
        if resp.status().is_redirection() {
            let loc = resp.headers()["location"].to_str()?.to_owned();
            let next = reqwest::Url::parse(issuer)?.join(&loc)?;
            if next.as_str().starts_with(REDIRECT_URI) {
                break next.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).ok_or_else(|| anyhow::anyhow!("no code"))?;
            }
            resp = browser.get(next).send().await?;
        } else {
            anyhow::ensure!(!logged_in, "login page shown twice");
            let action = format!("{issuer}{}/login", resp.url().path());
            resp = browser.post(action).form(&[("username", user), ("password", "password")]).send().await?;
            logged_in = true;
        }
    };
    let tokens: Value = browser
        .post(format!("{issuer}/token"))
        .basic_auth(client_id, Some(client_secret))
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI), ("code_verifier", &verifier)])
        .send()
        .await?
        .json()
        .await?;
    access_token(&tokens)
}

fn access_token(resp: &Value) -> anyhow::Result<String> {
    resp["access_token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no token: {resp}"))
}
