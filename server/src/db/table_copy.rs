//! Copying every table of one database into another, either backend to either backend, in
//! constant memory: a reader task walks the source inside one read-only snapshot transaction
//! and hands batches of rows over a bounded channel to the writer, which inserts them, in
//! [`TABLES`] order and keeping every id, inside one transaction on the target. A copy that
//! fails or is killed part-way therefore leaves nothing behind.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde_json::Value;
use sqlx::types::Json;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::tables::{Kind, TABLES, Table};
use super::{Db, DbError};

/// Rows per batch handed from the reader to the writer (and per multi-row `insert`).
const BATCH: usize = 100;
/// Batches buffered between reader and writer.
const BUFFER: usize = 4;

/// One stored value, read from either backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL `NULL`.
    Null,
    /// A UUID.
    Uuid(Uuid),
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A timestamp.
    Time(DateTime<Utc>),
    /// A JSON document.
    Json(Value),
}

/// Reads the columns of `$table` from a row of either backend into `Vec<Cell>`.
macro_rules! decode_row {
    ($row:expr, $table:expr) => {{
        use sqlx::Row;
        let mut cells = Vec::with_capacity($table.columns.len());
        for (i, (_, kind)) in $table.columns.iter().enumerate() {
            cells.push(match kind {
                Kind::Uuid => $row.try_get::<Option<Uuid>, _>(i)?.map_or(Cell::Null, Cell::Uuid),
                Kind::Text => $row.try_get::<Option<String>, _>(i)?.map_or(Cell::Null, Cell::Text),
                Kind::Int => $row.try_get::<Option<i64>, _>(i)?.map_or(Cell::Null, Cell::Int),
                Kind::Bool => $row.try_get::<Option<bool>, _>(i)?.map_or(Cell::Null, Cell::Bool),
                Kind::Time => $row.try_get::<Option<DateTime<Utc>>, _>(i)?.map_or(Cell::Null, Cell::Time),
                Kind::Json => $row.try_get::<Option<Json<Value>>, _>(i)?.map_or(Cell::Null, |j| Cell::Json(j.0)),
            });
        }
        cells
    }};
}

/// Binds one cell of a column of kind `$kind` (a typed `NULL` for [`Cell::Null`]).
macro_rules! bind_cell {
    ($q:expr, $kind:expr, $cell:expr) => {
        match ($cell, $kind) {
            (Cell::Null, Kind::Uuid) => $q.bind(None::<Uuid>),
            (Cell::Null, Kind::Text) => $q.bind(None::<String>),
            (Cell::Null, Kind::Int) => $q.bind(None::<i64>),
            (Cell::Null, Kind::Bool) => $q.bind(None::<bool>),
            (Cell::Null, Kind::Time) => $q.bind(None::<DateTime<Utc>>),
            (Cell::Null, Kind::Json) => $q.bind(None::<Json<Value>>),
            (Cell::Uuid(v), _) => $q.bind(v),
            (Cell::Text(v), _) => $q.bind(v),
            (Cell::Int(v), _) => $q.bind(v),
            (Cell::Bool(v), _) => $q.bind(v),
            (Cell::Time(v), _) => $q.bind(v),
            (Cell::Json(v), _) => $q.bind(Json(v)),
        }
    };
}

/// The table's rows in stable order; integers widened (the seeded singletons are `integer`).
fn select_sql(t: &Table) -> String {
    let cols: Vec<String> = t.columns.iter().map(|(c, k)| if *k == Kind::Int { format!("cast({c} as bigint) as {c}") } else { (*c).to_owned() }).collect();
    format!("select {} from {} order by {}", cols.join(", "), t.name, t.order_by)
}

/// A multi-row `insert` of `rows` rows; seeded tables overwrite their seeded rows.
fn insert_sql(t: &Table, rows: usize, postgres: bool) -> String {
    let n = t.columns.len();
    let cols: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
    let values: Vec<String> = (0..rows).map(|r| format!("({})", (1..=n).map(|c| format!("${}", r * n + c)).collect::<Vec<_>>().join(", "))).collect();
    let overriding = if postgres && t.identity { " overriding system value" } else { "" };
    let mut sql = format!("insert into {} ({}){overriding} values {}", t.name, cols.join(", "), values.join(", "));
    if let Some(key) = t.seeded_key {
        let set: Vec<String> = cols.iter().filter(|c| **c != key).map(|c| format!("{c} = excluded.{c}")).collect();
        sql.push_str(&format!(" on conflict ({key}) do update set {}", set.join(", ")));
    }
    sql
}

/// What the reader hands the writer.
enum Msg {
    /// Rows of `TABLES[i]`.
    Rows(usize, Vec<Vec<Cell>>),
    /// `TABLES[i]` is complete.
    End(usize),
    /// The source failed.
    Failed(DbError),
}

/// The SQLite trigger that refuses deletes from the audit log, exactly as the migration creates it.
const SQLITE_NO_DELETE_TRIGGER: &str =
    "create trigger audit_log_no_delete before delete on audit_log\nbegin\n    select raise(abort, 'audit_log is append-only');\nend";

impl Db {
    /// The number of rows in `table`.
    pub async fn count_rows(&self, table: &Table) -> Result<i64, DbError> {
        let sql = format!("select count(*) from {}", table.name);
        Ok(on_pool!(self, p => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(p).await?))
    }

    /// Every row of `table`, in its stable order (for comparing two databases; small tables).
    pub async fn table_rows(&self, table: &Table) -> Result<Vec<Vec<Cell>>, DbError> {
        let sql = select_sql(table);
        Ok(on_pool!(self, p => {
            let mut rows = Vec::new();
            let mut stream = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(p);
            while let Some(row) = stream.try_next().await? {
                rows.push(decode_row!(row, table));
            }
            rows
        }))
    }

    /// The column names of `table` as the migrations created it, in declaration order.
    pub async fn schema_columns(&self, table: &str) -> Result<Vec<String>, DbError> {
        Ok(match self {
            Db::Sqlite(p) => sqlx::query_scalar("select name from pragma_table_info($1) order by cid").bind(table).fetch_all(p).await?,
            Db::Postgres(p) => sqlx::query_scalar(
                "select column_name::text from information_schema.columns where table_schema = current_schema() and table_name = $1 order by ordinal_position",
            )
            .bind(table)
            .fetch_all(p)
            .await?,
        })
    }

    /// The application tables present (migration bookkeeping and SQLite internals excluded).
    pub async fn schema_tables(&self) -> Result<Vec<String>, DbError> {
        Ok(match self {
            Db::Sqlite(p) => {
                sqlx::query_scalar(
                    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name <> '_sqlx_migrations' order by name",
                )
                .fetch_all(p)
                .await?
            }
            Db::Postgres(p) => sqlx::query_scalar(
                "select table_name::text from information_schema.tables where table_schema = current_schema() and table_name <> '_sqlx_migrations' order by 1",
            )
            .fetch_all(p)
            .await?,
        })
    }

    /// Versions of the migrations applied to this database (empty when none are).
    pub async fn applied_migrations(&self) -> Result<Vec<i64>, DbError> {
        match on_pool!(self, p => sqlx::query_scalar("select version from _sqlx_migrations where success order by version").fetch_all(p).await) {
            Ok(v) => Ok(v),
            Err(sqlx::Error::Database(_)) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// Versions of the migrations this build knows for this backend.
    pub fn known_migrations(&self) -> Vec<i64> {
        self.migrator().iter().filter(|m| m.migration_type.is_up_migration()).map(|m| m.version).collect()
    }
}

/// Copies every table of `src` into `dst` (whose schema must be migrated) in one transaction,
/// keeping ids; with `replace`, first empties `dst` in the same transaction (the audit log
/// too: its delete guard is lifted for that and restored). Calls `progress(table, rows)` as
/// each table completes and returns the rows copied per table, in [`TABLES`] order.
pub async fn copy_tables(src: &Db, dst: &Db, replace: bool, mut progress: impl FnMut(&'static str, i64)) -> Result<Vec<(&'static str, i64)>, DbError> {
    let (tx, mut rx) = mpsc::channel(BUFFER);
    let reader = tokio::spawn(read_all(src.clone(), tx));
    let postgres = matches!(dst, Db::Postgres(_));
    let mut counts: Vec<(&'static str, i64)> = Vec::with_capacity(TABLES.len());
    let result: Result<(), DbError> = on_pool!(dst, p => async {
        let mut tx = p.begin().await?;
        if replace {
            if postgres {
                let names: Vec<&str> = TABLES.iter().filter(|t| t.holds_data()).map(|t| t.name).collect();
                // TRUNCATE does not fire the row triggers that keep the audit log append-only.
                sqlx::query(sqlx::AssertSqlSafe(format!("truncate table {} restart identity", names.join(", ")))).execute(&mut *tx).await?;
            } else {
                sqlx::query("drop trigger audit_log_no_delete").execute(&mut *tx).await?;
                for t in TABLES.iter().rev().filter(|t| t.holds_data()) {
                    sqlx::query(sqlx::AssertSqlSafe(format!("delete from {}", t.name))).execute(&mut *tx).await?;
                }
                sqlx::query(SQLITE_NO_DELETE_TRIGGER).execute(&mut *tx).await?;
            }
        }
        let mut copied = 0_i64;
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::Rows(i, rows) => {
                    let table = &TABLES[i];
                    let sql = insert_sql(table, rows.len(), postgres);
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    copied += i64::try_from(rows.len()).unwrap_or(i64::MAX);
                    for row in rows {
                        for (cell, (_, kind)) in row.into_iter().zip(table.columns) {
                            q = bind_cell!(q, kind, cell);
                        }
                    }
                    q.execute(&mut *tx).await?;
                }
                Msg::End(i) => {
                    let table = &TABLES[i];
                    if postgres && table.identity {
                        let sql = format!("select setval(pg_get_serial_sequence('{0}', 'id'), coalesce(max(id), 0) + 1, false) from {0}", table.name);
                        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
                    }
                    progress(table.name, copied);
                    counts.push((table.name, copied));
                    copied = 0;
                }
                Msg::Failed(e) => return Err(e),
            }
        }
        if counts.len() != TABLES.len() {
            return Err(DbError::Corrupt("the source reader stopped early".to_owned()));
        }
        tx.commit().await?;
        Ok(())
    }.await);
    reader.abort();
    result.map(|()| counts)
}

/// The reader: one snapshot of the source, every table in order, in batches.
async fn read_all(src: Db, out: mpsc::Sender<Msg>) {
    let result: Result<(), DbError> = on_pool!(&src, p => async {
        let mut tx = p.begin().await?;
        if matches!(src, Db::Postgres(_)) {
            sqlx::query("set transaction isolation level repeatable read, read only").execute(&mut *tx).await?;
        }
        for (i, table) in TABLES.iter().enumerate() {
            let mut batch = Vec::with_capacity(BATCH);
            let sql = select_sql(table);
            let mut stream = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *tx);
            while let Some(row) = stream.try_next().await? {
                batch.push(decode_row!(row, table));
                if batch.len() == BATCH && out.send(Msg::Rows(i, std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))).await.is_err() {
                    return Ok(());
                }
            }
            drop(stream);
            if (!batch.is_empty() && out.send(Msg::Rows(i, batch)).await.is_err()) || out.send(Msg::End(i)).await.is_err() {
                return Ok(());
            }
        }
        tx.rollback().await?;
        Ok(())
    }.await);
    if let Err(e) = result {
        let _ = out.send(Msg::Failed(e)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_keep_ids_and_overwrite_seeded_rows() {
        let head = TABLES.iter().find(|t| t.name == "audit_chain_head").expect("table");
        assert_eq!(
            insert_sql(head, 1, true),
            "insert into audit_chain_head (singleton, last_id, last_hash, last_seq) values ($1, $2, $3, $4) \
             on conflict (singleton) do update set last_id = excluded.last_id, last_hash = excluded.last_hash, last_seq = excluded.last_seq"
        );
        let events = TABLES.iter().find(|t| t.name == "login_failures").expect("table");
        assert_eq!(
            insert_sql(events, 2, true),
            "insert into login_failures (id, username_lower, client_ip, failed_at) overriding system value values ($1, $2, $3, $4), ($5, $6, $7, $8)"
        );
        assert!(!insert_sql(events, 1, false).contains("overriding"));
    }
}
