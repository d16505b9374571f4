//! Failed local logins, counted per (lower-cased username, client IP) for the limiter.

use chrono::{DateTime, Utc};

use super::{Db, DbError};

impl Db {
    /// Failures for the key since `since`: how many, and the oldest one's time.
    pub async fn recent_login_failures(&self, username_lower: &str, client_ip: &str, since: DateTime<Utc>) -> Result<(i64, Option<DateTime<Utc>>), DbError> {
        Ok(on_pool!(self, p => {
            sqlx::query_as::<_, (i64, Option<DateTime<Utc>>)>(
                "select count(*), min(failed_at) from login_failures \
                 where username_lower = $1 and client_ip = $2 and failed_at > $3",
            )
            .bind(username_lower)
            .bind(client_ip)
            .bind(since)
            .fetch_one(p)
            .await?
        }))
    }

    /// Records a failure and drops those older than `prune_before` for the same key.
    pub async fn record_login_failure(&self, username_lower: &str, client_ip: &str, at: DateTime<Utc>, prune_before: DateTime<Utc>) -> Result<(), DbError> {
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("insert into login_failures (username_lower, client_ip, failed_at) values ($1, $2, $3)")
                .bind(username_lower)
                .bind(client_ip)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            sqlx::query("delete from login_failures where username_lower = $1 and client_ip = $2 and failed_at <= $3")
                .bind(username_lower)
                .bind(client_ip)
                .bind(prune_before)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?
        });
        Ok(())
    }

    /// Clears the key after a successful login.
    pub async fn clear_login_failures(&self, username_lower: &str, client_ip: &str) -> Result<(), DbError> {
        on_pool!(self, p => {
            sqlx::query("delete from login_failures where username_lower = $1 and client_ip = $2")
                .bind(username_lower)
                .bind(client_ip)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(())
    }
}
