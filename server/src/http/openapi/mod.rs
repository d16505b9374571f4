//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations and
//! the contract types' schemas, served at `/openapi.json`, with Swagger UI at `/docs` and
//! Redoc at `/redoc`. `/metrics` is left out, as the contract says. The errors common to
//! every authenticated route are added by [`common_errors::CommonErrors`], not annotated.

mod common_errors;
mod docs;

use std::sync::LazyLock;

use axum::Router;
use axum::routing::get;
use http::header;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_redoc::{Redoc, Servable};

use crate::state::AppState;
use common_errors::CommonErrors;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()));
        components.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("gharts_session"))));
    }
}

/// The document's frame: title, security, shared schemas and tags. The paths come from the
/// router ([`super::documented_routes`]); the modifiers run once they are in.
#[derive(OpenApi)]
#[openapi(
    info(title = "GitHub Runner Token Service", description = "Secure central service for managing GitHub self-hosted runner registrations"),
    security(("bearer" = []), ("session" = [])),
    components(schemas(
        app::contract::ApiError, app::contract::ErrorCode, app::contract::FieldError,
        app::contract::runners::RunnerStatus, app::contract::runners::JitProvisionRequest,
    )),
    tags(
        (name = "runners", description = "Provisioning and runner lifecycle"),
        (name = "teams", description = "Teams and their policy"),
        (name = "members", description = "Team memberships"),
        (name = "users", description = "User accounts"),
        (name = "batch", description = "Bulk administrative actions"),
        (name = "oauth-clients", description = "Registered M2M OAuth clients"),
        (name = "audit", description = "The hash-chained audit log and its exports"),
        (name = "security", description = "Security events"),
        (name = "admin", description = "Statistics and the sync worker"),
        (name = "webhooks", description = "GitHub webhook receiver (HMAC-signed deliveries)"),
        (name = "auth", description = "Sign-in and the caller"),
        (name = "system", description = "Health and service information"),
    )
)]
pub struct ApiDoc;

/// Built once: the document never changes at run time.
static DOC: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::documented_routes().into_openapi());
    Security.modify(&mut doc);
    CommonErrors.modify(&mut doc);
    // The schema name the contract uses for the runner detail view (API.md §5.6).
    if let Some(components) = doc.components.as_mut()
        && let Some(status) = components.schemas.get("RunnerStatus").cloned()
    {
        components.schemas.insert("RunnerDetailResponse".to_owned(), status);
    }
    doc
});

/// The document as served, serialised once.
static DOC_JSON: LazyLock<String> = LazyLock::new(|| DOC.to_json().unwrap_or_else(|e| panic!("the OpenAPI document serialises: {e}")));

/// `/openapi.json`, `/docs` (Swagger UI) and `/redoc`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(|| async { ([(header::CONTENT_TYPE, "application/json")], DOC_JSON.as_str()) }))
        .merge(docs::routes())
        .merge(Redoc::with_url("/redoc", DOC.clone()))
}
