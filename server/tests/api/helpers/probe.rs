//! Read-only questions the tests ask the database directly, which production never asks
//! (so they are not methods of the server's `Db`).

use server::db::Db;
use server::db::models::AuditRow;

/// Counting queries for assertions.
pub trait Probe {
    /// Users with this username (case-insensitively).
    async fn count_users_named(&self, username: &str) -> Result<i64, sqlx::Error>;
    /// Security events of one type.
    async fn count_security_events(&self, event_type: &str) -> Result<i64, sqlx::Error>;
    /// Audit rows of one event type, oldest first.
    async fn audit_rows_by_type(&self, event_type: &str) -> Result<Vec<AuditRow>, sqlx::Error>;
}

impl Probe for Db {
    async fn count_users_named(&self, username: &str) -> Result<i64, sqlx::Error> {
        crate::on_pool!(self, p => sqlx::query_scalar("select count(*) from users where lower(username) = lower($1)").bind(username).fetch_one(p).await)
    }

    async fn count_security_events(&self, event_type: &str) -> Result<i64, sqlx::Error> {
        crate::on_pool!(self, p => sqlx::query_scalar("select count(*) from security_events where event_type = $1").bind(event_type).fetch_one(p).await)
    }

    async fn audit_rows_by_type(&self, event_type: &str) -> Result<Vec<AuditRow>, sqlx::Error> {
        crate::on_pool!(self, p => sqlx::query_as("select * from audit_log where event_type = $1 order by id").bind(event_type).fetch_all(p).await)
    }
}
