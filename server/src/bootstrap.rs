//! The bootstrap admin (API.md §2.6): created at start when configured and absent.
//!
//! Idempotent across restarts and across replicas starting at once: the insert is
//! `on conflict do nothing` on the unique username, and the audit row is written in the same
//! transaction only by the replica whose insert won. An existing user is never changed.

use anyhow::Context;
use serde_json::json;

use crate::auth::password::hash_password;
use crate::config::LocalAuthConfig;
use crate::db::audit::NewAudit;
use crate::db::users::{Created, NewLocalUser};
use crate::db::{Db, DbError};

/// Creates the bootstrap admin if configured and missing. Returns whether it was created.
pub async fn ensure_bootstrap_admin(db: &Db, cfg: &LocalAuthConfig) -> anyhow::Result<bool> {
    let Some(password) = cfg.bootstrap_password.clone() else {
        return Ok(false);
    };
    let username = &cfg.bootstrap_username;
    if db.find_user_by_username(username).await?.is_some() {
        tracing::debug!(user.name = %username, "bootstrap admin already exists");
        return Ok(false);
    }
    let password_hash = hash_password(password).await?;
    let user = NewLocalUser {
        id: uuid::Uuid::new_v4(),
        username: username.clone(),
        email: cfg.bootstrap_email.clone(),
        password_hash,
        is_admin: true,
        created_by: "system".to_owned(),
    };
    let audit = NewAudit {
        event_type: "bootstrap_admin_created".to_owned(),
        actor_type: "system".to_owned(),
        user_identity: "system".to_owned(),
        event_data: Some(json!({ "username": username })),
        success: true,
        ..Default::default()
    };
    match db.create_local_user(&user, audit).await {
        Ok(Created::New(id)) => {
            tracing::info!(user.id = %id, user.name = %username, "bootstrap admin created");
            Ok(true)
        }
        Ok(Created::AlreadyExists) => Ok(false),
        Err(DbError::Conflict(_)) => anyhow::bail!("BOOTSTRAP_ADMIN_EMAIL: another user already has this email; the bootstrap admin was not created"),
        Err(e) => Err(e).context("creating the bootstrap admin"),
    }
}
