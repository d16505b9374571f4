//! GitHub behind a small trait: only the calls GHARTS makes. The real App client (octocrab)
//! implements it in [`app_client`]; [`fake`] is an in-process, stateful stand-in, and
//! [`fake_server`] serves that state over GitHub's REST API (tests, benchmark, demos; cargo
//! feature `fake-github`).

pub mod api_error;
pub mod app_client;
#[cfg(feature = "fake-github")]
pub mod fake;
#[cfg(feature = "fake-github")]
pub mod fake_server;
pub mod wire;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use api_error::{api_error, configured};

/// A shared GitHub client.
pub type SharedGitHub = Arc<dyn GitHubApi>;

/// `POST /orgs/{org}/actions/runners/generate-jitconfig` input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JitRequest {
    /// Runner name (unique in the org).
    pub name: String,
    /// Runner group.
    pub runner_group_id: i64,
    /// Final labels (1–100).
    pub labels: Vec<String>,
    /// Working directory on the runner host.
    pub work_folder: String,
}

/// A runner as GitHub reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GitHubRunner {
    /// GitHub's runner id.
    pub id: i64,
    pub name: String,
    /// `online` or `offline`.
    pub status: String,
    /// Running a job.
    pub busy: bool,
    /// The **custom** label names (`type: custom`): the ones label policy and drift checks see.
    pub labels: Vec<String>,
    /// The read-only label names GitHub added itself (`self-hosted`, OS, architecture).
    #[serde(default)]
    pub read_only_labels: Vec<String>,
    /// The runner group, when GitHub reports it.
    #[serde(default)]
    pub runner_group_id: Option<i64>,
}

/// Every runner of the organisation, and how many pages it took to read them.
#[derive(Debug, Clone, Default)]
pub struct RunnerInventory {
    /// All runners.
    pub runners: Vec<GitHubRunner>,
    /// Pages fetched (100 runners per page).
    pub pages: u32,
}

/// A runner group of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunnerGroup {
    pub id: i64,
    pub name: String,
    /// `all`, `selected` or `private`.
    pub visibility: String,
}

/// A generated JIT configuration.
#[derive(Clone)]
pub struct JitConfig {
    /// The pre-registered runner.
    pub runner: GitHubRunner,
    /// The bearer secret the runner host uses (`./run.sh --jitconfig …`). Never logged.
    pub encoded_jit_config: String,
}

impl std::fmt::Debug for JitConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitConfig").field("runner", &self.runner).field("encoded_jit_config", &"<redacted>").finish()
    }
}

/// The App and its installation on the organisation, as GitHub reports them (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppFacts {
    /// The App's id.
    pub app_id: i64,
    /// The App's slug.
    pub slug: String,
    /// The App's name.
    pub name: String,
    /// The installation on the organisation.
    pub installation_id: u64,
    /// The account it is installed on.
    pub account: String,
}

/// The installation's core REST budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudget {
    /// Calls left in this window.
    pub remaining: i64,
    /// Calls per window.
    pub limit: i64,
    /// When the window resets (Unix seconds).
    pub reset: i64,
}

/// The client for this configuration: the App when `GITHUB_APP_ID` is set, else `None`.
pub fn from_config(config: &crate::config::Config, metrics: &crate::metrics::Metrics) -> anyhow::Result<Option<SharedGitHub>> {
    let Some(app) = &config.github else { return Ok(None) };
    let client = app_client::AppClient::new(app, config.label_policy_enforcement, metrics.clone())?;
    Ok(Some(Arc::new(client)))
}

/// How a GitHub call failed, already sorted into the contract's answers (API.md §1.5.3).
#[derive(Debug, Clone, thiserror::Error)]
pub enum GitHubError {
    /// Unreachable, timeout, 5xx, or rate-limited: `503 GITHUB_UNAVAILABLE`.
    #[error("GitHub unavailable: {message}")]
    Unavailable {
        /// What happened.
        message: String,
        /// Seconds to wait, from GitHub's headers (default 30).
        retry_after: Option<u64>,
    },
    /// Refused in a way retrying will not fix: `502 GITHUB_REJECTED`.
    #[error("GitHub API error ({status}): {message}")]
    Rejected {
        /// GitHub's status.
        status: u16,
        /// GitHub's message.
        message: String,
    },
    /// 409 on generate-jitconfig: the name exists in the org.
    #[error("runner name already exists")]
    NameExists,
    /// 422 on delete: the runner is running a job.
    #[error("runner is busy")]
    RunnerBusy,
}

/// The GitHub calls GHARTS makes (organisation scope).
#[async_trait::async_trait]
pub trait GitHubApi: Send + Sync {
    /// Generates a JIT config, pre-registering the runner.
    async fn generate_jit_config(&self, req: &JitRequest) -> Result<JitConfig, GitHubError>;
    /// A runner by id; `None` when GitHub answers 404.
    async fn get_runner(&self, id: i64) -> Result<Option<GitHubRunner>, GitHubError>;
    /// A runner by exact name (for the 409 recovery); `None` when absent.
    async fn find_runner_by_name(&self, name: &str) -> Result<Option<GitHubRunner>, GitHubError>;
    /// Deletes a runner; a 404 is success.
    async fn delete_runner(&self, id: i64) -> Result<(), GitHubError>;
    /// Every runner of the organisation (all pages).
    async fn list_runners(&self) -> Result<RunnerInventory, GitHubError>;
    /// The organisation's runner groups (all pages).
    async fn list_runner_groups(&self) -> Result<Vec<RunnerGroup>, GitHubError>;
    /// Cancels a workflow run in `owner/repo`: `Ok(true)` when GitHub accepted (202),
    /// `Ok(false)` when the run is unknown or cannot be cancelled (404, 409).
    async fn cancel_workflow_run(&self, owner: &str, repo: &str, run_id: i64) -> Result<bool, GitHubError>;
    /// The App and its installation (for the health check); kept once known, since they
    /// change only when the App is reinstalled.
    async fn app_facts(&self) -> Result<AppFacts, GitHubError>;
    /// The installation token's core budget (`GET /rate_limit` costs none of it); it mints
    /// an installation token, so it also proves the token works.
    async fn rate_budget(&self) -> Result<RateBudget, GitHubError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jit_config_never_prints_its_secret() {
        let jit = JitConfig { runner: GitHubRunner { name: "r1".into(), ..Default::default() }, encoded_jit_config: "c2VjcmV0LWppdA==".into() };
        let printed = format!("{jit:?} {jit:#?}");
        assert!(!printed.contains("c2VjcmV0LWppdA=="), "{printed}");
        assert!(printed.contains("r1") && printed.contains("<redacted>"), "{printed}");
    }
}
