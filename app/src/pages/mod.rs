//! The console's pages, one module each.

mod home;
mod login;
mod misc;

pub use home::HomePage;
pub use login::LoginPage;
pub use misc::{NotFound, OidcCallbackForward};

use crate::contract::{ApiError, ErrorCode};

/// A sentence for a person, by error code (the UI never parses `detail` to decide anything).
pub fn message_for(e: &ApiError) -> String {
    match e.error_code {
        ErrorCode::InvalidCredentials => "Invalid username or password.".to_owned(),
        ErrorCode::RateLimited => "Too many failed attempts. Try again later.".to_owned(),
        ErrorCode::UserInactive => "This account is deactivated.".to_owned(),
        ErrorCode::UserNotRegistered => "You are not registered in GHARTS. Ask an administrator for access.".to_owned(),
        ErrorCode::LoginMethodDisabled => "This login method is not enabled.".to_owned(),
        ErrorCode::OidcLoginFailed => "Single sign-on did not complete. Try again.".to_owned(),
        ErrorCode::IdpUnavailable => "The identity provider cannot be reached. Try again later.".to_owned(),
        ErrorCode::ValidationError => e.detail.clone(),
        _ => format!("Something went wrong ({}).", e.error_code.as_str()),
    }
}

/// The message for an `?error=<CODE>` query value set by the OIDC callback.
pub fn message_for_code(code: &str) -> String {
    serde_json::from_value::<ErrorCode>(serde_json::Value::String(code.to_owned()))
        .map(|c| message_for(&ApiError::new(c, "")))
        .unwrap_or_else(|_| "Sign-in failed.".to_owned())
}
