//! The frame around every signed-in page: the top bar (product, service status, user, role,
//! sign out), the navigation for the user's role, and the page itself. It collapses to one
//! column on narrow screens; every control is reachable by keyboard with a visible focus ring.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use super::clock::use_clock;
use super::format::relative;
use super::session::use_session;
use crate::contract::console::ServiceStatus;
use crate::server_fns::console::get_service_status;
use crate::server_fns::session::logout;

/// The signed-in frame; pages render in its `<Outlet/>`.
#[component]
pub fn Shell() -> impl IntoView {
    let session = use_session();
    let me = move || session.user();
    let name = move || me().map(|m| m.display_name.or(m.username).or(m.email).unwrap_or(m.user_id)).unwrap_or_default();
    let is_admin = move || me().is_some_and(|m| m.is_admin);
    let can_provision = move || me().is_some_and(|m| m.can_use_jit);
    let has_teams = move || me().is_some_and(|m| !m.teams.is_empty());
    let sign_out = Action::new_local(|_: &()| logout());
    Effect::new(move |_| {
        if let Some(result) = sign_out.value().get() {
            // Local sessions end here; SSO sessions also end at the identity provider.
            let target = result.ok().and_then(|o| o.logout_url).unwrap_or_else(|| "/app/login".to_owned());
            let _ = window().location().set_href(&target);
        }
    });
    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <header class="topbar">
            <A href="/app/" attr:class="brand">"GHARTS"</A>
            <StatusIndicator/>
            <div class="who">
                <span id="user-name">{name}</span>
                <span id="role-badge" class=move || if is_admin() { "role admin" } else { "role user" }>
                    {move || if is_admin() { "Admin" } else { "Member" }}
                </span>
                <button id="logout" class="secondary" on:click=move |_| { sign_out.dispatch(()); }>"Sign out"</button>
            </div>
        </header>
        <div class="frame">
            <nav class="sidebar" aria-label="Console">
                <ul>
                    <li><A href="/app/" exact=true>"Dashboard"</A></li>
                    <li><A href="/app/runners" exact=true>"Runners"</A></li>
                    <Show when=can_provision>
                        <li><A href="/app/runners/provision">"Provision"</A></li>
                    </Show>
                    <Show when=is_admin>
                        <li class="section">"Administration"</li>
                        <li><A href="/app/admin" exact=true>"Overview"</A></li>
                        <li><A href="/app/admin/teams" exact=true>"Teams"</A></li>
                        <li><A href="/app/admin/users" exact=true>"Users"</A></li>
                    </Show>
                    <Show when=move || is_admin() || has_teams()>
                        <Show when=move || !is_admin()>
                            <li class="section">"My teams"</li>
                        </Show>
                        <li><A href="/app/admin/audit" exact=true>"Audit log"</A></li>
                        <li><A href="/app/admin/security" exact=true>"Security events"</A></li>
                    </Show>
                </ul>
            </nav>
            <main id="main" class="content" tabindex="-1">
                <Outlet/>
            </main>
        </div>
    }
}

/// The service's real state (readiness and the sync worker), refreshed with the lists.
#[component]
fn StatusIndicator() -> impl IntoView {
    let clock = use_clock();
    let status = LocalResource::new(move || {
        clock.refresh.get();
        get_service_status()
    });
    let view_of = move |s: ServiceStatus| {
        let (class, text) = match (s.status.as_str(), s.sync.as_str()) {
            ("unhealthy", _) => ("status-dot bad", "Service unavailable".to_owned()),
            (_, "stale") => ("status-dot warn", "Sync is late".to_owned()),
            ("warning", _) => ("status-dot warn", "Service degraded".to_owned()),
            (_, "disabled") => ("status-dot ok", "Service up · sync off".to_owned()),
            (_, "waiting") => ("status-dot ok", "Service up · sync not run yet".to_owned()),
            _ => ("status-dot ok", "Service up".to_owned()),
        };
        let synced = s.last_sync_time.map(|t| format!(" · synced {}", relative(&t, clock.now_ms.get())));
        view! {
            <span class=class aria-hidden="true"></span>
            <span>{text}{synced}</span>
        }
    };
    view! {
        <p class="service-status" id="service-status" role="status">
            {move || match status.get() {
                None => view! { <span class="muted">"Checking service…"</span> }.into_any(),
                Some(Ok(s)) => view_of(s).into_any(),
                Some(Err(_)) => view! {
                    <span class="status-dot bad" aria-hidden="true"></span>
                    <span>"Service unreachable"</span>
                }
                    .into_any(),
            }}
        </p>
    }
}
