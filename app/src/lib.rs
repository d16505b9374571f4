//! The GHARTS browser console and the contract shared by browser and server.
//!
//! - [`contract`]: request/response types and the error envelope of the HTTP API.
//! - [`server_fns`]: the UI's server functions (under `/api/ui`, not the REST `/api/v1`).
//! - [`pages`]: the console's pages; [`App`] is the root component the `frontend` crate mounts.
//!
//! The crate compiles twice: with `ssr` into the `server` binary (server-function bodies),
//! and with `csr` into the WASM bundle (components, server-function clients).

pub mod contract;
pub mod pages;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

/// The root component: the console lives under `/app/`.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <main class="shell">
                <Routes fallback=|| view! { <pages::NotFound/> }>
                    <Route path=path!("/app") view=pages::HomePage/>
                    <Route path=path!("/app/") view=pages::HomePage/>
                    <Route path=path!("/app/login") view=pages::LoginPage/>
                    <Route path=path!("/app/callback") view=pages::OidcCallbackForward/>
                    <Route path=path!("/") view=|| view! { <Redirect path="/app/"/> }/>
                </Routes>
            </main>
        </Router>
    }
}
