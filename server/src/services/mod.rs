//! Domain services: the business rules, used by the REST handlers and the UI's server
//! functions alike. Each takes the [`crate::auth::Caller`] explicitly; authorisation
//! (roles, team membership) is an explicit call here, never hidden middleware.

pub mod admin;
pub mod audit;
pub mod audit_seal;
pub mod batch;
pub mod github;
pub mod labels;
pub mod maintenance;
pub mod migrate;
pub mod oauth_clients;
pub mod provisioning;
pub mod runners;
pub mod security;
pub mod sync;
pub mod sync_worker;
pub mod teams;
pub mod users;
pub mod webhooks;

use crate::auth::Principal;
use crate::auth::principal::Identity;
use crate::db::Db;
use crate::error::AppResult;
use uuid::Uuid;

/// Whether the principal may read a team (API.md §2.7 `team-reader`): an admin, a member
/// (active or inactive team), or the team's M2M client.
pub async fn is_team_reader(db: &Db, p: &Principal, team_id: Uuid) -> AppResult<bool> {
    Ok(match &p.identity {
        _ if p.is_admin() => true,
        Identity::M2m(c) => c.team_id == team_id,
        Identity::User { user, .. } => db.is_member(team_id, user.id).await?,
    })
}
