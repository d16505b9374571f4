//! The test harness: per-test databases, the app on port 0, an HTTP client, a cuttable TCP
//! proxy for database outages. Helpers shared by feature tests live beside it, one file per
//! subject: [`world`] (two teams with M2M clients, provisioning), [`accounts`] (the admin,
//! local accounts, what was recorded), [`bulk`] (tables filled at production scale by SQL).

pub mod accounts;
pub mod bulk;
pub mod peers;
pub mod probe;
pub mod world;

/// The real `gharts serve` on a port of its own, in a clean environment: `DATABASE_URL`, JSON
/// logs, then `env` (later entries win). Returns the process (killed on drop), its port and its
/// log lines (stdout).
pub fn spawn_gharts(db: &TestDb, env: &[(&str, &str)]) -> (tokio::process::Child, u16, tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>) {
    use tokio::io::AsyncBufReadExt as _;
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_gharts"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &db.url)
        .env("GHARTS_ADDR", format!("127.0.0.1:{port}"))
        .env("LOG_FORMAT", "json")
        .envs(env.iter().copied())
        .arg("serve")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start gharts");
    let lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    (child, port, lines)
}

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::{Client, Response};
use serde_json::Value;
use server::config::{Config, Env};
use server::db::Db;
use server::github::fake::FakeGitHub;
use server::state::AppState;
use sqlx::Connection;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, oneshot};
use tokio::task::JoinHandle;

use crate::oidc_peer::OidcPeer;

/// The bootstrap admin's password in every test app.
pub const ADMIN_PASSWORD: &str = "correct-horse-battery-staple";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs the same code on whichever pool `$db` holds; `$p` names the pool inside `$body` (the
/// server's own `on_pool!`, which is private to it, for arranging and reading rows directly).
#[macro_export]
macro_rules! on_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            server::db::Db::Sqlite($p) => $body,
            server::db::Db::Postgres($p) => $body,
        }
    };
}

/// Generates `sqlite::<name>` and `postgres::<name>` tests from `async fn <name>(Backend)`; a
/// test whose peer is missing here is skipped with a message ([`peers`]).
#[macro_export]
macro_rules! both_databases {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   let test = concat!(module_path!(), "::", stringify!($name));
                   $crate::helpers::peers::run(test, super::$name($crate::helpers::Backend::Sqlite)).await
               } )+
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   let test = concat!(module_path!(), "::", stringify!($name));
                   if $crate::helpers::postgres_available(test) {
                       $crate::helpers::peers::run(test, super::$name($crate::helpers::Backend::Postgres)).await
                   }
               } )+
        }
    };
}

/// Set (to anything) by `make test`: a test that would be skipped for a missing peer fails instead.
pub const REQUIRE_ALL: &str = "GHARTS_TEST_REQUIRE_ALL";

/// Whether the PostgreSQL half runs here: `TEST_POSTGRES_URL` is set. When it is not, the test
/// says so and passes without running, so `cargo test` on a fresh clone runs the SQLite half;
/// under [`REQUIRE_ALL`] it fails instead.
pub fn postgres_available(test: &str) -> bool {
    !peers::skip(test, &[peers::Peer::PostgreSql])
}

fn postgres_base_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database that exists for one test and is dropped after it.
pub struct TestDb {
    /// Connection URL.
    pub url: String,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// Creates an empty database.
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite://{}", dir.path().join("gharts.db").display());
                Self { url, pg_name: None, _dir: Some(dir) }
            }
            Backend::Postgres => {
                peers::require(peers::Peer::PostgreSql);
                let base = postgres_base_url();
                let name = format!("gharts_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&base).await.expect("connect to TEST_POSTGRES_URL");
                sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}"))).execute(&mut conn).await.expect("create database");
                let mut url = url::Url::parse(&base).expect("url");
                url.set_path(&name);
                Self { url: url.to_string(), pg_name: Some(name), _dir: None }
            }
        }
    }

    /// The URL with its host and port replaced (to go through a proxy).
    pub fn url_via(&self, addr: SocketAddr) -> String {
        let mut url = url::Url::parse(&self.url).expect("url");
        url.set_host(Some(&addr.ip().to_string())).expect("host");
        url.set_port(Some(addr.port())).expect("port");
        url.to_string()
    }

    /// The PostgreSQL server's address.
    pub fn pg_addr(&self) -> SocketAddr {
        let url = url::Url::parse(&self.url).expect("url");
        let host = url.host_str().unwrap_or("127.0.0.1");
        format!("{}:{}", if host == "localhost" { "127.0.0.1" } else { host }, url.port().unwrap_or(5432)).parse().expect("addr")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Drop runs outside any runtime we may block: use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_base_url()).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("drop database if exists {name} with (force)"))).execute(&mut conn).await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running app.
pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    /// The socket address.
    pub addr: SocketAddr,
    /// Direct database access for arranging and asserting.
    pub db: Db,
    /// A client with a cookie store (a browser, in effect).
    pub client: Client,
    /// The in-process fake GitHub the app talks to (`None`: not configured, or the real client).
    pub github: Option<Arc<FakeGitHub>>,
    /// The app's state (to run services, such as a sync cycle, directly).
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
    /// The database; kept last so it is dropped after the app.
    pub test_db: Arc<TestDb>,
}

/// How to start an app.
pub struct AppBuilder {
    backend: Backend,
    github: Option<Arc<FakeGitHub>>,
    env: Vec<(String, String)>,
    db: Option<Arc<TestDb>>,
    database_url: Option<String>,
    name_seed: Option<u64>,
}

impl AppBuilder {
    /// Sets an environment variable for the app's configuration.
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.retain(|(key, _)| key != k);
        self.env.push((k.to_owned(), v.to_owned()));
        self
    }

    /// Trusts the test OpenID Provider `peer` (bearer tokens and SSO).
    pub fn oidc(mut self, peer: &OidcPeer) -> Self {
        for (k, v) in peer.env() {
            self = self.env(k, &v);
        }
        self
    }

    /// Does not inject the in-process fake: the app uses what its `GITHUB_*` variables configure,
    /// which is nothing (`503 GITHUB_NOT_CONFIGURED`) unless a peer configured the real App client
    /// (`github_peer::GitHubPeer::configure`).
    pub fn without_github(mut self) -> Self {
        self.github = None;
        self
    }

    /// Draws the random part of prefix names from `NameSuffixes::seeded(seed)`, so the test
    /// knows which names the app will try.
    pub fn name_seed(mut self, seed: u64) -> Self {
        self.name_seed = Some(seed);
        self
    }

    /// Reuses a database (a restart, or a second replica).
    pub fn database(mut self, db: Arc<TestDb>) -> Self {
        self.db = Some(db);
        self
    }

    /// Connects through another URL (a proxy) to the same database.
    pub fn database_url(mut self, url: String) -> Self {
        self.database_url = Some(url);
        self
    }

    /// The configuration this builder produces (for tests of the start-up steps themselves).
    pub async fn config(&mut self) -> Config {
        if self.db.is_none() {
            self.db = Some(Arc::new(TestDb::new(self.backend).await));
        }
        let url = self.database_url.clone().unwrap_or_else(|| self.db.as_ref().expect("db").url.clone());
        let mut pairs: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), url),
            ("BOOTSTRAP_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
            ("DB_POOL_MAX".into(), "5".into()),
            ("DB_ACQUIRE_TIMEOUT_SECONDS".into(), "2".into()),
            // Tests sign many accounts in from 127.0.0.1; the limiter's own tests set their limit.
            ("LOGIN_IP_ATTEMPTS_PER_MINUTE".into(), "1000".into()),
        ];
        for (k, v) in &self.env {
            pairs.retain(|(key, _)| key != k);
            pairs.push((k.clone(), v.clone()));
        }
        Config::from_env(&Env::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))).expect("test config")
    }

    /// Starts the app on 127.0.0.1:0.
    pub async fn start(mut self) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        // SSO requires PUBLIC_URL: the app's own address, unless the test chose one.
        if self.env.iter().any(|(k, _)| k == "OIDC_CLIENT_ID") && !self.env.iter().any(|(k, _)| k == "PUBLIC_URL") {
            self = self.env("PUBLIC_URL", &format!("http://{addr}"));
        }
        let config = self.config().await;
        let db = server::prepare(&config).await.expect("prepare");
        let (tx, rx) = oneshot::channel::<()>();
        let mut state = AppState::new(config, db.clone()).expect("state");
        if let Some(gh) = &self.github {
            state = state.with_github(gh.clone());
        } else if let Some(gh) = server::github::from_config(&state.config, &state.metrics).expect("GitHub client") {
            state = state.with_github(gh);
        }
        if let Some(seed) = self.name_seed {
            state = state.with_runner_names(server::random_token::NameSuffixes::seeded(seed));
        }
        let handle = tokio::spawn(server::run(state.clone(), listener, async move {
            let _ = rx.await;
        }));
        TestApp {
            base: format!("http://{addr}"),
            addr,
            db,
            client: Client::builder().cookie_store(true).build().expect("client"),
            github: self.github.clone(),
            state,
            shutdown: Some(tx),
            handle: Some(handle),
            test_db: self.db.expect("db"),
        }
    }
}

/// A builder for an app on `backend` with a fresh database.
pub fn app(backend: Backend) -> AppBuilder {
    AppBuilder { backend, github: Some(Arc::new(FakeGitHub::new())), env: Vec::new(), db: None, database_url: None, name_seed: None }
}

/// An app on `backend` that trusts `peer`.
pub async fn oidc_app(backend: Backend, peer: &OidcPeer) -> TestApp {
    app(backend).oidc(peer).start().await
}

/// An app on `backend` with defaults.
pub async fn spawn_app(backend: Backend) -> TestApp {
    app(backend).start().await
}

impl TestApp {
    /// An absolute URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET with the app's client.
    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// GET with a bearer token.
    pub async fn get_bearer(&self, path: &str, token: &str) -> Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.expect("request")
    }

    /// POST JSON with `X-Requested-With: gharts` (the console's CSRF header).
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).header("x-requested-with", "gharts").json(body).send().await.expect("request")
    }

    /// Local login with the app's client; returns the response.
    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post_json("/auth/local-login", &serde_json::json!({ "username": username, "password": password })).await
    }

    /// The fake GitHub.
    pub fn gh(&self) -> &FakeGitHub {
        self.github.as_deref().expect("this app has a fake GitHub")
    }

    /// Seals every audit row written so far into the chain (what the background sealer does
    /// within a second), so a test can verify or compare hashes without waiting.
    pub async fn seal_audit(&self) {
        self.db.seal_audit_chain().await.expect("seal the audit chain");
    }

    /// Logs in as the bootstrap admin and asserts success.
    pub async fn login_admin(&self) {
        let resp = self.login("admin", ADMIN_PASSWORD).await;
        assert_eq!(resp.status(), 200, "admin login: {}", resp.text().await.unwrap_or_default());
    }

    /// Triggers graceful shutdown and returns the server task.
    pub fn begin_shutdown(&mut self) -> JoinHandle<anyhow::Result<()>> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.handle.take().expect("running")
    }

    /// Stops the app and waits for it.
    pub async fn stop(mut self) -> Arc<TestDb> {
        let handle = self.begin_shutdown();
        handle.await.expect("join").expect("server result");
        self.db.close().await;
        self.test_db.clone()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }
}

/// Reads a JSON body.
pub async fn json(resp: Response) -> Value {
    resp.json().await.expect("json body")
}

/// Asserts a contract error: status, `error_code`, and that `detail` is present.
pub async fn assert_error(resp: Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "unexpected status");
    let body = json(resp).await;
    assert_eq!(body["error_code"], code, "body: {body}");
    assert!(body["detail"].is_string(), "body: {body}");
    body
}

/// A TCP forwarder that can be cut (connections dropped, new ones refused) and restored.
pub struct TcpProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    target: SocketAddr,
    up: Arc<AtomicBool>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl TcpProxy {
    /// Starts forwarding to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let proxy = Self { addr, target, up: Arc::new(AtomicBool::new(true)), tasks: Arc::default() };
        proxy.serve(listener).await;
        proxy
    }

    async fn serve(&self, listener: TcpListener) {
        let (target, up, tasks) = (self.target, self.up.clone(), self.tasks.clone());
        let accept = tokio::spawn({
            let tasks = tasks.clone();
            async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !up.load(Ordering::SeqCst) {
                        break;
                    }
                    let conn = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(target).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    tasks.lock().await.push(conn);
                }
            }
        });
        tasks.lock().await.push(accept);
    }

    /// Drops every connection and refuses new ones.
    pub async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for t in self.tasks.lock().await.drain(..) {
            t.abort();
            let _ = t.await;
        }
    }

    /// Accepts connections again on the same address.
    pub async fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
        let listener = TcpListener::bind(self.addr).await.expect("rebind proxy");
        self.serve(listener).await;
    }
}
