//! `examples/gharts-runner.sh` run as a pipeline runs it: `sh` as a child process against the app
//! (client-credentials tokens from the test OpenID Provider, the in-process fake GitHub), with the
//! settings, commands and exit codes `docs/ci_integration.md` shows, read from the guide itself.
//! One database (SQLite): the script's behaviour does not depend on it, and provisioning.rs runs
//! the same routes on both.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use app::contract::ErrorCode;
use base64::Engine;
use serde_json::{Value, json};
use server::github::GitHubError;

use crate::helpers::world::{World, world, world_with};
use crate::helpers::{Backend, json};

const GUIDE: &str = "docs/ci_integration.md";
const SECRET: &str = "m2m-a-secret";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn guide() -> String {
    std::fs::read_to_string(root().join(GUIDE)).expect("the guide")
}

/// The lines of the block (fenced code or table) right after `<!-- ci_client.rs: NAME -->`.
fn guide_block(name: &str) -> Vec<String> {
    let text = guide();
    let marker = format!("<!-- ci_client.rs: {name} -->");
    let (_, after) = text.split_once(&marker).unwrap_or_else(|| panic!("{GUIDE} has no {marker}"));
    after.trim_start().lines().skip_while(|l| l.starts_with("```")).take_while(|l| !l.starts_with("```") && !l.trim().is_empty()).map(str::to_owned).collect()
}

/// The one script command of a block.
fn guide_command(name: &str) -> String {
    let block = guide_block(name);
    assert_eq!(block.len(), 1, "{name}: one command expected: {block:?}");
    assert!(block[0].starts_with("sh examples/gharts-runner.sh "), "{name}: {}", block[0]);
    block[0].clone()
}

/// The cells of a table's body rows.
fn guide_table(name: &str) -> Vec<Vec<String>> {
    guide_block(name).iter().skip(2).map(|row| row.trim_matches('|').split(" | ").map(|c| c.trim().trim_matches('`').to_owned()).collect()).collect()
}

/// The exit code the guide gives a class (`policy`, `quota`, …).
fn exit_code(class: &str) -> i32 {
    let row = guide_table("exit codes").into_iter().find(|r| r[1] == class).unwrap_or_else(|| panic!("no exit class {class} in {GUIDE}"));
    row[0].parse().expect("exit code")
}

/// A finished run of the script.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// The script's environment: the guide's settings (each of its `export`s, with this test's values)
/// and a HOME holding a stand-in runner (`actions-runner/run.sh` records its arguments).
struct Pipeline {
    env: BTreeMap<String, String>,
    home: tempfile::TempDir,
}

impl Pipeline {
    fn new(w: &World, client: &str, secret: &str) -> Self {
        let home = tempfile::tempdir().expect("home");
        let runner = home.path().join("actions-runner");
        std::fs::create_dir(&runner).expect("runner dir");
        let run_sh = runner.join("run.sh");
        std::fs::write(&run_sh, "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$HOME/run.args\"\n").expect("run.sh");
        std::fs::set_permissions(&run_sh, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
        let secret_file = home.path().join("client-secret");
        std::fs::write(&secret_file, format!("{secret}\n")).expect("secret file");
        let ours = BTreeMap::from([
            ("GHARTS_URL".to_owned(), w.app.base.clone()),
            ("GHARTS_TOKEN_URL".to_owned(), format!("{}/token", w.peer.issuer)),
            ("GHARTS_CLIENT_ID".to_owned(), client.to_owned()),
            ("GHARTS_CLIENT_SECRET_FILE".to_owned(), secret_file.display().to_string()),
        ]);
        // The guide's settings are the ones this test sets, no more, no fewer.
        let exported: BTreeSet<String> = guide_block("settings")
            .iter()
            .map(|l| l.strip_prefix("export ").and_then(|l| l.split_once('=')).map(|(k, _)| k.to_owned()).expect("export NAME=value"))
            .collect();
        assert_eq!(exported, ours.keys().cloned().collect::<BTreeSet<_>>(), "the guide's settings block");
        let mut env = ours;
        env.insert("HOME".into(), home.path().display().to_string());
        env.insert("CI_JOB_ID".into(), "4711".into());
        // Short waits, so the retry tests take seconds.
        env.insert("GHARTS_MAX_RETRY_WAIT".into(), "2".into());
        env.insert("GHARTS_RETRY_DELAY".into(), "0".into());
        Self { env, home }
    }

    fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.insert(k.to_owned(), v.to_owned());
        self
    }

    /// Runs `command` with `sh -c` in the repository's root, in a clean environment.
    async fn run(&self, command: &str) -> Run {
        self.run_with(command, Vec::new()).await
    }

    /// [`Self::run`] with some settings changed for this run only.
    async fn run_with(&self, command: &str, extra: Vec<(&str, &str)>) -> Run {
        let started = Instant::now();
        let out = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(root())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(&self.env)
            .envs(extra)
            .stdin(Stdio::null())
            .output()
            .await
            .expect("run sh");
        Run {
            code: out.status.code().expect("exit code"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            took: started.elapsed(),
        }
    }

    /// What the stand-in runner was started with.
    fn runner_args(&self) -> Option<String> {
        std::fs::read_to_string(self.home.path().join("run.args")).ok()
    }
}

/// The policy of team A in these tests: the guide's labels (`linux`, `gpu-1`) are allowed.
fn team_a() -> Value {
    json!({ "required_labels": ["team-a"], "optional_label_patterns": ["gpu-[0-9]+"] })
}

/// The JIT config of a `--print` run (the last word of its one line).
fn printed_config(run: &Run) -> String {
    let line = run.stdout.trim();
    assert!(line.starts_with("./run.sh --jitconfig ") || line.contains("/run.sh --jitconfig "), "{}", run.all());
    line.rsplit(' ').next().expect("config").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_print_command_provisions_and_prints_the_config_github_issued() {
    crate::skip_without!(CiClientTools);
    let w = world(Backend::Sqlite, team_a()).await;
    let p = Pipeline::new(&w, "m2m-a", SECRET);
    let run = p.run(&guide_command("print")).await;
    assert_eq!(run.code, 0, "{}", run.all());
    let config = printed_config(&run);
    // The fake GitHub's config names the runner it registered.
    let issued: Value = serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(&config).expect("base64")).expect("json");
    let at_github = w.app.gh().runner(issued["runner_id"].as_i64().expect("id")).expect("registered at GitHub");
    assert_eq!(at_github.labels, ["self-hosted", "team-a", "linux", "gpu-1"]);
    assert!(at_github.name.starts_with("ci-"), "{}", at_github.name);
    let listed = json(w.app.client.get(w.app.url("/api/v1/runners")).bearer_auth(&w.m2m_a).send().await.expect("list")).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["runners"][0]["runner_name"], at_github.name.as_str());
    assert!(run.stderr.contains(&format!("runner {} (id", at_github.name)), "{}", run.stderr);
    assert!(!run.all().contains(SECRET), "no client secret in the output");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_run_id_gets_the_same_runner_and_another_gets_a_new_one() {
    crate::skip_without!(CiClientTools);
    let w = world(Backend::Sqlite, team_a()).await;
    let mut p = Pipeline::new(&w, "m2m-a", SECRET);
    let command = guide_command("print");
    let first = p.run(&command).await;
    let again = p.run(&command).await;
    assert_eq!((first.code, again.code), (0, 0), "{}\n{}", first.all(), again.all());
    assert_eq!(printed_config(&first), printed_config(&again), "the same runner");
    assert!(again.stderr.contains("a replay"), "{}", again.stderr);
    assert_eq!(w.app.gh().jit_calls.load(Ordering::SeqCst), 1, "one runner asked of GitHub");
    let other = p.set("CI_JOB_ID", "4712").run(&command).await;
    assert_eq!(other.code, 0, "{}", other.all());
    assert_ne!(printed_config(&other), printed_config(&first));
    assert_eq!(w.app.gh().runner_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_run_command_starts_the_runner_without_printing_a_secret() {
    crate::skip_without!(CiClientTools);
    let w = world(Backend::Sqlite, team_a()).await;
    let mut p = Pipeline::new(&w, "m2m-a", SECRET);
    // A curl that records its command line (what `ps` would show) before running the real one.
    let real_curl = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).map(|d| d.join("curl")).find(|c| c.is_file()).expect("curl on PATH");
    let bin = p.home.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    std::fs::write(bin.join("curl"), format!("#!/bin/sh\nprintf '%s\\n' \"$@\" >> \"$HOME/curl.argv\"\nexec {} \"$@\"\n", real_curl.display())).expect("curl");
    std::fs::set_permissions(bin.join("curl"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    p.set("PATH", &path);
    let run = p.run(&guide_command("run")).await;
    assert_eq!(run.code, 0, "{}", run.all());
    let argv = std::fs::read_to_string(p.home.path().join("curl.argv")).expect("curl ran");
    assert!(argv.contains("/api/v1/runners/jit") && !argv.contains(SECRET) && !argv.contains("eyJ"), "no secret on curl's command line: {argv}");
    let args = p.runner_args().expect("run.sh was started");
    let config = args.strip_prefix("--jitconfig\n").expect("--jitconfig <config>").trim_end().to_owned();
    assert!(w.app.gh().runner_count() == 1 && config.len() > 20, "{args}");
    let all = run.all();
    assert!(!all.contains(&config), "the JIT config is not printed: {all}");
    assert!(!all.contains(SECRET), "the client secret is not printed: {all}");
    assert!(!all.contains("eyJ"), "no token is printed: {all}");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_dry_run_shows_the_policy_and_provisions_nothing() {
    crate::skip_without!(CiClientTools);
    let w = world(Backend::Sqlite, json!({ "required_labels": ["team-a"], "optional_label_patterns": ["gpu-[0-9]+"], "max_runners": 4 })).await;
    let run = Pipeline::new(&w, "m2m-a", SECRET).run(&guide_command("dry run")).await;
    assert_eq!(run.code, 0, "{}", run.all());
    let answer: Value = serde_json::from_str(&run.stdout).expect("the dry run's JSON");
    assert_eq!(answer["allowed"], true);
    assert_eq!(answer["labels"], json!(["self-hosted", "team-a", "linux", "gpu-1"]));
    assert_eq!(answer["quota"]["max_runners"], 4);
    assert_eq!(w.app.gh().jit_calls.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_exit_with_the_guides_codes_and_name_the_error() {
    crate::skip_without!(CiClientTools);
    // Policy: team A allows no gpu labels here.
    let w = world(Backend::Sqlite, json!({ "max_runners": 1 })).await;
    let mut p = Pipeline::new(&w, "m2m-a", SECRET);
    let run = p.run(&guide_command("print")).await;
    assert_eq!(run.code, exit_code("policy"), "{}", run.all());
    assert!(run.stderr.contains("LABEL_POLICY_VIOLATION: Labels not permitted by team 'team-a' policy"), "{}", run.stderr);
    assert!(run.stderr.contains("request id: "), "{}", run.stderr);
    assert!(run.stdout.is_empty());

    // Quota: the one place is taken; no retry (no Retry-After).
    let label_free = "sh examples/gharts-runner.sh --name-prefix ci --print";
    assert_eq!(p.run(label_free).await.code, 0);
    let run = p.set("CI_JOB_ID", "4712").run(label_free).await;
    assert_eq!(run.code, exit_code("quota"), "{}", run.all());
    assert!(run.stderr.contains("QUOTA_EXCEEDED: Team 'team-a' runner quota exceeded. Maximum allowed: 1, current: 1"), "{}", run.stderr);
    assert!(!run.stderr.contains("retrying"), "{}", run.stderr);

    // Auth: a wrong secret (the IdP refuses it), and a client the IdP knows but GHARTS does not.
    let run = Pipeline::new(&w, "m2m-a", "not-the-secret").run(label_free).await;
    assert_eq!(run.code, exit_code("auth"), "{}", run.all());
    assert!(run.stderr.contains("the IdP refused the client credentials (HTTP 401 invalid_client"), "{}", run.stderr);
    assert!(!run.all().contains("not-the-secret"));
    let run = Pipeline::new(&w, "m2m-c", "m2m-c-secret").run(label_free).await;
    assert_eq!(run.code, exit_code("auth"), "{}", run.all());
    assert!(run.stderr.contains("M2M_CLIENT_NOT_REGISTERED: M2M client 'm2m-c' is not registered"), "{}", run.stderr);

    // Usage: nothing requested.
    let run = p.run("sh examples/gharts-runner.sh --name a --name-prefix b").await;
    assert_eq!(run.code, exit_code("usage"), "{}", run.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_with_retry_after_is_retried_after_the_wait_and_in_bounds() {
    crate::skip_without!(CiClientTools);
    let w = world(Backend::Sqlite, team_a()).await;
    let unavailable = || GitHubError::Unavailable { message: "GitHub 502".into(), retry_after: Some(1) };
    let mut p = Pipeline::new(&w, "m2m-a", SECRET);
    let command = guide_command("print");

    // Two 503s, then GitHub answers: three calls, two waits of the second GHARTS named.
    w.app.gh().fail_next_jit(unavailable());
    w.app.gh().fail_next_jit(unavailable());
    let run = p.run(&command).await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(w.app.gh().jit_calls.load(Ordering::SeqCst), 3, "what GHARTS saw: three attempts");
    assert_eq!(run.stderr.matches("HTTP 503 GITHUB_UNAVAILABLE; retrying in 1s").count(), 2, "{}", run.stderr);
    assert!(run.took >= Duration::from_secs(2), "it waited as told: {:?}", run.took);

    // Bounded: two attempts allowed, GitHub down for three.
    for _ in 0..3 {
        w.app.gh().fail_next_jit(unavailable());
    }
    let run = p.set("CI_JOB_ID", "4712").set("GHARTS_MAX_ATTEMPTS", "2").run(&command).await;
    assert_eq!(run.code, exit_code("unavailable"), "{}", run.all());
    assert_eq!(w.app.gh().jit_calls.load(Ordering::SeqCst), 5, "two more attempts, no more");
    assert!(run.stderr.contains("refused: HTTP 503 GITHUB_UNAVAILABLE: GitHub is unavailable; try again later"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_github_the_503_is_not_retried() {
    crate::skip_without!(CiClientTools);
    let w = world_with(Backend::Sqlite, team_a(), false).await;
    let run = Pipeline::new(&w, "m2m-a", SECRET).run(&guide_command("print")).await;
    assert_eq!(run.code, exit_code("unavailable"), "{}", run.all());
    assert!(run.stderr.contains("HTTP 503 GITHUB_NOT_CONFIGURED: GitHub is not configured"), "{}", run.stderr);
    assert!(!run.stderr.contains("retrying"), "no Retry-After, no retry: {}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idp_that_does_not_answer_is_retried_in_bounds_then_unavailable() {
    crate::skip_without!(CiClientTools);
    let w = world(Backend::Sqlite, team_a()).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
    let mut p = Pipeline::new(&w, "m2m-a", SECRET);
    p.set("GHARTS_TOKEN_URL", &format!("http://{closed}/token")).set("GHARTS_MAX_ATTEMPTS", "3");
    let run = p.run(&guide_command("print")).await;
    assert_eq!(run.code, exit_code("unavailable"), "{}", run.all());
    assert_eq!(run.stderr.matches("the IdP did not answer").count(), 2, "two retries after the first attempt: {}", run.stderr);
    assert!(run.stderr.contains(&format!("the IdP at http://{closed}/token did not answer")), "{}", run.stderr);
    assert_eq!(w.app.gh().jit_calls.load(Ordering::SeqCst), 0);
}

/// The codes the OpenAPI document lists for the runner routes a pipeline calls.
async fn runner_route_codes(w: &World) -> BTreeSet<String> {
    let doc = json(w.app.get("/openapi.json").await).await;
    let known: BTreeSet<String> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let mut codes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/v1/runners") {
            continue;
        }
        for op in item.as_object().expect("item").values() {
            for resp in op["responses"].as_object().into_iter().flat_map(|r| r.values()) {
                let description = resp["description"].as_str().unwrap_or_default();
                codes.extend(
                    description.split(|c: char| !(c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())).filter(|w| known.contains(*w)).map(str::to_owned),
                );
            }
        }
    }
    codes
}

const AUDIENCE: &str = "https://gharts.example.com/api";
const SCOPE: &str = "api://gharts/.default gharts:write";

/// A token endpoint that wants the client's id and secret (as HTTP Basic, or in the form; never
/// both), the audience and the scope, and answers `invalid_client` otherwise.
async fn strict_token(headers: axum::http::HeaderMap, axum::Form(form): axum::Form<BTreeMap<String, String>>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("m2m-a:{SECRET}")));
    let by_header = headers.get("authorization").is_some_and(|v| v.as_bytes() == basic.as_bytes());
    let in_form = form.get("client_id").map(String::as_str) == Some("m2m-a") && form.get("client_secret").map(String::as_str) == Some(SECRET);
    let rest = form.get("grant_type").map(String::as_str) == Some("client_credentials")
        && form.get("audience").map(String::as_str) == Some(AUDIENCE)
        && form.get("scope").map(String::as_str) == Some(SCOPE);
    if (by_header != in_form) && rest {
        axum::Json(json!({ "access_token": "stub", "token_type": "Bearer" })).into_response()
    } else {
        (axum::http::StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "invalid_client", "error_description": format!("stub: {form:?}") }))).into_response()
    }
}

/// A stand-in IdP and GHARTS that refuse every runner request with the code named in the path.
async fn refusing_stub() -> String {
    use axum::extract::Path as UrlPath;
    use axum::http::StatusCode;
    use axum::routing::post;
    let router = axum::Router::new()
        .route("/token", post(|| async { axum::Json(json!({ "access_token": "stub", "token_type": "Bearer" })) }))
        .route("/strict-token", post(strict_token))
        .route(
            "/{code}/api/v1/runners/jit",
            post(|UrlPath(code): UrlPath<String>| async move {
                let parsed: ErrorCode = serde_json::from_value(json!(code)).expect("a code");
                let status = StatusCode::from_u16(parsed.status()).expect("status");
                (status, [("retry-after", "1")], axum::Json(json!({ "detail": format!("stub {code}"), "error_code": code })))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_error_table_lists_every_runner_route_code_with_the_scripts_exit_code() {
    crate::skip_without!(CiClientTools);
    let w = world(Backend::Sqlite, json!({})).await;
    let table = guide_table("error codes");
    let listed: BTreeSet<String> = table.iter().map(|r| r[0].clone()).collect();
    assert_eq!(listed, runner_route_codes(&w).await, "the guide's table against the OpenAPI document");
    let stub = refusing_stub().await;
    let mut p = Pipeline::new(&w, "m2m-a", SECRET);
    p.set("GHARTS_TOKEN_URL", &format!("{stub}/token")).set("GHARTS_MAX_ATTEMPTS", "1");
    let urls: Vec<String> = table.iter().map(|row| format!("{stub}/{}", row[0])).collect();
    let runs = futures::future::join_all(urls.iter().map(|url| p.run_with("sh examples/gharts-runner.sh --print", vec![("GHARTS_URL", url.as_str())]))).await;
    for (row, run) in table.iter().zip(runs) {
        let (code, status, exit) = (&row[0], &row[1], &row[2]);
        let parsed: ErrorCode = serde_json::from_value(json!(code)).expect("a code");
        assert_eq!(status, &parsed.status().to_string(), "{code}'s status in the guide");
        assert_eq!(run.code.to_string(), *exit, "{code}: {}", run.all());
        assert!(run.stderr.contains(&format!("HTTP {status} {code}: stub {code}")), "{}", run.stderr);
    }
}

/// `examples/kubernetes/runner-job.yaml`'s text.
fn job_manifest() -> String {
    std::fs::read_to_string(root().join("examples/kubernetes/runner-job.yaml")).expect("the Job manifest")
}

/// A container's `command:` (written as a JSON array in the manifest), after `- name: <container>`.
fn manifest_command(container: &str) -> Vec<String> {
    let text = job_manifest();
    let (_, after) = text.split_once(&format!("- name: {container}\n")).unwrap_or_else(|| panic!("no container {container}"));
    let line = after.lines().find_map(|l| l.trim().strip_prefix("command: ")).expect("command");
    serde_json::from_str(line).expect("a JSON array")
}

/// The `value:` of an environment variable of the manifest.
fn manifest_env(name: &str) -> String {
    let text = job_manifest();
    let (_, after) = text.split_once(&format!("- name: {name}\n")).unwrap_or_else(|| panic!("no env {name}"));
    after.lines().next().and_then(|l| l.trim().strip_prefix("value: ")).expect("value").to_owned()
}

/// Quotes a word for `sh -c`.
fn sh_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_init_container_hands_the_config_to_the_runner_container_through_a_file() {
    crate::skip_without!(CiClientTools);
    let w = world(Backend::Sqlite, json!({})).await;
    let mut p = Pipeline::new(&w, "m2m-a", SECRET);
    let jit = p.home.path().join("jit-config");
    let jit_path = jit.display().to_string();
    let client_id = p.home.path().join("client-id");
    std::fs::write(&client_id, "m2m-a\n").expect("client id file");
    p.env.remove("GHARTS_CLIENT_ID");
    p.set("GHARTS_CLIENT_ID_FILE", &client_id.display().to_string())
        .set("GHARTS_LABELS", &manifest_env("GHARTS_LABELS"))
        .set("GHARTS_RUNNER_NAME_PREFIX", &manifest_env("GHARTS_RUNNER_NAME_PREFIX"))
        .set("GHARTS_RUN_ID", "3c0d7a52-job-uid");
    // The init container's command, with this checkout's script and a temporary file for /jit/config.
    let init: Vec<String> = manifest_command("request-runner")
        .iter()
        .map(|a| match a.as_str() {
            "/opt/gharts/gharts-runner.sh" => "examples/gharts-runner.sh".to_owned(),
            "/jit/config" => jit_path.clone(),
            other => other.to_owned(),
        })
        .collect();
    let run = p.run(&init.iter().map(|a| sh_quote(a)).collect::<Vec<_>>().join(" ")).await;
    assert_eq!(run.code, 0, "{}", run.all());
    let config = std::fs::read_to_string(&jit).expect("the config file");
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&jit).expect("meta").permissions()) & 0o777, 0o600);
    assert!(!run.all().contains(&config), "the config is not printed");
    let issued: Value = serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(&config).expect("base64")).expect("json");
    let at_github = w.app.gh().runner(issued["runner_id"].as_i64().expect("id")).expect("registered at GitHub");
    assert_eq!(at_github.labels, ["self-hosted", "linux", "x64"]);
    assert!(at_github.name.starts_with("k8s-"), "{}", at_github.name);
    // The runner container's command, in the stand-in runner's directory.
    let runner = manifest_command("runner");
    assert_eq!(runner[..2], ["/bin/sh", "-c"]);
    let script = runner[2].replace("/jit/config", &jit_path);
    let started = p.run(&format!("cd \"$HOME/actions-runner\" && sh -c {}", sh_quote(&script))).await;
    assert_eq!(started.code, 0, "{}", started.all());
    assert_eq!(p.runner_args().expect("run.sh was started"), format!("--jitconfig\n{config}\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_a_new_idp_client_to_a_runner_with_the_guides_commands() {
    crate::skip_without!(CiClientTools);
    let w = world(Backend::Sqlite, json!({})).await;
    // A team of its own (team A and B have their clients), and an admin who calls the API with a token.
    let team = w.app.post_json("/api/v1/admin/teams", &json!({ "name": "team-c", "optional_label_patterns": ["gpu-[0-9]+"] })).await;
    assert_eq!(team.status(), 201);
    let team_id = json(team).await["id"].as_str().expect("id").to_owned();
    let admin = w.app.post_json("/api/v1/admin/users", &json!({ "email": "alice@example.com", "oidc_sub": "alice-sub", "is_admin": true })).await;
    assert_eq!(admin.status(), 201);
    let admin_token = w.peer.user_token("alice").await;

    // The IdP's client m2m-c stands for the guide's team-a-pipeline.
    let mut p = Pipeline::new(&w, "m2m-c", "m2m-c-secret");
    let before = p.run(&guide_command("print")).await;
    assert_eq!(before.code, exit_code("auth"), "not registered yet: {}", before.all());
    let register = guide_block("register").join("\n").replace("team-a-pipeline", "m2m-c");
    let registered = p.run_with(&register, vec![("ADMIN_TOKEN", admin_token.as_str()), ("TEAM_ID", team_id.as_str())]).await;
    assert_eq!(registered.code, 0, "{}", registered.all());
    let client: Value = serde_json::from_str(&registered.stdout).expect("the client's JSON");
    assert_eq!((client["client_id"].as_str(), client["team_id"].as_str()), (Some("m2m-c"), Some(team_id.as_str())), "{client}");

    let run = p.set("CI_JOB_ID", "4713").run(&guide_command("print")).await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("team team-c"), "{}", run.stderr);
    printed_config(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_request_carries_the_audience_and_the_scope_with_either_client_authentication() {
    crate::skip_without!(CiClientTools);
    let w = world(Backend::Sqlite, json!({})).await;
    let stub = refusing_stub().await;
    let mut p = Pipeline::new(&w, "m2m-a", SECRET);
    p.set("GHARTS_TOKEN_URL", &format!("{stub}/strict-token")).set("GHARTS_URL", &format!("{stub}/QUOTA_EXCEEDED")).set("GHARTS_MAX_ATTEMPTS", "1");
    // Without the audience and the scope, the IdP refuses; with them, GHARTS answers (here: quota).
    let run = p.run("sh examples/gharts-runner.sh --print").await;
    assert_eq!(run.code, exit_code("auth"), "{}", run.all());
    assert!(run.stderr.contains("HTTP 401 invalid_client"), "{}", run.stderr);
    p.set("GHARTS_AUDIENCE", AUDIENCE).set("GHARTS_SCOPE", SCOPE);
    for auth in ["basic", "post"] {
        let run = p.run_with("sh examples/gharts-runner.sh --print", vec![("GHARTS_TOKEN_AUTH", auth)]).await;
        assert_eq!(run.code, exit_code("quota"), "{auth}: {}", run.all());
    }
    let run = p.run_with("sh examples/gharts-runner.sh --print", vec![("GHARTS_TOKEN_AUTH", "form")]).await;
    assert_eq!(run.code, exit_code("usage"), "{}", run.all());
}
