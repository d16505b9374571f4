//! The peers every run shares (the fake GitHub and the OpenID Provider) and the tokens they issue.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
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
