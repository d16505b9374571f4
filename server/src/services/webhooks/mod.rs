//! The GitHub webhook receiver (API.md §15.1), in the contract's order: secret, signature,
//! headers, de-duplication of the delivery id, JSON, organisation, event; the `workflow_job`
//! rules themselves are in [`workflow_job`].
//!
//! Every delivery is counted in `gharts_webhook_deliveries_total{event, result}`. The secret and
//! the signature header are never logged.

mod ack;
mod signature;
mod workflow_job;

use std::time::Duration;

use app::contract::{ApiError, ErrorCode};
use serde_json::Value;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub use ack::Ack;
pub use signature::verify_signature;

/// How long a processed delivery id is remembered: GitHub redelivers on request for days.
pub const DEDUP_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);
/// A claim older than this belongs to a request that can no longer be running (requests are cut
/// at 30 s), so a redelivery may take it over.
pub const CLAIM_LEASE: Duration = Duration::from_secs(60);

/// The request as the receiver sees it: the three GitHub headers and the request id.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    /// `X-GitHub-Event`.
    pub event: Option<String>,
    /// `X-GitHub-Delivery`.
    pub id: Option<String>,
    /// `X-Hub-Signature-256` (never logged).
    pub signature: Option<String>,
    /// The request id, for security events.
    pub request_id: Option<String>,
}

/// A bounded metric label for the event: GitHub's event names once the signature holds
/// (a fixed, small set), and only the two this service knows before it does.
fn event_label(event: Option<&str>, verified: bool) -> &str {
    match event {
        Some(e) if verified && (1..=64).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') => e,
        Some(e @ ("workflow_job" | "ping")) => e,
        Some(_) => "other",
        None => "none",
    }
}

fn count(state: &AppState, event: &str, result: &str) {
    state.metrics.webhook_deliveries.with_label_values(&[event, result]).inc();
}

/// Receives one delivery: the 2xx answer, or the contract error.
pub async fn receive(state: &AppState, d: &Delivery, body: &[u8]) -> AppResult<Ack> {
    let hook = &state.config.webhook;
    let Some(secret) = hook.secret.as_ref() else {
        count(state, event_label(d.event.as_deref(), false), "not_configured");
        tracing::warn!("webhook delivery refused: GITHUB_WEBHOOK_SECRET is not set");
        return Err(AppError::api(ErrorCode::WebhookNotConfigured, "GitHub webhook secret is not configured"));
    };
    let secrets: Vec<_> = std::iter::once(secret).chain(hook.secret_previous.as_ref()).collect();
    if !verify_signature(d.signature.as_deref(), body, &secrets) {
        count(state, event_label(d.event.as_deref(), false), "invalid_signature");
        tracing::warn!(delivery.id = d.id.as_deref().unwrap_or("-"), signature.present = d.signature.is_some(), "webhook signature invalid");
        return Err(AppError::api(ErrorCode::WebhookSignatureInvalid, "Invalid webhook signature"));
    }
    let event = event_label(d.event.as_deref(), true);
    let (Some(event_name), Some(id)) = (d.event.as_deref(), d.id.as_deref()) else {
        count(state, event, "invalid_payload");
        let field = if d.event.is_none() { "header.X-GitHub-Event" } else { "header.X-GitHub-Delivery" };
        return Err(ApiError::invalid_field(field, "required").into());
    };
    let now = chrono::Utc::now();
    let claimed = state.db.claim_webhook_delivery(id, event_name, now - DEDUP_WINDOW, now - CLAIM_LEASE).await.inspect_err(|_| count(state, event, "error"))?;
    if !claimed {
        count(state, event, "duplicate");
        tracing::info!(delivery.id = id, event, "webhook delivery already seen");
        return Ok(Ack::Duplicate(id.to_owned()));
    }
    match handle(state, d, event_name, body).await {
        Ok((ack, action)) => {
            state.db.finish_webhook_delivery(id, ack.result(), action.as_deref()).await.inspect_err(|_| count(state, event, "error"))?;
            count(state, event, ack.result());
            tracing::info!(delivery.id = id, event, result = ack.result(), "webhook delivery processed");
            Ok(ack)
        }
        Err(e) => {
            if let Err(release) = state.db.release_webhook_delivery(id).await {
                tracing::error!(delivery.id = id, error = %release, "cannot release a failed webhook delivery; it can run again once its claim lapses");
            }
            let invalid = matches!(&e, AppError::Api(a) if a.error_code == ErrorCode::InvalidPayload);
            count(state, event, if invalid { "invalid_payload" } else { "error" });
            Err(e)
        }
    }
}

/// Steps 5–8 on a claimed delivery: the answer and the payload's `action`.
async fn handle(state: &AppState, d: &Delivery, event: &str, body: &[u8]) -> AppResult<(Ack, Option<String>)> {
    let payload: Value = serde_json::from_slice(body).map_err(|_| AppError::api(ErrorCode::InvalidPayload, "Invalid JSON payload"))?;
    let action = payload.get("action").and_then(Value::as_str).map(str::to_owned);
    if let Some(gh) = &state.config.github {
        let org = payload.pointer("/organization/login").and_then(Value::as_str);
        // GitHub logins are case-insensitive.
        if !org.is_some_and(|o| o.eq_ignore_ascii_case(&gh.org)) {
            return Ok((Ack::Ignored("organization not managed by this service".into()), action));
        }
    }
    if event != "workflow_job" {
        return Ok((Ack::IgnoredEvent(event.to_owned()), action));
    }
    let ack = workflow_job::handle(state, &payload, d.request_id.as_deref()).await?;
    Ok((ack, action))
}

#[cfg(test)]
mod tests {
    use super::event_label;

    #[test]
    fn event_labels_stay_bounded() {
        assert_eq!(event_label(Some("workflow_job"), false), "workflow_job");
        assert_eq!(event_label(Some("pull_request"), false), "other");
        assert_eq!(event_label(Some("pull_request"), true), "pull_request");
        assert_eq!(event_label(Some("Drop Table"), true), "other");
        assert_eq!(event_label(Some(&"a".repeat(65)), true), "other");
        assert_eq!(event_label(None, true), "none");
    }
}
