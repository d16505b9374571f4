//! The authorization matrix: every route × {anonymous, user without team, member of the
//! team, member of another team, M2M of the team, M2M of another team, admin}. Asserts the
//! status of each cell and that nothing of team A reaches team B's principals.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_databases;
use crate::helpers::{Backend, json};
use crate::provisioning::world;
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

both_databases!(every_route_answers_each_principal_as_the_contract_says);

async fn every_route_answers_each_principal_as_the_contract_says(backend: Backend) {
    let w = world(backend, json!({})).await;
    let alice = seed::user(&w.app.db, "alice@example.com", Some("alice-sub"), true).await;
    seed::user(&w.app.db, "bob@example.com", Some("bob-sub"), true).await;
    let carol = seed::user(&w.app.db, "carol@example.com", Some("carol-sub"), true).await;
    seed::member(&w.app.db, w.team_a, alice).await;
    seed::member(&w.app.db, w.team_b, carol).await;
    let extra = seed::user(&w.app.db, "extra@example.com", None, true).await;
    let runner = json(w.provision(&w.m2m_a, &json!({ "runner_name": "secret-a" })).await).await;
    let runner_id = runner["runner_id"].as_str().expect("id").to_owned();
    let tokens = [
        (Who::NoTeam, w.peer.user_token("bob").await),
        (Who::MemberA, w.peer.user_token("alice").await),
        (Who::MemberB, w.peer.user_token("carol").await),
        (Who::M2mA, w.m2m_a.clone()),
        (Who::M2mB, w.m2m_b.clone()),
    ];
    let ta = w.team_a;

    // (method, path, body, expected status per principal in ALL order)
    let routes: Vec<(Method, String, Option<Value>, [u16; 7])> = vec![
        (Method::GET, "/api/v1/auth/me".into(), None, [401, 200, 200, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/admin/teams".into(), None, [401, 200, 200, 200, 200, 200, 200]),
        (Method::GET, format!("/api/v1/admin/teams/{ta}"), None, [401, 403, 200, 403, 200, 403, 200]),
        (Method::GET, format!("/api/v1/admin/teams/{ta}/members"), None, [401, 403, 200, 403, 200, 403, 200]),
        (Method::POST, "/api/v1/admin/teams".into(), Some(json!({ "name": "new-team" })), [401, 403, 403, 403, 403, 403, 201]),
        (Method::PATCH, format!("/api/v1/admin/teams/{ta}"), Some(json!({ "description": "x" })), [401, 403, 403, 403, 403, 403, 200]),
        (Method::POST, format!("/api/v1/admin/teams/{ta}/members"), Some(json!({ "user_id": extra })), [401, 403, 403, 403, 403, 403, 201]),
        (Method::GET, format!("/api/v1/runners/{runner_id}"), None, [401, 404, 200, 404, 200, 404, 200]),
        (Method::POST, format!("/api/v1/runners/{runner_id}/refresh"), None, [401, 404, 200, 404, 200, 404, 200]),
        (Method::POST, "/api/v1/runners/jit/dry-run".into(), Some(json!({ "runner_name": "dry", "team_id": ta })), [401, 403, 200, 403, 200, 403, 200]),
    ];
    for (method, path, body, expected) in &routes {
        for (i, who) in ALL.iter().enumerate() {
            let mut req = w.app.client.request(method.clone(), w.app.url(path));
            req = match who {
                Who::Anonymous => reqwest::Client::new().request(method.clone(), w.app.url(path)),
                Who::Admin => req.header("x-requested-with", "gharts"),
                other => req.bearer_auth(&tokens.iter().find(|(t, _)| t == other).expect("token").1),
            };
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = req.send().await.expect("request");
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            assert_eq!(status, expected[i], "{method} {path} as {who:?}: {text}");
            if !matches!(who, Who::Admin | Who::MemberA | Who::M2mA) {
                assert!(!text.contains("secret-a"), "{method} {path} leaked team A's runner to {who:?}: {text}");
            }
        }
    }
    // Lists never leak team A's runner to team B's principals or to outsiders.
    for (who, token) in &tokens {
        let list = w.app.client.get(w.app.url("/api/v1/runners")).bearer_auth(token).send().await.expect("req").text().await.expect("text");
        let sees = list.contains("secret-a");
        assert_eq!(sees, matches!(who, Who::MemberA | Who::M2mA), "{who:?}: {list}");
    }
    // Finally, deletion: only runner-readers may delete (others get the same 404).
    for who in [Who::MemberB, Who::M2mB, Who::NoTeam] {
        let token = &tokens.iter().find(|(t, _)| *t == who).expect("token").1;
        let del = w.app.client.delete(w.app.url(&format!("/api/v1/runners/{runner_id}"))).bearer_auth(token).send().await.expect("req");
        assert_eq!(del.status(), 404, "{who:?}");
    }
    let del = w.app.client.delete(w.app.url(&format!("/api/v1/runners/{runner_id}"))).bearer_auth(&w.m2m_a).send().await.expect("req");
    assert_eq!(del.status(), 200);
}
