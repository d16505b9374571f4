//! The two-team world most feature tests start from: an app with OIDC, teams `team-a` and
//! `team-b` created through the API, and an M2M client (with its token) for each.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{AppBuilder, Backend, TestApp, app, json};
use crate::oidc_peer::OidcPeer;
use crate::seed;

/// An app with OIDC, two teams created through the API, and M2M clients for each.
pub struct World {
    pub app: TestApp,
    pub peer: OidcPeer,
    pub team_a: Uuid,
    pub team_b: Uuid,
    /// M2M token of team A (`m2m-a`).
    pub m2m_a: String,
    /// M2M token of team B (`m2m-b`).
    pub m2m_b: String,
}

/// The two-team world; `github: false` leaves GitHub unconfigured.
pub async fn world_with(backend: Backend, team_a: Value, github: bool) -> World {
    let b = app(backend);
    world_using(if github { b } else { b.without_github() }, team_a).await
}

/// The two-team world on an app built from `b` (e.g. with the real GitHub App client).
pub async fn world_using(b: AppBuilder, team_a: Value) -> World {
    let peer = OidcPeer::shared().await;
    let app = b.oidc(&peer).start().await;
    app.login_admin().await;
    let mut body_a = json!({ "name": "team-a" });
    for (k, v) in team_a.as_object().expect("object") {
        body_a[k] = v.clone();
    }
    let a = app.post_json("/api/v1/admin/teams", &body_a).await;
    assert_eq!(a.status(), 201, "create team-a");
    let team_a: Uuid = json(a).await["id"].as_str().expect("id").parse().expect("uuid");
    let b = app.post_json("/api/v1/admin/teams", &json!({ "name": "team-b" })).await;
    let team_b: Uuid = json(b).await["id"].as_str().expect("id").parse().expect("uuid");
    seed::oauth_client(&app.db, "m2m-a", team_a, true).await;
    seed::oauth_client(&app.db, "m2m-b", team_b, true).await;
    let (m2m_a, m2m_b) = (peer.m2m_token("m2m-a").await, peer.m2m_token("m2m-b").await);
    World { app, peer, team_a, team_b, m2m_a, m2m_b }
}

/// The two-team world with the in-process fake GitHub.
pub async fn world(backend: Backend, team_a: Value) -> World {
    world_with(backend, team_a, true).await
}

impl World {
    /// `POST /api/v1/runners/jit` with `token`.
    pub async fn provision(&self, token: &str, body: &Value) -> reqwest::Response {
        self.app.client.post(self.app.url("/api/v1/runners/jit")).bearer_auth(token).json(body).send().await.expect("request")
    }

    /// `POST /api/v1/runners/jit/dry-run` with `token`.
    pub async fn dry_run(&self, token: &str, body: &Value) -> reqwest::Response {
        self.app.client.post(self.app.url("/api/v1/runners/jit/dry-run")).bearer_auth(token).json(body).send().await.expect("request")
    }
}
