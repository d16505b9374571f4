//! `gharts import python-gharts`: reads the Python service's database, maps it
//! ([`super::python::convert`]) and writes it in one transaction, or nothing at all.

use app::contract::audit::AuditVerifyResponse;
use serde_json::json;

use super::python::{Report, SOURCE, convert};
use crate::db::audit::NewAudit;
use crate::db::import_write::{IMPORT_COMPLETED, ImportWriteError};
use crate::db::{Db, DbError};
use crate::services::audit::verify_chain;

/// How to import.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Runner group for teams that have no runners to learn it from.
    pub default_runner_group_id: i64,
    /// Import the rows that can be imported even when others cannot (each is reported).
    pub skip_invalid: bool,
    /// Report only; write nothing.
    pub dry_run: bool,
}

/// The result of an import.
#[derive(Debug)]
pub struct Outcome {
    /// Conversions, refused rows and counts.
    pub report: Report,
    /// Whether anything was written.
    pub written: bool,
    /// The target's chain after the import (when written).
    pub chain: Option<AuditVerifyResponse>,
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading the source failed: probably not a Python GHARTS database.
    #[error("reading the Python GHARTS database: {0}")]
    Source(DbError),
    /// The target refused (already imported, or holding teams/runners/clients).
    #[error("the import was refused, nothing was written: {0}")]
    Refused(String),
    /// The target failed (nothing was written).
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Imports `src` (a Python GHARTS database) into the migrated `dst`.
pub async fn import(src: &Db, dst: &Db, opts: Options) -> Result<Outcome, ImportError> {
    let data = src.read_python_gharts().await.map_err(ImportError::Source)?;
    // A dry run may meet a target without a schema yet: nobody to collide with.
    let existing = if dst.applied_migrations().await?.is_empty() { Vec::new() } else { dst.user_keys().await? };
    let (import, report) = convert(&data, &existing, opts.default_runner_group_id);
    if opts.dry_run || (!report.rejected.is_empty() && !opts.skip_invalid) {
        return Ok(Outcome { report, written: false, chain: None });
    }
    let counts: serde_json::Map<String, serde_json::Value> = report.counts.iter().map(|(t, _, n)| ((*t).to_owned(), json!(n))).collect();
    let completed = NewAudit {
        event_type: IMPORT_COMPLETED.to_owned(),
        actor_type: "system".to_owned(),
        user_identity: "cli".to_owned(),
        success: true,
        event_data: Some(json!({ "source": SOURCE, "imported": counts, "conversions": report.conversions.len(), "rejected": report.rejected.len() })),
        ..Default::default()
    };
    match dst.write_import(&import, completed).await {
        Ok(()) => {}
        Err(ImportWriteError::NotEmpty(why)) => return Err(ImportError::Refused(why)),
        Err(ImportWriteError::Db(e)) => return Err(e.into()),
    }
    let chain = verify_chain(dst, None, None).await?;
    Ok(Outcome { report, written: true, chain: Some(chain) })
}
