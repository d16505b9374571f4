//! One way to show times, statuses and labels everywhere in the console.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::clock::use_clock;

/// `2026-12-03 09:18 UTC`: the absolute form (tooltips, details).
pub fn absolute(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// "just now", "5 min ago", "in 3 h", "2 days ago" between `t` and `now_ms`.
pub fn relative(t: &DateTime<Utc>, now_ms: f64) -> String {
    let secs = ((t.timestamp_millis() as f64 - now_ms) / 1000.0).round() as i64;
    let (future, s) = (secs > 0, secs.unsigned_abs());
    let amount = match s {
        0..=44 => return "just now".to_owned(),
        45..=5399 => format!("{} min", (s + 30) / 60),
        5400..=129_599 => format!("{} h", (s + 1800) / 3600),
        _ => format!("{} days", (s + 43_200) / 86_400),
    };
    if future { format!("in {amount}") } else { format!("{amount} ago") }
}

/// `mm:ss` (or `h:mm:ss`) until `t`; `expired` once past.
pub fn countdown(t: &DateTime<Utc>, now_ms: f64) -> String {
    let secs = ((t.timestamp_millis() as f64 - now_ms) / 1000.0).floor() as i64;
    if secs <= 0 {
        return "expired".to_owned();
    }
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m:02}:{s:02}") }
}

/// A time: relative on the page, absolute in the tooltip and the `datetime` attribute.
#[component]
pub fn When(t: DateTime<Utc>) -> impl IntoView {
    let clock = use_clock();
    let iso = t.to_rfc3339();
    let title = absolute(&t);
    view! { <time datetime=iso title=title>{move || relative(&t, clock.now_ms.get())}</time> }
}

/// An optional time; a dash when absent.
#[component]
pub fn MaybeWhen(t: Option<DateTime<Utc>>) -> impl IntoView {
    match t {
        Some(t) => view! { <When t=t/> }.into_any(),
        None => view! { <span class="muted">"—"</span> }.into_any(),
    }
}

/// A runner lifecycle status in the console's one colour scheme.
#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let class = format!("badge status-{status}");
    view! { <span class=class>{status}</span> }
}

/// Labels as pills.
#[component]
pub fn Labels(labels: Vec<String>) -> impl IntoView {
    view! { <ul class="labels">{labels.into_iter().map(|l| view! { <li class="pill">{l}</li> }).collect_view()}</ul> }
}
