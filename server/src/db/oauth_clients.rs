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
    /// Last bearer use, written at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl Db {
    /// The registration for an IdP client id.
    pub async fn find_oauth_client(&self, client_id: &str) -> Result<Option<ClientWithTeam>, DbError> {
        Ok(on_pool!(self, p => {
            sqlx::query_as::<_, ClientWithTeam>(
                "select c.id, c.client_id, c.is_active, c.team_id, t.name as team_name, t.is_active as team_active, c.last_used_at \
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

// ---------------------------------------------------------------------------------------------
// Administration (API.md §11).

use super::audit::{NewAudit, append_in_tx};
use super::filter::{Arg, Filters};
use super::plan::ListStatements;
use super::{conflict_or, now};

/// A registration as the admin API shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OAuthClientRow {
    /// Registration id.
    pub id: Uuid,
    /// The `IdP` client id.
    pub client_id: String,
    /// Bound team.
    pub team_id: Uuid,
    /// Team name.
    pub team_name: String,
    /// Free text.
    pub description: Option<String>,
    pub is_active: bool,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
    /// Creating admin's identity.
    pub created_by: Option<String>,
    /// Last use.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A registration to create.
#[derive(Debug, Clone)]
pub struct NewOAuthClient {
    pub id: Uuid,
    /// The `IdP` client id.
    pub client_id: String,
    /// Bound team.
    pub team_id: Uuid,
    /// Free text.
    pub description: Option<String>,
    /// Creating admin's identity.
    pub created_by: String,
}

/// What [`Db::patch_oauth_client`] writes.
#[derive(Debug, Default)]
pub struct ClientWrite {
    /// New `(description, is_active)`; `None` leaves the row as it is.
    pub update: Option<(Option<String>, bool)>,
    /// The audit row (of a change or of a refusal).
    pub audit: Option<NewAudit>,
}

const CLIENT_SELECT: &str = "select c.id, c.client_id, c.team_id, t.name as team_name, c.description, c.is_active, \
     c.created_at, c.updated_at, c.created_by, c.last_used_at from oauth_clients c join teams t on t.id = c.team_id";

impl Db {
    /// A registration by its internal id.
    pub async fn find_oauth_client_by_id(&self, id: Uuid) -> Result<Option<OAuthClientRow>, DbError> {
        let sql = sqlx::AssertSqlSafe(format!("{CLIENT_SELECT} where c.id = $1"));
        Ok(on_pool!(self, p => sqlx::query_as::<_, OAuthClientRow>(sql).bind(id).fetch_optional(p).await?))
    }

    /// The team's active registration, if any.
    pub async fn active_oauth_client_of_team(&self, team_id: Uuid) -> Result<Option<OAuthClientRow>, DbError> {
        let sql = sqlx::AssertSqlSafe(format!("{CLIENT_SELECT} where c.team_id = $1 and c.is_active"));
        Ok(on_pool!(self, p => sqlx::query_as::<_, OAuthClientRow>(sql).bind(team_id).fetch_optional(p).await?))
    }

    /// The page and the total of [`Db::list_oauth_clients`].
    pub fn oauth_client_list_statements(&self, team_id: Option<Uuid>, active_only: bool, limit: i64, offset: i64) -> ListStatements {
        let mut w = Filters::default();
        w.equals("c.team_id", team_id.map(Arg::Uuid));
        if active_only {
            w.push("c.is_active".into());
        }
        let filter = w.where_sql();
        let count_sql = format!("select count(*) from oauth_clients c{filter}");
        ListStatements::paged(count_sql, &w, &w, |l, o| format!("{CLIENT_SELECT}{filter} order by c.created_at desc, c.id limit {l} offset {o}"), limit, offset)
    }

    /// A page of registrations (`created_at` descending, then id) and the total.
    pub async fn list_oauth_clients(&self, team_id: Option<Uuid>, active_only: bool, limit: i64, offset: i64) -> Result<(Vec<OAuthClientRow>, i64), DbError> {
        self.fetch_list(self.oauth_client_list_statements(team_id, active_only, limit, offset)).await
    }

    /// Registers a client (active) with its audit row; `Conflict` when the client id is taken
    /// or the team already has an active registration.
    pub async fn insert_oauth_client(&self, c: &NewOAuthClient, audit: NewAudit) -> Result<(), DbError> {
        let ts = now();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "insert into oauth_clients (id, client_id, team_id, description, is_active, created_at, updated_at, created_by) \
                 values ($1, $2, $3, $4, true, $5, $5, $6)",
            )
            .bind(c.id)
            .bind(&c.client_id)
            .bind(c.team_id)
            .bind(&c.description)
            .bind(ts)
            .bind(&c.created_by)
            .execute(&mut *tx)
            .await
            .map_err(conflict_or)?;
            append_in_tx!(tx, audit).await?;
            tx.commit().await?
        });
        Ok(())
    }

    /// Changes a registration in one transaction that starts by locking its row. `decide` sees
    /// the row and the client id of *another* active registration of the same team, if any.
    /// `None` if no such registration; `Conflict` if the one-active-per-team index refuses.
    pub async fn patch_oauth_client<R>(
        &self,
        id: Uuid,
        decide: impl FnOnce(&OAuthClientRow, Option<String>) -> (ClientWrite, R),
    ) -> Result<Option<R>, DbError> {
        let select = sqlx::AssertSqlSafe(format!("{CLIENT_SELECT} where c.id = $1"));
        let ts = now();
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            // Write first: the row lock (PostgreSQL) or the write lock (SQLite).
            let found = sqlx::query("update oauth_clients set updated_at = updated_at where id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            if found == 0 {
                tx.rollback().await?;
                None
            } else {
                let row = sqlx::query_as::<_, OAuthClientRow>(select).bind(id).fetch_one(&mut *tx).await?;
                let other: Option<String> = sqlx::query_scalar("select client_id from oauth_clients where team_id = $1 and is_active and id <> $2")
                    .bind(row.team_id)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let (write, out) = decide(&row, other);
                if let Some((description, is_active)) = &write.update {
                    sqlx::query("update oauth_clients set description = $2, is_active = $3, updated_at = $4 where id = $1")
                        .bind(id)
                        .bind(description)
                        .bind(is_active)
                        .bind(ts)
                        .execute(&mut *tx)
                        .await
                        .map_err(conflict_or)?;
                }
                if let Some(audit) = write.audit {
                    append_in_tx!(tx, audit).await?;
                }
                tx.commit().await?;
                Some(out)
            }
        }))
    }

    /// Deletes a registration (hard) with its audit row; false if there was none. Runners it
    /// provisioned keep their team and `provisioned_by` but lose the link to the registration.
    pub async fn delete_oauth_client(&self, id: Uuid, audit: NewAudit) -> Result<bool, DbError> {
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("update runners set owner_client_id = null where owner_client_id = $1").bind(id).execute(&mut *tx).await?;
            let n = sqlx::query("delete from oauth_clients where id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                append_in_tx!(tx, audit).await?;
                tx.commit().await?;
                true
            } else {
                tx.rollback().await?;
                false
            }
        }))
    }
}
