//! The real GitHub client: a GitHub App on octocrab. One shared instance per process; the
//! installation token is cached and refreshed 5 minutes before it expires (single flight).
//! Every call has a timeout; 5xx, timeouts and rate limits are retried with backoff + jitter
//! (honouring `Retry-After` / `X-RateLimit-Reset`) until a deadline, then reported as
//! [`GitHubError::Unavailable`]. Calls and rate-limit headers feed the metrics.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{Mutex, OnceCell};

use super::wire::{self, WireGroups, WireJit, WireRunner, WireRunners};
use super::{AppFacts, GitHubApi, GitHubError, GitHubRunner, JitConfig, JitRequest, RateBudget, RunnerGroup, RunnerInventory};
use crate::config::{Enforcement, GitHubAppConfig};
use crate::metrics::Metrics;

/// Refresh the installation token when less than this is left.
const TOKEN_REFRESH_MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// The longest wait for a rate limit to reset that a call will sit through.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// Page size for list calls (GitHub's maximum).
const PER_PAGE: usize = 100;
/// List pages fetched at once after the first.
const PAGE_CONCURRENCY: usize = 4;

/// Whose credentials a call carries.
#[derive(Clone, Copy)]
enum As {
    /// The App itself (a signed JWT): installation lookup and token minting.
    App,
    /// The installation (its access token): everything else.
    Installation,
}

/// A finished HTTP exchange.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: axum::body::Bytes,
}

impl Reply {
    fn json<T: serde::de::DeserializeOwned>(&self, endpoint: &str) -> Result<T, GitHubError> {
        serde_json::from_slice(&self.body).map_err(|e| GitHubError::Unavailable { message: format!("{endpoint}: unexpected response: {e}"), retry_after: None })
    }

    /// GitHub's `message`, for errors.
    fn message(&self) -> String {
        #[derive(Deserialize)]
        struct Body {
            message: Option<String>,
        }
        let m = serde_json::from_slice::<Body>(&self.body).ok().and_then(|b| b.message).unwrap_or_default();
        m.chars().take(300).collect()
    }

    fn rejected(&self) -> GitHubError {
        GitHubError::Rejected { status: self.status.as_u16(), message: self.message() }
    }

    /// How long GitHub asks us to wait, when this is a (primary or secondary) rate limit.
    fn rate_limit_wait(&self) -> Option<Duration> {
        wire::rate_limit_wait(self.status, &self.headers, &self.message(), Utc::now().timestamp())
    }
}

struct CachedToken {
    secret: SecretString,
    expires_at: DateTime<Utc>,
}

/// The GitHub App client.
pub struct AppClient {
    app: Octocrab,
    org: String,
    configured_installation: Option<u64>,
    installation: OnceCell<u64>,
    facts: OnceCell<AppFacts>,
    token: Mutex<Option<CachedToken>>,
    permissions: Value,
    metrics: Metrics,
    timeout: Duration,
    deadline: Duration,
}

impl AppClient {
    /// Builds the client (no network traffic until the first call).
    pub fn new(config: &GitHubAppConfig, enforcement: Enforcement, metrics: Metrics) -> anyhow::Result<Self> {
        let key = jsonwebtoken_octocrab::EncodingKey::from_rsa_pem(config.private_key.expose_secret().as_bytes())
            .map_err(|e| anyhow::anyhow!("GITHUB_APP_PRIVATE_KEY: {e}"))?;
        let app = Octocrab::builder()
            .base_uri(config.api_url.as_str())?
            .app(config.app_id.into(), key)
            .set_connect_timeout(Some(config.request_timeout))
            .set_read_timeout(Some(config.request_timeout))
            .build()?;
        // Down-scoped installation tokens: runners always; cancelling runs only in enforce mode.
        let mut permissions = json!({ "organization_self_hosted_runners": "write" });
        if enforcement == Enforcement::Enforce {
            permissions["actions"] = json!("write");
        }
        Ok(Self {
            app,
            org: config.org.clone(),
            configured_installation: config.installation_id,
            installation: OnceCell::new(),
            facts: OnceCell::new(),
            token: Mutex::new(None),
            permissions,
            metrics,
            timeout: config.request_timeout,
            deadline: config.retry_deadline,
        })
    }

    /// The organisation.
    pub fn org(&self) -> &str {
        &self.org
    }

    /// The installation id: configured, or looked up once from the organisation.
    pub async fn installation_id(&self) -> Result<u64, GitHubError> {
        if let Some(id) = self.configured_installation {
            return Ok(id);
        }
        self.installation.get_or_try_init(|| async { self.org_installation().await.map(|(id, _)| id) }).await.copied()
    }

    /// `GET /orgs/{org}/installation`: the App's installation on the organisation, and the
    /// account it is installed on.
    async fn org_installation(&self) -> Result<(u64, String), GitHubError> {
        #[derive(Deserialize)]
        struct Account {
            login: String,
        }
        #[derive(Deserialize)]
        struct Installation {
            id: u64,
            account: Option<Account>,
        }
        let path = format!("/orgs/{}/installation", self.org);
        let reply = self.call(As::App, Method::GET, "GET /orgs/{org}/installation", &path, None).await?;
        match reply.status {
            StatusCode::OK => {
                let i = reply.json::<Installation>("installation")?;
                Ok((i.id, i.account.map_or_else(|| self.org.clone(), |a| a.login)))
            }
            StatusCode::NOT_FOUND => Err(GitHubError::Rejected { status: 404, message: format!("the App is not installed on organisation {}", self.org) }),
            _ => Err(reply.rejected()),
        }
    }

    /// A valid installation token (cached; minted when < 5 minutes are left or `force`).
    async fn installation_token(&self, force: bool) -> Result<SecretString, GitHubError> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| !force && t.expires_at - Utc::now() > TOKEN_REFRESH_MARGIN) {
            return Ok(t.secret.clone());
        }
        let minted = self.mint_token().await;
        let result = if minted.is_ok() { "success" } else { "error" };
        self.metrics.github_token_refreshes.with_label_values(&[result]).inc();
        let token = minted?;
        let secret = token.secret.clone();
        *cached = Some(token);
        Ok(secret)
    }

    async fn mint_token(&self) -> Result<CachedToken, GitHubError> {
        #[derive(Deserialize)]
        struct Minted {
            token: String,
            expires_at: DateTime<Utc>,
        }
        // Boxed: minting is itself a call (call → token → mint → call).
        let id = Box::pin(self.installation_id()).await?;
        let path = format!("/app/installations/{id}/access_tokens");
        let body = json!({ "permissions": self.permissions });
        let reply = Box::pin(self.call(As::App, Method::POST, "POST /app/installations/{installation_id}/access_tokens", &path, Some(&body))).await?;
        if reply.status != StatusCode::CREATED {
            return Err(reply.rejected());
        }
        let minted: Minted = reply.json("access token")?;
        Ok(CachedToken { secret: SecretString::from(minted.token), expires_at: minted.expires_at })
    }

    /// One logical call: attempts until success, a final answer, or the deadline.
    async fn call(&self, who: As, method: Method, endpoint: &'static str, path: &str, body: Option<&Value>) -> Result<Reply, GitHubError> {
        self.call_with(who, method, endpoint, path, body, true).await
    }

    /// [`Self::call`]; with `retry_ambiguous` false, a timeout, transport error or 5xx is
    /// returned at once instead of retried: the request may have taken effect (a POST that
    /// creates a runner must not be repeated blindly). Rate limits and a stale token are still
    /// retried: GitHub refused those requests.
    async fn call_with(
        &self,
        who: As,
        method: Method,
        endpoint: &'static str,
        path: &str,
        body: Option<&Value>,
        retry_ambiguous: bool,
    ) -> Result<Reply, GitHubError> {
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut reauthenticated = false;
        loop {
            attempt += 1;
            // No attempt outlives the deadline: one logical call stays within GITHUB_RETRY_DEADLINE_SECONDS.
            let budget = self.timeout.min(self.deadline.saturating_sub(started.elapsed()).max(Duration::from_secs(1)));
            let failure = match self.attempt(who, method.clone(), endpoint, path, body, budget).await {
                Err(GitHubError::Unavailable { message, .. }) => message,
                Err(e) => return Err(e),
                Ok(reply) if reply.status == StatusCode::UNAUTHORIZED && matches!(who, As::Installation) && !reauthenticated => {
                    // A revoked or rotated token: mint a new one once.
                    reauthenticated = true;
                    self.installation_token(true).await?;
                    continue;
                }
                Ok(reply) => {
                    if let Some(wait) = reply.rate_limit_wait() {
                        if started.elapsed() + wait > self.deadline || wait > MAX_RATE_LIMIT_WAIT {
                            return Err(GitHubError::Unavailable {
                                message: format!("{endpoint}: rate limited ({})", reply.message()),
                                retry_after: Some(wait.as_secs().max(1)),
                            });
                        }
                        tracing::warn!(endpoint, wait_ms = wait.as_millis() as u64, "GitHub rate limit: waiting as told");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    if !reply.status.is_server_error() {
                        return Ok(reply);
                    }
                    format!("{endpoint}: GitHub answered {}", reply.status)
                }
            };
            let delay = backoff(attempt);
            if !retry_ambiguous || started.elapsed() + delay > self.deadline {
                return Err(GitHubError::Unavailable { message: failure, retry_after: None });
            }
            tracing::warn!(endpoint, attempt, error = %failure, "GitHub call failed; retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// One HTTP exchange with a timeout; records metrics and rate-limit headers.
    async fn attempt(
        &self,
        who: As,
        method: Method,
        endpoint: &'static str,
        path: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<Reply, GitHubError> {
        let crab = match who {
            As::App => self.app.clone(),
            As::Installation => {
                let token = self.installation_token(false).await?;
                self.app.user_access_token(token.expose_secret().to_owned()).map_err(|e| unavailable(endpoint, &e))?
            }
        };
        let builder = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28");
        let request = crab.build_request(builder, body).map_err(|e| unavailable(endpoint, &e))?;
        let t0 = Instant::now();
        let exchange = async {
            let response = crab.execute(request).await?;
            let (parts, body) = response.into_parts();
            let bytes = body.collect().await?.to_bytes();
            Ok::<_, octocrab::Error>((parts, bytes))
        };
        let outcome = tokio::time::timeout(timeout, exchange).await;
        self.metrics.github_duration.with_label_values(&[endpoint]).observe(t0.elapsed().as_secs_f64());
        let (parts, bytes) = match outcome {
            Err(_) => {
                self.metrics.github_requests.with_label_values(&[endpoint, "transport_error"]).inc();
                return Err(GitHubError::Unavailable { message: format!("{endpoint}: timed out after {timeout:?}"), retry_after: None });
            }
            Ok(Err(e)) => {
                self.metrics.github_requests.with_label_values(&[endpoint, "transport_error"]).inc();
                return Err(unavailable(endpoint, &e));
            }
            Ok(Ok(x)) => x,
        };
        self.metrics.github_requests.with_label_values(&[endpoint, parts.status.as_str()]).inc();
        self.observe_rate_limit(&parts.headers);
        Ok(Reply { status: parts.status, headers: parts.headers, body: bytes })
    }

    fn observe_rate_limit(&self, headers: &HeaderMap) {
        let num = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i64>().ok());
        let resource = headers.get("x-ratelimit-resource").and_then(|v| v.to_str().ok()).unwrap_or("core");
        if let Some(v) = num("x-ratelimit-remaining") {
            self.metrics.github_rate_remaining.with_label_values(&[resource]).set(v);
        }
        if let Some(v) = num("x-ratelimit-limit") {
            self.metrics.github_rate_limit.with_label_values(&[resource]).set(v);
        }
        if let Some(v) = num("x-ratelimit-reset") {
            self.metrics.github_rate_reset.with_label_values(&[resource]).set(v);
        }
    }

    /// All pages of a list endpoint; `items` picks a page's entries and GitHub's `total_count`.
    /// Page 1 tells how many pages there are; the rest are fetched [`PAGE_CONCURRENCY`] at a
    /// time (well under GitHub's 100 concurrent requests). Entries that move between pages while
    /// they are read can be missed or seen twice: callers de-duplicate by id and confirm a
    /// missing runner by id before acting on its absence.
    async fn all_pages<T, W: serde::de::DeserializeOwned>(
        &self,
        endpoint: &'static str,
        base: &str,
        items: impl Fn(W) -> (Vec<T>, i64),
    ) -> Result<(Vec<T>, u32), GitHubError> {
        use futures::{StreamExt, TryStreamExt};
        let page = |n: usize| {
            let path = format!("{base}?per_page={PER_PAGE}&page={n}");
            async move {
                let reply = self.call(As::Installation, Method::GET, endpoint, &path, None).await?;
                if reply.status != StatusCode::OK {
                    return Err(reply.rejected());
                }
                reply.json::<W>(endpoint)
            }
        };
        let (mut out, total) = items(page(1).await?);
        let total = usize::try_from(total).unwrap_or(0);
        let pages = total.div_ceil(PER_PAGE).max(1);
        if out.len() < PER_PAGE || pages == 1 {
            return Ok((out, 1));
        }
        let rest: Vec<W> = futures::stream::iter(2..=pages).map(page).buffered(PAGE_CONCURRENCY).try_collect().await?;
        for w in rest {
            out.extend(items(w).0);
        }
        Ok((out, u32::try_from(pages).unwrap_or(u32::MAX)))
    }

    /// `GET /rate_limit`: the installation's budgets, for `gharts github check`.
    pub async fn rate_limit(&self) -> Result<Value, GitHubError> {
        let reply = self.call(As::Installation, Method::GET, "GET /rate_limit", "/rate_limit", None).await?;
        if reply.status != StatusCode::OK {
            return Err(reply.rejected());
        }
        reply.json("rate limit")
    }

    /// `GET /app`: the App's name and slug, for `gharts github check`.
    pub async fn app_info(&self) -> Result<Value, GitHubError> {
        let reply = self.call(As::App, Method::GET, "GET /app", "/app", None).await?;
        if reply.status != StatusCode::OK {
            return Err(reply.rejected());
        }
        reply.json("app")
    }
}

fn unavailable(endpoint: &str, e: &dyn std::fmt::Display) -> GitHubError {
    GitHubError::Unavailable { message: format!("{endpoint}: {e}"), retry_after: None }
}

/// Exponential backoff from 200 ms, capped at 5 s, with full jitter.
fn backoff(attempt: u32) -> Duration {
    let cap = 200u64.saturating_mul(1 << attempt.min(5)).min(5_000);
    Duration::from_millis(rand::thread_rng().gen_range(cap / 2..=cap))
}

#[async_trait::async_trait]
impl GitHubApi for AppClient {
    async fn generate_jit_config(&self, req: &JitRequest) -> Result<JitConfig, GitHubError> {
        let path = format!("/orgs/{}/actions/runners/generate-jitconfig", self.org);
        let body = serde_json::to_value(req).map_err(|e| unavailable("generate-jitconfig", &e))?;
        // Never repeated blindly: provisioning looks the runner up by name after an ambiguous failure.
        let reply = self.call_with(As::Installation, Method::POST, "POST /orgs/{org}/actions/runners/generate-jitconfig", &path, Some(&body), false).await?;
        match reply.status {
            StatusCode::CREATED => {
                let jit: WireJit = reply.json("generate-jitconfig")?;
                Ok(JitConfig { runner: jit.runner.into(), encoded_jit_config: jit.encoded_jit_config })
            }
            StatusCode::CONFLICT => Err(GitHubError::NameExists),
            _ => Err(reply.rejected()),
        }
    }

    async fn get_runner(&self, id: i64) -> Result<Option<GitHubRunner>, GitHubError> {
        let path = format!("/orgs/{}/actions/runners/{id}", self.org);
        let reply = self.call(As::Installation, Method::GET, "GET /orgs/{org}/actions/runners/{runner_id}", &path, None).await?;
        match reply.status {
            StatusCode::OK => Ok(Some(reply.json::<WireRunner>("get runner")?.into())),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(reply.rejected()),
        }
    }

    async fn find_runner_by_name(&self, name: &str) -> Result<Option<GitHubRunner>, GitHubError> {
        let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
        let path = format!("/orgs/{}/actions/runners?name={encoded}", self.org);
        let reply = self.call(As::Installation, Method::GET, "GET /orgs/{org}/actions/runners", &path, None).await?;
        if reply.status != StatusCode::OK {
            return Err(reply.rejected());
        }
        let page: WireRunners = reply.json("list runners")?;
        Ok(page.runners.into_iter().map(GitHubRunner::from).find(|r| r.name.eq_ignore_ascii_case(name)))
    }

    async fn delete_runner(&self, id: i64) -> Result<(), GitHubError> {
        let path = format!("/orgs/{}/actions/runners/{id}", self.org);
        let reply = self.call(As::Installation, Method::DELETE, "DELETE /orgs/{org}/actions/runners/{runner_id}", &path, None).await?;
        match reply.status {
            StatusCode::NO_CONTENT | StatusCode::NOT_FOUND => Ok(()),
            StatusCode::UNPROCESSABLE_ENTITY => Err(GitHubError::RunnerBusy),
            _ => Err(reply.rejected()),
        }
    }

    async fn list_runners(&self) -> Result<RunnerInventory, GitHubError> {
        let base = format!("/orgs/{}/actions/runners", self.org);
        let (runners, pages) = self
            .all_pages("GET /orgs/{org}/actions/runners", &base, |p: WireRunners| (p.runners.into_iter().map(GitHubRunner::from).collect(), p.total_count))
            .await?;
        Ok(RunnerInventory { runners, pages })
    }

    async fn list_runner_groups(&self) -> Result<Vec<RunnerGroup>, GitHubError> {
        let base = format!("/orgs/{}/actions/runner-groups", self.org);
        let (groups, _) = self.all_pages("GET /orgs/{org}/actions/runner-groups", &base, |p: WireGroups| (p.runner_groups, p.total_count)).await?;
        Ok(groups)
    }

    async fn cancel_workflow_run(&self, owner: &str, repo: &str, run_id: i64) -> Result<bool, GitHubError> {
        let path = format!("/repos/{owner}/{repo}/actions/runs/{run_id}/cancel");
        let reply = self.call(As::Installation, Method::POST, "POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel", &path, None).await?;
        match reply.status {
            StatusCode::ACCEPTED => Ok(true),
            StatusCode::NOT_FOUND | StatusCode::CONFLICT => Ok(false),
            _ => Err(reply.rejected()),
        }
    }

    async fn app_facts(&self) -> Result<AppFacts, GitHubError> {
        self.facts
            .get_or_try_init(|| async {
                let app = self.app_info().await?;
                let (found, account) = self.org_installation().await?;
                Ok(AppFacts {
                    app_id: app["id"].as_i64().unwrap_or_default(),
                    slug: app["slug"].as_str().unwrap_or_default().to_owned(),
                    name: app["name"].as_str().unwrap_or_default().to_owned(),
                    installation_id: self.configured_installation.unwrap_or(found),
                    account,
                })
            })
            .await
            .cloned()
    }

    async fn rate_budget(&self) -> Result<RateBudget, GitHubError> {
        let r = self.rate_limit().await?;
        let core = &r["resources"]["core"];
        let n = |k: &str| core[k].as_i64().unwrap_or_default();
        Ok(RateBudget { remaining: n("remaining"), limit: n("limit"), reset: n("reset") })
    }
}
