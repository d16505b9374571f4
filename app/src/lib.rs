//! The GHARTS browser console and the contract shared by browser and server.
//!
//! - [`contract`]: request/response types and the error envelope of the HTTP API.
//! - [`server_fns`]: the UI's server functions (under `/api/ui`, not the REST `/api/v1`); each
//!   is a typed call of the REST contract, run in process by the server ([`ssr`]).
//! - [`ui`]: what every page shares (session, shell, clock, dialogs, errors, formats, paging).
//! - [`pages`]: the console's pages. Every page but the login page is a lazy route: its code
//!   is a separate WASM chunk, fetched the first time the page opens.
//!
//! The crate compiles twice: with `ssr` into the `server` binary (server-function bodies),
//! and with `csr` into the WASM bundle (components, server-function clients).

pub mod contract;
pub mod pages;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod ui;

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, ProtectedParentRoute, Redirect, Route, Router, Routes, RoutingProgress};
use leptos_router::{Lazy, path};

use ui::clock::Clock;
use ui::session::{Session, login_url_returning_here};

/// The root component: the console lives under `/app/`.
#[component]
pub fn App() -> impl IntoView {
    let session = Session::provide();
    Clock::provide();
    let (is_routing, set_is_routing) = signal(false);
    let signed_in = move || session.me.get().map(|r| r.is_ok());
    view! {
        <Router set_is_routing>
            <RoutingProgress is_routing max_time=std::time::Duration::from_millis(250)/>
            <Routes fallback=|| view! { <pages::NotFound/> }>
                <Route path=path!("/app/login") view=pages::LoginPage/>
                <Route path=path!("/app/callback") view=pages::OidcCallbackForward/>
                <Route path=path!("/") view=|| view! { <Redirect path="/app/"/> }/>
                <ProtectedParentRoute
                    path=path!("/app")
                    view=ui::shell::Shell
                    condition=signed_in
                    redirect_path=login_url_returning_here
                    fallback=|| view! { <p class="loading page-loading">"Loading…"</p> }
                >
                    <Route path=path!("") view={Lazy::<pages::dashboard::DashboardPage>::new()}/>
                    <Route path=path!("runners") view={Lazy::<pages::runners::RunnersPage>::new()}/>
                    <Route path=path!("runners/provision") view={Lazy::<pages::provision::ProvisionPage>::new()}/>
                    <Route path=path!("runners/:id") view={Lazy::<pages::runner_detail::RunnerDetailPage>::new()}/>
                    <ParentRoute path=path!("admin") view=pages::AdminGate>
                        <Route path=path!("") view={Lazy::<pages::admin_overview::AdminOverviewPage>::new()}/>
                        <Route path=path!("teams") view={Lazy::<pages::admin::teams::TeamsPage>::new()}/>
                        <Route path=path!("users") view={Lazy::<pages::admin::users::UsersPage>::new()}/>
                        <Route path=path!("audit") view={Lazy::<pages::admin::audit::AuditPage>::new()}/>
                        <Route path=path!("security") view={Lazy::<pages::admin::security::SecurityPage>::new()}/>
                        <Route path=path!("*any") view=pages::NotFound/>
                    </ParentRoute>
                    <Route path=path!("*any") view=pages::NotFound/>
                </ProtectedParentRoute>
            </Routes>
        </Router>
    }
}
