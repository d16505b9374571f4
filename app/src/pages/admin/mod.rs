//! The administration pages, each a lazy route (admin code never reaches a member's first
//! load): teams (with their members and M2M client), users, the audit log and security events.
//! The audit log and security events also open for team members, scoped by the server.

// pub mod audit;
mod batch;
mod clients;
mod members;
// pub mod security;
mod team_form;
pub mod teams;
// mod user_form;
// pub mod users;

use leptos::prelude::*;

use crate::contract::ApiError;
use crate::ui::errors::{ErrorNotice, SuccessNotice};

/// The outcome of the last mutation on a page, shown inline above its list.
pub type Outcome = Option<Result<String, ApiError>>;

/// The inline notice of an [`Outcome`].
#[component]
pub fn OutcomeNotice(outcome: RwSignal<Outcome>) -> impl IntoView {
    move || {
        outcome.get().map(|n| match n {
            Ok(m) => view! { <SuccessNotice message=m/> }.into_any(),
            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
        })
    }
}

/// A text value from the URL, `None` when absent or blank.
pub fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}
