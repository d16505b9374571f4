//! The real OpenID Provider (npm `oidc-provider`, `end2end/oidc/provider.mjs`) as a test peer:
//! tokens from its real flows, tokens signed with its real keys for the attack suite, and its
//! JWKS hit counter.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::peers::{self, Peer};

/// The API audience the provider puts in access tokens.
pub const AUDIENCE: &str = "gharts-api";
/// The UI client (confidential).
pub const UI_CLIENT: &str = "gharts-ui";
/// Its secret.
pub const UI_SECRET: &str = "gharts-ui-secret";

fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end/oidc")
}

/// A running provider: the shared one of `make test`, or one owned by the test.
pub struct OidcPeer {
    /// `http://127.0.0.1:<port>`.
    pub issuer: String,
    /// Its keys file (first key signs).
    pub keys_path: PathBuf,
    port: u16,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl OidcPeer {
    /// The shared provider (`TEST_OIDC_ISSUER` + `TEST_OIDC_KEYS`), or a private one.
    pub async fn shared() -> Self {
        peers::require(Peer::OpenIdProvider);
        match (std::env::var("TEST_OIDC_ISSUER"), std::env::var("TEST_OIDC_KEYS")) {
            (Ok(issuer), Ok(keys)) => {
                let port = issuer.rsplit(':').next().and_then(|p| p.parse().ok()).expect("issuer port");
                Self { issuer, keys_path: keys.into(), port, child: None, _dir: None }
            }
            _ => Self::private().await,
        }
    }

    /// A provider of this test's own (for hit counting and key rotation).
    pub async fn private() -> Self {
        peers::require(Peer::OpenIdProvider);
        let dir = tempfile::tempdir().expect("tempdir");
        let keys_path = dir.path().join("keys.json");
        let port = free_port();
        let mut peer = Self { issuer: format!("http://127.0.0.1:{port}"), keys_path, port, child: None, _dir: Some(dir) };
        peer.start().await;
        peer
    }

    async fn start(&mut self) {
        let mut child = Command::new("node")
            .current_dir(provider_dir())
            .arg("provider.mjs")
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--keys")
            .arg(&self.keys_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start node provider.mjs (run `make test`, which installs it)");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        // Ready when it says so (no sleeping).
        while let Some(line) = lines.next_line().await.expect("provider output") {
            if line.starts_with("oidc-provider ready") {
                break;
            }
        }
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.child = Some(child);
    }

    /// Stops the private provider, runs `provider.mjs <flag> <keys>` (key rotation), restarts it.
    pub async fn restart_with(&mut self, flag: &str) {
        let mut child = self.child.take().expect("a private provider");
        child.kill().await.expect("kill");
        let status = std::process::Command::new("node").current_dir(provider_dir()).arg("provider.mjs").arg(flag).arg(&self.keys_path).status().expect("node");
        assert!(status.success(), "provider.mjs {flag}");
        self.start().await;
    }

    /// `OIDC_*` settings for an app that trusts this provider.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("OIDC_ISSUER", self.issuer.clone()),
            ("OIDC_AUDIENCE", AUDIENCE.to_owned()),
            ("OIDC_CLIENT_ID", UI_CLIENT.to_owned()),
            ("OIDC_CLIENT_SECRET", UI_SECRET.to_owned()),
        ]
    }

    fn keys(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(&self.keys_path).expect("keys file")).expect("keys json")
    }

    /// The signing key's id and PKCS#8 PEM.
    pub fn signing_key(&self) -> (String, String) {
        let k = &self.keys()["keys"][0];
        (k["kid"].as_str().expect("kid").to_owned(), k["private_pem"].as_str().expect("pem").to_owned())
    }

    /// Signs `claims` with the provider's own key (or `pem` instead), `kid` as given.
    pub fn sign(&self, claims: &Value, kid: Option<&str>, pem: Option<&str>) -> String {
        let (own_kid, own_pem) = self.signing_key();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = kid.map(str::to_owned).or(Some(own_kid));
        let key = EncodingKey::from_rsa_pem(pem.unwrap_or(&own_pem).as_bytes()).expect("rsa pem");
        jsonwebtoken::encode(&header, claims, &key).expect("sign")
    }

    /// Claims of a well-formed M2M access token for `client`.
    pub fn m2m_claims(&self, client: &str) -> Value {
        let now = jsonwebtoken::get_current_timestamp();
        json!({ "iss": self.issuer, "aud": AUDIENCE, "sub": client, "client_id": client, "iat": now, "exp": now + 600 })
    }

    /// A `client_credentials` access token from the provider's token endpoint.
    pub async fn m2m_token(&self, client: &str) -> String {
        server::oidc::peer_tokens::client_credentials_token(&self.issuer, client).await.expect("client credentials token")
    }

    /// A user's access token through the real login form (code flow + PKCE).
    pub async fn user_token(&self, user: &str) -> String {
        server::oidc::peer_tokens::code_flow_token(&self.issuer, UI_CLIENT, UI_SECRET, user).await.expect("code flow token")
    }

    /// How often the JWKS and the discovery document were fetched.
    pub async fn hits(&self) -> (u64, u64) {
        let v: Value = reqwest::get(format!("{}/__test/hits", self.issuer)).await.expect("hits").json().await.expect("json");
        (v["jwks"].as_u64().expect("jwks"), v["discovery"].as_u64().expect("discovery"))
    }

    /// A fresh RSA key (PKCS#8 PEM) the provider never published.
    pub fn foreign_key() -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k.json");
        let status = std::process::Command::new("node").current_dir(provider_dir()).arg("provider.mjs").arg("--add-key").arg(&path).status().expect("node");
        assert!(status.success());
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        v["keys"][0]["private_pem"].as_str().expect("pem").to_owned()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}
