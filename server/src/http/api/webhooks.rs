//! `POST /api/v1/webhooks/github` (API.md §15.1): no bearer token, no CSRF check; the HMAC
//! signature authenticates. The raw body is read here (up to 25 MiB) and handed to the service.

use app::contract::{ApiError, ErrorCode};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::{Extension, Json};
use http::HeaderMap;
use serde::Serialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::RequestId;
use crate::error::{AppError, AppResult};
use crate::services::webhooks::{self, Delivery};
use crate::state::AppState;

/// GitHub sends payloads of up to 25 MiB; every other route keeps the 1 MiB default.
pub const WEBHOOK_BODY_LIMIT: usize = 25 * 1024 * 1024;

/// The webhook receiver, with its own (larger) body limit.
pub fn routes() -> OpenApiRouter<AppState> {
    let (schemas, paths, method_router) = routes!(receive_github_webhook);
    OpenApiRouter::new().routes((schemas, paths, method_router.layer(DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT))))
}

/// A webhook acknowledgement. Which fields appear depends on `status`:
/// `duplicate` (`delivery_id`), `ignored` (`reason` or `event`), `ok` (`action` for
/// `completed`, `labels_valid` for `in_progress`), `violation_detected` (`enforcement_mode`,
/// `action_taken`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookAck {
    /// `ok`, `ignored`, `duplicate` or `violation_detected`.
    pub status: String,
    /// The delivery id (`duplicate`).
    #[schema(nullable = false)]
    pub delivery_id: Option<String>,
    /// Why it was ignored.
    #[schema(nullable = false)]
    pub reason: Option<String>,
    /// The ignored event.
    #[schema(nullable = false)]
    pub event: Option<String>,
    /// `completed`.
    #[schema(nullable = false)]
    pub action: Option<String>,
    /// The label re-check at `in_progress`; `null` when GitHub could not be asked.
    pub labels_valid: Option<bool>,
    /// `audit` or `enforce`.
    #[schema(nullable = false)]
    pub enforcement_mode: Option<String>,
    /// `audit_only`, `workflow_cancelled`, `workflow_cancel_failed` or `workflow_cancel_error`.
    #[schema(nullable = false)]
    pub action_taken: Option<String>,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// `POST /api/v1/webhooks/github`.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/github",
    tag = "webhooks",
    security(()),
    params(
        ("X-GitHub-Event" = String, Header, description = "The event name, e.g. `workflow_job` or `ping`"),
        ("X-GitHub-Delivery" = String, Header, description = "The delivery id (de-duplicated for 7 days)"),
        ("X-Hub-Signature-256" = String, Header, description = "`sha256=<64 hex>`: HMAC-SHA256 of the raw body under the webhook secret"),
    ),
    request_body(content = Object, content_type = "application/json", description = "The GitHub event payload (at most 25 MiB)"),
    responses(
        (status = 200, description = "Processed, ignored, a duplicate, or a label-policy violation", body = WebhookAck),
        (status = 400, description = "INVALID_PAYLOAD", body = ApiError),
        (status = 401, description = "WEBHOOK_SIGNATURE_INVALID", body = ApiError),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = ApiError),
        (status = 422, description = "VALIDATION_ERROR (a required header is missing)", body = ApiError),
        (status = 500, description = "INTERNAL_ERROR (the delivery is not recorded; a redelivery runs again)", body = ApiError),
        (status = 503, description = "WEBHOOK_NOT_CONFIGURED, DATABASE_UNAVAILABLE", body = ApiError)
    )
)]
pub async fn receive_github_webhook(
    State(s): State<AppState>,
    request_id: Option<Extension<RequestId>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<Json<Value>> {
    let body = body.map_err(|rejection| {
        if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::api(ErrorCode::PayloadTooLarge, "Request body is too large (the webhook accepts up to 25 MiB)")
        } else {
            ApiError::invalid_field("body", "could not read the request body").into()
        }
    })?;
    let delivery = Delivery {
        event: header(&headers, "x-github-event"),
        id: header(&headers, "x-github-delivery"),
        signature: header(&headers, "x-hub-signature-256"),
        request_id: request_id.map(|Extension(r)| r.0),
    };
    Ok(Json(webhooks::receive(&s, &delivery, &body).await?.body()))
}
