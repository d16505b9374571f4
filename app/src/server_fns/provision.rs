//! Provisioning: the team's policy, the dry run as the user types, and the real thing.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::ssr::{NO_BODY, rest};
#[cfg(feature = "ssr")]
use http::Method;

use crate::contract::ApiError;
use crate::contract::runners::{DryRunResponse, JitProvisionRequest, JitProvisionResponse};
use crate::contract::teams::TeamResponse;

/// A team the caller belongs to, with its policy (`GET /api/v1/admin/teams/{id}`; members may read their own).
#[server(prefix = "/api/ui", endpoint = "teams/get", input = Json)]
pub async fn get_team(team_id: Uuid) -> Result<TeamResponse, ApiError> {
    rest(Method::GET, format!("/api/v1/admin/teams/{team_id}"), NO_BODY).await
}

/// What a provisioning would do, without doing it (`POST /api/v1/runners/jit/dry-run`).
#[server(prefix = "/api/ui", endpoint = "runners/dry-run", input = Json)]
pub async fn dry_run(request: JitProvisionRequest) -> Result<DryRunResponse, ApiError> {
    rest(Method::POST, "/api/v1/runners/jit/dry-run".into(), Some(&request)).await
}

/// Provisions a JIT runner (`POST /api/v1/runners/jit`). The config is in this answer only.
#[server(prefix = "/api/ui", endpoint = "runners/provision", input = Json)]
pub async fn provision_runner(request: JitProvisionRequest) -> Result<JitProvisionResponse, ApiError> {
    rest(Method::POST, "/api/v1/runners/jit".into(), Some(&request)).await
}
