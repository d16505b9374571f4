//! Runners: the quota-checked reservation, lifecycle updates, and visibility-scoped listing
//! (filtering and paging in SQL).

use app::contract::RunnerLifecycle;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::audit::{NewAudit, append_in_tx};
use super::filter::{Arg, Filters};
use super::plan::ListStatements;
use super::{Db, DbError, conflict_or, now};

/// A runner with its team's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunnerRow {
    /// The row's id (a UUID).
    pub id: Uuid,
    /// The runner's name, unique among live runners (case-insensitively).
    pub runner_name: String,
    /// Lifecycle status.
    #[sqlx(try_from = "String")]
    pub status: RunnerLifecycle,
    /// GitHub's id.
    pub github_runner_id: Option<i64>,
    /// The GitHub runner group it registers in.
    pub runner_group_id: i64,
    /// Final labels.
    pub labels: Json<Vec<String>>,
    /// Always true.
    pub ephemeral: bool,
    /// The owning team's id.
    pub team_id: Option<Uuid>,
    /// The owning team's current name, resolved when read.
    pub team_name: Option<String>,
    /// Provisioner's identity.
    pub provisioned_by: String,
    /// Provisioner's user id.
    pub owner_user_id: Option<Uuid>,
    /// Provisioner's OAuth client registration.
    pub owner_client_id: Option<Uuid>,
    /// GitHub's status.
    pub github_status: Option<String>,
    /// GitHub's busy flag.
    pub busy: Option<bool>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
    /// First online.
    pub registered_at: Option<DateTime<Utc>>,
    /// Reclaim time of a pending runner.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the runner was deleted (`null` while it lives).
    pub deleted_at: Option<DateTime<Utc>>,
    /// Why it was deleted (API.md §3.1), `null` while it lives.
    pub deletion_reason: Option<String>,
}

const RUNNER_SELECT: &str = "select r.id, r.runner_name, r.status, r.github_runner_id, r.runner_group_id, r.labels, r.ephemeral, \
     r.team_id, t.name as team_name, r.provisioned_by, r.owner_user_id, r.owner_client_id, r.github_status, r.busy, \
     r.created_at, r.updated_at, r.registered_at, r.expires_at, r.deleted_at, r.deletion_reason \
     from runners r left join teams t on t.id = r.team_id";

/// A runner to reserve (status `pending`, no GitHub id yet).
#[derive(Debug, Clone)]
pub struct NewRunner {
    /// The row's id (a UUID).
    pub id: Uuid,
    /// The runner's name, unique among live runners (case-insensitively).
    pub runner_name: String,
    /// The GitHub runner group it registers in.
    pub runner_group_id: i64,
    /// Final labels.
    pub labels: Vec<String>,
    /// The owning team's id.
    pub team_id: Uuid,
    /// Provisioner identity.
    pub provisioned_by: String,
    /// `user`, `m2m` or `local_admin`.
    pub actor_type: String,
    /// Provisioner's user id.
    pub owner_user_id: Option<Uuid>,
    /// Provisioner's OAuth client.
    pub owner_client_id: Option<Uuid>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// Reclaim time.
    pub expires_at: DateTime<Utc>,
}

/// GitHub's report of one runner, as it is to be stored.
#[derive(Debug, Clone)]
pub struct GitHubState {
    /// Runner.
    pub id: Uuid,
    /// New lifecycle status.
    pub status: RunnerLifecycle,
    /// GitHub's status.
    pub github_status: String,
    /// GitHub's busy flag.
    pub busy: bool,
    /// First-online time, when this report is the first online one.
    pub registered_at: Option<DateTime<Utc>>,
}

/// Quota figures inside the reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaLimits {
    /// Team quota.
    pub max_runners: Option<i64>,
    /// Per-principal quota.
    pub max_per_owner: Option<i64>,
}

/// The outcome of a reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// Inserted.
    Reserved,
    /// The team quota is used up (current count).
    TeamQuota(i64),
    /// The per-principal quota is used up (current count).
    OwnerQuota(i64),
}

/// Runner list filters (all optional; visibility is applied on top).
#[derive(Debug, Clone, Default)]
pub struct RunnerFilter {
    /// Statuses (default: all but deleted).
    pub statuses: Vec<RunnerLifecycle>,
    /// Ephemeral flag.
    pub ephemeral: Option<bool>,
    /// Team name (exact).
    pub team_name: Option<String>,
    /// The owning team's id.
    pub team_id: Option<Uuid>,
    /// Runner name (case-insensitive exact).
    pub runner_name: Option<String>,
    /// Part of the runner name (case-insensitive).
    pub name_contains: Option<String>,
    /// GitHub id.
    pub github_runner_id: Option<i64>,
    /// Provisioner identity (exact).
    pub provisioned_by: Option<String>,
}

/// Who is asking, for visibility (API.md §7.3).
#[derive(Debug, Clone)]
pub enum Visibility {
    /// Admins: everything.
    All,
    /// An M2M client: its team.
    Team(Uuid),
    /// A user: runners whose stored owner is this user id, and their teams' runners (never a
    /// text match on `provisioned_by`: another principal's email or name could equal it).
    User {
        /// User id.
        id: Uuid,
    },
}

/// Counting runners: not deleted, not an expired pending one. `$1` = now.
const COUNTING: &str = "r.status in ('pending', 'idle', 'busy', 'offline') and not (r.status = 'pending' and r.expires_at <= $1)";

impl Db {
    /// One runner.
    pub async fn find_runner(&self, id: Uuid) -> Result<Option<RunnerRow>, DbError> {
        let sql = sqlx::AssertSqlSafe(format!("{RUNNER_SELECT} where r.id = $1"));
        Ok(on_pool!(self, p => sqlx::query_as::<_, RunnerRow>(sql).bind(id).fetch_optional(p).await?))
    }

    /// The runner GitHub knows by this id.
    pub async fn find_runner_by_github_id(&self, github_id: i64) -> Result<Option<RunnerRow>, DbError> {
        let sql = sqlx::AssertSqlSafe(format!("{RUNNER_SELECT} where r.github_runner_id = $1 order by r.created_at desc limit 1"));
        Ok(on_pool!(self, p => sqlx::query_as::<_, RunnerRow>(sql).bind(github_id).fetch_optional(p).await?))
    }

    /// Whether a live (not deleted) runner has this name (case-insensitive).
    pub async fn live_name_taken(&self, name: &str) -> Result<bool, DbError> {
        let n: i64 = on_pool!(self, p => {
            sqlx::query_scalar("select count(*) from runners where lower(runner_name) = lower($1) and status <> 'deleted'").bind(name).fetch_one(p).await?
        });
        Ok(n > 0)
    }

    /// Counting runners of a team, and of one owner in it (user id or client id).
    pub async fn quota_usage(&self, team_id: Uuid, owner: (Option<Uuid>, Option<Uuid>)) -> Result<(i64, i64), DbError> {
        let team_sql = sqlx::AssertSqlSafe(format!("select count(*) from runners r where r.team_id = $2 and {COUNTING}"));
        let owner_sql = sqlx::AssertSqlSafe(format!(
            "select count(*) from runners r where r.team_id = $2 and {COUNTING} and (r.owner_user_id = $3 or r.owner_client_id = $4)"
        ));
        let ts = now();
        Ok(on_pool!(self, p => {
            let team: i64 = sqlx::query_scalar(team_sql).bind(ts).bind(team_id).fetch_one(p).await?;
            let mine: i64 = sqlx::query_scalar(owner_sql).bind(ts).bind(team_id).bind(owner.0).bind(owner.1).fetch_one(p).await?;
            (team, mine)
        }))
    }

    /// Checks the quota and inserts the pending runner in one transaction, serialised per team
    /// (the first statement locks the team row — the write lock in SQLite). A live name
    /// clash is `Conflict`.
    pub async fn reserve_runner(&self, r: &NewRunner, limits: QuotaLimits) -> Result<Reservation, DbError> {
        let team_sql = sqlx::AssertSqlSafe(format!("select count(*) from runners r where r.team_id = $2 and {COUNTING}"));
        let owner_sql = sqlx::AssertSqlSafe(format!(
            "select count(*) from runners r where r.team_id = $2 and {COUNTING} and (r.owner_user_id = $3 or r.owner_client_id = $4)"
        ));
        let ts = now();
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            // With a quota, lock the team row first: concurrent reservations of one team queue
            // here, so the count below is exact. Without one there is nothing to count.
            if limits.max_runners.is_some() || limits.max_per_owner.is_some() {
                sqlx::query("update teams set updated_at = updated_at where id = $1").bind(r.team_id).execute(&mut *tx).await?;
            }
            if let Some(max) = limits.max_runners {
                let team: i64 = sqlx::query_scalar(team_sql).bind(ts).bind(r.team_id).fetch_one(&mut *tx).await?;
                if team >= max {
                    return Ok(Reservation::TeamQuota(team));
                }
            }
            if let Some(max) = limits.max_per_owner {
                let mine: i64 = sqlx::query_scalar(owner_sql).bind(ts).bind(r.team_id).bind(r.owner_user_id).bind(r.owner_client_id).fetch_one(&mut *tx).await?;
                if mine >= max {
                    return Ok(Reservation::OwnerQuota(mine));
                }
            }
            sqlx::query(
                "insert into runners (id, runner_name, status, runner_group_id, labels, ephemeral, team_id, provisioned_by, actor_type, \
                 owner_user_id, owner_client_id, created_at, updated_at, expires_at) \
                 values ($1, $2, 'pending', $3, $4, true, $5, $6, $7, $8, $9, $10, $10, $11)",
            )
            .bind(r.id)
            .bind(&r.runner_name)
            .bind(r.runner_group_id)
            .bind(Json(&r.labels))
            .bind(r.team_id)
            .bind(&r.provisioned_by)
            .bind(&r.actor_type)
            .bind(r.owner_user_id)
            .bind(r.owner_client_id)
            .bind(r.created_at)
            .bind(r.expires_at)
            .execute(&mut *tx)
            .await
            .map_err(conflict_or)?;
            tx.commit().await?;
            Reservation::Reserved
        }))
    }

    /// Removes a reservation whose GitHub call failed (it was never a real runner).
    pub async fn drop_reservation(&self, id: Uuid) -> Result<(), DbError> {
        on_pool!(self, p => sqlx::query("delete from runners where id = $1 and github_runner_id is null").bind(id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Stores GitHub's id and labels after the JIT call, with the `provision_jit` audit row.
    pub async fn complete_reservation(&self, id: Uuid, github_id: i64, audit: NewAudit) -> Result<(), DbError> {
        let ts = now();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("update runners set github_runner_id = $2, github_status = 'offline', busy = false, updated_at = $3 where id = $1")
                .bind(id).bind(github_id).bind(ts).execute(&mut *tx).await?;
            append_in_tx!(tx, audit).await?;
            tx.commit().await?
        });
        Ok(())
    }

    /// Applies GitHub's report (refresh): new lifecycle status, GitHub fields, first-online time.
    pub async fn record_github_state(
        &self,
        id: Uuid,
        status: RunnerLifecycle,
        github_status: &str,
        busy: bool,
        registered_at: Option<DateTime<Utc>>,
    ) -> Result<(), DbError> {
        let update = GitHubState { id, status, github_status: github_status.to_owned(), busy, registered_at };
        self.record_github_states(std::slice::from_ref(&update)).await
    }

    /// Applies many reports in one transaction (the sync cycle: one commit, not one per runner).
    pub async fn record_github_states(&self, updates: &[GitHubState]) -> Result<(), DbError> {
        if updates.is_empty() {
            return Ok(());
        }
        let ts = now();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for u in updates {
                sqlx::query(
                    "update runners set status = $2, github_status = $3, busy = $4, registered_at = coalesce(registered_at, $5), \
                     last_seen_at = case when $3 = 'online' then $6 else last_seen_at end, \
                     expires_at = case when $2 = 'pending' then expires_at else null end, updated_at = $6 \
                     where id = $1 and status <> 'deleted'",
                )
                .bind(u.id).bind(u.status.as_str()).bind(&u.github_status).bind(u.busy).bind(u.registered_at).bind(ts)
                .execute(&mut *tx).await?;
            }
            tx.commit().await?
        });
        Ok(())
    }

    /// Marks a runner deleted, optionally with an audit row in the same transaction.
    pub async fn mark_runner_deleted(&self, id: Uuid, reason: &str, audit: Option<NewAudit>) -> Result<bool, DbError> {
        let ts = now();
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "update runners set status = 'deleted', deleted_at = $2, deletion_reason = $3, expires_at = null, updated_at = $2 \
                 where id = $1 and status <> 'deleted'",
            )
            .bind(id).bind(ts).bind(reason).execute(&mut *tx).await?.rows_affected();
            if let Some(a) = audit {
                append_in_tx!(tx, a).await?;
            }
            tx.commit().await?;
            n == 1
        }))
    }

    /// The page and the total of [`Db::list_runners`].
    pub fn runner_list_statements(&self, vis: &Visibility, f: &RunnerFilter, limit: i64, offset: i64) -> ListStatements {
        let mut w = Filters::default();
        let mut page_team: Option<(String, String)> = None;
        match vis {
            Visibility::All => {}
            Visibility::Team(t) => w.equals("r.team_id", Some(Arg::Uuid(*t))),
            Visibility::User { id } => {
                let uid = w.arg(Arg::Uuid(*id));
                let teams = format!("select team_id from team_members where user_id = {uid}");
                let in_teams = if self.is_sqlite() { format!("r.team_id in ({teams})") } else { format!("r.team_id = any(array({teams}))") };
                // The page reads the runners newest first through `(created_at, id)` and stops
                // after it; with `in (…)` SQLite would gather every visible row from the two
                // indexes and sort them all (31 ms of CPU per page at 12,000 rows, issue 14).
                // The total keeps the set: two index ranges, no per-row subquery (PostgreSQL
                // uses the team index for `= any(array(…))`, while `in (…)` filters every row).
                page_team = Some((in_teams.clone(), format!("exists (select 1 from team_members m where m.user_id = {uid} and m.team_id = r.team_id)")));
                w.push(format!("(r.owner_user_id = {uid} or {in_teams})"));
            }
        }
        if f.statuses.is_empty() {
            w.push("r.status <> 'deleted'".into());
        }
        w.any_of("r.status", &f.statuses.iter().map(|s| s.as_str().to_owned()).collect::<Vec<_>>());
        w.equals("r.ephemeral", f.ephemeral.map(Arg::Bool));
        w.equals("t.name", f.team_name.clone().map(Arg::Text));
        w.equals("r.team_id", f.team_id.map(Arg::Uuid));
        if let Some(n) = &f.runner_name {
            let m = w.arg(Arg::Text(n.clone()));
            w.push(format!("lower(r.runner_name) = lower({m})"));
        }
        if let Some(part) = f.name_contains.as_deref().filter(|p| !p.is_empty()) {
            // `%`, `_` and `\` in the search are literal characters, not wildcards.
            let escaped = part.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            let m = w.arg(Arg::Text(format!("%{escaped}%")));
            w.push(format!("lower(r.runner_name) like {m} escape '\\'"));
        }
        w.equals("r.provisioned_by", f.provisioned_by.clone().map(Arg::Text));
        w.equals("r.github_runner_id", f.github_runner_id.map(Arg::Int));
        let count_sql = format!("select count(*) from runners r left join teams t on t.id = r.team_id{}", w.where_sql());
        let mut page_where = w.where_sql();
        if let Some((count_form, page_form)) = &page_team {
            page_where = page_where.replace(count_form, page_form);
        }
        ListStatements::paged(
            count_sql,
            &w,
            &w,
            |l, o| format!("{RUNNER_SELECT}{page_where} order by r.created_at desc, r.id desc limit {l} offset {o}"),
            limit,
            offset,
        )
    }

    /// A page of visible runners matching `f` (newest first), and the total.
    pub async fn list_runners(&self, vis: &Visibility, f: &RunnerFilter, limit: i64, offset: i64) -> Result<(Vec<RunnerRow>, i64), DbError> {
        self.fetch_list(self.runner_list_statements(vis, f, limit, offset)).await
    }
}
