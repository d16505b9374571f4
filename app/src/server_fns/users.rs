//! Users administration: the list, one user and their teams, create and edit, (de)activation,
//! and the batch disable/restore with a preview.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::ssr::{NO_BODY, rest};
#[cfg(feature = "ssr")]
use http::Method;

use crate::contract::ApiError;
use crate::contract::batch::{BatchActionResponse, BatchDisableUsersRequest, BatchRestoreUsersRequest};
use crate::contract::teams::UserTeamsResponse;
use crate::contract::users::{UserCreateRequest, UserListQuery, UserListResponse, UserResponse, UserUpdateRequest};

/// A page of users (`GET /api/v1/admin/users`), as `query` filters them.
#[server(prefix = "/api/ui", endpoint = "admin/users/list", input = Json)]
pub async fn list_users(query: UserListQuery) -> Result<UserListResponse, ApiError> {
    rest(Method::GET, format!("/api/v1/admin/users?{}", crate::ssr::query(&query)?), NO_BODY).await
}

/// Creates a user with their teams (`POST /api/v1/admin/users`).
#[server(prefix = "/api/ui", endpoint = "admin/users/create", input = Json)]
pub async fn create_user(request: UserCreateRequest) -> Result<UserResponse, ApiError> {
    rest(Method::POST, "/api/v1/admin/users".into(), Some(&request)).await
}

/// Changes a user's name, roles or state (`PUT /api/v1/admin/users/{id}`; `LAST_ADMIN`).
#[server(prefix = "/api/ui", endpoint = "admin/users/update", input = Json)]
pub async fn update_user(user_id: Uuid, request: UserUpdateRequest) -> Result<UserResponse, ApiError> {
    rest(Method::PUT, format!("/api/v1/admin/users/{user_id}"), Some(&request)).await
}

/// The teams a user belongs to (`GET /api/v1/admin/teams/users/{id}/teams`).
#[server(prefix = "/api/ui", endpoint = "admin/users/teams", input = Json)]
pub async fn user_teams(user_id: Uuid) -> Result<UserTeamsResponse, ApiError> {
    rest(Method::GET, format!("/api/v1/admin/teams/users/{user_id}/teams?limit=200"), NO_BODY).await
}

/// Disables users in a batch; `dry_run` previews (`POST /api/v1/admin/batch/disable-users`).
#[server(prefix = "/api/ui", endpoint = "admin/users/batch-disable", input = Json)]
pub async fn batch_disable_users(request: BatchDisableUsersRequest) -> Result<BatchActionResponse, ApiError> {
    rest(Method::POST, "/api/v1/admin/batch/disable-users".into(), Some(&request)).await
}

/// Restores users in a batch; `dry_run` previews (`POST /api/v1/admin/batch/restore-users`).
#[server(prefix = "/api/ui", endpoint = "admin/users/batch-restore", input = Json)]
pub async fn batch_restore_users(request: BatchRestoreUsersRequest) -> Result<BatchActionResponse, ApiError> {
    rest(Method::POST, "/api/v1/admin/batch/restore-users".into(), Some(&request)).await
}

/// Deactivates a user with a reason: their sessions end and a security event is written
/// (`DELETE /api/v1/admin/users/{id}`; `LAST_ADMIN`).
#[server(prefix = "/api/ui", endpoint = "admin/users/deactivate", input = Json)]
pub async fn deactivate_user(user_id: Uuid, comment: String) -> Result<(), ApiError> {
    let body = crate::contract::users::UserDeactivateRequest { comment };
    rest(Method::DELETE, format!("/api/v1/admin/users/{user_id}"), Some(&body)).await
}

/// Reactivates a user (`POST /api/v1/admin/users/{id}/activate`).
#[server(prefix = "/api/ui", endpoint = "admin/users/activate", input = Json)]
pub async fn activate_user(user_id: Uuid) -> Result<UserResponse, ApiError> {
    rest(Method::POST, format!("/api/v1/admin/users/{user_id}/activate"), NO_BODY).await
}
