//! Teams administration: the list, create and edit (with a live check of label patterns),
//! (de)activation one by one or in a batch with a preview, and the members of a team.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::ssr::{NO_BODY, rest};
#[cfg(feature = "ssr")]
use http::Method;

use crate::contract::batch::{BatchActionResponse, BatchDeactivateTeamsRequest, BatchReactivateTeamsRequest};
use crate::contract::teams::{MemberListResponse, MemberResponse, TeamCreateRequest, TeamListResponse, TeamPatchRequest, TeamResponse};
use crate::contract::{ApiError, FieldError};

/// A page of teams (`GET /api/v1/admin/teams`); admins see every team, the admins team first.
#[server(prefix = "/api/ui", endpoint = "admin/teams/list", input = Json)]
pub async fn list_teams(include_inactive: bool, limit: i64, offset: i64) -> Result<TeamListResponse, ApiError> {
    rest(Method::GET, format!("/api/v1/admin/teams?include_inactive={include_inactive}&limit={limit}&offset={offset}"), NO_BODY).await
}

/// Creates a team (`POST /api/v1/admin/teams`).
#[server(prefix = "/api/ui", endpoint = "admin/teams/create", input = Json)]
pub async fn create_team(request: TeamCreateRequest) -> Result<TeamResponse, ApiError> {
    rest(Method::POST, "/api/v1/admin/teams".into(), Some(&request)).await
}

/// Changes a team's policy (`PATCH /api/v1/admin/teams/{id}`, merge-patch).
#[server(prefix = "/api/ui", endpoint = "admin/teams/update", input = Json)]
pub async fn update_team(team_id: Uuid, patch: TeamPatchRequest) -> Result<TeamResponse, ApiError> {
    rest(Method::PATCH, format!("/api/v1/admin/teams/{team_id}"), Some(&patch)).await
}

/// The server's verdict on label patterns, without writing anything
/// (`POST /api/v1/admin/teams/label-policy/validate`): the pattern errors team create and
/// update would answer (none: every pattern compiles).
#[server(prefix = "/api/ui", endpoint = "admin/teams/check-patterns", input = Json)]
pub async fn check_label_patterns(patterns: Vec<String>) -> Result<Vec<FieldError>, ApiError> {
    let body = crate::contract::teams::LabelPolicyCheckRequest { required_labels: Vec::new(), optional_label_patterns: patterns };
    let verdict: crate::contract::teams::LabelPolicyCheckResponse = rest(Method::POST, "/api/v1/admin/teams/label-policy/validate".into(), Some(&body)).await?;
    Ok(verdict.errors)
}

/// Deactivates a team with a reason (`POST …/deactivate`).
#[server(prefix = "/api/ui", endpoint = "admin/teams/deactivate", input = Json)]
pub async fn deactivate_team(team_id: Uuid, reason: String) -> Result<TeamResponse, ApiError> {
    let body = crate::contract::teams::TeamDeactivateRequest { reason };
    rest(Method::POST, format!("/api/v1/admin/teams/{team_id}/deactivate"), Some(&body)).await
}

/// Reactivates a team (`POST …/reactivate`).
#[server(prefix = "/api/ui", endpoint = "admin/teams/reactivate", input = Json)]
pub async fn reactivate_team(team_id: Uuid) -> Result<TeamResponse, ApiError> {
    rest(Method::POST, format!("/api/v1/admin/teams/{team_id}/reactivate"), NO_BODY).await
}

/// Deactivates teams in a batch; `dry_run` previews (`POST /api/v1/admin/batch/deactivate-teams`).
#[server(prefix = "/api/ui", endpoint = "admin/teams/batch-deactivate", input = Json)]
pub async fn batch_deactivate_teams(request: BatchDeactivateTeamsRequest) -> Result<BatchActionResponse, ApiError> {
    rest(Method::POST, "/api/v1/admin/batch/deactivate-teams".into(), Some(&request)).await
}

/// Reactivates teams in a batch; `dry_run` previews (`POST /api/v1/admin/batch/reactivate-teams`).
#[server(prefix = "/api/ui", endpoint = "admin/teams/batch-reactivate", input = Json)]
pub async fn batch_reactivate_teams(request: BatchReactivateTeamsRequest) -> Result<BatchActionResponse, ApiError> {
    rest(Method::POST, "/api/v1/admin/batch/reactivate-teams".into(), Some(&request)).await
}

/// A page of a team's members (`GET …/members`).
#[server(prefix = "/api/ui", endpoint = "admin/teams/members", input = Json)]
pub async fn team_members(team_id: Uuid, limit: i64, offset: i64) -> Result<MemberListResponse, ApiError> {
    rest(Method::GET, format!("/api/v1/admin/teams/{team_id}/members?limit={limit}&offset={offset}"), NO_BODY).await
}

/// Adds a user to a team (`POST …/members`).
#[server(prefix = "/api/ui", endpoint = "admin/teams/add-member", input = Json)]
pub async fn add_team_member(team_id: Uuid, user_id: Uuid) -> Result<MemberResponse, ApiError> {
    rest(Method::POST, format!("/api/v1/admin/teams/{team_id}/members"), Some(&serde_json::json!({ "user_id": user_id }))).await
}

/// Removes a user from a team (`DELETE …/members/{user_id}`).
#[server(prefix = "/api/ui", endpoint = "admin/teams/remove-member", input = Json)]
pub async fn remove_team_member(team_id: Uuid, user_id: Uuid) -> Result<(), ApiError> {
    rest(Method::DELETE, format!("/api/v1/admin/teams/{team_id}/members/{user_id}"), NO_BODY).await
}
