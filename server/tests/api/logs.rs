//! Pretty logs written to a pipe (issue 13, item 17): no colour codes, and text from the query
//! string cannot start a line of its own.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::helpers::{Backend, TestDb};
use crate::oidc_peer::OidcPeer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pretty_logs_to_a_pipe_carry_no_colour_and_no_forged_lines() {
    crate::skip_without!(OpenIdProvider);
    let peer = OidcPeer::shared().await;
    let db = TestDb::new(Backend::Sqlite).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gharts"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &db.url)
        .env("GHARTS_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", &base)
        .env("SYNC_ENABLED", "false")
        .env("LOG_FORMAT", "pretty")
        .envs(peer.env())
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("start gharts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    let mut until = async |needle: &str| {
        tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read log") {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return;
                }
            }
            panic!("gharts exited before logging {needle:?}");
        })
        .await
        .unwrap_or_else(|_| panic!("no log line with {needle:?}"));
    };
    until("gharts listening").await;

    // A login flow of our own, then a callback whose error text carries a newline.
    let browser = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let start = browser.get(format!("{base}/auth/login")).send().await.expect("login");
    assert_eq!(start.status(), 302);
    let to_idp = url::Url::parse(start.headers()["location"].to_str().expect("ascii")).expect("url");
    let state = to_idp.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).expect("state");
    let forged = "denied%0AFORGED%20gharts%20line%20INFO%20admin%20logged%20in";
    let callback = browser.get(format!("{base}/auth/callback?state={state}&error=access_denied&error_description={forged}")).send().await.expect("callback");
    assert_eq!(callback.status(), 302);
    until("IdP returned an error").await;

    let text = seen.join("\n");
    assert!(!text.contains('\u{1b}'), "colour codes in piped logs:\n{text}");
    assert!(!seen.iter().any(|l| l.starts_with("FORGED")), "a forged log line:\n{text}");
    assert!(text.contains(r"denied\nFORGED"), "the newline is shown escaped:\n{text}");
    drop(child);
}
