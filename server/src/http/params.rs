//! Query-string conventions (API.md §1.2, §1.4): pagination bounds, boolean spellings, lists
//! and datetimes — each failure a `422` naming `query.<name>`.

use app::contract::ApiError;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

pub use crate::db::Page;

/// Validates `limit` (1..=max, default `default`) and `offset` (≥ 0, default 0).
pub fn page(limit: Option<i64>, offset: Option<i64>, default: i64, max: i64) -> Result<Page, ApiError> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::invalid_field("query.limit", format!("must be between 1 and {max}")));
    }
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid_field("query.offset", "must be 0 or more"));
    }
    Ok(Page { limit, offset })
}

/// Booleans in queries: the contract's spellings.
pub use app::contract::query::flex_bool;

/// Parses `since`/`until`: RFC 3339 (offset or `Z`), a naive datetime (UTC), or `YYYY-MM-DD` (midnight UTC).
pub fn parse_datetime(field: &str, v: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(t.and_utc());
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_default());
    }
    Err(ApiError::invalid_field(format!("query.{field}"), "must be an RFC 3339 timestamp or YYYY-MM-DD"))
}

/// Splits a comma-separated list parameter.
pub fn list(v: &str) -> Vec<String> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_bounded() {
        assert_eq!(page(None, None, 50, 1000).expect("defaults"), Page { limit: 50, offset: 0 });
        assert_eq!(page(Some(0), None, 50, 1000).expect_err("too small").errors.expect("errors")[0].field, "query.limit");
        assert!(page(Some(1001), None, 50, 1000).is_err());
        assert_eq!(page(None, Some(-1), 50, 1000).expect_err("negative").errors.expect("errors")[0].field, "query.offset");
    }

    #[test]
    fn dates_accept_the_documented_forms() {
        assert_eq!(parse_datetime("since", "2026-11-26").expect("date").to_rfc3339(), "2026-11-26T00:00:00+00:00");
        assert!(parse_datetime("since", "2026-11-26T10:00:00+02:00").is_ok());
        assert!(parse_datetime("since", "2026-11-26T10:00:00").is_ok());
        assert!(parse_datetime("since", "yesterday").is_err());
    }
}
