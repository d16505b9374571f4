//! One page of a listing: how many rows and from where, as the caller asked for them and as
//! applied (the HTTP layer validates the bounds, API.md §1.4).

/// `limit`/`offset` as applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows per page.
    pub limit: i64,
    /// Rows skipped before the page.
    pub offset: i64,
}
