//! Audit routes (API.md §12). Thin: parse → authorise → service → map. Exports stream their
//! body as the service produces it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use app::contract::ApiError;
use app::contract::audit::{AuditLogListResponse, AuditLogQuery, AuditVerifyResponse, TeamAuditLogListResponse};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::{HeaderValue, header};
use serde::Deserialize;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc;
use tower_http::services::fs::AsyncReadBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::db::audit_query::AuditFilter;
use crate::error::AppResult;
use crate::http::extract::{AdminCaller, ApiPath, ApiQuery, Caller};
use crate::http::params::{flex_bool, list, page, parse_datetime};
use crate::services::audit::{self, ACTOR_TYPES, AuditListParams, ExportFormat};
use crate::state::AppState;

/// The audit log routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_logs)).routes(routes!(list_team_audit_logs)).routes(routes!(verify_audit_chain))
}

/// `GET /api/v1/admin/teams/{team_id}/audit-logs` query.
#[derive(Debug, Deserialize)]
pub struct TeamAuditLogsQuery {
    event_type: Option<String>,
    #[serde(default, deserialize_with = "flex_bool")]
    success: Option<bool>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `GET /api/v1/admin/audit-logs/verify` query.
#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    from_id: Option<i64>,
    to_id: Option<i64>,
}

/// Inclusive `since` and `until` bounds.
pub type TimeRange = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// Parses `since`/`until` (both inclusive); `since` after `until` is a 422.
pub fn time_range(since: Option<&str>, until: Option<&str>) -> Result<TimeRange, ApiError> {
    let since = since.map(|v| parse_datetime("since", v)).transpose()?;
    let until = until.map(|v| parse_datetime("until", v)).transpose()?;
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        return Err(ApiError::invalid_field("query.since", "must not be later than until"));
    }
    Ok((since, until))
}

fn actor_types(raw: Option<&str>) -> Result<Vec<String>, ApiError> {
    let values = raw.map(list).unwrap_or_default();
    match values.iter().find(|v| !ACTOR_TYPES.contains(&v.as_str())) {
        Some(bad) => Err(ApiError::invalid_field("query.actor_type", format!("unknown actor type {bad:?} (use {})", ACTOR_TYPES.join(", ")))),
        None => Ok(values),
    }
}

/// `GET /api/v1/audit-logs`: a JSON page, or a streamed JSONL or CSV export.
#[utoipa::path(
    get,
    path = "/api/v1/audit-logs",
    tag = "audit",
    params(("event_type" = Option<String>, Query, description = "Comma-separated event types"), ("user_identity" = Option<String>, Query, description = "Exact match; applied for admins only"), ("team" = Option<String>, Query, description = "Team name"), ("team_id" = Option<Uuid>, Query), ("runner_id" = Option<String>, Query), ("actor_type" = Option<String>, Query, description = "Comma-separated: user, m2m, local_admin, system"), ("success" = Option<bool>, Query), ("since" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Inclusive lower bound on timestamp"), ("until" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Inclusive upper bound on timestamp"), ("format" = Option<String>, Query, description = "json (default), jsonl or csv"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 100000, description = "1–200 for json (default 50); 1–100000 for exports (default 10000)"), ("offset" = Option<i64>, Query, minimum = 0)),
    responses(
        (status = 200, description = "A JSON page (`format=json`), or a streamed export: JSON lines (`format=jsonl`) or RFC 4180 CSV (`format=csv`) with `Content-Disposition` and `X-Total-Count`", content(
            (AuditLogListResponse = "application/json"),
            (String = "application/x-ndjson"),
            (String = "text/csv")
        )),
        (status = 404, description = "NOT_FOUND", body = ApiError),
        (status = 403, description = "NOT_TEAM_MEMBER", body = ApiError)
    )
)]
pub async fn list_audit_logs(State(s): State<AppState>, c: Caller, ApiQuery(q): ApiQuery<AuditLogQuery>) -> AppResult<Response> {
    let format = match q.format.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("json") => None,
        Some("jsonl") => Some(ExportFormat::Jsonl),
        Some("csv") => Some(ExportFormat::Csv),
        Some(_) => return Err(ApiError::invalid_field("query.format", "must be json, jsonl or csv").into()),
    };
    let p = match format {
        None => page(q.limit, q.offset, 50, 200)?,
        Some(_) => page(q.limit, q.offset, 10_000, 100_000)?,
    };
    let (since, until) = time_range(q.since.as_deref(), q.until.as_deref())?;
    let params = AuditListParams {
        filter: AuditFilter {
            event_types: q.event_type.as_deref().map(list).unwrap_or_default(),
            user_identity: q.user_identity,
            teams: Vec::new(),
            runner_id: q.runner_id,
            actor_types: actor_types(q.actor_type.as_deref())?,
            success: q.success,
            since,
            until,
        },
        team: q.team,
        team_id: q.team_id,
    };
    let Some(format) = format else {
        return Ok(Json(audit::list(&s, &c, &params, p).await?).into_response());
    };
    let export = audit::export(&s, &c, &params, p, format).await?;
    let (content_type, ext) = match format {
        ExportFormat::Jsonl => ("application/x-ndjson", "jsonl"),
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    let filename = format!("gharts-audit-{}.{ext}", Utc::now().format("%Y%m%dT%H%M%SZ"));
    let body = Body::new(AsyncReadBody::with_capacity(ChunkReader { chunks: export.chunks, pending: Bytes::new() }, 64 * 1024));
    let mut resp = Response::new(body);
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert("x-total-count", HeaderValue::from(export.total));
    Ok(resp)
}

/// `GET /api/v1/admin/teams/{team_id}/audit-logs`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/teams/{team_id}/audit-logs",
    tag = "audit",
    params(("team_id" = Uuid, Path, description = "Team id"), ("event_type" = Option<String>, Query, description = "Comma-separated event types"), ("success" = Option<bool>, Query), ("since" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Inclusive lower bound on timestamp"), ("until" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Inclusive upper bound on timestamp"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 200), ("offset" = Option<i64>, Query, minimum = 0)),
    responses(
        (status = 200, description = "The team's audit rows, newest first", body = TeamAuditLogListResponse),
        (status = 404, description = "NOT_FOUND", body = ApiError),
        (status = 403, description = "NOT_TEAM_MEMBER", body = ApiError)
    )
)]
pub async fn list_team_audit_logs(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(team_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<TeamAuditLogsQuery>,
) -> AppResult<Json<TeamAuditLogListResponse>> {
    let p = page(q.limit, q.offset, 50, 200)?;
    let (since, until) = time_range(q.since.as_deref(), q.until.as_deref())?;
    let filter = AuditFilter { event_types: q.event_type.as_deref().map(list).unwrap_or_default(), success: q.success, since, until, ..AuditFilter::default() };
    Ok(Json(audit::team_logs(&s, &c, team_id, filter, p).await?))
}

/// `GET /api/v1/admin/audit-logs/verify`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit-logs/verify",
    tag = "audit",
    params(
        ("from_id" = Option<i64>, Query, description = "Start at the first-sealed row with at least this id (default: the start of the chain)"),
        ("to_id" = Option<i64>, Query, description = "End at the last-sealed row with at most this id (default: the chain head)")
    ),
    responses(
        (status = 200, description = "The verification report over the sealed rows, in chain order, with the unsealed tail \
            (200 even when the chain is broken; see `docs/audit_chain.md`)", body = AuditVerifyResponse)
    )
)]
pub async fn verify_audit_chain(
    State(s): State<AppState>,
    AdminCaller(_): AdminCaller,
    ApiQuery(q): ApiQuery<VerifyQuery>,
) -> AppResult<Json<AuditVerifyResponse>> {
    if let (Some(from), Some(to)) = (q.from_id, q.to_id)
        && from > to
    {
        return Err(ApiError::invalid_field("query.from_id", "must not be greater than to_id").into());
    }
    Ok(Json(audit::verify(&s, q.from_id, q.to_id).await?))
}

/// The export's chunks as a byte stream; an `Err` chunk aborts the response, so a failed
/// export never looks complete to the client.
struct ChunkReader {
    chunks: mpsc::Receiver<io::Result<String>>,
    pending: Bytes,
}

impl AsyncRead for ChunkReader {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            if !self.pending.is_empty() {
                let n = self.pending.len().min(buf.remaining());
                let chunk = self.pending.split_to(n);
                buf.put_slice(&chunk);
                return Poll::Ready(Ok(()));
            }
            match ready!(self.chunks.poll_recv(cx)) {
                Some(Ok(text)) => self.pending = Bytes::from(text),
                Some(Err(e)) => return Poll::Ready(Err(e)),
                None => return Poll::Ready(Ok(())),
            }
        }
    }
}
