//! Browser sessions, stored by the SHA-256 of the cookie value.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::models::SessionRow;
use super::{Db, DbError};

/// A session to create.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Hex SHA-256 of the cookie value.
    pub id_hash: String,
    /// The user.
    pub user_id: Uuid,
    /// `local` or `oidc`.
    pub auth_method: &'static str,
    pub created_at: DateTime<Utc>,
    /// Idle expiry.
    pub idle_expires_at: DateTime<Utc>,
    /// Absolute expiry.
    pub absolute_expires_at: DateTime<Utc>,
    /// Client address at login.
    pub client_ip: Option<String>,
    /// User agent at login.
    pub user_agent: Option<String>,
    /// The ID token of an OIDC login (for RP-initiated logout).
    pub id_token_hint: Option<String>,
}

impl Db {
    /// Stores a new session.
    pub async fn insert_session(&self, s: &NewSession) -> Result<(), DbError> {
        on_pool!(self, p => {
            sqlx::query(
                "insert into sessions (id_hash, user_id, auth_method, created_at, last_seen_at, idle_expires_at, \
                 absolute_expires_at, client_ip, user_agent, id_token_hint) values ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&s.id_hash)
            .bind(s.user_id)
            .bind(s.auth_method)
            .bind(s.created_at)
            .bind(s.idle_expires_at)
            .bind(s.absolute_expires_at)
            .bind(&s.client_ip)
            .bind(&s.user_agent)
            .bind(&s.id_token_hint)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// A session by the hash of its cookie value.
    pub async fn find_session(&self, id_hash: &str) -> Result<Option<SessionRow>, DbError> {
        Ok(on_pool!(self, p => {
            sqlx::query_as::<_, SessionRow>(
                "select id_hash, user_id, auth_method, created_at, last_seen_at, idle_expires_at, absolute_expires_at, \
                 id_token_hint from sessions where id_hash = $1",
            )
            .bind(id_hash)
            .fetch_optional(p)
            .await?
        }))
    }

    /// Extends the idle expiry after activity.
    pub async fn touch_session(&self, id_hash: &str, seen: DateTime<Utc>, idle_expires_at: DateTime<Utc>) -> Result<(), DbError> {
        on_pool!(self, p => {
            sqlx::query("update sessions set last_seen_at = $1, idle_expires_at = $2 where id_hash = $3")
                .bind(seen)
                .bind(idle_expires_at)
                .bind(id_hash)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Ends one session.
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), DbError> {
        on_pool!(self, p => sqlx::query("delete from sessions where id_hash = $1").bind(id_hash).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Removes sessions past their idle or absolute expiry; returns how many.
    pub async fn purge_expired_sessions(&self, at: DateTime<Utc>) -> Result<u64, DbError> {
        Ok(on_pool!(self, p => {
            sqlx::query("delete from sessions where idle_expires_at <= $1 or absolute_expires_at <= $1").bind(at).execute(p).await?.rows_affected()
        }))
    }

    /// Ends every session of a user (deactivation).
    pub async fn delete_user_sessions(&self, user_id: Uuid) -> Result<(), DbError> {
        on_pool!(self, p => sqlx::query("delete from sessions where user_id = $1").bind(user_id).execute(p).await?.rows_affected());
        Ok(())
    }
}
