//! What the log pages share: the date range filter, the JSON view of event data, and the
//! details drawer's facts.

use leptos::prelude::*;

use crate::ui::pager::query_setter;

/// `until` as the API wants it: a day typed as `YYYY-MM-DD` means up to its end.
pub fn until_end_of_day(v: Option<String>) -> Option<String> {
    v.map(|d| if d.len() == 10 { format!("{d}T23:59:59.999999Z") } else { d })
}

/// Since/until day inputs (`since`, `until` in the URL).
#[component]
pub fn DateRange(since: Signal<Option<String>>, until: Signal<Option<String>>) -> impl IntoView {
    let set = query_setter();
    let set2 = set.clone();
    view! {
        <label>
            "Since (UTC)"
            <input type="date" id="filter-since" prop:value=move || since.get().unwrap_or_default() on:change=move |ev| set("since", &event_target_value(&ev))/>
        </label>
        <label>
            "Until (UTC, inclusive)"
            <input type="date" id="filter-until" prop:value=move || until.get().unwrap_or_default() on:change=move |ev| set2("until", &event_target_value(&ev))/>
        </label>
    }
}

/// Event data as indented JSON; empty lists and nulls left out (they say nothing).
#[component]
pub fn JsonBlock(value: Option<serde_json::Value>) -> impl IntoView {
    fn prune(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => serde_json::Value::Object(
                m.into_iter().filter(|(_, v)| !v.is_null() && !matches!(v, serde_json::Value::Array(a) if a.is_empty())).map(|(k, v)| (k, prune(v))).collect(),
            ),
            other => other,
        }
    }
    match value.map(prune) {
        Some(v) => view! { <pre class="json" tabindex="0">{serde_json::to_string_pretty(&v).unwrap_or_default()}</pre> }.into_any(),
        None => view! { <p class="muted">"None recorded."</p> }.into_any(),
    }
}

/// A fact of the drawer; a dash when absent.
pub fn fact(v: Option<String>) -> String {
    v.filter(|s| !s.is_empty()).unwrap_or_else(|| "—".to_owned())
}
