//! The administration pages, each a lazy route (admin code never reaches a member's first
//! load): teams (with their members and M2M client), users, the audit log and security events.
//! The audit log and security events also open for team members, scoped by the server.

pub mod audit;
mod batch;
mod clients;
mod drawer;
mod members;
pub mod security;
mod team_form;
pub mod teams;
mod user_form;
pub mod users;

use leptos::prelude::*;

use crate::contract::{ApiError, ErrorCode};
use crate::ui::errors::{ErrorNotice, SuccessNotice};

/// The outcome of the last mutation on a page, shown inline above its list.
pub type Outcome = Option<Result<String, ApiError>>;

/// The sentence shown when the server keeps the last admin.
pub const LAST_ADMIN_RULE: &str =
    "GHARTS always keeps at least one active administrator, so the last one cannot lose the role or be deactivated. Make another user an admin first.";

/// An error, with the last-admin rule spelled out when that is why the server refused.
#[component]
pub fn MutationError(error: ApiError) -> impl IntoView {
    let last = error.error_code == ErrorCode::LastAdmin;
    view! {
        <ErrorNotice error=error/>
        {last.then(|| view! { <p class="notice warn" id="last-admin-rule">{LAST_ADMIN_RULE}</p> })}
    }
}

/// The inline notice of an [`Outcome`].
#[component]
pub fn OutcomeNotice(outcome: RwSignal<Outcome>) -> impl IntoView {
    move || {
        outcome.get().map(|n| match n {
            Ok(m) => view! { <SuccessNotice message=m/> }.into_any(),
            Err(e) => view! { <MutationError error=e/> }.into_any(),
        })
    }
}

/// A text value from the URL, `None` when absent or blank.
pub fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// `1 user`, `2 users`.
pub fn count_of(n: impl Into<i64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}
