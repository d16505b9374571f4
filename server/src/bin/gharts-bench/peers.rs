//! The peers every run shares (the fake GitHub and the OpenID Provider) and the tokens they issue.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The peers shared by every database run.
pub(crate) struct Peers {
    pub(crate) oidc_issuer: String,
    pub(crate) github_url: String,
    pub(crate) _children: Vec<Child>,
    pub(crate) _dir: PathBuf,
}

pub(crate) async fn wait_for_line(child: &mut Child, needle: &str) -> anyhow::Result<()> {
    let out = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut lines = BufReader::new(out).lines();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(l) = lines.next_line().await? {
            if l.contains(needle) {
                return Ok::<bool, std::io::Error>(true);
            }
        }
        Ok(false)
    })
    .await;
    anyhow::ensure!(matches!(found, Ok(Ok(true))), "did not see '{needle}'");
    // Keep draining so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(())
}

pub(crate) async fn start_peers(dir: &Path) -> anyhow::Result<Peers> {
    let oidc_dir = repo().join("end2end/oidc");
    anyhow::ensure!(oidc_dir.join("node_modules").exists(), "the OpenID Provider test peer needs `npm ci` in end2end/oidc (make setup-test)");
    let oidc_port = free_port()?;
    let mut oidc = Command::new("node")
        .arg("provider.mjs")
        .args(["--port", &oidc_port.to_string(), "--keys"])
        .arg(dir.join("op-keys.json"))
        .current_dir(&oidc_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    wait_for_line(&mut oidc, "oidc-provider ready").await?;

    let gh_port = free_port()?;
    let exe_dir = std::env::current_exe()?.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut github = Command::new(exe_dir.join("fake-github"))
        .args(["--port", &gh_port.to_string(), "--org", "bench", "--no-simulate"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    wait_for_line(&mut github, "fake GitHub").await?;
    Ok(Peers {
        oidc_issuer: format!("http://127.0.0.1:{oidc_port}"),
        github_url: format!("http://127.0.0.1:{gh_port}"),
        _children: vec![oidc, github],
        _dir: dir.to_owned(),
    })
}

pub(crate) async fn github_calls(peers: &Peers) -> anyhow::Result<u64> {
    let v: Value = reqwest::get(format!("{}/_fake/requests", peers.github_url)).await?.json().await?;
    Ok(v["total"].as_u64().unwrap_or(0))
}

pub(crate) async fn m2m_token(issuer: &str, client: &str) -> anyhow::Result<String> {
    let resp: Value = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .basic_auth(client, Some(format!("{client}-secret")))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?
        .json()
        .await?;
    resp["access_token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no token: {resp}"))
}

/// A user's access token through the provider's login form (code flow with PKCE).
pub(crate) async fn user_token(issuer: &str, user: &str) -> anyhow::Result<String> {
    let redirect_uri = "http://127.0.0.1:9/auth/callback";
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let browser = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build()?;
    let mut url = reqwest::Url::parse(&format!("{issuer}/auth"))?;
    url.query_pairs_mut()
        .append_pair("client_id", "gharts-ui")
        .append_pair("redirect_uri", redirect_uri)
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
            if next.as_str().starts_with(redirect_uri) {
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
        .basic_auth("gharts-ui", Some("gharts-ui-secret"))
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", redirect_uri), ("code_verifier", &verifier)])
        .send()
        .await?
        .json()
        .await?;
    tokens["access_token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no token: {tokens}"))
}
