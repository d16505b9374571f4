//! Accounts and the admin's requests: the signed-in admin app, local accounts on clients of
//! their own, requests with the console's CSRF header, and reading back what was recorded
//! (audit rows, security events).

use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{Value, json};
use server::db::Db;
use server::db::audit::NewAudit;
use server::db::models::AuditRow;
use server::db::users::NewLocalUser;
use uuid::Uuid;

use super::{ADMIN_PASSWORD, Backend, TestApp, json, spawn_app};
use crate::helpers::probe::Probe;

/// The virtual admins team.
pub const ADMINS: &str = "00000000-0000-0000-0000-000000000001";

/// An app with the bootstrap admin signed in on `app.client`.
pub async fn admin_app(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    app.login_admin().await;
    app
}

/// A request from `client` with the console's CSRF header.
pub fn call(app: &TestApp, client: &Client, method: Method, path: &str) -> RequestBuilder {
    client.request(method, app.url(path)).header("x-requested-with", "gharts")
}

/// Sends a JSON body with `method` as the admin (`app.client`).
pub async fn send(app: &TestApp, method: Method, path: &str, body: &Value) -> Response {
    call(app, &app.client, method, path).json(body).send().await.expect("request")
}

/// A local account (same password as the bootstrap admin) signed in on a client of its own.
pub async fn local_account(app: &TestApp, username: &str, email: Option<&str>, is_admin: bool) -> (Uuid, Client) {
    let hash = app.db.find_user_by_username("admin").await.expect("db").expect("admin").password_hash.expect("hash");
    let id = Uuid::new_v4();
    let user = NewLocalUser { id, username: username.into(), email: email.map(str::to_owned), password_hash: hash, is_admin, created_by: "test".into() };
    let seed = NewAudit { event_type: "test_seed".into(), actor_type: "system".into(), user_identity: "system".into(), success: true, ..Default::default() };
    app.db.create_local_user(&user, seed).await.expect("create local user");
    (id, sign_in(app, username).await)
}

/// A fresh browser signed in as `username`.
pub async fn sign_in(app: &TestApp, username: &str) -> Client {
    let client = Client::builder().cookie_store(true).build().expect("client");
    let resp =
        call(app, &client, Method::POST, "/auth/local-login").json(&json!({ "username": username, "password": ADMIN_PASSWORD })).send().await.expect("login");
    assert_eq!(resp.status(), 200, "login {username}");
    client
}

/// The signed-in principal's user id.
pub async fn my_id(app: &TestApp, client: &Client) -> Uuid {
    let me = json(client.get(app.url("/api/v1/auth/me")).send().await.expect("me")).await;
    me["user_id"].as_str().expect("user_id").parse().expect("uuid")
}

/// Audit rows of a type, oldest first.
pub async fn audits(app: &TestApp, event: &str) -> Vec<AuditRow> {
    app.db.audit_rows_by_type(event).await.expect("audit")
}

/// A row's `event_data`.
pub fn data(row: &AuditRow) -> Value {
    serde_json::from_str(row.event_data.as_deref().expect("event_data")).expect("json")
}

/// The sorted keys of a JSON object.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

/// Security events of a type: `(severity, action_taken, violation_data)`, oldest first.
pub async fn security_events(db: &Db, event: &str) -> Vec<(String, Option<String>, Value)> {
    let sql = "select severity, action_taken, violation_data from security_events where event_type = $1 order by id";
    let rows: Vec<(String, Option<String>, sqlx::types::Json<Value>)> =
        crate::on_pool!(db, p => sqlx::query_as(sql).bind(event).fetch_all(p).await).expect("security events");
    rows.into_iter().map(|(s, a, v)| (s, a, v.0)).collect()
}

/// Runs one statement for arranging state directly.
pub async fn exec(db: &Db, sql: &'static str) {
    crate::on_pool!(db, p => sqlx::query(sql).execute(p).await.map(|_| ())).expect("exec");
}

/// Creates a user through the API and returns its body.
pub async fn create_user(app: &TestApp, body: Value) -> Value {
    let resp = app.post_json("/api/v1/admin/users", &body).await;
    assert_eq!(resp.status(), 201, "create user");
    json(resp).await
}
