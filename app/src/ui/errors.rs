//! How errors reach people: the server's `error_code` decides the wording of the common cases,
//! its message is shown otherwise, and an ended session leads back to the login page.

use leptos::prelude::*;

use super::session::redirect_to_login;
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
        ErrorCode::Unauthenticated => "Your session has ended. Sign in again.".to_owned(),
        ErrorCode::InternalError if e.detail.is_empty() => "Something went wrong.".to_owned(),
        _ if e.detail.is_empty() => format!("Something went wrong ({}).", e.error_code.as_str()),
        _ => e.detail.clone(),
    }
}

/// The message for an `?error=<CODE>` query value set by the OIDC callback.
pub fn message_for_code(code: &str) -> String {
    serde_json::from_value::<ErrorCode>(serde_json::Value::String(code.to_owned()))
        .map(|c| message_for(&ApiError::new(c, "")))
        .unwrap_or_else(|_| "Sign-in failed.".to_owned())
}

/// An inline error: the message, the code for support, and per-field details. An ended
/// session sends the user to the login page instead (and back here afterwards).
#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    if error.error_code == ErrorCode::Unauthenticated {
        redirect_to_login();
    }
    let fields = error.errors.clone().unwrap_or_default();
    view! {
        <div class="notice error" role="alert">
            <p>
                {message_for(&error)} " " <code class="code">{error.error_code.as_str()}</code>
            </p>
            {(!fields.is_empty())
                .then(|| {
                    view! {
                        <ul>
                            {fields.into_iter().map(|f| view! { <li>{f.field} ": " {f.message}</li> }).collect_view()}
                        </ul>
                    }
                })}
        </div>
    }
}

/// A success message for a finished mutation.
#[component]
pub fn SuccessNotice(message: String) -> impl IntoView {
    view! { <p class="notice success" role="status">{message}</p> }
}
