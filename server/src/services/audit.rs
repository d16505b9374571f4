//! The audit log for callers (API.md §3.7, §12): which rows each caller sees, filtered lists,
//! streamed exports (JSONL, CSV) that are themselves audited, and chain verification.

use std::time::Instant;

use app::contract::ErrorCode;
use app::contract::audit::{AuditLogListResponse, AuditLogResponse, AuditVerifyResponse, TeamAuditLogListResponse};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::is_team_reader;
use super::teams::{ADMINS_TEAM_ID, ADMINS_TEAM_NAME};
use crate::auth::Caller;
use crate::auth::Principal;
use crate::auth::principal::Identity;
use crate::db::Page;
use crate::db::audit::NewAudit;
use crate::db::audit_query::{AuditFilter, AuditListRow, AuditScope};
use crate::db::{Db, DbError, now};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The actor types a filter may name.
pub const ACTOR_TYPES: [&str; 4] = ["user", "m2m", "local_admin", "system"];

/// Rows per database round trip while an export streams: memory stays flat for any size.
const EXPORT_PAGE: i64 = 500;
/// Formatted pages buffered ahead of a slow client (back-pressure beyond that).
const EXPORT_BUFFER: usize = 2;

/// `GET /api/v1/audit-logs` parameters, parsed and validated.
#[derive(Debug, Clone, Default)]
pub struct AuditListParams {
    /// Every filter except the team selectors.
    pub filter: AuditFilter,
    /// `team` (a name).
    pub team: Option<String>,
    /// `team_id`.
    pub team_id: Option<Uuid>,
}

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
    /// RFC 4180 with a header row.
    Csv,
}

impl ExportFormat {
    /// The wire name (also the file extension).
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Csv => "csv",
        }
    }
}

/// A started export: the counts for the headers and the body's chunks, produced as the client reads.
pub struct Export {
    /// Rows matching the filters (before `limit`/`offset`), for `X-Total-Count`.
    pub total: i64,
    /// Rows this export carries.
    pub row_count: i64,
    /// Formatted chunks; an `Err` means the export failed part-way and the body must abort.
    pub chunks: mpsc::Receiver<std::io::Result<String>>,
}

/// The rows a principal may see (API.md §12.2).
pub fn scope_of(p: &Principal) -> AuditScope {
    match &p.identity {
        _ if p.is_admin() => AuditScope::All,
        Identity::M2m(c) => AuditScope::M2m { team_id: c.team_id, client_id: c.client_id.clone() },
        Identity::User { user, .. } => AuditScope::User { user_id: user.id, oidc_sub: user.oidc_sub.clone(), username: user.username.clone() },
    }
}

/// The contract shape of a stored row. `event_data` is decoded exactly as the chain hashes it,
/// so an export verifies without GHARTS.
pub fn audit_response(r: AuditListRow) -> AuditLogResponse {
    let event_data = r.row.event_data.as_deref().map(|t| serde_json::from_str(t).unwrap_or_else(|_| json!({ "raw": t })));
    let team_name = r.team_name.or_else(|| (r.row.team_id == Some(ADMINS_TEAM_ID)).then(|| ADMINS_TEAM_NAME.to_owned()));
    let row = r.row;
    AuditLogResponse {
        id: row.id,
        event_type: row.event_type,
        runner_id: row.runner_id,
        runner_name: row.runner_name,
        team_id: row.team_id,
        team_name,
        user_identity: row.user_identity,
        oidc_sub: row.oidc_sub,
        request_ip: row.request_ip,
        user_agent: row.user_agent,
        event_data,
        success: row.success,
        error_message: row.error_message,
        timestamp: row.timestamp,
        actor_type: row.actor_type,
        request_id: row.request_id,
        prev_hash: row.prev_hash,
        hash: row.hash,
        chain_seq: row.chain_seq,
    }
}

/// Resolves the `team`/`team_id` filters: every lookup (404) before any membership check (403).
async fn team_filters(state: &AppState, p: &Principal, params: &AuditListParams) -> AppResult<Vec<Uuid>> {
    let mut teams = Vec::new();
    if let Some(name) = &params.team {
        let id = match name.as_str() {
            ADMINS_TEAM_NAME => ADMINS_TEAM_ID,
            _ => state.db.find_team_by_name(name).await?.map(|t| t.id).ok_or_else(|| not_found(name))?,
        };
        teams.push(id);
    }
    if let Some(id) = params.team_id {
        if id != ADMINS_TEAM_ID && state.db.find_team(id).await?.is_none() {
            return Err(not_found(&id.to_string()));
        }
        teams.push(id);
    }
    for id in &teams {
        let allowed = if *id == ADMINS_TEAM_ID { p.is_admin() } else { is_team_reader(&state.db, p, *id).await? };
        if !allowed {
            return Err(AppError::api(ErrorCode::NotTeamMember, "Not a member of that team"));
        }
    }
    Ok(teams)
}

fn not_found(team: &str) -> AppError {
    AppError::api(ErrorCode::NotFound, format!("Team '{team}' not found"))
}

/// The filter as applied to this caller: `user_identity` only counts for admins.
async fn applied_filter(state: &AppState, p: &Principal, params: &AuditListParams) -> AppResult<AuditFilter> {
    let mut filter = params.filter.clone();
    filter.teams = team_filters(state, p, params).await?;
    if !p.is_admin() {
        filter.user_identity = None;
    }
    Ok(filter)
}

/// `GET /api/v1/audit-logs` (`format=json`).
pub async fn list(state: &AppState, caller: &Caller, params: &AuditListParams, page: Page) -> AppResult<AuditLogListResponse> {
    let filter = applied_filter(state, &caller.principal, params).await?;
    let (rows, total) = state.db.list_audit(&scope_of(&caller.principal), &filter, page.limit, page.offset).await?;
    Ok(AuditLogListResponse { logs: rows.into_iter().map(audit_response).collect(), total, limit: page.limit, offset: page.offset })
}

/// The `audit_exported` row's record of what was asked for.
fn export_data(format: ExportFormat, params: &AuditListParams, filter: &AuditFilter, page: Page, row_count: i64) -> Value {
    let mut f = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            f.insert(k.to_owned(), v);
        }
    };
    put("event_type", if filter.event_types.is_empty() { Value::Null } else { json!(filter.event_types) });
    put("user_identity", json!(filter.user_identity));
    put("team", json!(params.team));
    put("team_id", json!(params.team_id.map(|t| t.to_string())));
    put("runner_id", json!(filter.runner_id));
    put("actor_type", if filter.actor_types.is_empty() { Value::Null } else { json!(filter.actor_types) });
    put("success", json!(filter.success));
    put("since", json!(filter.since.as_ref().map(app::contract::timestamp::format)));
    put("until", json!(filter.until.as_ref().map(app::contract::timestamp::format)));
    json!({ "format": format.as_str(), "filters": f, "limit": page.limit, "offset": page.offset, "row_count": row_count })
}

/// `GET /api/v1/audit-logs` with `format=jsonl|csv`: writes the `audit_exported` row, then
/// streams the rows visible at that moment, newest first, page by page.
pub async fn export(state: &AppState, caller: &Caller, params: &AuditListParams, page: Page, format: ExportFormat) -> AppResult<Export> {
    let p = &caller.principal;
    let filter = applied_filter(state, p, params).await?;
    let audit = |f: &AuditFilter, row_count| caller.audit("audit_exported", export_data(format, params, f, page, row_count));
    Ok(export_snapshot(&state.db, scope_of(p), filter, page, format, audit).await?)
}

/// The command line's export (`gharts audit export`): every row matching `filter`, newest
/// first, audited as `audit_exported` by `actor` (whose `event_data` is filled in here).
pub async fn export_all(db: &Db, filter: AuditFilter, format: ExportFormat, actor: NewAudit) -> Result<Export, DbError> {
    let page = Page { limit: i64::MAX, offset: 0 };
    let audit = |f: &AuditFilter, row_count| {
        let mut data = export_data(format, &AuditListParams::default(), f, page, row_count);
        data["limit"] = Value::Null;
        NewAudit { event_type: "audit_exported".to_owned(), event_data: Some(data), ..actor }
    };
    export_snapshot(db, AuditScope::All, filter, page, format, audit).await
}

/// Starts an export of what `scope` may see through `filter` at this moment: writes the audit
/// row `audit(filter, row_count)`, then streams the rows page by page from a spawned task.
async fn export_snapshot(
    db: &Db,
    scope: AuditScope,
    filter: AuditFilter,
    page: Page,
    format: ExportFormat,
    audit: impl FnOnce(&AuditFilter, i64) -> NewAudit,
) -> Result<Export, DbError> {
    // The snapshot bound keeps the count, the body and the audit row consistent with each other.
    let upto = db.max_audit_id().await?;
    let total = db.count_audit_upto(&scope, &filter, upto).await?;
    let row_count = (total - page.offset).clamp(0, page.limit);
    db.append_audit(audit(&filter, row_count)).await?;

    let (tx, chunks) = mpsc::channel(EXPORT_BUFFER);
    tokio::spawn(produce(db.clone(), scope, filter, upto, page, row_count, format, tx));
    Ok(Export { total, row_count, chunks })
}

/// Pages through the snapshot (keyset after the first page) and formats each page.
#[expect(clippy::too_many_arguments, reason = "one owned task; a struct would only rename the arguments")]
async fn produce(
    db: Db,
    scope: AuditScope,
    filter: AuditFilter,
    upto: i64,
    page: Page,
    row_count: i64,
    format: ExportFormat,
    tx: mpsc::Sender<std::io::Result<String>>,
) {
    if format == ExportFormat::Csv && tx.send(Ok(csv_header())).await.is_err() {
        return;
    }
    let (mut remaining, mut upto, mut offset) = (row_count, upto, page.offset);
    while remaining > 0 {
        let rows = match db.audit_export_page(&scope, &filter, upto, remaining.min(EXPORT_PAGE), offset).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::error!(error = %e, "audit export failed part-way");
                let _ = tx.send(Err(std::io::Error::other("audit export failed"))).await;
                return;
            }
        };
        let Some(last) = rows.last() else { return };
        upto = last.row.id - 1;
        offset = 0;
        remaining -= i64::try_from(rows.len()).unwrap_or(remaining);
        let mut chunk = String::new();
        for row in rows {
            let row = audit_response(row);
            match format {
                ExportFormat::Jsonl => {
                    chunk.push_str(&serde_json::to_string(&row).unwrap_or_default());
                    chunk.push('\n');
                }
                ExportFormat::Csv => chunk.push_str(&csv_row(&row)),
            }
        }
        if tx.send(Ok(chunk)).await.is_err() {
            return; // the client went away
        }
    }
}

/// The CSV columns, in order (API.md §12.2).
pub const CSV_COLUMNS: [&str; 19] = [
    "id",
    "timestamp",
    "event_type",
    "actor_type",
    "user_identity",
    "oidc_sub",
    "team_id",
    "team_name",
    "runner_id",
    "runner_name",
    "success",
    "error_message",
    "request_ip",
    "user_agent",
    "request_id",
    "event_data",
    "prev_hash",
    "hash",
    "chain_seq",
];

fn csv_header() -> String {
    let mut line = CSV_COLUMNS.join(",");
    line.push_str("\r\n");
    line
}

/// One RFC 4180 cell; a cell that a spreadsheet would run as a formula gets a leading `'`.
fn csv_cell(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{v}") } else { v.to_owned() };
    if v.contains([',', '"', '\r', '\n']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v }
}

fn csv_row(r: &AuditLogResponse) -> String {
    let opt = |v: &Option<String>| v.as_deref().map(csv_cell).unwrap_or_default();
    let cells = [
        r.id.to_string(),
        app::contract::timestamp::format(&r.timestamp),
        csv_cell(&r.event_type),
        csv_cell(&r.actor_type),
        csv_cell(&r.user_identity),
        opt(&r.oidc_sub),
        r.team_id.map(|t| t.to_string()).unwrap_or_default(),
        opt(&r.team_name),
        opt(&r.runner_id),
        opt(&r.runner_name),
        r.success.to_string(),
        opt(&r.error_message),
        opt(&r.request_ip),
        opt(&r.user_agent),
        opt(&r.request_id),
        r.event_data.as_ref().map(|v| csv_cell(&v.to_string())).unwrap_or_default(),
        r.prev_hash.clone().unwrap_or_default(),
        r.hash.clone().unwrap_or_default(),
        r.chain_seq.map(|s| s.to_string()).unwrap_or_default(),
    ];
    let mut line = cells.join(",");
    line.push_str("\r\n");
    line
}

/// Resolves a team for a team-scoped route (API.md §12.3, §13.3): 404 before 403; the virtual
/// admins team is for admins only. Returns the team's name.
pub async fn readable_team(state: &AppState, p: &Principal, team_id: Uuid) -> AppResult<String> {
    let denied = || AppError::api(ErrorCode::NotTeamMember, "Access denied: not a member of this team");
    if team_id == ADMINS_TEAM_ID {
        return if p.is_admin() { Ok(ADMINS_TEAM_NAME.to_owned()) } else { Err(denied()) };
    }
    let team = state.db.find_team(team_id).await?.ok_or_else(|| AppError::api(ErrorCode::NotFound, "Team not found"))?;
    if !is_team_reader(&state.db, p, team_id).await? {
        return Err(denied());
    }
    Ok(team.name)
}

/// `GET /api/v1/admin/teams/{team_id}/audit-logs`.
pub async fn team_logs(state: &AppState, caller: &Caller, team_id: Uuid, filter: AuditFilter, page: Page) -> AppResult<TeamAuditLogListResponse> {
    let team_name = readable_team(state, &caller.principal, team_id).await?;
    let filter = AuditFilter { teams: vec![team_id], user_identity: None, ..filter };
    let (rows, total) = state.db.list_audit(&AuditScope::All, &filter, page.limit, page.offset).await?;
    Ok(TeamAuditLogListResponse { team_id, team_name, logs: rows.into_iter().map(audit_response).collect(), total, limit: page.limit, offset: page.offset })
}

/// An unsealed row older than this makes verification warn: the sealer runs every second.
pub const UNSEALED_WARN_AFTER: chrono::Duration = chrono::Duration::seconds(60);

/// `GET /api/v1/admin/audit-logs/verify`.
pub async fn verify(state: &AppState, from_id: Option<i64>, to_id: Option<i64>) -> AppResult<AuditVerifyResponse> {
    Ok(verify_chain(&state.db, from_id, to_id).await?)
}

/// Verifies the chain (or the id range `from_id..=to_id`) of `db`: the one walker behind the
/// API route, `gharts audit verify` and the check after `gharts db copy`.
pub async fn verify_chain(db: &Db, from_id: Option<i64>, to_id: Option<i64>) -> Result<AuditVerifyResponse, DbError> {
    let started = Instant::now();
    let report = db.verify_audit_range(from_id, to_id).await?;
    let verified_at = now();
    let age = report.oldest_unsealed.map(|t| verified_at - t);
    let status = match (report.first_broken_id, report.checked) {
        (Some(_), _) => "broken",
        (None, 0) => "empty",
        (None, _) => "ok",
    };
    Ok(AuditVerifyResponse {
        status: status.to_owned(),
        checked_count: i64::try_from(report.checked).unwrap_or(i64::MAX),
        first_id: report.first_id,
        last_id: report.last_id,
        last_chain_seq: report.last_seq,
        head_hash: report.head_hash,
        first_broken_id: report.first_broken_id,
        reason: report.reason.map(|r| r.as_str().to_owned()),
        verified_at,
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        unsealed_count: i64::try_from(report.unsealed).unwrap_or(i64::MAX),
        oldest_unsealed_age_seconds: age.map(|a| a.num_seconds().max(0)),
        warning: age.filter(|a| *a > UNSEALED_WARN_AFTER).map(|a| {
            format!(
                "{} audit row(s) unsealed, the oldest for {} s (more than {} s): is the sealer running? See the server log.",
                report.unsealed,
                a.num_seconds(),
                UNSEALED_WARN_AFTER.num_seconds()
            )
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("line\r\nbreak"), "\"line\r\nbreak\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-x"), "'-x");
        assert_eq!(csv_cell("@sum"), "'@sum");
        // Tab and carriage return also start formulas in some spreadsheets.
        assert_eq!(csv_cell("\t=1+1"), "'\t=1+1");
        assert_eq!(csv_cell("\r=1+1"), "\"'\r=1+1\"");
    }

    #[test]
    fn the_header_lists_every_column_once() {
        assert_eq!(csv_header(), format!("{}\r\n", CSV_COLUMNS.join(",")));
        assert_eq!(CSV_COLUMNS.len(), 19);
    }
}
