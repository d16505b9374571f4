//! Bearer tokens from a real OpenID Provider (API.md §2.2–§2.4) and the browser SSO flow (§6).

use serde_json::{Value, json};

use crate::both_databases;
use crate::helpers::probe::Probe;
use crate::helpers::{Backend, TestApp, app, assert_error, json, oidc_app};
use crate::oidc_peer::{AUDIENCE, OidcPeer};
use crate::seed;

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.get_bearer("/api/v1/auth/me", token).await
}

both_databases!(
    an_m2m_token_acts_for_its_registered_team,
    m2m_tokens_of_unregistered_disabled_or_inactive_team_clients_are_403,
    a_user_token_binds_the_verified_email_once_and_never_twice,
    unverified_unknown_and_inactive_users_are_refused,
    forged_and_invalid_tokens_are_all_401,
    the_browser_sso_flow_opens_a_session_and_logout_offers_the_idp_logout,
    after_sso_the_browser_returns_only_to_our_own_paths,
    a_bearer_request_within_a_minute_of_the_last_takes_no_write_lock,
);

async fn an_m2m_token_acts_for_its_registered_team(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    let team = seed::team(&app.db, "ml-infra", true).await;
    seed::oauth_client(&app.db, "m2m-a", team, true).await;

    let token = peer.m2m_token("m2m-a").await;
    let body = json(me(&app, &token).await).await;
    assert_eq!(body["user_id"], "m2m:ml-infra");
    assert_eq!(body["actor_type"], "m2m");
    assert_eq!(body["auth_method"], "bearer");
    assert_eq!(body["oidc_sub"], "m2m-a");
    assert_eq!(body["is_admin"], false);
    assert_eq!(body["can_use_jit"], true);
    assert_eq!(body["teams"], json!([{ "id": team.to_string(), "name": "ml-infra" }]));
    assert_eq!(body["email"], Value::Null);

    // Bearer-authenticated writes are exempt from the CSRF rule.
    let resp = app.client.post(app.url("/auth/logout")).bearer_auth(&token).header("x-requested-with", "gharts").send().await.expect("req");
    assert_eq!(resp.status(), 200);
}

async fn m2m_tokens_of_unregistered_disabled_or_inactive_team_clients_are_403(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    let active = seed::team(&app.db, "active-team", true).await;
    let inactive = seed::team(&app.db, "inactive-team", false).await;
    seed::oauth_client(&app.db, "m2m-b", active, false).await;
    seed::oauth_client(&app.db, "m2m-c", inactive, true).await;

    let body = assert_error(me(&app, &peer.m2m_token("m2m-d").await).await, 403, "M2M_CLIENT_NOT_REGISTERED").await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("POST /api/v1/admin/oauth-clients")));
    assert_error(me(&app, &peer.m2m_token("m2m-b").await).await, 403, "M2M_CLIENT_DISABLED").await;
    assert_error(me(&app, &peer.m2m_token("m2m-c").await).await, 403, "TEAM_INACTIVE").await;
}

async fn a_user_token_binds_the_verified_email_once_and_never_twice(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    let alice = seed::user(&app.db, "ALICE@example.com", None, true).await;
    let team = seed::team(&app.db, "web", true).await;
    seed::member(&app.db, team, alice).await;

    let body = json(me(&app, &peer.user_token("alice").await).await).await;
    assert_eq!(body["user_id"], alice.to_string());
    assert_eq!(body["oidc_sub"], "alice-sub");
    assert_eq!(body["actor_type"], "user");
    assert_eq!(body["teams"][0]["name"], "web");
    let bound = app.db.audit_rows_by_type("user_sub_bound").await.expect("audit");
    assert_eq!(bound.len(), 1);
    assert_eq!(bound[0].actor_type, "system");

    // dave has the same verified email but another subject: never a second mapping.
    assert_error(me(&app, &peer.user_token("dave").await).await, 403, "USER_NOT_REGISTERED").await;
    // alice again: matched by subject, no second binding.
    assert_eq!(me(&app, &peer.user_token("alice").await).await.status(), 200);
    assert_eq!(app.db.audit_rows_by_type("user_sub_bound").await.expect("audit").len(), 1);
}

async fn unverified_unknown_and_inactive_users_are_refused(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    seed::user(&app.db, "carol@example.com", None, true).await;
    seed::user(&app.db, "bob@example.com", Some("bob-sub"), false).await;

    let carol = assert_error(me(&app, &peer.user_token("carol").await).await, 403, "USER_NOT_REGISTERED").await;
    assert_eq!(carol["detail"], "User not authorized. Contact administrator to request access.");
    assert_error(me(&app, &peer.user_token("bob").await).await, 403, "USER_INACTIVE").await;
    assert_error(me(&app, &peer.user_token("alice").await).await, 403, "USER_NOT_REGISTERED").await;
}

fn b64(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

async fn forged_and_invalid_tokens_are_all_401(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    let team = seed::team(&app.db, "ci", true).await;
    seed::oauth_client(&app.db, "m2m-a", team, true).await;
    let now = jsonwebtoken::get_current_timestamp();
    let good = peer.m2m_claims("m2m-a");
    let with = |patch: Value| {
        let mut c = good.clone();
        for (k, v) in patch.as_object().expect("object") {
            c[k] = v.clone();
        }
        c
    };

    // Control: a token signed with the provider's key and correct claims is accepted.
    assert_eq!(me(&app, &peer.sign(&good, None, None)).await.status(), 200);

    let (kid, _) = peer.signing_key();
    // The attacker's HMAC "secret" is the public key material the IdP publishes.
    let public_jwks = reqwest::get(format!("{}/jwks", peer.issuer)).await.expect("jwks").text().await.expect("text");
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header { kid: Some(kid.clone()), ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256) },
        &good,
        &jsonwebtoken::EncodingKey::from_secret(public_jwks.as_bytes()),
    )
    .expect("hs256");
    let valid = peer.sign(&good, None, None);
    let mut parts: Vec<&str> = valid.split('.').collect();
    let tampered_payload = b64(&with(json!({ "sub": "m2m-b", "client_id": "m2m-b" })));
    parts[1] = &tampered_payload;
    let tampered = parts.join(".");

    let cases: Vec<(&str, String)> = vec![
        ("alg none", format!("{}.{}.", b64(&json!({ "alg": "none", "typ": "JWT" })), b64(&good))),
        ("HS256 with the public key", hs256),
        ("expired", peer.sign(&with(json!({ "exp": now - 120 })), None, None)),
        ("not yet valid", peer.sign(&with(json!({ "nbf": now + 600 })), None, None)),
        ("wrong issuer", peer.sign(&with(json!({ "iss": "https://evil.example" })), None, None)),
        ("wrong audience", peer.sign(&with(json!({ "aud": "another-api" })), None, None)),
        ("unknown kid", peer.sign(&good, Some("no-such-kid"), None)),
        ("another key under a known kid", peer.sign(&good, Some(&kid), Some(&OidcPeer::foreign_key()))),
        ("tampered payload", tampered),
        ("not a JWT", "garbage".to_owned()),
        ("encrypted (five parts)", "a.b.c.d.e".to_owned()),
    ];
    for (name, token) in cases {
        let resp = me(&app, &token).await;
        assert_eq!(resp.status(), 401, "{name}");
        let www = resp.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(www.contains("error=\"invalid_token\""), "{name}: {www}");
        let body = json(resp).await;
        assert_eq!(body["error_code"], "UNAUTHENTICATED", "{name}");
        assert!(body["detail"].as_str().is_some_and(|d| d.starts_with("Token validation failed")), "{name}: {body}");
    }
}

async fn the_browser_sso_flow_opens_a_session_and_logout_offers_the_idp_logout(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    seed::user(&app.db, "alice@example.com", None, true).await;

    // Browser: /auth/login → IdP login form → /auth/callback → /app/.
    let page = app.client.get(app.url("/auth/login?next=/app/")).send().await.expect("login");
    assert!(page.url().as_str().starts_with(&format!("{}/interaction/", peer.issuer)), "{}", page.url());
    let action = format!("{}/login", page.url());
    let done = app.client.post(action).form(&[("username", "alice"), ("password", "password")]).send().await.expect("form");
    assert_eq!(done.url().as_str(), app.url("/app/"), "landed on the console");

    let body = json(app.get("/api/v1/auth/me").await).await;
    assert_eq!(body["email"], "alice@example.com");
    assert_eq!(body["actor_type"], "user");
    assert_eq!(body["auth_method"], "session");
    let logins = app.db.audit_rows_by_type("login").await.expect("audit");
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].event_data.as_deref(), Some(r#"{"method":"oidc"}"#));
    // The ID token (the logout hint) is stored sealed, never readable from the database.
    let hint: Option<String> = crate::on_pool!(&app.db, p => sqlx::query_scalar("select id_token_hint from sessions").fetch_one(p).await).expect("session row");
    let hint = hint.expect("an SSO session keeps a logout hint");
    assert!(hint.starts_with("v1:") && !hint.contains("eyJ"), "stored hint: {hint}");

    let out = json(app.post_json("/auth/logout", &json!({})).await).await;
    let url = out["logout_url"].as_str().expect("logout_url");
    assert!(url.starts_with(&format!("{}/session/end?", peer.issuer)), "{url}");
    assert!(url.contains("id_token_hint=eyJ") && url.contains("post_logout_redirect_uri="), "{url}");
    assert_error(app.get("/api/v1/auth/me").await, 401, "UNAUTHENTICATED").await;

    // A callback without the flow cookie, or with a forged state, never opens a session.
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let forged = no_redirect.get(app.url("/auth/callback?code=x&state=y")).send().await.expect("callback");
    assert_eq!(forged.status(), 302);
    assert_eq!(forged.headers()["location"], "/app/login?error=OIDC_LOGIN_FAILED");
}

/// `next` is kept when it is one of our paths; every known bypass lands on the console instead.
async fn after_sso_the_browser_returns_only_to_our_own_paths(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    seed::user(&app.db, "alice@example.com", None, true).await;
    let cases = [
        ("%2Fapp%2Frunners%3Fstatus%3Didle", "/app/runners?status=idle"),
        ("%2F%09%2Fevil.example", "/app/"),
        ("%2F%2Fevil.example", "/app/"),
        ("%2F%5Cevil.example", "/app/"),
        ("%2F%252F%252Fevil.example", "/app/"),
        ("https%3A%2F%2Fevil.example", "/app/"),
        ("javascript%3Aalert(1)", "/app/"),
    ];
    for (next, landing) in cases {
        // A fresh browser each time; redirects are followed (a bypass would leave for evil.example).
        let browser = reqwest::Client::builder().cookie_store(true).build().expect("client");
        let page = browser.get(app.url(&format!("/auth/login?next={next}"))).send().await.expect("login");
        let action = format!("{}/login", page.url());
        let done = browser.post(action).form(&[("username", "alice"), ("password", "password")]).send().await;
        let done = done.unwrap_or_else(|e| panic!("next={next}: the browser left our origin: {e}"));
        assert_eq!(done.url().as_str(), app.url(landing), "next={next}");
    }
}

/// `last_used_at` / `last_login_at` are written at most once a minute per principal, decided on
/// the row just read: while another connection holds the write lock (SQLite) or a lock that
/// every `UPDATE` waits for (PostgreSQL), repeated bearer requests still answer at once.
async fn a_bearer_request_within_a_minute_of_the_last_takes_no_write_lock(backend: Backend) {
    let peer = OidcPeer::shared().await;
    let app = oidc_app(backend, &peer).await;
    let team = seed::team(&app.db, "hot", true).await;
    seed::oauth_client(&app.db, "m2m-a", team, true).await;
    seed::user(&app.db, "alice@example.com", None, true).await;
    let (m2m, user) = (peer.m2m_token("m2m-a").await, peer.user_token("alice").await);
    // The first use of each is recorded.
    assert_eq!(me(&app, &m2m).await.status(), 200);
    assert_eq!(me(&app, &user).await.status(), 200);

    let locked = WriteLock::take(&app).await;
    for token in [&m2m, &user, &m2m, &user] {
        let resp = tokio::time::timeout(std::time::Duration::from_secs(3), me(&app, token)).await.expect("answered without waiting for a write");
        assert_eq!(resp.status(), 200);
    }
    locked.release().await;
}

/// A lock no write can pass while held.
enum WriteLock {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl WriteLock {
    async fn take(app: &TestApp) -> Self {
        use sqlx::Connection as _;
        match &app.db {
            server::db::Db::Sqlite(_) => {
                let mut c = sqlx::SqliteConnection::connect(&app.test_db.url).await.expect("connect");
                sqlx::query("begin immediate").execute(&mut c).await.expect("write lock");
                Self::Sqlite(c)
            }
            server::db::Db::Postgres(_) => {
                let mut c = sqlx::PgConnection::connect(&app.test_db.url).await.expect("connect");
                sqlx::query("begin").execute(&mut c).await.expect("begin");
                sqlx::query("lock table oauth_clients, users in share mode").execute(&mut c).await.expect("lock");
                Self::Postgres(c)
            }
        }
    }

    async fn release(self) {
        match self {
            Self::Sqlite(mut c) => sqlx::query("rollback").execute(&mut c).await.map(|_| ()),
            Self::Postgres(mut c) => sqlx::query("rollback").execute(&mut c).await.map(|_| ()),
        }
        .expect("rollback");
    }
}

/// The keys are fetched once, not per request, even under concurrent load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_jwks_fetch() {
    crate::skip_without!(OpenIdProvider);
    let peer = OidcPeer::private().await;
    let app = oidc_app(Backend::Sqlite, &peer).await;
    let team = seed::team(&app.db, "load", true).await;
    seed::oauth_client(&app.db, "m2m-a", team, true).await;
    let token = peer.m2m_token("m2m-a").await;
    let before = peer.hits().await;

    let calls = (0..64).map(|_| me(&app, &token));
    for resp in futures::future::join_all(calls).await {
        assert_eq!(resp.status(), 200);
    }
    let after = peer.hits().await;
    assert_eq!(after.0 - before.0, 1, "one JWKS fetch for 64 requests");
    assert_eq!(after.1 - before.1, 1, "one discovery fetch");

    // Unknown kids: one refetch per cooldown, however many arrive.
    for _ in 0..5 {
        assert_eq!(me(&app, &peer.sign(&peer.m2m_claims("m2m-a"), Some("rotated-away"), None)).await.status(), 401);
    }
    assert_eq!(peer.hits().await.0 - after.0, 1, "one refetch for five unknown kids");
}

/// The provider rotates its key: new tokens work after one refetch; old ones until the old key leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_is_followed() {
    crate::skip_without!(OpenIdProvider);
    let mut peer = OidcPeer::private().await;
    let app = app(Backend::Sqlite).env("OIDC_JWKS_CACHE_SECONDS", "0").oidc(&peer).start().await;
    let team = seed::team(&app.db, "rot", true).await;
    seed::oauth_client(&app.db, "m2m-a", team, true).await;
    // Stale keys answer at once and refresh behind the request: let each refresh finish before
    // the provider restarts (a refresh failing on the restart would start a back-off).
    let keys = app.state.auth.oidc().expect("oidc").keys.clone();
    let old = peer.m2m_token("m2m-a").await;
    assert_eq!(me(&app, &old).await.status(), 200);
    keys.settled().await;

    peer.restart_with("--add-key").await;
    let new = peer.m2m_token("m2m-a").await;
    assert_ne!(jsonwebtoken::decode_header(&new).expect("h").kid, jsonwebtoken::decode_header(&old).expect("h").kid);
    assert_eq!(me(&app, &new).await.status(), 200, "new key accepted");
    assert_eq!(me(&app, &old).await.status(), 200, "old key still published");
    keys.settled().await;

    peer.restart_with("--drop-last-key").await;
    assert_eq!(me(&app, &new).await.status(), 200);
    // That request refreshed the keys behind it; once done, the old key is gone.
    keys.settled().await;
    assert_eq!(me(&app, &old).await.status(), 401, "old key gone from the JWKS");
}

/// The IdP stops answering once the keys are cached: bearer requests keep their normal latency
/// on the stale keys, and the IdP sees one fetch, then nothing for the back-off (30–60 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idp_outage_costs_bearer_requests_no_latency_and_the_idp_one_fetch_per_backoff() {
    crate::skip_without!(OpenIdProvider);
    let peer = OidcPeer::private().await;
    let gate = JwksGate::start(&peer).await;
    let app = app(Backend::Sqlite)
        .oidc(&peer)
        .env("OIDC_JWKS_URL", &gate.jwks_url)
        .env("OIDC_JWKS_CACHE_SECONDS", "0")
        .env("OIDC_HTTP_TIMEOUT_SECONDS", "1")
        .start()
        .await;
    let keys = app.state.auth.oidc().expect("oidc").keys.clone();
    let team = seed::team(&app.db, "outage", true).await;
    seed::oauth_client(&app.db, "m2m-a", team, true).await;
    let token = peer.m2m_token("m2m-a").await;
    assert_eq!(me(&app, &token).await.status(), 200, "keys fetched while the IdP is up");
    keys.settled().await;

    gate.hang();
    let timed = |app: &TestApp, token: &str| {
        let (client, url, token) = (app.client.clone(), app.url("/api/v1/auth/me"), token.to_owned());
        async move {
            let started = std::time::Instant::now();
            let status = client.get(url).bearer_auth(token).send().await.expect("request").status();
            (status, started.elapsed())
        }
    };
    // While the first background fetch hangs, and after it failed (back-off): no waiting.
    for round in 0..2 {
        let answers = futures::future::join_all((0..50).map(|_| timed(&app, &token))).await;
        for (status, took) in answers {
            assert_eq!(status, 200, "round {round}: served from the stale keys");
            assert!(took < std::time::Duration::from_millis(800), "round {round}: a bearer request took {took:?}");
        }
        keys.settled().await;
    }
    assert!(gate.hung() <= 1, "{} fetches reached the hanging IdP; one failure must start a back-off", gate.hung());
}

/// Between the app and the provider's JWKS: forwards, or accepts and never answers (counting).
struct JwksGate {
    jwks_url: String,
    hanging: std::sync::Arc<std::sync::atomic::AtomicBool>,
    hung: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    forwards: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl JwksGate {
    async fn start(peer: &OidcPeer) -> Self {
        use std::sync::atomic::Ordering;
        let discovery: Value = reqwest::get(format!("{}/.well-known/openid-configuration", peer.issuer)).await.expect("discovery").json().await.expect("json");
        let mut jwks = url::Url::parse(discovery["jwks_uri"].as_str().expect("jwks_uri")).expect("url");
        let target = format!("127.0.0.1:{}", jwks.port().expect("port"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        jwks.set_port(Some(listener.local_addr().expect("addr").port())).expect("port");
        let gate = Self { jwks_url: jwks.to_string(), hanging: Default::default(), hung: Default::default(), forwards: Default::default() };
        let (hanging, hung, forwards) = (gate.hanging.clone(), gate.hung.clone(), gate.forwards.clone());
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                if hanging.load(Ordering::SeqCst) {
                    hung.fetch_add(1, Ordering::SeqCst);
                    held.push(inbound);
                    continue;
                }
                let target = target.clone();
                let forward = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                forwards.lock().expect("lock").push(forward);
            }
        });
        gate
    }

    /// From now on the IdP hangs; open (kept-alive) connections are cut.
    fn hang(&self) {
        self.hanging.store(true, std::sync::atomic::Ordering::SeqCst);
        for f in self.forwards.lock().expect("lock").drain(..) {
            f.abort();
        }
    }

    fn hung(&self) -> usize {
        self.hung.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The IdP is down and nothing is cached: 503, never 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_idp_is_503_not_401() {
    let app = app(Backend::Sqlite).env("OIDC_ISSUER", "http://127.0.0.1:9").env("OIDC_AUDIENCE", AUDIENCE).start().await;
    let resp = me(&app, "eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.eyJzdWIiOiJ4In0.c2ln").await;
    assert_eq!(resp.headers()["retry-after"], "30");
    assert_error(resp, 503, "IDP_UNAVAILABLE").await;
}
