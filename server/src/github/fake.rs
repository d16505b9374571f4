//! An in-process GitHub stand-in with state and fault injection: runner ids, names unique per
//! org, busy runners refusing deletion, scripted failures. Counts calls for assertions.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use base64::Engine;

use super::{AppFacts, GitHubApi, GitHubError, GitHubRunner, JitConfig, JitRequest, RateBudget, RunnerGroup, RunnerInventory};

/// The fake organisation.
#[derive(Default)]
pub struct FakeGitHub {
    runners: Mutex<BTreeMap<i64, GitHubRunner>>,
    next_id: AtomicI64,
    /// Failures to return from the next generate-jitconfig calls, in order.
    jit_faults: Mutex<VecDeque<GitHubError>>,
    /// Failures to return from the next delete calls, in order.
    delete_faults: Mutex<VecDeque<GitHubError>>,
    /// generate-jitconfig calls made.
    pub jit_calls: AtomicUsize,
    /// The next generate-jitconfig calls create their runner, then answer with these errors
    /// (the response was lost on the way back).
    jit_lost_responses: Mutex<VecDeque<GitHubError>>,
    /// The next generate-jitconfig call waits for this before answering.
    jit_gate: Mutex<Option<std::sync::Arc<tokio::sync::Notify>>>,
    /// Failures to return from the next list-runners calls, in order.
    list_faults: Mutex<VecDeque<GitHubError>>,
    /// Failures to return from the next get-runner calls, in order.
    get_faults: Mutex<VecDeque<GitHubError>>,
    /// delete calls made.
    pub delete_calls: AtomicUsize,
    /// list-runners calls made.
    pub list_calls: AtomicUsize,
    /// Workflow runs cancelled: `(owner, repo, run_id)`.
    pub cancelled_runs: Mutex<Vec<(String, String, i64)>>,
    /// Runner groups (default: group 1 "Default").
    pub groups: Mutex<Vec<RunnerGroup>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakeGitHub {
    /// An empty organisation with the Default runner group; runner ids start at 1000.
    pub fn new() -> Self {
        let groups = vec![RunnerGroup { id: 1, name: "Default".into(), visibility: "all".into() }];
        Self { next_id: AtomicI64::new(1000), groups: Mutex::new(groups), ..Default::default() }
    }

    /// The next list-runners call fails with `e`.
    pub fn fail_next_list(&self, e: GitHubError) {
        lock(&self.list_faults).push_back(e);
    }

    /// The next get-runner call fails with `e`.
    pub fn fail_next_get(&self, e: GitHubError) {
        lock(&self.get_faults).push_back(e);
    }

    /// Replaces a runner's custom labels (as if changed at GitHub after issue).
    pub fn set_labels(&self, id: i64, labels: &[&str]) {
        if let Some(r) = lock(&self.runners).get_mut(&id) {
            r.labels = labels.iter().map(|l| (*l).to_owned()).collect();
        }
    }

    /// Every runner, by id.
    pub fn runners(&self) -> Vec<GitHubRunner> {
        lock(&self.runners).values().cloned().collect()
    }

    /// The next generate-jitconfig call fails with `e`.
    pub fn fail_next_jit(&self, e: GitHubError) {
        lock(&self.jit_faults).push_back(e);
    }

    /// The next generate-jitconfig call creates its runner, then fails with `e`.
    pub fn lose_next_jit_response(&self, e: GitHubError) {
        lock(&self.jit_lost_responses).push_back(e);
    }

    /// The next generate-jitconfig call waits until the returned gate is notified.
    pub fn hold_next_jit(&self) -> std::sync::Arc<tokio::sync::Notify> {
        let gate = std::sync::Arc::new(tokio::sync::Notify::new());
        *lock(&self.jit_gate) = Some(gate.clone());
        gate
    }

    /// The next delete call fails with `e`.
    pub fn fail_next_delete(&self, e: GitHubError) {
        lock(&self.delete_faults).push_back(e);
    }

    /// Adds a runner GHARTS did not issue (or changes one): returns its id.
    pub fn put_runner(&self, mut r: GitHubRunner) -> i64 {
        if r.id == 0 {
            r.id = self.next_id.fetch_add(1, Ordering::SeqCst);
        }
        let id = r.id;
        lock(&self.runners).insert(id, r);
        id
    }

    /// Sets a runner's reported state.
    pub fn set_state(&self, id: i64, status: &str, busy: bool) {
        if let Some(r) = lock(&self.runners).get_mut(&id) {
            r.status = status.to_owned();
            r.busy = busy;
        }
    }

    /// Removes a runner (as if deleted outside GHARTS).
    pub fn remove_runner(&self, id: i64) {
        lock(&self.runners).remove(&id);
    }

    /// A runner by id.
    pub fn runner(&self, id: i64) -> Option<GitHubRunner> {
        lock(&self.runners).get(&id).cloned()
    }

    /// How many runners the org has.
    pub fn runner_count(&self) -> usize {
        lock(&self.runners).len()
    }
}

impl FakeGitHub {
    fn create_jit_runner(&self, req: &JitRequest) -> Result<JitConfig, GitHubError> {
        let mut runners = lock(&self.runners);
        if runners.values().any(|r| r.name.eq_ignore_ascii_case(&req.name)) {
            return Err(GitHubError::NameExists);
        }
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let runner = GitHubRunner {
            id,
            name: req.name.clone(),
            status: "offline".into(),
            busy: false,
            labels: req.labels.clone(),
            read_only_labels: vec![],
            runner_group_id: Some(req.runner_group_id),
        };
        runners.insert(id, runner.clone());
        let secret = serde_json::json!({ "runner_id": id, "name": req.name, "work_folder": req.work_folder, "nonce": uuid::Uuid::new_v4() });
        Ok(JitConfig { runner, encoded_jit_config: base64::engine::general_purpose::STANDARD.encode(secret.to_string()) })
    }
}

#[async_trait::async_trait]
impl GitHubApi for FakeGitHub {
    async fn generate_jit_config(&self, req: &JitRequest) -> Result<JitConfig, GitHubError> {
        let gate = lock(&self.jit_gate).take();
        self.jit_calls.fetch_add(1, Ordering::SeqCst);
        if let Some(gate) = gate {
            gate.notified().await;
        }
        if let Some(e) = lock(&self.jit_faults).pop_front() {
            return Err(e);
        }
        let lost = lock(&self.jit_lost_responses).pop_front();
        let created = self.create_jit_runner(req)?;
        match lost {
            Some(e) => Err(e),
            None => Ok(created),
        }
    }

    async fn get_runner(&self, id: i64) -> Result<Option<GitHubRunner>, GitHubError> {
        if let Some(e) = lock(&self.get_faults).pop_front() {
            return Err(e);
        }
        Ok(self.runner(id))
    }

    async fn find_runner_by_name(&self, name: &str) -> Result<Option<GitHubRunner>, GitHubError> {
        Ok(lock(&self.runners).values().find(|r| r.name.eq_ignore_ascii_case(name)).cloned())
    }

    async fn delete_runner(&self, id: i64) -> Result<(), GitHubError> {
        self.delete_calls.fetch_add(1, Ordering::SeqCst);
        if let Some(e) = lock(&self.delete_faults).pop_front() {
            return Err(e);
        }
        let mut runners = lock(&self.runners);
        if runners.get(&id).is_some_and(|r| r.busy) {
            return Err(GitHubError::RunnerBusy);
        }
        runners.remove(&id);
        Ok(())
    }

    async fn list_runners(&self) -> Result<RunnerInventory, GitHubError> {
        self.list_calls.fetch_add(1, Ordering::SeqCst);
        if let Some(e) = lock(&self.list_faults).pop_front() {
            return Err(e);
        }
        let runners = self.runners();
        let pages = u32::try_from(runners.len().div_ceil(100).max(1)).unwrap_or(u32::MAX);
        Ok(RunnerInventory { runners, pages })
    }

    async fn list_runner_groups(&self) -> Result<Vec<RunnerGroup>, GitHubError> {
        Ok(lock(&self.groups).clone())
    }

    async fn cancel_workflow_run(&self, owner: &str, repo: &str, run_id: i64) -> Result<bool, GitHubError> {
        lock(&self.cancelled_runs).push((owner.to_owned(), repo.to_owned(), run_id));
        Ok(true)
    }

    async fn app_facts(&self) -> Result<AppFacts, GitHubError> {
        Ok(AppFacts { app_id: 1, slug: "gharts-fake".into(), name: "GHARTS fake App".into(), installation_id: 1, account: "fake-org".into() })
    }

    async fn rate_budget(&self) -> Result<RateBudget, GitHubError> {
        Ok(RateBudget { remaining: 5000, limit: 5000, reset: chrono::Utc::now().timestamp() + 3600 })
    }
}
