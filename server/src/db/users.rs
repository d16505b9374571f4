//! Users and local accounts.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{NewAudit, append_in_tx};
use super::models::UserRow;
use super::{Db, DbError, conflict_or, now};

/// A new local account (bootstrap or CLI).
#[derive(Debug, Clone)]
pub struct NewLocalUser {
    /// Id (chosen by the caller so its audit row can name it).
    pub id: Uuid,
    /// Account name.
    pub username: String,
    /// Optional email.
    pub email: Option<String>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Admin role (and `can_use_jit`).
    pub is_admin: bool,
    /// `system` (bootstrap) or `cli`.
    pub created_by: String,
}

/// The result of an insert that may lose a race to another writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// This call created the row.
    New(Uuid),
    /// A row with that username already existed; nothing was changed.
    AlreadyExists,
}

pub(crate) const USER_COLUMNS: &str = "id, email, oidc_sub, username, password_hash, display_name, is_admin, is_active, \
     can_use_jit, created_at, updated_at, last_login_at, created_by";

impl Db {
    /// A user by id.
    pub async fn find_user_by_id(&self, id: Uuid) -> Result<Option<UserRow>, DbError> {
        let sql = sqlx::AssertSqlSafe(format!("select {USER_COLUMNS} from users where id = $1"));
        Ok(on_pool!(self, p => sqlx::query_as::<_, UserRow>(sql).bind(id).fetch_optional(p).await?))
    }

    /// A local account by username (case-insensitive).
    pub async fn find_user_by_username(&self, username: &str) -> Result<Option<UserRow>, DbError> {
        let sql = sqlx::AssertSqlSafe(format!("select {USER_COLUMNS} from users where lower(username) = lower($1)"));
        Ok(on_pool!(self, p => sqlx::query_as::<_, UserRow>(sql).bind(username).fetch_optional(p).await?))
    }

    /// Creates a local account and its audit row in one transaction, unless the username
    /// exists (never touching the existing row). Safe when several replicas race.
    pub async fn create_local_user(&self, user: &NewLocalUser, audit: NewAudit) -> Result<Created, DbError> {
        let id = user.id;
        let ts = now();
        let created = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let inserted = sqlx::query(
                "insert into users (id, email, username, password_hash, display_name, is_admin, is_active, can_use_jit, \
                 created_at, updated_at, created_by) values ($1, $2, $3, $4, $3, $5, true, $5, $6, $6, $7) \
                 on conflict do nothing",
            )
            .bind(id)
            .bind(&user.email)
            .bind(&user.username)
            .bind(&user.password_hash)
            .bind(user.is_admin)
            .bind(ts)
            .bind(&user.created_by)
            .execute(&mut *tx)
            .await
            .map_err(conflict_or)?
            .rows_affected();
            if inserted == 1 {
                append_in_tx!(tx, audit).await?;
                tx.commit().await?;
                Created::New(id)
            } else {
                tx.rollback().await?;
                Created::AlreadyExists
            }
        });
        if created == Created::AlreadyExists && self.find_user_by_username(&user.username).await?.is_none() {
            // The conflict was on another unique column (the email).
            return Err(DbError::Conflict("users_email_lower_key".to_owned()));
        }
        Ok(created)
    }

    /// Replaces a local account's password hash and audits it; false if no such account.
    pub async fn set_user_password(&self, username: &str, password_hash: &str, audit: NewAudit) -> Result<bool, DbError> {
        let ts = now();
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let id: Option<Uuid> = sqlx::query_scalar(
                "update users set password_hash = $1, updated_at = $2 where lower(username) = lower($3) returning id",
            )
            .bind(password_hash)
            .bind(ts)
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
            match id {
                Some(id) => {
                    // A new password ends every session opened with the old one.
                    let ended = sqlx::query("delete from sessions where user_id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
                    let mut audit = audit;
                    audit.event_data =
                        Some(serde_json::json!({ "user_id": id.to_string(), "changes": { "password": ["***", "***"] }, "sessions_ended": ended }));
                    append_in_tx!(tx, audit).await?;
                    tx.commit().await?;
                    true
                }
                None => false,
            }
        }))
    }

    /// Records a login, at most once a minute per user.
    pub async fn touch_user_login(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), DbError> {
        let threshold = at - chrono::Duration::seconds(60);
        on_pool!(self, p => {
            sqlx::query("update users set last_login_at = $1 where id = $2 and (last_login_at is null or last_login_at < $3)")
                .bind(at)
                .bind(id)
                .bind(threshold)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// The user's active teams (not the virtual admins team), ordered by name.
    pub async fn active_teams_of_user(&self, user_id: Uuid) -> Result<Vec<(Uuid, String)>, DbError> {
        Ok(on_pool!(self, p => {
            sqlx::query_as::<_, (Uuid, String)>(
                "select t.id, t.name from teams t join team_members m on m.team_id = t.id \
                 where m.user_id = $1 and t.is_active and not t.is_system order by t.name, t.id",
            )
            .bind(user_id)
            .fetch_all(p)
            .await?
        }))
    }
}

/// The outcome of binding an OIDC subject to a user found by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bind {
    /// This call bound it.
    Bound,
    /// The user got another subject first (or the subject belongs to another user).
    Lost,
}

impl Db {
    /// A user by bound OIDC subject.
    pub async fn find_user_by_sub(&self, sub: &str) -> Result<Option<UserRow>, DbError> {
        let sql = sqlx::AssertSqlSafe(format!("select {USER_COLUMNS} from users where oidc_sub = $1"));
        Ok(on_pool!(self, p => sqlx::query_as::<_, UserRow>(sql).bind(sub).fetch_optional(p).await?))
    }

    /// Users with this email (case-insensitive) and no bound subject.
    pub async fn find_unbound_users_by_email(&self, email: &str) -> Result<Vec<UserRow>, DbError> {
        let sql = sqlx::AssertSqlSafe(format!("select {USER_COLUMNS} from users where lower(email) = lower($1) and oidc_sub is null order by id"));
        Ok(on_pool!(self, p => sqlx::query_as::<_, UserRow>(sql).bind(email).fetch_all(p).await?))
    }

    /// Binds `sub` to a user that has none yet, with its audit row, in one transaction.
    pub async fn bind_user_sub(&self, user_id: Uuid, sub: &str, audit: NewAudit) -> Result<Bind, DbError> {
        let ts = now();
        let result: Result<Bind, DbError> = on_pool!(self, p => {
            async {
                let mut tx = p.begin().await?;
                let n = sqlx::query("update users set oidc_sub = $1, updated_at = $2 where id = $3 and oidc_sub is null")
                    .bind(sub)
                    .bind(ts)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict_or)?
                    .rows_affected();
                if n == 1 {
                    append_in_tx!(tx, audit).await?;
                    tx.commit().await?;
                    Ok(Bind::Bound)
                } else {
                    Ok(Bind::Lost)
                }
            }
            .await
        });
        match result {
            Err(DbError::Conflict(_)) => Ok(Bind::Lost),
            other => other,
        }
    }
}
