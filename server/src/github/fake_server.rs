//! The fake GitHub over HTTP: GitHub's REST endpoints that GHARTS calls, served from a
//! [`FakeGitHub`]'s state. It checks credentials as GitHub does (App JWT: RS256, `iss` = the
//! App id, at most 10 minutes; installation tokens it minted and that have not expired), sends
//! `X-RateLimit-*` headers, pages lists, and takes scripted HTTP faults (status, headers,
//! delay). Tests put `prism proxy --errors` with GitHub's own description in front of it, so
//! both sides of every exchange are checked against GitHub's schemas.

// Checks return the ready error `Response` (a test double: its size does not matter).
#![allow(clippy::result_large_err)]

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::fake::FakeGitHub;
use super::wire::{WireJit, WireRunner, WireRunners};
use super::{GitHubApi, GitHubError, JitRequest};

/// A scripted answer for the next request whose `METHOD /path` starts with `route`.
#[derive(Debug, Clone)]
pub struct Fault {
    /// `METHOD /path` prefix, e.g. `POST /orgs/acme/actions/runners/generate-jitconfig`.
    pub route: String,
    /// Status to answer with (ignored when only `delay` is set and `status` is 0).
    pub status: u16,
    /// Extra headers, e.g. `Retry-After`.
    pub headers: Vec<(String, String)>,
    /// Wait this long before answering (a slow GitHub).
    pub delay: Option<Duration>,
}

impl Fault {
    /// Answer `status` with GitHub's error body.
    pub fn status(route: &str, status: u16) -> Self {
        Self { route: route.to_owned(), status, headers: vec![], delay: None }
    }

    /// Adds a header.
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }

    /// Only waits `d`, then serves the request normally.
    pub fn delay(route: &str, d: Duration) -> Self {
        Self { route: route.to_owned(), status: 0, headers: vec![], delay: Some(d) }
    }
}

/// The fake's identity and the App it trusts.
pub struct FakeServerConfig {
    /// The App id the JWT's `iss` must carry.
    pub app_id: u64,
    /// The App's public key (PEM).
    pub app_public_key_pem: String,
    /// The organisation.
    pub org: String,
    /// The App's installation on `org`.
    pub installation_id: u64,
    /// How long minted installation tokens live (GitHub: 1 hour).
    pub token_lifetime: chrono::TimeDelta,
}

/// Shared state of one fake GitHub server.
pub struct FakeServer {
    /// The organisation's runners, groups and faults at the domain level.
    pub github: Arc<FakeGitHub>,
    config: FakeServerConfig,
    key: jsonwebtoken::DecodingKey,
    tokens: Mutex<HashMap<String, chrono::DateTime<Utc>>>,
    faults: Mutex<VecDeque<Fault>>,
    /// Every request served: `METHOD /path?query` and the status sent.
    pub log: Mutex<Vec<(String, u16)>>,
    /// Installation tokens minted.
    pub tokens_minted: AtomicUsize,
    rate_remaining: AtomicI64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakeServer {
    /// A fake for `config` over `github`'s state.
    pub fn new(config: FakeServerConfig, github: Arc<FakeGitHub>) -> anyhow::Result<Arc<Self>> {
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(config.app_public_key_pem.as_bytes())?;
        Ok(Arc::new(Self {
            github,
            config,
            key,
            tokens: Mutex::default(),
            faults: Mutex::default(),
            log: Mutex::default(),
            tokens_minted: AtomicUsize::new(0),
            rate_remaining: AtomicI64::new(5000),
        }))
    }

    /// Queues a fault.
    pub fn push_fault(&self, fault: Fault) {
        lock(&self.faults).push_back(fault);
    }

    /// Requests served whose `METHOD /path` starts with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        lock(&self.log).iter().filter(|(r, _)| r.starts_with(prefix)).count()
    }

    /// The router (serve it with `axum::serve`).
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/app", get(app_info))
            .route("/orgs/{org}/installation", get(org_installation))
            .route("/app/installations/{id}/access_tokens", post(mint_token))
            .route("/orgs/{org}/actions/runners/generate-jitconfig", post(generate_jit))
            .route("/orgs/{org}/actions/runners", get(list_runners))
            .route("/orgs/{org}/actions/runners/{id}", get(get_runner).delete(delete_runner))
            .route("/orgs/{org}/actions/runner-groups", get(list_groups))
            .route("/repos/{owner}/{repo}/actions/runs/{run_id}/cancel", post(cancel_run))
            .route("/rate_limit", get(rate_limit))
            .layer(middleware::from_fn_with_state(self.clone(), around))
            .with_state(self.clone())
    }

    /// Serves on `127.0.0.1:0`; returns the base URL.
    pub async fn spawn(self: &Arc<Self>) -> anyhow::Result<String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = self.router();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(format!("http://{addr}"))
    }

    fn check_app_jwt(&self, headers: &HeaderMap) -> Result<(), Response> {
        #[derive(Deserialize)]
        struct Claims {
            iss: Value,
            iat: i64,
            exp: i64,
        }
        let token = bearer(headers).ok_or_else(|| error(StatusCode::UNAUTHORIZED, "Requires authentication"))?;
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        // `iss` is the App id as a number, which jsonwebtoken does not read: checked below.
        validation.required_spec_claims = std::iter::once("exp".to_owned()).collect();
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &validation)
            .map_err(|e| error(StatusCode::UNAUTHORIZED, &format!("A JSON web token could not be decoded ({e})")))?;
        let iss = match &data.claims.iss {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        if iss != self.config.app_id.to_string() {
            return Err(error(StatusCode::UNAUTHORIZED, "'Issuer' claim ('iss') must be the App ID"));
        }
        if data.claims.exp - data.claims.iat > 600 {
            return Err(error(StatusCode::UNAUTHORIZED, "'Expiration time' claim ('exp') is too far in the future"));
        }
        Ok(())
    }

    fn check_token(&self, headers: &HeaderMap) -> Result<(), Response> {
        let token = bearer(headers).ok_or_else(|| error(StatusCode::UNAUTHORIZED, "Requires authentication"))?;
        match lock(&self.tokens).get(token) {
            Some(exp) if *exp > Utc::now() => Ok(()),
            _ => Err(error(StatusCode::UNAUTHORIZED, "Bad credentials")),
        }
    }

    fn check_org(&self, org: &str) -> Result<(), Response> {
        if org.eq_ignore_ascii_case(&self.config.org) { Ok(()) } else { Err(error(StatusCode::NOT_FOUND, "Not Found")) }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("token "))
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "message": message, "documentation_url": "https://docs.github.com/rest", "status": status.as_str() }))).into_response()
}

fn from_github_error(e: GitHubError) -> Response {
    match e {
        GitHubError::NameExists => error(StatusCode::CONFLICT, "Already exists - A runner with the same name already exists"),
        GitHubError::RunnerBusy => error(StatusCode::UNPROCESSABLE_ENTITY, "Bad request - Runner is still running a job"),
        GitHubError::Unavailable { .. } => error(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable"),
        GitHubError::Rejected { status, message } => error(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), &message),
    }
}

/// Logs, applies scripted faults, adds rate-limit headers and a request id.
async fn around(State(s): State<Arc<FakeServer>>, req: Request, next: Next) -> Response {
    let route = format!("{} {}", req.method(), req.uri().path());
    let full = format!("{} {}", req.method(), req.uri());
    if req.headers().get(axum::http::header::USER_AGENT).is_none() {
        return error(StatusCode::FORBIDDEN, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header");
    }
    let fault = {
        let mut faults = lock(&s.faults);
        faults.iter().position(|f| route.starts_with(&f.route)).and_then(|i| faults.remove(i))
    };
    let mut response = match fault {
        Some(f) => {
            if let Some(d) = f.delay {
                tokio::time::sleep(d).await;
            }
            if f.status == 0 {
                next.run(req).await
            } else {
                let mut r = error(StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "Scripted failure");
                for (k, v) in &f.headers {
                    if let (Ok(k), Ok(v)) = (axum::http::HeaderName::try_from(k.as_str()), HeaderValue::from_str(v)) {
                        r.headers_mut().insert(k, v);
                    }
                }
                r
            }
        }
        None => next.run(req).await,
    };
    let h = response.headers_mut();
    let remaining = s.rate_remaining.fetch_sub(1, Ordering::SeqCst).max(0);
    let reset = Utc::now().timestamp() + 3600;
    for (k, v) in [
        ("x-ratelimit-limit", "5000".to_owned()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", reset.to_string()),
        ("x-ratelimit-used", (5000 - remaining).to_string()),
        ("x-ratelimit-resource", "core".to_owned()),
        ("x-github-request-id", uuid::Uuid::new_v4().simple().to_string()),
    ] {
        if !h.contains_key(k)
            && let Ok(v) = HeaderValue::from_str(&v)
        {
            h.insert(k, v);
        }
    }
    lock(&s.log).push((full, response.status().as_u16()));
    response
}

fn app_json(s: &FakeServer) -> Value {
    let now = "2024-01-01T00:00:00Z";
    json!({
        "id": s.config.app_id, "slug": "gharts-test", "node_id": "A_kwDOfake", "client_id": "Iv1.fake",
        "owner": user_json(&s.config.org), "name": "GHARTS test App", "description": "fake",
        "external_url": "https://gharts.example", "html_url": "https://github.com/apps/gharts-test",
        "created_at": now, "updated_at": now,
        "permissions": { "organization_self_hosted_runners": "write", "actions": "write" },
        "events": ["workflow_job"], "installations_count": 1
    })
}

fn user_json(login: &str) -> Value {
    let url = format!("https://api.github.com/users/{login}");
    json!({
        "login": login, "id": 1, "node_id": "O_fake", "avatar_url": "https://avatars.githubusercontent.com/u/1",
        "gravatar_id": "", "url": url, "html_url": format!("https://github.com/{login}"),
        "followers_url": format!("{url}/followers"), "following_url": format!("{url}/following{{/other_user}}"),
        "gists_url": format!("{url}/gists{{/gist_id}}"), "starred_url": format!("{url}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{url}/subscriptions"), "organizations_url": format!("{url}/orgs"),
        "repos_url": format!("{url}/repos"), "events_url": format!("{url}/events{{/privacy}}"),
        "received_events_url": format!("{url}/received_events"), "type": "Organization", "site_admin": false
    })
}

async fn app_info(State(s): State<Arc<FakeServer>>, headers: HeaderMap) -> Response {
    if let Err(r) = s.check_app_jwt(&headers) {
        return r;
    }
    axum::Json(app_json(&s)).into_response()
}

async fn org_installation(State(s): State<Arc<FakeServer>>, headers: HeaderMap, Path(org): Path<String>) -> Response {
    if let Err(r) = s.check_app_jwt(&headers).and_then(|()| s.check_org(&org)) {
        return r;
    }
    let id = s.config.installation_id;
    let now = "2024-01-01T00:00:00Z";
    axum::Json(json!({
        "id": id, "account": user_json(&s.config.org), "repository_selection": "all",
        "access_tokens_url": format!("https://api.github.com/app/installations/{id}/access_tokens"),
        "repositories_url": "https://api.github.com/installation/repositories",
        "html_url": format!("https://github.com/organizations/{}/settings/installations/{id}", s.config.org),
        "app_id": s.config.app_id, "target_id": 1, "target_type": "Organization",
        "permissions": { "organization_self_hosted_runners": "write", "actions": "write" },
        "events": ["workflow_job"], "created_at": now, "updated_at": now,
        "single_file_name": null, "app_slug": "gharts-test", "suspended_by": null, "suspended_at": null
    }))
    .into_response()
}

async fn mint_token(State(s): State<Arc<FakeServer>>, headers: HeaderMap, Path(id): Path<u64>) -> Response {
    if let Err(r) = s.check_app_jwt(&headers) {
        return r;
    }
    if id != s.config.installation_id {
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    // GitHub's newer tokens are longer than 40 characters.
    let token = format!("ghs_{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let expires = Utc::now() + s.config.token_lifetime;
    lock(&s.tokens).insert(token.clone(), expires);
    s.tokens_minted.fetch_add(1, Ordering::SeqCst);
    let body = json!({
        "token": token, "expires_at": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "permissions": { "organization_self_hosted_runners": "write" }, "repository_selection": "all"
    });
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

async fn generate_jit(State(s): State<Arc<FakeServer>>, headers: HeaderMap, Path(org): Path<String>, body: axum::body::Bytes) -> Response {
    if let Err(r) = s.check_token(&headers).and_then(|()| s.check_org(&org)) {
        return r;
    }
    #[derive(Deserialize)]
    struct Body {
        name: String,
        runner_group_id: i64,
        labels: Vec<String>,
        work_folder: Option<String>,
    }
    let Ok(b) = serde_json::from_slice::<Body>(&body) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request");
    };
    if b.labels.is_empty() || b.labels.len() > 100 {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request - labels must have 1 to 100 entries");
    }
    if !lock(&s.github.groups).iter().any(|g| g.id == b.runner_group_id) {
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    let req = JitRequest { name: b.name, runner_group_id: b.runner_group_id, labels: b.labels, work_folder: b.work_folder.unwrap_or_else(|| "_work".into()) };
    match s.github.generate_jit_config(&req).await {
        Ok(jit) => {
            (StatusCode::CREATED, axum::Json(WireJit { runner: WireRunner::from(&jit.runner), encoded_jit_config: jit.encoded_jit_config })).into_response()
        }
        Err(e) => from_github_error(e),
    }
}

#[derive(Deserialize)]
struct PageQuery {
    per_page: Option<usize>,
    page: Option<usize>,
    name: Option<String>,
}

fn page_of<T: Clone>(items: &[T], q: &PageQuery) -> Vec<T> {
    let per_page = q.per_page.unwrap_or(30).clamp(1, 100);
    let page = q.page.unwrap_or(1).max(1);
    items.iter().skip((page - 1) * per_page).take(per_page).cloned().collect()
}

async fn list_runners(State(s): State<Arc<FakeServer>>, headers: HeaderMap, Path(org): Path<String>, Query(q): Query<PageQuery>) -> Response {
    if let Err(r) = s.check_token(&headers).and_then(|()| s.check_org(&org)) {
        return r;
    }
    if let Err(e) = s.github.list_runners().await {
        return from_github_error(e);
    }
    let all: Vec<WireRunner> = s.github.runners().iter().filter(|r| q.name.as_ref().is_none_or(|n| r.name == *n)).map(WireRunner::from).collect();
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    axum::Json(WireRunners { total_count: total, runners: page_of(&all, &q) }).into_response()
}

async fn get_runner(State(s): State<Arc<FakeServer>>, headers: HeaderMap, Path((org, id)): Path<(String, i64)>) -> Response {
    if let Err(r) = s.check_token(&headers).and_then(|()| s.check_org(&org)) {
        return r;
    }
    match s.github.get_runner(id).await {
        Ok(Some(r)) => axum::Json(WireRunner::from(&r)).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "Not Found"),
        Err(e) => from_github_error(e),
    }
}

async fn delete_runner(State(s): State<Arc<FakeServer>>, headers: HeaderMap, Path((org, id)): Path<(String, i64)>) -> Response {
    if let Err(r) = s.check_token(&headers).and_then(|()| s.check_org(&org)) {
        return r;
    }
    if s.github.runner(id).is_none() {
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    match s.github.delete_runner(id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => from_github_error(e),
    }
}

async fn list_groups(State(s): State<Arc<FakeServer>>, headers: HeaderMap, Path(org): Path<String>, Query(q): Query<PageQuery>) -> Response {
    if let Err(r) = s.check_token(&headers).and_then(|()| s.check_org(&org)) {
        return r;
    }
    let groups: Vec<Value> = lock(&s.github.groups)
        .iter()
        .map(|g| {
            let url = format!("https://api.github.com/orgs/{org}/actions/runner-groups/{}", g.id);
            json!({
                "id": g.id, "name": g.name, "visibility": g.visibility, "default": g.id == 1,
                "runners_url": format!("{url}/runners"), "inherited": false, "allows_public_repositories": false,
                "restricted_to_workflows": false, "selected_workflows": [], "workflow_restrictions_read_only": false
            })
        })
        .collect();
    let total = groups.len();
    axum::Json(json!({ "total_count": total, "runner_groups": page_of(&groups, &q) })).into_response()
}

async fn cancel_run(State(s): State<Arc<FakeServer>>, headers: HeaderMap, Path((owner, repo, run_id)): Path<(String, String, i64)>) -> Response {
    if let Err(r) = s.check_token(&headers) {
        return r;
    }
    match s.github.cancel_workflow_run(&owner, &repo, run_id).await {
        Ok(true) => (StatusCode::ACCEPTED, axum::Json(json!({}))).into_response(),
        Ok(false) => error(StatusCode::CONFLICT, "Cannot cancel a workflow run that is completed."),
        Err(e) => from_github_error(e),
    }
}

async fn rate_limit(State(s): State<Arc<FakeServer>>, headers: HeaderMap) -> Response {
    if let Err(r) = s.check_token(&headers) {
        return r;
    }
    let remaining = s.rate_remaining.load(Ordering::SeqCst).max(0);
    let reset = Utc::now().timestamp() + 3600;
    let budget = |limit: i64, remaining: i64| json!({ "limit": limit, "remaining": remaining, "reset": reset, "used": limit - remaining });
    axum::Json(json!({
        "resources": {
            "core": budget(5000, remaining), "search": budget(30, 30), "graphql": budget(5000, 5000),
            "actions_runner_registration": budget(10000, 10000)
        },
        "rate": budget(5000, remaining)
    }))
    .into_response()
}
