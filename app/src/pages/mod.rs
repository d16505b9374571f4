//! The console's pages, one module each. Every page but the login page is a lazy route.

pub mod admin;
pub mod admin_overview;
pub mod dashboard;
mod login;
mod misc;
pub mod provision;
pub mod runner_detail;
pub mod runners;

pub use login::LoginPage;
pub use misc::{AdminGate, Forbidden, NotFound, OidcCallbackForward};
