//! The authorization matrix: every `/api/v1` route × {anonymous, user without team, member of
//! the team, member of another team, M2M of the team, M2M of another team, admin}. Asserts the
//! status of each cell and that nothing of team A (its runner `secret-a`, its description
//! `secret-a`) reaches anyone outside it: not in lists, details, exports or errors.

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::both_databases;
use crate::helpers::world::{World, world};
use crate::helpers::{Backend, json};
use crate::seed;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    NoTeam,
    MemberA,
    MemberB,
    M2mA,
    M2mB,
    Admin,
}

const ALL: [Who; 7] = [Who::Anonymous, Who::NoTeam, Who::MemberA, Who::MemberB, Who::M2mA, Who::M2mB, Who::Admin];
/// Team A's own principals (and the admin) may see `secret-a`; nobody else.
const MARK: &str = "secret-a";

/// Any authenticated caller (results scoped to the caller).
const ANY: [u16; 7] = [401, 200, 200, 200, 200, 200, 200];
/// Team-reader routes on team A.
const TEAM_A: [u16; 7] = [401, 403, 200, 403, 200, 403, 200];
/// Runner-reader routes on team A's runner: outsiders get the same 404 as for a missing one.
const RUNNER_A: [u16; 7] = [401, 404, 200, 404, 200, 404, 200];

/// Admin-only routes: the role check answers 403 to every other principal.
const fn admin(ok: u16) -> [u16; 7] {
    [401, 403, 403, 403, 403, 403, ok]
}

struct Matrix {
    w: World,
    tokens: Vec<(Who, String)>,
}

impl Matrix {
    fn request(&self, who: Who, method: Method, path: &str) -> RequestBuilder {
        let url = self.w.app.url(path);
        match who {
            Who::Anonymous => reqwest::Client::new().request(method, url),
            Who::Admin => self.w.app.client.request(method, url).header("x-requested-with", "gharts"),
            other => {
                let token = &self.tokens.iter().find(|(t, _)| *t == other).expect("token").1;
                self.w.app.client.request(method, url).bearer_auth(token)
            }
        }
    }

    async fn admin_post(&self, path: &str, body: Value) -> Value {
        let resp = self.request(Who::Admin, Method::POST, path).json(&body).send().await.expect("request");
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        json(resp).await
    }
}

fn id(v: &Value) -> Uuid {
    v["id"].as_str().expect("id").parse().expect("uuid")
}

both_databases!(every_route_answers_each_principal_as_the_contract_says);

async fn every_route_answers_each_principal_as_the_contract_says(backend: Backend) {
    let w = world(backend, json!({ "description": "owned by secret-a" })).await;
    let alice = seed::user(&w.app.db, "alice@example.com", Some("alice-sub"), true).await;
    seed::user(&w.app.db, "bob@example.com", Some("bob-sub"), true).await;
    let carol = seed::user(&w.app.db, "carol@example.com", Some("carol-sub"), true).await;
    seed::member(&w.app.db, w.team_a, alice).await;
    seed::member(&w.app.db, w.team_b, carol).await;
    let extra = seed::user(&w.app.db, "extra@example.com", None, true).await;
    let spare = seed::user(&w.app.db, "spare@example.com", None, true).await;
    let runner = json(w.provision(&w.m2m_a, &json!({ "runner_name": MARK })).await).await;
    let runner_id = runner["runner_id"].as_str().expect("id").to_owned();
    let tokens = vec![
        (Who::NoTeam, w.peer.user_token("bob").await),
        (Who::MemberA, w.peer.user_token("alice").await),
        (Who::MemberB, w.peer.user_token("carol").await),
        (Who::M2mA, w.m2m_a.clone()),
        (Who::M2mB, w.m2m_b.clone()),
    ];
    let m = Matrix { w, tokens };
    // Team C carries a registration the admin rows read, change and delete; team D gets a new one.
    let tc = id(&m.admin_post("/api/v1/admin/teams", json!({ "name": "team-c" })).await);
    let td = id(&m.admin_post("/api/v1/admin/teams", json!({ "name": "team-d" })).await);
    let client = id(&m.admin_post("/api/v1/admin/oauth-clients", json!({ "client_id": "m2m-c", "team_id": tc })).await);
    let (ta, comment) = (m.w.team_a, "authorization matrix check");

    // Lists: team A's principals (and the admin) see its rows, nobody else does.
    for list in ["/api/v1/runners", "/api/v1/admin/teams", "/api/v1/audit-logs?limit=200", "/api/v1/audit-logs?format=jsonl", "/api/v1/audit-logs?format=csv"] {
        for who in ALL.into_iter().skip(1) {
            let text = m.request(who, Method::GET, list).send().await.expect("req").text().await.expect("text");
            assert_eq!(text.contains(MARK), matches!(who, Who::MemberA | Who::M2mA | Who::Admin), "{list} as {who:?}: {text}");
        }
    }

    // (method, path, body, expected status per principal in ALL order); the admin goes last.
    let routes: Vec<(Method, String, Option<Value>, [u16; 7])> = vec![
        (Method::GET, "/api/v1/auth/me".into(), None, ANY),
        // Runners.
        (Method::GET, "/api/v1/runners".into(), None, ANY),
        (Method::GET, format!("/api/v1/runners/{runner_id}"), None, RUNNER_A),
        (Method::POST, format!("/api/v1/runners/{runner_id}/refresh"), None, RUNNER_A),
        (Method::POST, "/api/v1/runners/jit/dry-run".into(), Some(json!({ "runner_name": "dry", "team_id": ta })), TEAM_A),
        (Method::POST, "/api/v1/runners/jit".into(), Some(json!({ "runner_name_prefix": "m", "team_id": ta })), [401, 403, 201, 403, 201, 403, 201]),
        // Teams and members.
        (Method::GET, "/api/v1/admin/teams".into(), None, ANY),
        (Method::GET, format!("/api/v1/admin/teams/{ta}"), None, TEAM_A),
        (Method::GET, format!("/api/v1/admin/teams/{ta}/members"), None, TEAM_A),
        (Method::POST, "/api/v1/admin/teams".into(), Some(json!({ "name": "new-team" })), admin(201)),
        (Method::PATCH, format!("/api/v1/admin/teams/{ta}"), Some(json!({ "description": "still secret-a" })), admin(200)),
        (Method::POST, format!("/api/v1/admin/teams/{tc}/deactivate"), Some(json!({ "reason": "matrix" })), admin(200)),
        (Method::POST, format!("/api/v1/admin/teams/{tc}/reactivate"), None, admin(200)),
        (Method::POST, format!("/api/v1/admin/teams/{ta}/members"), Some(json!({ "user_id": extra })), admin(201)),
        (Method::DELETE, format!("/api/v1/admin/teams/{ta}/members/{extra}"), None, admin(204)),
        (Method::GET, format!("/api/v1/admin/teams/users/{alice}/teams"), None, [401, 403, 200, 403, 403, 403, 200]),
        // Users.
        (Method::POST, "/api/v1/admin/users".into(), Some(json!({ "email": "new@example.com", "team_ids": [td] })), admin(201)),
        (Method::GET, "/api/v1/admin/users".into(), None, admin(200)),
        (Method::GET, format!("/api/v1/admin/users/{spare}"), None, admin(200)),
        (Method::PUT, format!("/api/v1/admin/users/{spare}"), Some(json!({ "display_name": "Spare" })), admin(200)),
        (Method::DELETE, format!("/api/v1/admin/users/{spare}"), Some(json!({ "comment": comment })), admin(204)),
        (Method::POST, format!("/api/v1/admin/users/{spare}/activate"), None, admin(200)),
        // Batch incident actions (dry runs: the same checks, nothing changed).
        (Method::POST, "/api/v1/admin/batch/disable-users".into(), Some(json!({ "comment": comment, "dry_run": true, "user_ids": [spare] })), admin(200)),
        (Method::POST, "/api/v1/admin/batch/restore-users".into(), Some(json!({ "comment": comment, "dry_run": true, "user_ids": [spare] })), admin(200)),
        (Method::POST, "/api/v1/admin/batch/delete-runners".into(), Some(json!({ "comment": comment, "dry_run": true, "team_id": ta })), admin(200)),
        (
            Method::POST,
            "/api/v1/admin/batch/deactivate-teams".into(),
            Some(json!({ "comment": comment, "dry_run": true, "team_ids": [tc], "reason": "matrix" })),
            admin(200),
        ),
        (Method::POST, "/api/v1/admin/batch/reactivate-teams".into(), Some(json!({ "comment": comment, "dry_run": true, "team_ids": [tc] })), admin(200)),
        // OAuth clients.
        (Method::POST, "/api/v1/admin/oauth-clients".into(), Some(json!({ "client_id": "m2m-d", "team_id": td })), admin(201)),
        (Method::GET, "/api/v1/admin/oauth-clients".into(), None, admin(200)),
        (Method::GET, format!("/api/v1/admin/oauth-clients/{client}"), None, admin(200)),
        (Method::PATCH, format!("/api/v1/admin/oauth-clients/{client}"), Some(json!({ "description": "c" })), admin(200)),
        (Method::DELETE, format!("/api/v1/admin/oauth-clients/{client}"), None, admin(204)),
        // Audit.
        (Method::GET, "/api/v1/audit-logs".into(), None, ANY),
        (Method::GET, "/api/v1/audit-logs?format=jsonl".into(), None, ANY),
        (Method::GET, "/api/v1/audit-logs?format=csv".into(), None, ANY),
        (Method::GET, format!("/api/v1/audit-logs?team_id={ta}"), None, TEAM_A),
        (Method::GET, "/api/v1/audit-logs?team=team-a&format=jsonl".into(), None, TEAM_A),
        (Method::GET, format!("/api/v1/admin/teams/{ta}/audit-logs"), None, TEAM_A),
        (Method::GET, "/api/v1/admin/audit-logs/verify".into(), None, admin(200)),
        // Security events.
        (Method::GET, "/api/v1/admin/security-events".into(), None, admin(200)),
        (Method::GET, format!("/api/v1/admin/teams/{ta}/security-events"), None, TEAM_A),
        // Statistics and sync.
        (Method::GET, "/api/v1/admin/stats".into(), None, admin(200)),
        (Method::GET, "/api/v1/admin/sync/status".into(), None, admin(200)),
        (Method::POST, "/api/v1/admin/sync/trigger".into(), None, admin(202)),
        (Method::GET, "/api/v1/admin/github".into(), None, admin(200)),
        (Method::POST, "/api/v1/admin/teams/label-policy/validate".into(), Some(json!({ "optional_label_patterns": ["gpu-.*"] })), admin(200)),
    ];
    for (method, path, body, expected) in &routes {
        for (i, who) in ALL.into_iter().enumerate() {
            let mut req = m.request(who, method.clone(), path);
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = req.send().await.expect("request");
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            assert_eq!(status, expected[i], "{method} {path} as {who:?}: {text}");
            if !matches!(who, Who::Admin | Who::MemberA | Who::M2mA) {
                assert!(!text.contains(MARK), "{method} {path} leaked team A's data to {who:?}: {text}");
            }
        }
    }

    // Finally, deletion: only runner-readers may delete (others get the same 404).
    let delete = format!("/api/v1/runners/{runner_id}");
    for who in [Who::Anonymous, Who::NoTeam, Who::MemberB, Who::M2mB] {
        let resp = m.request(who, Method::DELETE, &delete).send().await.expect("req");
        assert_eq!(resp.status(), if who == Who::Anonymous { 401 } else { 404 }, "{who:?}");
    }
    assert_eq!(m.request(Who::M2mA, Method::DELETE, &delete).send().await.expect("req").status(), 200);
}
