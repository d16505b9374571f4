//! The REST API under `/api/v1` (API.md §7–§14), one module per resource.

pub mod admin;
pub mod audit;
pub mod batch;
pub mod oauth_clients;
pub mod runners;
pub mod security;
pub mod teams;
pub mod users;
pub mod webhooks;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every `/api/v1` route except `/auth/me` (in `auth_routes`), each with its document entry.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(runners::routes())
        .merge(teams::routes())
        .merge(users::routes())
        .merge(batch::routes())
        .merge(oauth_clients::routes())
        .merge(audit::routes())
        .merge(security::routes())
        .merge(admin::routes())
        .merge(webhooks::routes())
}
