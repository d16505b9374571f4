//! `gharts db copy`: the checks around [`crate::db::table_copy::copy_tables`]. Both schemas must
//! be this build's; a target holding data is only replaced when the operator says so; after
//! the copy, every table's count and the audit hash chain are checked on the target.

use app::contract::audit::AuditVerifyResponse;

use crate::db::table_copy::copy_tables;
use crate::db::tables::TABLES;
use crate::db::{Db, DbError};
use crate::services::audit::verify_chain;

/// Why a copy was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The source was written by another build.
    #[error("the source schema has migrations {found:?}, this build has {known:?}: copy with the build that wrote it, or migrate the source first")]
    SourceSchema {
        /// Applied on the source.
        found: Vec<i64>,
        /// Known to this build.
        known: Vec<i64>,
    },
    /// The target was migrated by a newer build.
    #[error("the target schema has migrations {found:?}, this build has {known:?}")]
    TargetSchema {
        /// Applied on the target.
        found: Vec<i64>,
        /// Known to this build.
        known: Vec<i64>,
    },
    /// The target holds data and replacing it was not asked for.
    #[error("the target is not empty ({0}); pass --force to replace its contents, audit log included")]
    TargetNotEmpty(String),
    /// The target does not hold what was copied.
    #[error("the copy does not check out: {0}")]
    Mismatch(String),
    /// Applying the target's migrations failed.
    #[error("migrating the target: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What a copy would do, found without writing anything (except the target's schema, when
/// asked to migrate it).
#[derive(Debug)]
pub struct Plan {
    /// Per table in copy order: rows in the source, and in the target (`None`: no schema yet).
    pub tables: Vec<(&'static str, i64, Option<i64>)>,
    /// The source's audit chain, as verified before the copy.
    pub source_chain: AuditVerifyResponse,
}

impl Plan {
    /// The target's tables that hold data (seeded rows excluded), as `table: rows` text.
    pub fn target_data(&self) -> Vec<String> {
        let holds = |name: &str| TABLES.iter().any(|t| t.name == name && t.holds_data());
        self.tables
            .iter()
            .filter(|(name, _, target)| holds(name) && target.is_some_and(|n| n > 0))
            .map(|(name, _, n)| format!("{name}: {}", n.unwrap_or(0)))
            .collect()
    }
}

/// The result of a completed copy.
#[derive(Debug)]
pub struct Outcome {
    /// Rows copied per table, in copy order.
    pub copied: Vec<(&'static str, i64)>,
    /// The target's audit chain, verified after the copy.
    pub target_chain: AuditVerifyResponse,
}

/// Checks both schemas, counts both sides and verifies the source's chain. With
/// `migrate_target`, applies the target's migrations first (a dry run does not).
pub async fn plan(src: &Db, dst: &Db, migrate_target: bool) -> Result<Plan, CopyError> {
    let known = src.known_migrations();
    let found = src.applied_migrations().await?;
    if found != known {
        return Err(CopyError::SourceSchema { found, known });
    }
    if migrate_target {
        dst.migrate().await?;
    }
    let known = dst.known_migrations();
    let found = dst.applied_migrations().await?;
    if !found.iter().all(|v| known.contains(v)) {
        return Err(CopyError::TargetSchema { found, known });
    }
    let target_ready = found == known;
    let mut tables = Vec::with_capacity(TABLES.len());
    for t in TABLES {
        let target = if target_ready { Some(dst.count_rows(t).await?) } else { None };
        tables.push((t.name, src.count_rows(t).await?, target));
    }
    let source_chain = verify_chain(src, None, None).await?;
    Ok(Plan { tables, source_chain })
}

/// Copies `src` into the migrated `dst` as planned; `replace` allows a target holding data to
/// be emptied first (in the same transaction). Then checks counts and the chain on the target.
pub async fn execute(src: &Db, dst: &Db, plan: &Plan, replace: bool, progress: impl FnMut(&'static str, i64)) -> Result<Outcome, CopyError> {
    let data = plan.target_data();
    if !data.is_empty() && !replace {
        return Err(CopyError::TargetNotEmpty(data.join(", ")));
    }
    let copied = copy_tables(src, dst, !data.is_empty(), progress).await?;
    for (t, (name, rows)) in TABLES.iter().zip(&copied) {
        let now = dst.count_rows(t).await?;
        if now != *rows {
            return Err(CopyError::Mismatch(format!("{name} has {now} row(s) on the target, {rows} were copied")));
        }
    }
    let target_chain = verify_chain(dst, None, None).await?;
    let audit_rows = copied.iter().find(|(n, _)| *n == "audit_log").map_or(0, |(_, n)| *n);
    if target_chain.status == "broken" && plan.source_chain.status != "broken" {
        return Err(CopyError::Mismatch(format!(
            "the target's audit chain is broken at id {} ({}) although the source's verified",
            target_chain.first_broken_id.unwrap_or_default(),
            target_chain.reason.as_deref().unwrap_or("unknown")
        )));
    }
    // Rows still unsealed in the source are copied unsealed; the target's sealer links them.
    if target_chain.status != "broken" && target_chain.checked_count + target_chain.unsealed_count != audit_rows {
        return Err(CopyError::Mismatch(format!(
            "the target's audit log has {} sealed and {} unsealed row(s), {audit_rows} were copied",
            target_chain.checked_count, target_chain.unsealed_count
        )));
    }
    Ok(Outcome { copied, target_chain })
}
