//! The reason an incident action records in the audit log: a textarea with a live counter
//! of the API's bounds (10–500 characters).

use leptos::prelude::*;

/// The API's bounds for a batch comment or a deactivation reason.
pub const REASON_MIN: usize = 10;
/// See [`REASON_MIN`].
pub const REASON_MAX: usize = 500;

/// Whether `reason` (trimmed) is within the bounds.
pub fn reason_ok(reason: &str) -> bool {
    (REASON_MIN..=REASON_MAX).contains(&reason.trim().chars().count())
}

/// A reason textarea with its counter; `id` names the textarea.
#[component]
pub fn ReasonField(#[prop(into)] id: String, reason: RwSignal<String>, #[prop(into, optional)] label: Option<String>) -> impl IntoView {
    let count_id = format!("{id}-count");
    let len = move || reason.with(|r| r.trim().chars().count());
    let valid = move || reason.with(|r| reason_ok(r));
    view! {
        <label for=id.clone()>{label.unwrap_or_else(|| "Reason (recorded in the audit log)".to_owned())}</label>
        <textarea id=id rows="3" maxlength=REASON_MAX.to_string() aria-describedby=count_id.clone()
            prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
        <p id=count_id class=move || if valid() { "muted small" } else { "error small" }>
            {move || format!("{} / {REASON_MAX} characters (at least {REASON_MIN})", len())}
        </p>
    }
}
