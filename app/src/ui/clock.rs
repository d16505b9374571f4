//! One clock for the whole console: the current time for relative times and countdowns, and a
//! refresh tick every 30 s that only runs while the tab is visible (and fires on return).
//! Timers and listeners live here, in the eager shell, never in a lazily loaded page.

use std::time::Duration;

use leptos::prelude::*;

/// How often lists refresh while the tab is visible.
const REFRESH_EVERY: Duration = Duration::from_secs(30);

/// The clock context.
#[derive(Clone, Copy)]
pub struct Clock {
    /// Milliseconds since the epoch, updated every second.
    pub now_ms: RwSignal<f64>,
    /// Increments every [`REFRESH_EVERY`] while the tab is visible, and when it becomes visible.
    pub refresh: RwSignal<u64>,
}

fn visible() -> bool {
    document().visibility_state() == web_sys::VisibilityState::Visible
}

impl Clock {
    /// Starts the timers; call once, in the root component.
    pub fn provide() -> Self {
        let c = Clock { now_ms: RwSignal::new(js_sys::Date::now()), refresh: RwSignal::new(0) };
        if let Ok(h) = set_interval_with_handle(move || c.now_ms.set(js_sys::Date::now()), Duration::from_secs(1)) {
            on_cleanup(move || h.clear());
        }
        if let Ok(h) = set_interval_with_handle(
            move || {
                if visible() {
                    c.refresh.update(|n| *n += 1);
                }
            },
            REFRESH_EVERY,
        ) {
            on_cleanup(move || h.clear());
        }
        let l = window_event_listener(leptos::ev::visibilitychange, move |_| {
            if visible() {
                c.refresh.update(|n| *n += 1);
            }
        });
        on_cleanup(move || l.remove());
        provide_context(c);
        c
    }
}

/// The clock context.
pub fn use_clock() -> Clock {
    expect_context::<Clock>()
}
