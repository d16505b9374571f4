//! Reading the audit log (API.md §12): visibility per caller, filters, paging, exports.

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset, Utc};
use reqwest::Response;
use serde_json::{Value, json};
use server::db::audit::{GENESIS_HASH, NewAudit, chain_hash};
use uuid::Uuid;

use crate::both_databases;
use crate::helpers::probe::Probe;
use crate::helpers::{Backend, TestApp, assert_error, json, oidc_app, spawn_app};
use crate::oidc_peer::OidcPeer;
use crate::seed;

both_databases!(
    each_caller_sees_only_its_rows_in_lists_team_routes_and_exports,
    every_filter_narrows_the_list_and_filters_combine_with_and,
    pages_are_newest_first_with_total_and_echo_and_bounds_are_422,
    jsonl_and_csv_exports_stream_the_rows_and_are_audited,
);

/// An audit row by `identity` (`actor`, `sub`) about `team`.
fn row(event: &str, team: Option<Uuid>, actor: &str, identity: &str, sub: Option<&str>) -> NewAudit {
    NewAudit {
        event_type: event.into(),
        actor_type: actor.into(),
        user_identity: identity.into(),
        oidc_sub: sub.map(str::to_owned),
        team_id: team,
        success: true,
        ..Default::default()
    }
}

async fn append(app: &TestApp, entry: NewAudit) -> i64 {
    app.db.append_audit(entry).await.expect("append")
}

async fn get_as(app: &TestApp, path: &str, token: Option<&str>) -> Response {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("request")
}

async fn ok_json(resp: Response) -> Value {
    assert_eq!(resp.status(), 200, "status");
    json(resp).await
}

fn ids(logs: &Value) -> BTreeSet<i64> {
    logs.as_array().expect("array").iter().map(|r| r["id"].as_i64().expect("id")).collect()
}

fn set(v: &[i64]) -> BTreeSet<i64> {
    v.iter().copied().collect()
}

fn jsonl_ids(body: &str) -> BTreeSet<i64> {
    body.lines().map(|l| serde_json::from_str::<Value>(l).expect("json line")["id"].as_i64().expect("id")).collect()
}

/// A minimal RFC 4180 reader (quoted cells, doubled quotes, CRLF inside quotes).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(cell.is_empty() && row.is_empty(), "the file ends with a line break");
    rows
}

async fn each_caller_sees_only_its_rows_in_lists_team_routes_and_exports(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    let web = seed::team(&app.db, "web", true).await;
    let ml = seed::team(&app.db, "ml", true).await;
    let secret = seed::team(&app.db, "secret", true).await;
    let alice = seed::user(&app.db, "alice@example.com", Some("alice-sub"), true).await;
    seed::user(&app.db, "bob@example.com", Some("bob-sub"), true).await;
    seed::member(&app.db, web, alice).await;
    seed::oauth_client(&app.db, "m2m-a", ml, true).await;

    let web_row = append(&app, row("runner_removed", Some(web), "system", "system", None)).await;
    let ml_row = append(&app, row("runner_removed", Some(ml), "system", "system", None)).await;
    let secret_row = append(&app, row("team_updated", Some(secret), "local_admin", "admin", None)).await;
    let alice_own = append(&app, NewAudit { success: false, ..row("provision_jit_failed", None, "user", "alice@example.com", Some("alice-sub")) }).await;
    let bob_own = append(&app, row("provision_jit_failed", None, "user", "bob@example.com", Some("bob-sub"))).await;
    let m2m_own = append(&app, row("provision_jit_failed", None, "m2m", "m2m:ml", Some("m2m-a"))).await;
    let other_m2m = append(&app, row("provision_jit_failed", None, "m2m", "m2m:secret", Some("m2m-z"))).await;
    let alice_t = peer.user_token("alice").await;
    let m2m_t = peer.m2m_token("m2m-a").await;

    // Admins see every row.
    app.login_admin().await;
    let all = ok_json(app.get("/api/v1/audit-logs?limit=200").await).await;
    assert_eq!(all["total"], all["logs"].as_array().expect("logs").len());
    assert!(set(&[web_row, ml_row, secret_row, alice_own, bob_own, m2m_own, other_m2m]).is_subset(&ids(&all["logs"])));
    let admins = ok_json(app.get(&format!("/api/v1/admin/teams/{}/audit-logs", Uuid::from_u128(1))).await).await;
    assert_eq!((admins["team_name"].clone(), admins["total"].clone(), admins["logs"].clone()), (json!("admins"), json!(0), json!([])));

    // A user: their teams' rows plus their own, whatever `user_identity` says.
    let alice_sees = set(&[web_row, alice_own]);
    let body = ok_json(get_as(&app, "/api/v1/audit-logs", Some(&alice_t)).await).await;
    assert_eq!(ids(&body["logs"]), alice_sees);
    assert_eq!(body["total"], 2);
    let web_entry = body["logs"].as_array().expect("logs").iter().find(|r| r["id"] == web_row).expect("web row").clone();
    assert_eq!(web_entry["team_name"], "web");
    let ignored = ok_json(get_as(&app, "/api/v1/audit-logs?user_identity=bob%40example.com", Some(&alice_t)).await).await;
    assert_eq!(ids(&ignored["logs"]), alice_sees);
    let only_web = ok_json(get_as(&app, "/api/v1/audit-logs?team=web", Some(&alice_t)).await).await;
    assert_eq!(ids(&only_web["logs"]), set(&[web_row]));
    let e = assert_error(get_as(&app, "/api/v1/audit-logs?team=ml", Some(&alice_t)).await, 403, "NOT_TEAM_MEMBER").await;
    assert_eq!(e["detail"], "Not a member of that team");
    assert_error(get_as(&app, &format!("/api/v1/audit-logs?team_id={ml}"), Some(&alice_t)).await, 403, "NOT_TEAM_MEMBER").await;
    assert_error(get_as(&app, "/api/v1/audit-logs?team=admins", Some(&alice_t)).await, 403, "NOT_TEAM_MEMBER").await;
    let e = assert_error(get_as(&app, "/api/v1/audit-logs?team=nope", Some(&alice_t)).await, 404, "NOT_FOUND").await;
    assert_eq!(e["detail"], "Team 'nope' not found");
    // Lookups (404) come before membership (403).
    assert_error(get_as(&app, &format!("/api/v1/audit-logs?team=ml&team_id={}", Uuid::new_v4()), Some(&alice_t)).await, 404, "NOT_FOUND").await;

    // Her team's route; others' are 403, unknown ids 404 (checked first).
    let team = ok_json(get_as(&app, &format!("/api/v1/admin/teams/{web}/audit-logs"), Some(&alice_t)).await).await;
    assert_eq!(ids(&team["logs"]), set(&[web_row]));
    assert_eq!((team["team_id"].clone(), team["team_name"].clone()), (json!(web.to_string()), json!("web")));
    let e = assert_error(get_as(&app, &format!("/api/v1/admin/teams/{ml}/audit-logs"), Some(&alice_t)).await, 403, "NOT_TEAM_MEMBER").await;
    assert_eq!(e["detail"], "Access denied: not a member of this team");
    assert_error(get_as(&app, &format!("/api/v1/admin/teams/{}/audit-logs", Uuid::from_u128(1)), Some(&alice_t)).await, 403, "NOT_TEAM_MEMBER").await;
    let e = assert_error(get_as(&app, &format!("/api/v1/admin/teams/{}/audit-logs", Uuid::new_v4()), Some(&alice_t)).await, 404, "NOT_FOUND").await;
    assert_eq!(e["detail"], "Team not found");
    assert_error(get_as(&app, "/api/v1/admin/teams/not-a-uuid/audit-logs", Some(&alice_t)).await, 404, "NOT_FOUND").await;
    assert_error(get_as(&app, "/api/v1/admin/audit-logs/verify", Some(&alice_t)).await, 403, "FORBIDDEN").await;

    // Her exports carry the same rows; the export itself becomes one of her own rows.
    let resp = get_as(&app, "/api/v1/audit-logs?format=jsonl", Some(&alice_t)).await;
    assert_eq!(resp.headers()["x-total-count"], "2");
    assert_eq!(jsonl_ids(&resp.text().await.expect("body")), alice_sees);
    let after = ok_json(get_as(&app, "/api/v1/audit-logs", Some(&alice_t)).await).await;
    let export_row = after["logs"][0].clone();
    assert_eq!((export_row["event_type"].clone(), export_row["actor_type"].clone()), (json!("audit_exported"), json!("user")));
    assert_eq!(export_row["user_identity"], "alice@example.com");
    let alice_sees = set(&[web_row, alice_own, export_row["id"].as_i64().expect("id")]);
    assert_eq!(ids(&after["logs"]), alice_sees);
    let csv = get_as(&app, "/api/v1/audit-logs?format=csv", Some(&alice_t)).await.text().await.expect("csv");
    let csv_ids: BTreeSet<i64> = parse_csv(&csv)[1..].iter().map(|r| r[0].parse().expect("id")).collect();
    assert_eq!(csv_ids, alice_sees);

    // M2M: its team's rows plus its own.
    let body = ok_json(get_as(&app, "/api/v1/audit-logs", Some(&m2m_t)).await).await;
    assert_eq!(ids(&body["logs"]), set(&[ml_row, m2m_own]));
    assert_error(get_as(&app, "/api/v1/audit-logs?team=web", Some(&m2m_t)).await, 403, "NOT_TEAM_MEMBER").await;
    let team = ok_json(get_as(&app, &format!("/api/v1/admin/teams/{ml}/audit-logs"), Some(&m2m_t)).await).await;
    assert_eq!(ids(&team["logs"]), set(&[ml_row]));
    assert_error(get_as(&app, &format!("/api/v1/admin/teams/{web}/audit-logs"), Some(&m2m_t)).await, 403, "NOT_TEAM_MEMBER").await;
    let resp = get_as(&app, "/api/v1/audit-logs?format=jsonl&actor_type=system,m2m", Some(&m2m_t)).await;
    assert_eq!(jsonl_ids(&resp.text().await.expect("body")), set(&[ml_row, m2m_own]));

    // Unauthenticated: 401.
    let anonymous = reqwest::Client::new();
    assert_error(anonymous.get(app.url("/api/v1/audit-logs")).send().await.expect("req"), 401, "UNAUTHENTICATED").await;
}

/// Asserts the admin list for `query` holds exactly the rows of `all` that satisfy `keep`.
async fn check(app: &TestApp, query: &[(&str, String)], all: &[Value], keep: impl Fn(&Value) -> bool) {
    let resp = app.client.get(app.url("/api/v1/audit-logs")).query(&[("limit", "200".to_owned())]).query(query).send().await.expect("req");
    let body = ok_json(resp).await;
    let expected: Vec<i64> = all.iter().filter(|r| keep(r)).map(|r| r["id"].as_i64().expect("id")).collect();
    let got: Vec<i64> = body["logs"].as_array().expect("logs").iter().map(|r| r["id"].as_i64().expect("id")).collect();
    assert_eq!(got, expected, "query {query:?}");
    assert_eq!(body["total"], expected.len(), "query {query:?}");
}

/// Owned query pairs.
fn q(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

fn ts(r: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(r["timestamp"].as_str().expect("timestamp")).expect("rfc3339").to_utc()
}

async fn every_filter_narrows_the_list_and_filters_combine_with_and(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = seed::team(&app.db, "web", true).await;
    let ml = seed::team(&app.db, "ml", true).await;
    let alice = ("user", "alice@example.com", Some("alice-sub"));
    append(&app, NewAudit { runner_id: Some("r-1".into()), ..row("provision_jit", Some(web), alice.0, alice.1, alice.2) }).await;
    append(&app, NewAudit { success: false, error_message: Some("quota".into()), ..row("provision_jit_failed", Some(web), alice.0, alice.1, alice.2) }).await;
    append(&app, NewAudit { runner_id: Some("r-2".into()), ..row("deprovision", Some(ml), "m2m", "m2m:ml", Some("m2m-a")) }).await;
    append(&app, NewAudit { runner_id: Some("r-2".into()), ..row("runner_removed", Some(ml), "system", "system", None) }).await;
    append(&app, row("user_created", None, "local_admin", "admin", None)).await;
    app.login_admin().await;
    let all = ok_json(app.get("/api/v1/audit-logs?limit=200").await).await["logs"].as_array().expect("logs").clone();
    assert!(all.len() >= 7, "bootstrap + 5 + login");

    check(&app, &q(&[("event_type", "provision_jit,deprovision")]), &all, |r| r["event_type"] == "provision_jit" || r["event_type"] == "deprovision").await;
    check(&app, &q(&[("user_identity", "alice@example.com")]), &all, |r| r["user_identity"] == "alice@example.com").await;
    check(&app, &q(&[("team", "web")]), &all, |r| r["team_id"] == web.to_string()).await;
    check(&app, &[("team_id", ml.to_string())], &all, |r| r["team_id"] == ml.to_string()).await;
    check(&app, &[("team", "web".to_owned()), ("team_id", ml.to_string())], &all, |_| false).await;
    check(&app, &q(&[("runner_id", "r-2")]), &all, |r| r["runner_id"] == "r-2").await;
    check(&app, &q(&[("actor_type", "m2m,system")]), &all, |r| r["actor_type"] == "m2m" || r["actor_type"] == "system").await;
    for spelling in ["false", "0", "NO", "off"] {
        check(&app, &q(&[("success", spelling)]), &all, |r| r["success"] == false).await;
    }
    check(&app, &q(&[("success", "yes")]), &all, |r| r["success"] == true).await;

    // Time bounds are inclusive, in any accepted spelling.
    let (t2, t4) = (ts(&all[all.len() - 3]), ts(&all[all.len() - 5]));
    check(&app, &[("since", t2.to_rfc3339())], &all, |r| ts(r) >= t2).await;
    check(&app, &[("until", t2.to_rfc3339())], &all, |r| ts(r) <= t2).await;
    let plus_two = t2.with_timezone(&FixedOffset::east_opt(2 * 3600).expect("offset")).to_rfc3339();
    check(&app, &[("since", plus_two)], &all, |r| ts(r) >= t2).await;
    let naive = t4.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
    check(&app, &[("since", t2.to_rfc3339()), ("until", naive)], &all, |r| ts(r) >= t2 && ts(r) <= t4).await;
    check(&app, &q(&[("since", "2000-01-01")]), &all, |_| true).await;
    check(&app, &q(&[("until", "2000-01-01")]), &all, |_| false).await;

    // Everything at once (AND).
    check(
        &app,
        &q(&[
            ("event_type", "provision_jit,provision_jit_failed"),
            ("success", "false"),
            ("team", "web"),
            ("actor_type", "user"),
            ("user_identity", "alice@example.com"),
        ]),
        &all,
        |r| r["event_type"] == "provision_jit_failed",
    )
    .await;
}

async fn pages_are_newest_first_with_total_and_echo_and_bounds_are_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = seed::team(&app.db, "web", true).await;
    for i in 0..60 {
        append(&app, NewAudit { runner_id: Some(format!("r-{i}")), ..row("runner_removed", Some(web), "system", "system", None) }).await;
    }
    app.login_admin().await;
    let all = ok_json(app.get("/api/v1/audit-logs?limit=200").await).await;
    let total = all["total"].as_i64().expect("total");
    let all_ids: Vec<i64> = all["logs"].as_array().expect("logs").iter().map(|r| r["id"].as_i64().expect("id")).collect();
    assert_eq!(total, 62, "bootstrap + 60 + login");
    assert!(all_ids.windows(2).all(|w| w[0] > w[1]), "newest first");

    let first = ok_json(app.get("/api/v1/audit-logs").await).await;
    assert_eq!((first["limit"].clone(), first["offset"].clone(), first["total"].clone()), (json!(50), json!(0), json!(62)));
    assert_eq!(first["logs"].as_array().expect("logs").len(), 50);
    let mid = ok_json(app.get("/api/v1/audit-logs?limit=5&offset=3").await).await;
    let mid_ids: Vec<i64> = mid["logs"].as_array().expect("logs").iter().map(|r| r["id"].as_i64().expect("id")).collect();
    assert_eq!(mid_ids, all_ids[3..8].to_vec());
    assert_eq!((mid["limit"].clone(), mid["offset"].clone(), mid["total"].clone()), (json!(5), json!(3), json!(62)));
    let past = ok_json(app.get("/api/v1/audit-logs?offset=500").await).await;
    assert_eq!((past["logs"].clone(), past["total"].clone()), (json!([]), json!(62)));
    let team = ok_json(app.get(&format!("/api/v1/admin/teams/{web}/audit-logs?limit=7&offset=2")).await).await;
    assert_eq!((team["total"].clone(), team["limit"].clone(), team["offset"].clone()), (json!(60), json!(7), json!(2)));
    assert_eq!(team["logs"].as_array().expect("logs").len(), 7);
    assert_eq!(team["logs"][0]["id"], all_ids[3], "the login and the bootstrap rows are not the team's");
    assert_eq!(ok_json(app.get("/api/v1/audit-logs?limit=200").await).await["limit"], 200);

    let bad = [
        ("/api/v1/audit-logs?limit=0", "query.limit"),
        ("/api/v1/audit-logs?limit=201", "query.limit"),
        ("/api/v1/audit-logs?limit=lots", "query.limit"),
        ("/api/v1/audit-logs?offset=-1", "query.offset"),
        ("/api/v1/audit-logs?format=jsonl&limit=100001", "query.limit"),
        ("/api/v1/audit-logs?format=csv&limit=0", "query.limit"),
        ("/api/v1/audit-logs?format=xml", "query.format"),
        ("/api/v1/audit-logs?actor_type=user,robot", "query.actor_type"),
        ("/api/v1/audit-logs?success=maybe", "query.success"),
        ("/api/v1/audit-logs?since=yesterday", "query.since"),
        ("/api/v1/audit-logs?until=2026-13-01", "query.until"),
        ("/api/v1/audit-logs?since=2026-02-02&until=2026-02-01", "query.since"),
        ("/api/v1/audit-logs?team_id=not-a-uuid", "query.team_id"),
        ("/api/v1/admin/audit-logs/verify?from_id=3&to_id=2", "query.from_id"),
        ("/api/v1/admin/audit-logs/verify?from_id=x", "query.from_id"),
    ];
    for (path, field) in bad {
        let body = assert_error(app.get(path).await, 422, "VALIDATION_ERROR").await;
        assert_eq!(body["errors"][0]["field"], field, "{path}: {body}");
        assert!(body["detail"].as_str().is_some_and(|d| d.starts_with("Validation error")));
    }
    for path in ["limit=201", "limit=0", "offset=-1", "success=maybe", "since=2026-02-02&until=2026-02-01", "since=nope"] {
        let resp = app.get(&format!("/api/v1/admin/teams/{web}/audit-logs?{path}")).await;
        assert_error(resp, 422, "VALIDATION_ERROR").await;
    }
    // An export allows more than a page; validation failures wrote no audit row.
    let resp = app.get("/api/v1/audit-logs?format=jsonl&limit=100000").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body").lines().count(), 62);
    assert_eq!(app.db.audit_rows_by_type("audit_exported").await.expect("rows").len(), 1);
}

fn new_audit_of(r: &Value) -> NewAudit {
    let s = |k: &str| r[k].as_str().map(str::to_owned);
    NewAudit {
        event_type: s("event_type").expect("event_type"),
        actor_type: s("actor_type").expect("actor_type"),
        user_identity: s("user_identity").expect("user_identity"),
        oidc_sub: s("oidc_sub"),
        request_ip: s("request_ip"),
        user_agent: s("user_agent"),
        request_id: s("request_id"),
        runner_id: s("runner_id"),
        runner_name: s("runner_name"),
        team_id: s("team_id").map(|t| t.parse().expect("uuid")),
        event_data: Some(r["event_data"].clone()).filter(|v| !v.is_null()),
        success: r["success"].as_bool().expect("success"),
        error_message: s("error_message"),
    }
}

async fn jsonl_and_csv_exports_stream_the_rows_and_are_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = seed::team(&app.db, "web", true).await;
    let tricky = append(
        &app,
        NewAudit {
            user_agent: Some("=HYPERLINK(\"http://evil\")".into()),
            error_message: Some("comma, \"quote\"\r\nnext line".into()),
            event_data: Some(json!({ "note": "-1", "n": 3, "list": ["a", null, true] })),
            runner_name: Some("@runner".into()),
            success: false,
            ..row("deprovision_failed", Some(web), "user", "alice@example.com", Some("alice-sub"))
        },
    )
    .await;
    for _ in 0..3 {
        append(&app, row("runner_removed", Some(web), "system", "system", None)).await;
    }
    app.login_admin().await;
    // Sealed now, so the list and the export below see the same hashes.
    app.seal_audit().await;
    let before = ok_json(app.get("/api/v1/audit-logs?limit=200").await).await;
    let total = before["total"].as_i64().expect("total");

    // JSONL: the same objects as the JSON list, in the same order, one per line.
    let resp = app.get("/api/v1/audit-logs?format=jsonl").await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "application/x-ndjson");
    assert_eq!(h["x-total-count"], total.to_string().as_str());
    assert_eq!(h["cache-control"], "no-store");
    let cd = h["content-disposition"].to_str().expect("ascii");
    let name = cd.strip_prefix("attachment; filename=\"gharts-audit-").and_then(|r| r.strip_suffix(".jsonl\"")).expect(cd);
    assert!(name.len() == 16 && name.as_bytes()[8] == b'T' && name.ends_with('Z'), "{cd}");
    let lines: Vec<Value> = resp.text().await.expect("body").lines().map(|l| serde_json::from_str(l).expect("line")).collect();
    assert_eq!(Value::Array(lines.clone()), before["logs"]);

    // Anyone holding the export can verify the chain without GHARTS.
    // (Rows written one after another are sealed in id order: chain order is the export's.)
    for (i, r) in lines.iter().enumerate() {
        assert_eq!(r["chain_seq"].as_i64(), lines.get(i + 1).map_or(Some(1), |older| older["chain_seq"].as_i64().map(|s| s + 1)));
        let prev = lines.get(i + 1).map_or(GENESIS_HASH, |older| older["hash"].as_str().expect("hash"));
        assert_eq!(r["prev_hash"], prev);
        let expected = chain_hash(prev, r["id"].as_i64().expect("id"), &ts(r), &new_audit_of(r));
        assert_eq!(r["hash"], expected, "row {}", r["id"]);
    }

    // The export was audited with its filters and row count, and is not part of itself.
    let exported = app.db.audit_rows_by_type("audit_exported").await.expect("rows");
    assert_eq!(exported.len(), 1);
    let data: Value = serde_json::from_str(exported[0].event_data.as_deref().expect("data")).expect("json");
    assert_eq!(data, json!({ "format": "jsonl", "filters": {}, "limit": 10000, "offset": 0, "row_count": total }));
    assert_eq!((exported[0].actor_type.as_str(), exported[0].user_identity.as_str()), ("local_admin", "admin"));
    assert!(exported[0].request_ip.is_some() && exported[0].request_id.is_some());

    // CSV with filters, limit and offset.
    let resp = app.get("/api/v1/audit-logs?format=csv&event_type=deprovision_failed,runner_removed&limit=3&offset=1").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(resp.headers()["x-total-count"], "4");
    assert!(resp.headers()["content-disposition"].to_str().expect("ascii").ends_with(".csv\""));
    let text = resp.text().await.expect("body");
    let rows = parse_csv(&text);
    assert_eq!(
        rows[0].join(","),
        "id,timestamp,event_type,actor_type,user_identity,oidc_sub,team_id,team_name,runner_id,runner_name,success,\
         error_message,request_ip,user_agent,request_id,event_data,prev_hash,hash,chain_seq"
    );
    assert_eq!(rows.len(), 4, "header + 3 rows (4 match, offset 1)");
    let last = &rows[3];
    assert_eq!(last[0], tricky.to_string(), "the oldest match comes last");
    assert_eq!(last[2], "deprovision_failed");
    assert_eq!(last[7], "web");
    assert_eq!(last[9], "'@runner");
    assert_eq!(last[10], "false");
    assert_eq!(last[11], "comma, \"quote\"\r\nnext line");
    assert_eq!(last[13], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(serde_json::from_str::<Value>(&last[15]).expect("event_data"), json!({ "note": "-1", "n": 3, "list": ["a", null, true] }));
    assert_eq!(last[1].len(), "2026-11-26T08:41:21.966085Z".len());
    assert!(text.contains("\r\n"), "RFC 4180 line breaks");

    // An offset past the end: only the header, and still audited.
    let resp = app.get("/api/v1/audit-logs?format=csv&offset=1000").await;
    assert_eq!(parse_csv(&resp.text().await.expect("body")).len(), 1);
    let exported = app.db.audit_rows_by_type("audit_exported").await.expect("rows");
    assert_eq!(exported.len(), 3);
    let data: Value = serde_json::from_str(exported[1].event_data.as_deref().expect("data")).expect("json");
    assert_eq!(data["filters"], json!({ "event_type": ["deprovision_failed", "runner_removed"] }));
    assert_eq!(
        (data["format"].clone(), data["row_count"].clone(), data["limit"].clone(), data["offset"].clone()),
        (json!("csv"), json!(3), json!(3), json!(1))
    );
    assert_eq!(serde_json::from_str::<Value>(exported[2].event_data.as_deref().expect("data")).expect("json")["row_count"], 0);
}
