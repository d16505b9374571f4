//! The statements behind each list, as data: a page and its total ([`ListStatements`]), run by
//! the list methods ([`Db::fetch_list`]) and shown to tests and operators as the plan the
//! database chooses for them ([`Db::query_plan`]). `docs/performance.md` has the plans of every
//! list at 10,000+ rows and what each index is for.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row as _};

use super::filter::{Arg, Filters, bind_args};
use super::{Db, DbError};

/// One SQL statement (fixed text with numbered placeholders) and its values.
#[derive(Debug, Clone)]
pub struct Statement {
    pub(crate) sql: String,
    pub(crate) args: Vec<Arg>,
}

impl Statement {
    /// A statement from its text and values.
    pub(crate) fn new(sql: String, args: Vec<Arg>) -> Self {
        Self { sql, args }
    }

    /// The SQL text.
    pub fn sql(&self) -> &str {
        &self.sql
    }
}

/// A page of a list and the total of rows it is cut from.
#[derive(Debug, Clone)]
pub struct ListStatements {
    /// `select … order by … limit … offset …`.
    pub page: Statement,
    /// `select count(*) …` with the same filter.
    pub count: Statement,
}

impl ListStatements {
    /// `count_sql` with the values of `count`; `page_sql(l, o)` with the values of `page`, then
    /// the limit and the offset, whose placeholders are `l` and `o`.
    pub(crate) fn paged(count_sql: String, count: &Filters, page: &Filters, page_sql: impl FnOnce(&str, &str) -> String, limit: i64, offset: i64) -> Self {
        let mut page = page.clone();
        let (l, o) = (page.arg(Arg::Int(limit)), page.arg(Arg::Int(offset)));
        Self { page: Statement::new(page_sql(&l, &o), page.args()), count: Statement::new(count_sql, count.args()) }
    }
}

impl Db {
    /// Whether this is the SQLite database (a list's SQL differs where the planners differ).
    pub fn is_sqlite(&self) -> bool {
        matches!(self, Db::Sqlite(_))
    }

    /// Runs a list's page and total.
    pub(crate) async fn fetch_list<R>(&self, list: ListStatements) -> Result<(Vec<R>, i64), DbError>
    where
        R: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
    {
        let ListStatements { page, count } = list;
        Ok(on_pool!(self, p => {
            let rows = bind_args!(sqlx::query_as::<_, R>(AssertSqlSafe(page.sql)), page.args).fetch_all(p).await?;
            let total: i64 = bind_args!(sqlx::query_scalar(AssertSqlSafe(count.sql)), count.args).fetch_one(p).await?;
            (rows, total)
        }))
    }

    /// The plan the database chooses for `s` with its values, one line per step: PostgreSQL's
    /// `explain` (without costs), SQLite's `explain query plan` details.
    pub async fn query_plan(&self, s: &Statement) -> Result<Vec<String>, DbError> {
        Ok(match self {
            Db::Sqlite(p) => {
                let rows = bind_args!(sqlx::query(AssertSqlSafe(format!("explain query plan {}", s.sql))), s.args.clone()).fetch_all(p).await?;
                rows.iter().map(|r| r.try_get::<String, _>("detail")).collect::<Result<_, _>>()?
            }
            Db::Postgres(p) => {
                let rows = bind_args!(sqlx::query(AssertSqlSafe(format!("explain (costs off) {}", s.sql))), s.args.clone()).fetch_all(p).await?;
                rows.iter().map(|r| r.try_get::<String, _>(0)).collect::<Result<_, _>>()?
            }
        })
    }
}
