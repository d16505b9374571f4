//! Prometheus metrics (API.md §5.5): one typed struct, registered once, labelled by route
//! template (never the raw URI) so cardinality stays bounded.

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};

/// Request latency buckets (seconds), as the contract lists them.
const HTTP_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Every metric family GHARTS exports.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// `gharts_http_requests_total{method, route, status}`.
    pub http_requests: IntCounterVec,
    /// `gharts_http_request_duration_seconds{method, route}`.
    pub http_duration: HistogramVec,
    /// `gharts_http_requests_in_flight`.
    pub in_flight: IntGauge,
    /// `gharts_provision_requests_total{team, result}`.
    pub provision_requests: IntCounterVec,
    /// `gharts_provision_duration_seconds{result}`.
    pub provision_duration: HistogramVec,
    /// `gharts_local_login_attempts_total{result}`.
    pub local_logins: IntCounterVec,
    /// `gharts_m2m_auth_requests_total{result}`.
    pub m2m_auth: IntCounterVec,
    /// `gharts_security_events_total{event_type, severity}`.
    pub security_events: IntCounterVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn counter(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).unwrap_or_else(|e| panic!("metric {name}: {e}"));
    r.register(Box::new(c.clone())).unwrap_or_else(|e| panic!("register {name}: {e}"));
    c
}

fn histogram(r: &Registry, name: &str, help: &str, labels: &[&str], buckets: &[f64]) -> HistogramVec {
    let h = HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets.to_vec()), labels).unwrap_or_else(|e| panic!("metric {name}: {e}"));
    r.register(Box::new(h.clone())).unwrap_or_else(|e| panic!("register {name}: {e}"));
    h
}

impl Metrics {
    /// A fresh registry with every family (names are static, so registration cannot fail).
    pub fn new() -> Self {
        let r = Registry::new();
        let in_flight = IntGauge::new("gharts_http_requests_in_flight", "Requests being served.").unwrap_or_else(|e| panic!("{e}"));
        r.register(Box::new(in_flight.clone())).unwrap_or_else(|e| panic!("{e}"));
        let build = IntGaugeVec::new(Opts::new("gharts_build_info", "Build information; always 1."), &["version", "revision"]).unwrap_or_else(|e| panic!("{e}"));
        r.register(Box::new(build.clone())).unwrap_or_else(|e| panic!("{e}"));
        build.with_label_values(&[env!("CARGO_PKG_VERSION"), option_env!("GHARTS_REVISION").unwrap_or("unknown")]).set(1);
        Self {
            http_requests: counter(&r, "gharts_http_requests_total", "HTTP requests by route template, method and status.", &["method", "route", "status"]),
            http_duration: histogram(&r, "gharts_http_request_duration_seconds", "HTTP request latency.", &["method", "route"], HTTP_BUCKETS),
            in_flight,
            provision_requests: counter(&r, "gharts_provision_requests_total", "Provisioning outcomes by team and result.", &["team", "result"]),
            provision_duration: histogram(&r, "gharts_provision_duration_seconds", "End-to-end provisioning latency, GitHub call included.", &["result"], HTTP_BUCKETS),
            local_logins: counter(&r, "gharts_local_login_attempts_total", "Local login attempts by result.", &["result"]),
            m2m_auth: counter(&r, "gharts_m2m_auth_requests_total", "M2M authentications by result.", &["result"]),
            security_events: counter(&r, "gharts_security_events_total", "Security events written.", &["event_type", "severity"]),
            registry: r,
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// The provisioning `result` label for an outcome.
pub fn provision_result(code: Option<app::contract::ErrorCode>) -> &'static str {
    use app::contract::ErrorCode as E;
    match code {
        None => "success",
        Some(E::LabelPolicyViolation) => "label_policy_violation",
        Some(E::RunnerGroupNotAllowed) => "runner_group_not_allowed",
        Some(E::QuotaExceeded) => "quota_exceeded",
        Some(E::NameConflict) => "name_conflict",
        Some(E::NotTeamMember) => "not_team_member",
        Some(E::NoActiveTeam) => "no_active_team",
        Some(E::TeamInactive) => "team_inactive",
        Some(E::GithubRejected) => "github_rejected",
        Some(E::GithubUnavailable) => "github_unavailable",
        Some(E::GithubNotConfigured) => "github_not_configured",
        Some(_) => "error",
    }
}
