//! The console's server functions (`/api/ui/*`, `app/src/server_fns`) run the REST routes in
//! process (`server/src/http/ui.rs`): the same answers and the same refusals as `/api/v1`, the
//! inner route's own path parameters, the caller's session, address, user agent and request id
//! carried through, and the CSRF rule still applied to what the browser sent.

use reqwest::{Client, Method};
use serde_json::{Value, json};

use crate::both_databases;
use crate::helpers::accounts::{call, local_account};
use crate::helpers::probe::Probe;
use crate::helpers::world::world;
use crate::helpers::{Backend, json};
use crate::seed;

both_databases!(
    server_functions_answer_what_the_rest_routes_answer,
    refusals_are_the_rest_routes_refusals_with_their_status,
    the_inner_route_has_its_own_path_and_the_callers_address,
    a_cross_site_post_to_a_server_function_is_refused,
);

/// `POST /api/ui/<endpoint>` with `args` from `client` (with the console's CSRF header).
async fn ui(w: &crate::helpers::world::World, client: &Client, endpoint: &str, args: &Value) -> (u16, Value) {
    let resp = call(&w.app, client, Method::POST, &format!("/api/ui/{endpoint}")).json(args).send().await.expect("server function");
    let status = resp.status().as_u16();
    (status, json(resp).await)
}

/// `GET path` from `client`.
async fn rest(w: &crate::helpers::world::World, client: &Client, path: &str) -> (u16, Value) {
    let resp = client.get(w.app.url(path)).send().await.expect("rest");
    let status = resp.status().as_u16();
    (status, json(resp).await)
}

async fn server_functions_answer_what_the_rest_routes_answer(backend: Backend) {
    let w = world(backend, json!({ "required_labels": ["team-a"], "max_runners": 4 })).await;
    for i in 0..3 {
        assert_eq!(w.provision(&w.m2m_a, &json!({ "runner_name": format!("a{i}") })).await.status(), 201);
    }
    let admin = &w.app.client;
    assert_eq!(ui(&w, admin, "teams/get", &json!({ "team_id": w.team_a })).await, rest(&w, admin, &format!("/api/v1/admin/teams/{}", w.team_a)).await);
    let filter = json!({ "filter": { "status": "pending", "team": "team-a", "name_contains": "A", "limit": 2, "offset": 1 } });
    let (status, listed) = ui(&w, admin, "runners/list", &filter).await;
    assert_eq!((status, &listed), (200, &rest(&w, admin, "/api/v1/runners?status=pending&team=team-a&name_contains=A&limit=2&offset=1").await.1));
    assert_eq!(listed["total"], 3);
    assert_eq!(listed["runners"].as_array().expect("runners").len(), 2);
    let stats = |(status, mut body): (u16, Value)| {
        body["generated_at"] = Value::Null;
        (status, body)
    };
    assert_eq!(stats(ui(&w, admin, "admin/stats", &json!({})).await), stats(rest(&w, admin, "/api/v1/admin/stats").await));
}

async fn refusals_are_the_rest_routes_refusals_with_their_status(backend: Backend) {
    let w = world(backend, json!({})).await;
    assert_eq!(w.provision(&w.m2m_b, &json!({ "runner_name": "b0" })).await.status(), 201);
    let b0 = json(w.app.get("/api/v1/runners?runner_name=b0").await).await["runners"][0]["runner_id"].clone();
    // A member of team-a only.
    let (member_id, member) = local_account(&w.app, "mia", Some("mia@example.com"), false).await;
    seed::member(&w.app.db, w.team_a, member_id).await;

    // Admin functions: 403 with the REST route's code, and no admin data in the answer.
    let (status, body) = ui(&w, &member, "admin/stats", &json!({})).await;
    assert_eq!((status, body.clone()), rest(&w, &member, "/api/v1/admin/stats").await);
    assert_eq!(status, 403);
    assert!(body.get("total_runners").is_none() && body.get("runners").is_none(), "{body}");
    // Another team's runner is missing, as in REST; a bad argument is the contract's 422.
    assert_eq!(
        ui(&w, &member, "runners/get", &json!({ "runner_id": b0 })).await,
        rest(&w, &member, &format!("/api/v1/runners/{}", b0.as_str().expect("id"))).await
    );
    let (status, body) = ui(&w, &member, "runners/list", &json!({ "filter": { "limit": 0 } })).await;
    assert_eq!((status, body["error_code"].as_str()), (422, Some("VALIDATION_ERROR")));
    // Arguments the function cannot decode: 400 with the contract's code, not a 500.
    for args in [json!({ "filter": { "limit": "many" } }), json!({ "nothing": 1 }), json!([1, 2])] {
        let (status, body) = ui(&w, &member, "runners/list", &args).await;
        assert_eq!((status, body["error_code"].as_str()), (400, Some("INVALID_PAYLOAD")), "{args}: {body}");
    }
    // Signed out: 401, as in REST.
    let nobody = Client::new();
    let (status, body) = ui(&w, &nobody, "runners/list", &json!({ "filter": {} })).await;
    assert_eq!((status, body.clone()), rest(&w, &nobody, "/api/v1/runners").await);
    assert_eq!(body["error_code"], "UNAUTHENTICATED");
}

async fn the_inner_route_has_its_own_path_and_the_callers_address(backend: Backend) {
    let w = world(backend, json!({})).await;
    let admin = &w.app.client;
    seed::member(&w.app.db, w.team_a, crate::helpers::accounts::my_id(&w.app, admin).await).await;
    let request = json!({ "request": { "team_id": w.team_a, "runner_name": "ui-made" } });
    let (status, made) = ui(&w, admin, "runners/provision", &request).await;
    assert_eq!(status, 200, "a server function answers 200 with the REST route's 201 body: {made}");
    // `runners/get` is one path segment deep, `/api/v1/runners/{runner_id}` another: the inner
    // route reads its own parameter (the outer route's once made every such call 404).
    let (status, got) = ui(&w, admin, "runners/get", &json!({ "runner_id": made["runner_id"] })).await;
    assert_eq!((status, got["runner_name"].as_str()), (200, Some("ui-made")));
    // The audit row has the browser's address, user agent and the outer request's id.
    let resp = call(&w.app, admin, Method::POST, "/api/ui/runners/delete")
        .header("user-agent", "console-bridge-test")
        .json(&json!({ "runner_id": made["runner_id"] }))
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), 200);
    let request_id = resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let rows = w.app.db.audit_rows_by_type("deprovision").await.expect("audit");
    let row = rows.last().expect("a deletion row");
    assert_eq!(row.request_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(row.user_agent.as_deref(), Some("console-bridge-test"));
    assert!(request_id.is_some(), "the response names its request id");
    assert_eq!(row.request_id, request_id);
}

async fn a_cross_site_post_to_a_server_function_is_refused(backend: Backend) {
    let w = world(backend, json!({})).await;
    assert_eq!(w.provision(&w.m2m_a, &json!({ "runner_name": "keep-me" })).await.status(), 201);
    let id = json(w.app.get("/api/v1/runners?runner_name=keep-me").await).await["runners"][0]["runner_id"].clone();
    // The admin's cookie, sent by a page on another site: no CSRF header, a foreign Origin.
    let resp = w
        .app
        .client
        .post(w.app.url("/api/ui/runners/delete"))
        .header("origin", "https://evil.example")
        .json(&json!({ "runner_id": id }))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 403);
    assert_eq!(json(resp).await["error_code"], "CSRF_CHECK_FAILED");
    let still = json(w.app.get(&format!("/api/v1/runners/{}", id.as_str().expect("id"))).await).await;
    assert_eq!(still["status"], "pending", "nothing was deleted");
}
