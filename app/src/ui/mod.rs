//! Building blocks every console page shares: the signed-in session, the shell around the pages,
//! the clock that drives relative times and auto-refresh, dialogs, errors, formatting, paging and
//! the paged tables.

pub mod chips;
pub mod clock;
pub mod dialog;
pub mod errors;
pub mod format;
pub mod lazy;
pub mod pager;
pub mod reason;
pub mod runner_actions;
pub mod session;
pub mod shell;
pub mod table;
