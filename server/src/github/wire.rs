//! GitHub's JSON shapes for the calls GHARTS makes, and the rate-limit rules read from its
//! headers (shared by the App client and the fake server).

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::{GitHubRunner, RunnerGroup};

/// A runner label: `type` is `read-only` (added by GitHub) or `custom`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireLabel {
    /// Label id (GitHub sends one; the fake numbers them).
    #[serde(default)]
    pub id: i64,
    pub name: String,
    /// `read-only` or `custom`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// `runner` in GitHub's description.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireRunner {
    pub id: i64,
    pub name: String,
    /// Operating system.
    #[serde(default)]
    pub os: String,
    /// `online` or `offline`.
    pub status: String,
    /// Running a job.
    pub busy: bool,
    /// Labels with their type.
    #[serde(default)]
    pub labels: Vec<WireLabel>,
    /// Runner group (newer API versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_group_id: Option<i64>,
    /// Ephemeral (newer API versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<bool>,
}

impl From<WireRunner> for GitHubRunner {
    fn from(w: WireRunner) -> Self {
        let (read_only, custom): (Vec<_>, Vec<_>) = w.labels.into_iter().partition(|l| l.kind.as_deref() == Some("read-only"));
        Self {
            id: w.id,
            name: w.name,
            status: w.status,
            busy: w.busy,
            labels: custom.into_iter().map(|l| l.name).collect(),
            read_only_labels: read_only.into_iter().map(|l| l.name).collect(),
            runner_group_id: w.runner_group_id,
        }
    }
}

impl From<&GitHubRunner> for WireRunner {
    fn from(r: &GitHubRunner) -> Self {
        let label =
            |(i, name): (usize, &String), kind: &str| WireLabel { id: i64::try_from(i).unwrap_or(0) + 1, name: name.clone(), kind: Some(kind.to_owned()) };
        let mut labels: Vec<WireLabel> = r.read_only_labels.iter().enumerate().map(|l| label(l, "read-only")).collect();
        let offset = labels.len();
        labels.extend(r.labels.iter().enumerate().map(|(i, n)| label((i + offset, n), "custom")));
        Self {
            id: r.id,
            name: r.name.clone(),
            os: "linux".into(),
            status: r.status.clone(),
            busy: r.busy,
            labels,
            runner_group_id: r.runner_group_id,
            ephemeral: Some(true),
        }
    }
}

/// `GET /orgs/{org}/actions/runners`.
#[derive(Debug, Serialize, Deserialize)]
pub struct WireRunners {
    /// Runners in the organisation (all pages).
    pub total_count: i64,
    /// This page.
    pub runners: Vec<WireRunner>,
}

/// `POST …/generate-jitconfig` → 201.
#[derive(Debug, Serialize, Deserialize)]
pub struct WireJit {
    /// The pre-registered runner.
    pub runner: WireRunner,
    /// The runner's secret configuration.
    pub encoded_jit_config: String,
}

/// `GET /orgs/{org}/actions/runner-groups`.
#[derive(Debug, Serialize, Deserialize)]
pub struct WireGroups {
    /// Groups in the organisation.
    pub total_count: i64,
    /// This page.
    pub runner_groups: Vec<RunnerGroup>,
}

/// When a reply is a rate limit, how long to wait: `Retry-After` first, else until
/// `X-RateLimit-Reset` when the budget is spent, else a minute for a secondary limit.
pub fn rate_limit_wait(status: StatusCode, headers: &HeaderMap, message: &str, now: i64) -> Option<Duration> {
    if !matches!(status, StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS) {
        return None;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(secs) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs));
    }
    if header("x-ratelimit-remaining") == Some("0") {
        let reset = header("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok()).unwrap_or(now + 60);
        return Some(Duration::from_secs(u64::try_from(reset - now).unwrap_or(0).max(1)));
    }
    let lower = message.to_ascii_lowercase();
    (status == StatusCode::TOO_MANY_REQUESTS || lower.contains("rate limit")).then_some(Duration::from_secs(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (http::HeaderName::from_static(k), v.parse().expect("value"))).collect()
    }

    #[test]
    fn retry_after_wins() {
        let h = headers(&[("retry-after", "7"), ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1000")]);
        assert_eq!(rate_limit_wait(StatusCode::FORBIDDEN, &h, "", 0), Some(Duration::from_secs(7)));
    }

    #[test]
    fn spent_budget_waits_until_reset() {
        let h = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1030")]);
        assert_eq!(rate_limit_wait(StatusCode::FORBIDDEN, &h, "API rate limit exceeded", 1000), Some(Duration::from_secs(30)));
    }

    #[test]
    fn a_permission_403_is_not_a_rate_limit() {
        let h = headers(&[("x-ratelimit-remaining", "4999")]);
        assert_eq!(rate_limit_wait(StatusCode::FORBIDDEN, &h, "Resource not accessible by integration", 0), None);
        assert_eq!(rate_limit_wait(StatusCode::FORBIDDEN, &h, "You have exceeded a secondary rate limit", 0), Some(Duration::from_secs(60)));
    }

    #[test]
    fn labels_split_by_type() {
        let w: WireRunner = serde_json::from_value(serde_json::json!({
            "id": 5, "name": "r", "os": "linux", "status": "online", "busy": false,
            "labels": [{"id": 1, "name": "self-hosted", "type": "read-only"}, {"id": 2, "name": "gpu", "type": "custom"}]
        }))
        .expect("runner");
        let r = GitHubRunner::from(w);
        assert_eq!((r.labels, r.read_only_labels), (vec!["gpu".to_owned()], vec!["self-hosted".to_owned()]));
    }
}
