//! System routes (API.md §5): liveness, readiness, the compatibility `/health`, `/`, favicon.

use std::time::Duration;

use app::contract::ErrorCode;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::db::MigrationState;
use crate::state::AppState;

/// The documented system routes (`/favicon.ico` and `/metrics` are outside the document, as the
/// contract says, and are added by [`super::router`]).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(root)).routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(health))
}

/// The version reported by `/health` and `/`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Readiness gives the database this long to answer.
const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(2);
const FAVICON: &[u8] = include_bytes!("../../../public/favicon.ico");

/// `GET /healthz`: the process serves HTTP.
#[utoipa::path(get, path = "/healthz", tag = "system", security(()), responses((status = 200, description = "Alive", body = Object)))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

struct Readiness {
    database: &'static str,
    migrations: &'static str,
    reasons: Vec<String>,
}

impl Readiness {
    fn ok(&self) -> bool {
        self.reasons.is_empty()
    }
}

async fn check_ready(state: &AppState) -> Readiness {
    if state.draining.is_draining() {
        return Readiness { database: "shutting_down", migrations: "shutting_down", reasons: vec!["shutting down".to_owned()] };
    }
    let mut r = Readiness { database: "ok", migrations: "ok", reasons: Vec::new() };
    match tokio::time::timeout(DB_CHECK_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            r.database = "error";
            r.migrations = "unknown";
            r.reasons.push(format!("database unreachable: {}", short(&e)));
            return r;
        }
        Err(_) => {
            r.database = "error";
            r.migrations = "unknown";
            r.reasons.push("database unreachable: no answer within 2 s".to_owned());
            return r;
        }
    }
    match state.db.migration_state().await {
        Ok(MigrationState::Applied) => {}
        Ok(MigrationState::Pending) => {
            r.migrations = "pending";
            r.reasons.push("migrations not applied (run `gharts migrate`)".to_owned());
        }
        Err(e) => {
            r.migrations = "unknown";
            r.reasons.push(format!("migration check failed: {}", short(&e)));
        }
    }
    r
}

/// A one-line reason without credentials (sqlx errors never carry the URL's password).
fn short(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => io.kind().to_string().replace('_', " ").to_lowercase(),
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection".to_owned(),
        other => other.to_string().lines().next().unwrap_or_default().to_owned(),
    }
}

fn not_ready(body: Value) -> Response {
    let mut resp = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    resp
}

/// `GET /readyz`: the database answers and the schema is current.
#[utoipa::path(get, path = "/readyz", tag = "system", security(()), responses((status = 200, description = "Ready", body = Object), (status = 503, description = "NOT_READY", body = Object)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let r = check_ready(&state).await;
    let checks = json!({ "database": r.database, "migrations": r.migrations });
    if r.ok() {
        return Json(json!({ "status": "ready", "checks": checks })).into_response();
    }
    not_ready(json!({
        "status": "not_ready",
        "detail": r.reasons.join("; "),
        "error_code": ErrorCode::NotReady,
        "checks": checks,
        "reasons": r.reasons,
    }))
}

/// `GET /health`: the Python service's shape plus the checks; dependency states are cached,
/// never probed live.
#[utoipa::path(get, path = "/health", tag = "system", security(()), responses((status = 200, description = "healthy or warning", body = Object), (status = 503, description = "NOT_READY", body = Object)))]
pub async fn health(State(state): State<AppState>) -> Response {
    let r = check_ready(&state).await;
    let oidc = match state.auth.oidc() {
        Some(o) => o.keys.health().await,
        None => "unconfigured",
    };
    let github = if state.github.is_some() { "configured" } else { "unconfigured" };
    // The sync worker as the database records it (cached facts; nothing is probed here).
    let sync = if r.ok() { crate::services::admin::sync_status(&state).await.ok() } else { None };
    let sync_check = match &sync {
        Some(s) if !s.enabled => "disabled",
        Some(s) if s.is_stale => "stale",
        Some(s) if s.last_sync_time.is_none() => "waiting",
        Some(_) => "ok",
        None => "unknown",
    };
    let last_sync_time = sync.and_then(|s| s.last_sync_time).map(|t| app::contract::timestamp::format(&t));
    let checks = json!({
        "database": r.database,
        "migrations": r.migrations,
        "github": github,
        "oidc": oidc,
        "sync": sync_check,
    });
    let timestamp = app::contract::timestamp::format(&crate::db::now());
    if r.ok() {
        let status = if oidc == "degraded" { "warning" } else { "healthy" };
        return Json(json!({ "status": status, "version": VERSION, "timestamp": timestamp, "checks": checks, "last_sync_time": last_sync_time }))
            .into_response();
    }
    not_ready(json!({
        "status": "unhealthy",
        "version": VERSION,
        "timestamp": timestamp,
        "checks": checks,
        "detail": r.reasons.join("; "),
        "error_code": ErrorCode::NotReady,
    }))
}

/// `GET /`: service links, or a redirect to the console for browsers when the UI is served here.
#[utoipa::path(get, path = "/", tag = "system", security(()), responses((status = 200, description = "Service links", body = Object), (status = 302, description = "Browsers to the console")))]
pub async fn root(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.split(',').next().is_some_and(|first| first.trim().starts_with("text/html")));
    if wants_html && state.config.site_root.is_some() {
        return (StatusCode::FOUND, [(header::LOCATION, "/app/")]).into_response();
    }
    Json(json!({
        "service": "GitHub Runner Token Service",
        "version": VERSION,
        "docs": "/docs",
        "health": "/health",
        "metrics": "/metrics",
        "healthz": "/healthz",
        "readyz": "/readyz",
        "openapi": "/openapi.json",
        "ui": "/app/",
    }))
    .into_response()
}

/// `GET /metrics`: Prometheus text; with `METRICS_TOKEN` set, only for `Bearer <token>`.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        use secrecy::ExposeSecret;
        let presented = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let ok = presented.is_some_and(|p| {
            let (a, b) = (p.as_bytes(), token.expose_secret().as_bytes());
            // Constant-time comparison: the token is a secret.
            a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
        });
        if !ok {
            return super::error_response::api_error_response(&app::contract::ApiError::new(ErrorCode::Unauthenticated, "Metrics require the metrics token"));
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render()).into_response()
}

/// `GET /favicon.ico`.
pub async fn favicon() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/x-icon"), (header::CACHE_CONTROL, "public, max-age=86400")], FAVICON)
}
