//! Prometheus metrics (API.md §5.5): one typed struct, registered once, labelled by route
//! template (never the raw URI) so cardinality stays bounded.

use app::contract::{SecurityEventType, Severity};
use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Request latency buckets (seconds), as the contract lists them.
const HTTP_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Sync cycle buckets (seconds), as the contract lists them.
const SYNC_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];

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
    /// `gharts_github_api_requests_total{endpoint, status}`.
    pub github_requests: IntCounterVec,
    /// `gharts_github_api_request_duration_seconds{endpoint}`.
    pub github_duration: HistogramVec,
    /// `gharts_github_rate_limit_remaining{resource}`.
    pub github_rate_remaining: IntGaugeVec,
    /// `gharts_github_rate_limit_limit{resource}`.
    pub github_rate_limit: IntGaugeVec,
    /// `gharts_github_rate_limit_reset_timestamp_seconds{resource}`.
    pub github_rate_reset: IntGaugeVec,
    /// `gharts_github_installation_token_refreshes_total{result}`.
    pub github_token_refreshes: IntCounterVec,
    /// `gharts_sync_runs_total{result}`.
    pub sync_runs: IntCounterVec,
    /// `gharts_sync_duration_seconds`.
    pub sync_duration: Histogram,
    /// `gharts_sync_last_success_timestamp`.
    pub sync_last_success: Gauge,
    /// `gharts_sync_runners_updated_total`.
    pub sync_updated: IntCounter,
    /// `gharts_sync_runners_deleted_total`.
    pub sync_deleted: IntCounter,
    /// `gharts_sync_runners_unchanged_total`.
    pub sync_unchanged: IntCounter,
    /// `gharts_sync_label_drifts_total{action}`.
    pub sync_label_drifts: IntCounterVec,
    /// `gharts_sync_unmanaged_runners`.
    pub sync_unmanaged: IntGauge,
    /// `gharts_sync_errors_total{error_type}`.
    pub sync_errors: IntCounterVec,
    /// `gharts_sync_heartbeat_timestamp{hostname}`.
    pub sync_heartbeat: GaugeVec,
    /// `gharts_sync_leadership_status{hostname}`.
    pub sync_leadership: IntGaugeVec,
    /// `gharts_leader_election_attempts_total{result}`.
    pub leader_attempts: IntCounterVec,
    /// `gharts_leader_election_transitions_total{from_state, to_state}`.
    pub leader_transitions: IntCounterVec,
    /// `gharts_runners_by_status{status, team}`.
    pub runners_by_status: IntGaugeVec,
    /// `gharts_runner_state_transitions_total{from_status, to_status, source}`.
    pub runner_transitions: IntCounterVec,
    /// `gharts_webhook_deliveries_total{event, result}`.
    pub webhook_deliveries: IntCounterVec,
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

fn register<T: prometheus::core::Collector + Clone + 'static>(r: &Registry, name: &str, m: Result<T, prometheus::Error>) -> T {
    let m = m.unwrap_or_else(|e| panic!("metric {name}: {e}"));
    r.register(Box::new(m.clone())).unwrap_or_else(|e| panic!("register {name}: {e}"));
    m
}

fn gauge_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    register(r, name, IntGaugeVec::new(Opts::new(name, help), labels))
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
        let build =
            IntGaugeVec::new(Opts::new("gharts_build_info", "Build information; always 1."), &["version", "revision"]).unwrap_or_else(|e| panic!("{e}"));
        r.register(Box::new(build.clone())).unwrap_or_else(|e| panic!("{e}"));
        build.with_label_values(&[env!("CARGO_PKG_VERSION"), option_env!("GHARTS_REVISION").unwrap_or("unknown")]).set(1);
        Self {
            http_requests: counter(&r, "gharts_http_requests_total", "HTTP requests by route template, method and status.", &["method", "route", "status"]),
            http_duration: histogram(&r, "gharts_http_request_duration_seconds", "HTTP request latency.", &["method", "route"], HTTP_BUCKETS),
            in_flight,
            provision_requests: counter(&r, "gharts_provision_requests_total", "Provisioning outcomes by team and result.", &["team", "result"]),
            provision_duration: histogram(
                &r,
                "gharts_provision_duration_seconds",
                "End-to-end provisioning latency, GitHub call included.",
                &["result"],
                HTTP_BUCKETS,
            ),
            local_logins: counter(&r, "gharts_local_login_attempts_total", "Local login attempts by result.", &["result"]),
            m2m_auth: counter(&r, "gharts_m2m_auth_requests_total", "M2M authentications by result.", &["result"]),
            security_events: counter(&r, "gharts_security_events_total", "Security events written.", &["event_type", "severity"]),
            github_requests: counter(&r, "gharts_github_api_requests_total", "GitHub REST calls by endpoint template and status.", &["endpoint", "status"]),
            github_duration: histogram(&r, "gharts_github_api_request_duration_seconds", "GitHub call latency.", &["endpoint"], HTTP_BUCKETS),
            github_rate_remaining: gauge_vec(&r, "gharts_github_rate_limit_remaining", "Last X-RateLimit-Remaining per resource.", &["resource"]),
            github_rate_limit: gauge_vec(&r, "gharts_github_rate_limit_limit", "Last X-RateLimit-Limit per resource.", &["resource"]),
            github_rate_reset: gauge_vec(&r, "gharts_github_rate_limit_reset_timestamp_seconds", "Last X-RateLimit-Reset per resource.", &["resource"]),
            github_token_refreshes: counter(&r, "gharts_github_installation_token_refreshes_total", "Installation tokens minted.", &["result"]),
            sync_runs: counter(&r, "gharts_sync_runs_total", "Sync cycles by result.", &["result"]),
            sync_duration: register(
                &r,
                "gharts_sync_duration_seconds",
                Histogram::with_opts(HistogramOpts::new("gharts_sync_duration_seconds", "Sync cycle duration.").buckets(SYNC_BUCKETS.to_vec())),
            ),
            sync_last_success: register(
                &r,
                "gharts_sync_last_success_timestamp",
                Gauge::new("gharts_sync_last_success_timestamp", "Unix time of the last successful sync."),
            ),
            sync_updated: register(&r, "gharts_sync_runners_updated_total", IntCounter::new("gharts_sync_runners_updated_total", "Runners updated by sync.")),
            sync_deleted: register(&r, "gharts_sync_runners_deleted_total", IntCounter::new("gharts_sync_runners_deleted_total", "Runners deleted by sync.")),
            sync_unchanged: register(
                &r,
                "gharts_sync_runners_unchanged_total",
                IntCounter::new("gharts_sync_runners_unchanged_total", "Runners unchanged by sync."),
            ),
            sync_label_drifts: counter(&r, "gharts_sync_label_drifts_total", "Label drift found, by action.", &["action"]),
            sync_unmanaged: register(
                &r,
                "gharts_sync_unmanaged_runners",
                IntGauge::new("gharts_sync_unmanaged_runners", "Organisation runners GHARTS did not issue, as of the last sync."),
            ),
            sync_errors: counter(&r, "gharts_sync_errors_total", "Sync and worker errors.", &["error_type"]),
            sync_heartbeat: register(
                &r,
                "gharts_sync_heartbeat_timestamp",
                GaugeVec::new(Opts::new("gharts_sync_heartbeat_timestamp", "The leader's last heartbeat."), &["hostname"]),
            ),
            sync_leadership: gauge_vec(&r, "gharts_sync_leadership_status", "1 when this replica holds the sync lease.", &["hostname"]),
            leader_attempts: counter(&r, "gharts_leader_election_attempts_total", "Lease acquisition attempts.", &["result"]),
            leader_transitions: counter(&r, "gharts_leader_election_transitions_total", "Transitions between standby and leader.", &["from_state", "to_state"]),
            runners_by_status: gauge_vec(&r, "gharts_runners_by_status", "Runners per lifecycle status and team.", &["status", "team"]),
            runner_transitions: counter(&r, "gharts_runner_state_transitions_total", "Runner lifecycle changes.", &["from_status", "to_status", "source"]),
            webhook_deliveries: counter(&r, "gharts_webhook_deliveries_total", "Webhook deliveries by event and result.", &["event", "result"]),
            registry: r,
        }
    }

    /// Counts one security event written (call it wherever a security event row is stored).
    pub fn security_event(&self, event_type: SecurityEventType, severity: Severity) {
        self.security_events.with_label_values(&[event_type.as_str(), severity.as_str()]).inc();
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
