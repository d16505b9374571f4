//! GitHub for tests: the fake GitHub server (in this process, state reachable directly) behind
//! a real `prism proxy --errors` loaded with GitHub's own OpenAPI description, cut to the calls
//! GHARTS makes (end2end/github). Any request GHARTS sends or response the fake gives that
//! violates GitHub's schemas becomes an error, so the test fails.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use server::github::fake::FakeGitHub;
use server::github::fake_server::{FakeServer, FakeServerConfig};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::AppBuilder;
use crate::helpers::peers::{self, Peer};

/// The App id the fake trusts.
pub const APP_ID: u64 = 4242;
/// The installation id of the App on the organisation.
pub const INSTALLATION_ID: u64 = 77;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The test App's private key (PKCS#1).
pub fn private_key_pem() -> String {
    std::fs::read_to_string(repo_root().join("server/tests/fixtures/github-app-test-key.pem")).expect("fixture key")
}

/// The same key as PKCS#8.
pub fn private_key_pkcs8_pem() -> String {
    std::fs::read_to_string(repo_root().join("server/tests/fixtures/github-app-test-key.pkcs8.pem")).expect("fixture key")
}

/// GitHub's description, cut (made once by `node cut-spec.mjs`; scripts/setup.sh does it too).
fn cut_spec() -> PathBuf {
    let dir = repo_root().join("end2end/github");
    let spec = dir.join("cut-spec.json");
    if !spec.exists() {
        let tmp = dir.join(format!("cut-spec.{}.json", std::process::id()));
        let status = std::process::Command::new("node").arg("cut-spec.mjs").arg(&tmp).current_dir(&dir).status().expect("node");
        assert!(status.success(), "cutting GitHub's description failed (run scripts/setup.sh test)");
        std::fs::rename(&tmp, &spec).expect("rename");
    }
    spec
}

/// Options for [`GitHubPeer::start_with`].
pub struct PeerOptions {
    /// Organisation name.
    pub org: String,
    /// Lifetime of minted installation tokens.
    pub token_lifetime: chrono::TimeDelta,
}

impl Default for PeerOptions {
    fn default() -> Self {
        Self { org: "acme".into(), token_lifetime: chrono::TimeDelta::hours(1) }
    }
}

/// A fake GitHub behind Prism.
pub struct GitHubPeer {
    /// The fake's state and request log.
    pub fake: Arc<FakeServer>,
    /// Prism's base URL (what GHARTS is configured with).
    pub url: String,
    /// The organisation.
    pub org: String,
    prism: Child,
}

impl GitHubPeer {
    /// Starts with defaults (organisation `acme`, 1-hour tokens).
    pub async fn start() -> Self {
        Self::start_with(PeerOptions::default()).await
    }

    /// Starts the fake and Prism in front of it; returns once Prism listens.
    pub async fn start_with(o: PeerOptions) -> Self {
        peers::require(Peer::Prism);
        let config = FakeServerConfig {
            app_id: APP_ID,
            app_public_key_pem: std::fs::read_to_string(repo_root().join("server/tests/fixtures/github-app-test-key.pub.pem")).expect("public key"),
            org: o.org.clone(),
            installation_id: INSTALLATION_ID,
            token_lifetime: o.token_lifetime,
        };
        let fake = FakeServer::new(config, Arc::new(FakeGitHub::new())).expect("fake");
        let direct_url = fake.spawn().await.expect("serve fake");
        let port = free_port();
        let prism_bin = repo_root().join("end2end/github/node_modules/.bin/prism");
        assert!(prism_bin.exists(), "Prism is missing: run scripts/setup.sh test");
        let mut prism = Command::new(prism_bin)
            .args(["proxy", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(cut_spec())
            .arg(&direct_url)
            .arg("--errors")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start prism");
        let mut lines = BufReader::new(prism.stdout.take().expect("stdout")).lines();
        let mut stderr = BufReader::new(prism.stderr.take().expect("stderr")).lines();
        let ready = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("Prism is listening") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(ready, Ok(true), "Prism did not start");
        // Keep draining its output (it logs every request) and echo violations to the test log.
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("Violation") || line.contains("✖") || line.contains("error") {
                    eprintln!("prism: {line}");
                }
            }
        });
        tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
        Self { fake, url: format!("http://127.0.0.1:{port}"), org: o.org, prism }
    }

    /// The in-process state of the organisation.
    pub fn gh(&self) -> &FakeGitHub {
        &self.fake.github
    }

    /// Configures `builder` to use this GitHub through the real App client.
    pub fn configure(&self, builder: AppBuilder) -> AppBuilder {
        builder
            .without_github()
            .env("GITHUB_APP_ID", &APP_ID.to_string())
            .env("GITHUB_APP_PRIVATE_KEY", &private_key_pem())
            .env("GITHUB_ORG", &self.org)
            .env("GITHUB_API_URL", &self.url)
            .env("GITHUB_TIMEOUT_SECONDS", "2")
            .env("GITHUB_RETRY_DEADLINE_SECONDS", "6")
    }
}

impl Drop for GitHubPeer {
    fn drop(&mut self) {
        let _ = self.prism.start_kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}
