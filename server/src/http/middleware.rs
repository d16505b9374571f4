//! Cross-cutting HTTP behaviour: request ids, `Cache-Control: no-store`, the trailing-slash
//! redirect, and the access log.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use tracing::Instrument;

use crate::auth::RequestId;

/// The request id header, accepted from clients when well-formed and always echoed.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

fn valid_request_id(v: &str) -> bool {
    (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Paths left out of the access log (probes and scrapes).
fn quiet(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/health" | "/metrics")
}

/// Assigns the request id, logs the request, and sets `no-store` on API and auth responses.
pub async fn request_context(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_request_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let span = tracing::info_span!("request", request.id = %id, http.method = %method, http.route = route.as_deref().unwrap_or("unmatched"));
    let started = Instant::now();
    let mut resp = next.run(req).instrument(span.clone()).await;

    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID_HEADER, v);
    }
    if path.starts_with("/api/") || path.starts_with("/auth/") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !quiet(&path) {
        span.in_scope(|| {
            tracing::info!(http.status = resp.status().as_u16(), latency_ms = started.elapsed().as_secs_f64() * 1000.0, "{method} {path}");
        });
    }
    resp
}

/// Records `gharts_http_*` by route template (`unmatched` when no route matched).
pub async fn record_metrics(axum::extract::State(metrics): axum::extract::State<crate::metrics::Metrics>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_owned();
    metrics.in_flight.inc();
    let started = Instant::now();
    let resp = next.run(req).await;
    metrics.in_flight.dec();
    metrics.http_duration.with_label_values(&[method.as_str(), route.as_str()]).observe(started.elapsed().as_secs_f64());
    metrics.http_requests.with_label_values(&[method.as_str(), route.as_str(), resp.status().as_str()]).inc();
    resp
}

/// `/api/…/` and `/auth/…/` redirect (307) to the path without the trailing slash.
pub async fn strip_trailing_slash(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') && (path.starts_with("/api/") || path.starts_with("/auth/")) {
        let trimmed = path.trim_end_matches('/');
        let target = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        return (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)]).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_bounded_and_plain() {
        assert!(super::valid_request_id("abc-123_X.y"));
        assert!(!super::valid_request_id(""));
        assert!(!super::valid_request_id("has space"));
        assert!(!super::valid_request_id(&"a".repeat(129)));
    }
}
