//! OAuth (M2M) client registrations.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Db, DbError};

/// A registration with its team's name and state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientWithTeam {
    /// Registration id.
    pub id: Uuid,
    /// The IdP client id.
    pub client_id: String,
    /// Registration active.
    pub is_active: bool,
    /// Bound team.
    pub team_id: Uuid,
    /// Team name.
    pub team_name: String,
    /// Team active.
    pub team_active: bool,
}

impl Db {
    /// The registration for an IdP client id.
    pub async fn find_oauth_client(&self, client_id: &str) -> Result<Option<ClientWithTeam>, DbError> {
        Ok(on_pool!(self, p => {
            sqlx::query_as::<_, ClientWithTeam>(
                "select c.id, c.client_id, c.is_active, c.team_id, t.name as team_name, t.is_active as team_active \
                 from oauth_clients c join teams t on t.id = c.team_id where c.client_id = $1",
            )
            .bind(client_id)
            .fetch_optional(p)
            .await?
        }))
    }

    /// Records use, at most once a minute per client.
    pub async fn touch_oauth_client(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), DbError> {
        let threshold = at - chrono::Duration::seconds(60);
        on_pool!(self, p => {
            sqlx::query("update oauth_clients set last_used_at = $1 where id = $2 and (last_used_at is null or last_used_at < $3)")
                .bind(at)
                .bind(id)
                .bind(threshold)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(())
    }
}
