//! Small pages: not found, forbidden (and the gate that shows it on admin paths), and the
//! legacy `/app/callback` forwarder.

use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

use crate::ui::session::use_session;

/// Unknown console path.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card narrow" id="not-found">
            <h1>"Page not found"</h1>
            <p>"There is no console page at this address."</p>
            <p><a href="/app/">"Back to the dashboard"</a></p>
        </section>
    }
}

/// A page the user's role may not open (the address stays, so it can be shared with an admin).
#[component]
pub fn Forbidden() -> impl IntoView {
    view! {
        <section class="card narrow" id="forbidden">
            <h1>"Not allowed"</h1>
            <p>"This page is for administrators. Your account does not have the admin role."</p>
            <p>"If you need it, ask a GHARTS administrator."</p>
            <p><a href="/app/">"Back to the dashboard"</a></p>
        </section>
    }
}

/// Pages under `/app/admin` that team members open too: the server scopes what they see.
pub const MEMBER_LOG_PAGES: [&str; 2] = ["/app/admin/audit", "/app/admin/security"];

/// Admin pages render only for admins; everyone else sees [`Forbidden`] at the same address
/// (except the log pages of [`MEMBER_LOG_PAGES`]).
#[component]
pub fn AdminGate() -> impl IntoView {
    let session = use_session();
    let path = use_location().pathname;
    let for_members = move || path.with(|p| MEMBER_LOG_PAGES.iter().any(|m| p.trim_end_matches('/') == *m));
    move || match session.is_admin() {
        Some(true) => view! { <Outlet/> }.into_any(),
        Some(false) if for_members() => view! { <Outlet/> }.into_any(),
        Some(false) => view! { <Forbidden/> }.into_any(),
        None => view! { <p class="loading">"Loading…"</p> }.into_any(),
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
