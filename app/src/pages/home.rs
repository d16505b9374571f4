//! `/app/`: who the signed-in caller is, and a logout button.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::message_for;
use crate::contract::{ErrorCode, MeResponse};
use crate::server_fns::{current_user, logout};

/// The landing page after login.
#[component]
pub fn HomePage() -> impl IntoView {
    let me = LocalResource::new(current_user);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                me.get()
                    .map(|result| match result {
                        Ok(me) => view! { <UserCard me=me/> }.into_any(),
                        Err(e) if e.error_code == ErrorCode::Unauthenticated => {
                            view! { <Redirect path="/app/login"/> }.into_any()
                        }
                        Err(e) => view! { <p id="error" class="error">{message_for(&e)}</p> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

/// The caller's identity, roles and teams.
#[component]
fn UserCard(me: MeResponse) -> impl IntoView {
    let sign_out = Action::new_local(|_: &()| logout());
    Effect::new(move |_| {
        if let Some(Ok(out)) = sign_out.value().get() {
            let target = out.logout_url.unwrap_or_else(|| "/app/login".to_owned());
            let _ = window().location().set_href(&target);
        }
    });
    let name = me.display_name.clone().or_else(|| me.username.clone()).or_else(|| me.email.clone()).unwrap_or_else(|| me.user_id.clone());
    let teams = if me.teams.is_empty() { "none".to_owned() } else { me.teams.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ") };
    view! {
        <section class="card whoami">
            <h1>"Signed in"</h1>
            <dl>
                <dt>"Name"</dt>
                <dd id="me-name">{name}</dd>
                <dt>"Username"</dt>
                <dd id="me-username">{me.username.clone().unwrap_or_else(|| "—".to_owned())}</dd>
                <dt>"Email"</dt>
                <dd id="me-email">{me.email.clone().unwrap_or_else(|| "—".to_owned())}</dd>
                <dt>"Roles"</dt>
                <dd id="me-roles">{me.roles.join(", ")}</dd>
                <dt>"Account type"</dt>
                <dd id="me-actor-type">{me.actor_type.clone()}</dd>
                <dt>"Teams"</dt>
                <dd id="me-teams">{teams}</dd>
            </dl>
            <button id="logout" on:click=move |_| { sign_out.dispatch(()); }>
                "Sign out"
            </button>
        </section>
    }
}
