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

use axum::Router;
use axum::routing::{delete, get, post};

use crate::state::AppState;

/// Every `/api/v1` route except `/auth/me` (in `auth_routes`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/teams", post(teams::create_team).get(teams::list_teams))
        .route("/api/v1/admin/teams/{team_id}", get(teams::get_team).patch(teams::patch_team))
        .route("/api/v1/admin/teams/{team_id}/deactivate", post(teams::deactivate_team))
        .route("/api/v1/admin/teams/{team_id}/reactivate", post(teams::reactivate_team))
        .route("/api/v1/admin/teams/{team_id}/members", get(teams::list_members).post(teams::add_member))
        .route("/api/v1/admin/teams/{team_id}/members/{user_id}", delete(teams::remove_member))
        .route("/api/v1/admin/teams/users/{user_id}/teams", get(teams::teams_of_user))
        .merge(runners::routes())
        .merge(users::routes())
        .merge(batch::routes())
        .merge(oauth_clients::routes())
        .merge(audit::routes())
        .merge(security::routes())
        .merge(admin::routes())
        .merge(webhooks::routes())
}
