//! `POST /api/v1/admin/batch/delete-runners` (API.md §10.7.3): delete at GitHub first; only a
//! success marks the row deleted (`admin_batch`); a GitHub failure leaves the row unchanged.
//!
//! Each runner deleted is audited as it goes (`runner_deleted`, in the transaction that marks
//! it), and the batch runs in a task of its own: a request cut off half-way still finishes the
//! batch and writes its summary, and whatever was deleted at GitHub is on record.

use app::contract::batch::{BatchActionResponse, BatchDeleteRunnersRequest, BatchDetail, RunnerBatchDetail};
use app::contract::{ApiError, FieldError, SecurityEventType, Severity};
use serde_json::json;

use crate::auth::Caller;
use crate::db::audit::NewAudit;
use crate::db::runners::{RunnerFilter, RunnerRow, Visibility};
use crate::db::security_events::NewSecurityEvent;
use crate::error::AppResult;
use crate::github::{api_error, configured};
use crate::services::users::comment_error;
use crate::state::AppState;

/// Runners are selected in pages of this size.
const PAGE: i64 = 1000;

async fn select(state: &AppState, req: &BatchDeleteRunnersRequest) -> AppResult<(Vec<(uuid::Uuid, Option<RunnerRow>)>, &'static str)> {
    if let Some(ids) = req.runner_ids.as_ref().filter(|v| !v.is_empty()) {
        let mut out = Vec::new();
        for id in ids {
            out.push((*id, state.db.find_runner(*id).await?));
        }
        return Ok((out, "specific"));
    }
    let filter = RunnerFilter { team_id: req.team_id, provisioned_by: req.user_identity.clone(), ..Default::default() };
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let (rows, total) = state.db.list_runners(&Visibility::All, &filter, PAGE, offset).await?;
        let n = rows.len() as i64;
        out.extend(rows.into_iter().map(|r| (r.id, Some(r))));
        offset += n;
        if n == 0 || offset >= total {
            break;
        }
    }
    Ok((out, if req.user_identity.is_some() { "user" } else { "team" }))
}

/// Deletes the selected runners.
pub async fn delete_runners(state: &AppState, caller: &Caller, req: BatchDeleteRunnersRequest) -> AppResult<BatchActionResponse> {
    let (state, caller) = (state.clone(), caller.clone());
    tokio::spawn(async move { delete_runners_detached(&state, &caller, req).await })
        .await
        .map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("batch delete task failed: {e}")))?
}

async fn delete_runners_detached(state: &AppState, caller: &Caller, req: BatchDeleteRunnersRequest) -> AppResult<BatchActionResponse> {
    let mut errors: Vec<FieldError> = comment_error(&req.comment).into_iter().collect();
    let has_ids = req.runner_ids.as_ref().is_some_and(|v| !v.is_empty());
    if !has_ids && req.user_identity.is_none() && req.team_id.is_none() {
        errors.push(FieldError { field: "body".into(), message: "give runner_ids, user_identity or team_id".into() });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors).into());
    }
    let (targets, scope) = select(state, &req).await?;
    let gh = if req.dry_run { None } else { configured(state.github.as_ref()).ok() };
    let (mut affected, mut failed) = (0_i64, 0_i64);
    let mut details = Vec::new();
    let mut deleted_ids = Vec::new();
    for (id, row) in targets {
        let entry = |r: Option<&RunnerRow>, status: &str, error: Option<String>| {
            BatchDetail::Runner(RunnerBatchDetail {
                runner_id: id,
                runner_name: r.map(|r| r.runner_name.clone()),
                provisioned_by: r.map(|r| r.provisioned_by.clone()),
                status: status.to_owned(),
                error,
            })
        };
        let Some(r) = row else {
            details.push(entry(None, "not_found", None));
            continue;
        };
        if r.status.is_deleted() {
            details.push(entry(Some(&r), "skipped", None));
            continue;
        }
        if req.dry_run {
            affected += 1;
            details.push(entry(Some(&r), "would_be_deleted", None));
            continue;
        }
        let result = match (r.github_runner_id, &gh) {
            (None, _) => Ok(()),
            (Some(gid), Some(gh)) => gh.delete_runner(gid).await.map_err(api_error),
            (Some(_), None) => configured(state.github.as_ref()).map(|_| ()),
        };
        match result {
            Ok(()) => {
                let data = json!({ "reason": "admin_batch", "comment": req.comment, "github_runner_id": r.github_runner_id, "scope": scope });
                let audit = NewAudit {
                    runner_id: Some(r.id.to_string()),
                    runner_name: Some(r.runner_name.clone()),
                    team_id: r.team_id,
                    ..caller.audit("runner_deleted", data)
                };
                state.db.mark_runner_deleted(r.id, "admin_batch", Some(audit)).await?;
                affected += 1;
                deleted_ids.push(r.id.to_string());
                details.push(entry(Some(&r), "deleted", None));
            }
            Err(e) => {
                failed += 1;
                details.push(entry(Some(&r), "failed", Some(e.to_api_error().detail)));
            }
        }
    }
    if !req.dry_run {
        let data = json!({ "comment": req.comment, "affected_count": affected, "failed_count": failed, "runner_ids": deleted_ids,
            "target_user": req.user_identity, "target_team": req.team_id.map(|t| t.to_string()), "scope": scope });
        let mut audit = caller.audit("batch_delete_runners", data.clone());
        audit.success = failed == 0;
        state.db.append_audit(audit).await?;
        let event = NewSecurityEvent {
            team_id: req.team_id,
            action_taken: Some(format!("deleted {affected} runners")),
            ..caller.security_event(SecurityEventType::BatchDeleteRunners, Severity::High, data)
        };
        state.db.record_security_event(&state.metrics, &event).await?;
    }
    Ok(BatchActionResponse {
        success: failed == 0,
        action: "delete_runners".into(),
        affected_count: affected,
        failed_count: failed,
        comment: req.comment,
        dry_run: req.dry_run,
        details,
    })
}
