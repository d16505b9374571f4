//! Small pages: not found, and the legacy `/app/callback` forwarder.

use leptos::prelude::*;

/// Unknown UI path.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Not found"</h1>
            <p><a href="/app/">"Back to the console"</a></p>
        </section>
    }
}

/// The Python UI registered `<host>/app/callback` at IdPs; forward its query to `/auth/callback`.
#[component]
pub fn OidcCallbackForward() -> impl IntoView {
    Effect::new(move |_| {
        let location = window().location();
        let search = location.search().unwrap_or_default();
        let _ = location.replace(&format!("/auth/callback{search}"));
    });
    view! { <p class="loading">"Signing in…"</p> }
}
