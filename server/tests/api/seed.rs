//! Arranging rows directly (the admin API for teams, users and clients comes with the API issue).

use chrono::Utc;
use server::db::Db;
use uuid::Uuid;

/// Runs one arranging statement on either pool.
macro_rules! run {
    ($db:expr, $p:ident => $body:expr) => {
        crate::on_pool!($db, $p => $body.map(|_| ())).expect("seed")
    };
}

/// A team; returns its id.
pub async fn team(db: &Db, name: &str, active: bool) -> Uuid {
    let id = Uuid::new_v4();
    let now = Utc::now();
    run!(db, p => sqlx::query("insert into teams (id, name, is_active, allowed_runner_group_ids, default_runner_group_id, created_at, updated_at) values ($1, $2, $3, '[1]', 1, $4, $4)")
        .bind(id).bind(name).bind(active).bind(now).execute(p).await);
    id
}

/// An M2M registration of `client_id` for `team_id`.
pub async fn oauth_client(db: &Db, client_id: &str, team_id: Uuid, active: bool) {
    let now = Utc::now();
    run!(db, p => sqlx::query("insert into oauth_clients (id, client_id, team_id, is_active, created_at, updated_at) values ($1, $2, $3, $4, $5, $5)")
        .bind(Uuid::new_v4()).bind(client_id).bind(team_id).bind(active).bind(now).execute(p).await);
}

/// A user known by email (and optionally subject); returns its id.
pub async fn user(db: &Db, email: &str, sub: Option<&str>, active: bool) -> Uuid {
    let id = Uuid::new_v4();
    let now = Utc::now();
    run!(db, p => sqlx::query("insert into users (id, email, oidc_sub, is_admin, is_active, can_use_jit, created_at, updated_at, created_by) values ($1, $2, $3, false, $4, true, $5, $5, 'test')")
        .bind(id).bind(email).bind(sub).bind(active).bind(now).execute(p).await);
    id
}

/// Adds a membership.
pub async fn member(db: &Db, team_id: Uuid, user_id: Uuid) {
    let now = Utc::now();
    run!(db, p => sqlx::query("insert into team_members (team_id, user_id, joined_at, added_by) values ($1, $2, $3, 'test')")
        .bind(team_id).bind(user_id).bind(now).execute(p).await);
}

/// Moves a runner's reclaim time (`expires_at`), e.g. into the past.
pub async fn runner_expiry(db: &Db, runner_id: Uuid, at: chrono::DateTime<Utc>) {
    run!(db, p => sqlx::query("update runners set expires_at = $2 where id = $1").bind(runner_id).bind(at).execute(p).await);
}
