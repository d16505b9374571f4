//! A team's M2M client registrations: list, register, enable/disable, delete, and rotation
//! (disable the old one and register the new one, in one step).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::ssr::{NO_BODY, rest};
#[cfg(feature = "ssr")]
use http::Method;

use crate::contract::ApiError;
use crate::contract::oauth_clients::{OAuthClientCreateRequest, OAuthClientListResponse, OAuthClientResponse};

/// The team's registrations, newest first, active or not (`GET /api/v1/admin/oauth-clients`).
#[server(prefix = "/api/ui", endpoint = "admin/clients/list", input = Json)]
pub async fn team_clients(team_id: Uuid) -> Result<OAuthClientListResponse, ApiError> {
    rest(Method::GET, format!("/api/v1/admin/oauth-clients?team_id={team_id}&active_only=false&limit=20"), NO_BODY).await
}

/// Registers a client for a team (`POST /api/v1/admin/oauth-clients`).
#[server(prefix = "/api/ui", endpoint = "admin/clients/register", input = Json)]
pub async fn register_client(request: OAuthClientCreateRequest) -> Result<OAuthClientResponse, ApiError> {
    rest(Method::POST, "/api/v1/admin/oauth-clients".into(), Some(&request)).await
}

/// Enables or disables a registration (`PATCH /api/v1/admin/oauth-clients/{id}`).
#[server(prefix = "/api/ui", endpoint = "admin/clients/set-active", input = Json)]
pub async fn set_client_active(id: Uuid, active: bool) -> Result<OAuthClientResponse, ApiError> {
    rest(Method::PATCH, format!("/api/v1/admin/oauth-clients/{id}"), Some(&serde_json::json!({ "is_active": active }))).await
}

/// Deletes a registration (`DELETE /api/v1/admin/oauth-clients/{id}`).
#[server(prefix = "/api/ui", endpoint = "admin/clients/delete", input = Json)]
pub async fn delete_client(id: Uuid) -> Result<(), ApiError> {
    rest(Method::DELETE, format!("/api/v1/admin/oauth-clients/{id}"), NO_BODY).await
}

/// Rotation: disables `old_id` (one active client per team), then registers the new client.
/// If the registration is refused, the old client is enabled again, so the team is never
/// left without the client it had.
#[server(prefix = "/api/ui", endpoint = "admin/clients/rotate", input = Json)]
pub async fn rotate_client(old_id: Uuid, request: OAuthClientCreateRequest) -> Result<OAuthClientResponse, ApiError> {
    use crate::ssr::rest;
    let patch = |on: bool| serde_json::json!({ "is_active": on });
    rest::<OAuthClientResponse>(Method::PATCH, format!("/api/v1/admin/oauth-clients/{old_id}"), Some(&patch(false))).await?;
    match rest::<OAuthClientResponse>(Method::POST, "/api/v1/admin/oauth-clients".into(), Some(&request)).await {
        Ok(new) => Ok(new),
        Err(e) => {
            // The new client was refused: the old one stays in service.
            let _ = rest::<OAuthClientResponse>(Method::PATCH, format!("/api/v1/admin/oauth-clients/{old_id}"), Some(&patch(true))).await;
            Err(e)
        }
    }
}
