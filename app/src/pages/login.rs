//! `/app/login`: the local login form, and "Sign in with SSO" when OIDC is configured. After
//! signing in, the user returns to `?next=` (a console path only), else the dashboard.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::server_fns::session::{get_login_options, local_login};
use crate::ui::errors::{message_for, message_for_code};
use crate::ui::session::{safe_next, use_session};

/// The login page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let next = move || query.read().get("next").filter(|n| safe_next(n)).unwrap_or_else(|| "/app/".to_owned());
    let options = LocalResource::new(get_login_options);
    let (username, set_username) = signal(String::new());
    let (password, set_password) = signal(String::new());
    let login = Action::new_local(move |(u, p): &(String, String)| local_login(u.clone(), p.clone()));

    // A successful login reloads the session; once it says who we are, go on (this also sends
    // an already signed-in visitor of the login page on to the console).
    Effect::new(move |_| {
        if let Some(Ok(_)) = login.value().get() {
            session.me.refetch();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = session.me.get() {
            navigate(&next(), NavigateOptions { replace: true, ..Default::default() });
        }
    });

    let error = move || match login.value().get() {
        Some(Err(e)) => Some(message_for(&e)),
        Some(Ok(_)) => None,
        None => query.read().get("error").map(|c| message_for_code(&c)),
    };
    let opts = move || options.get().and_then(Result::ok);
    let oidc_enabled = move || opts().is_some_and(|o| o.oidc_enabled);
    let local_enabled = move || opts().is_none_or(|o| o.local_enabled);
    let sso_href = move || format!("/auth/login?next={}", String::from(js_sys::encode_uri_component(&next())));

    view! {
        <main class="login-page">
            <section class="card login">
                <h1>"GHARTS"</h1>
                <p class="subtitle">"GitHub Actions Runner Token Service"</p>
                <Show when=oidc_enabled>
                    // rel="external": a full navigation to the server, not a client-side route.
                    <a class="button sso" id="sso-login" href=sso_href rel="external">"Sign in with SSO"</a>
                </Show>
                <Show when=local_enabled>
                    <form
                        id="local-login"
                        class="stack"
                        on:submit=move |ev| {
                            ev.prevent_default();
                            login.dispatch((username.get_untracked(), password.get_untracked()));
                        }
                    >
                        <label for="username">"Username"</label>
                        <input
                            id="username"
                            name="username"
                            autocomplete="username"
                            required
                            prop:value=username
                            on:input=move |ev| set_username.set(event_target_value(&ev))
                        />
                        <label for="password">"Password"</label>
                        <input
                            id="password"
                            name="password"
                            type="password"
                            autocomplete="current-password"
                            required
                            prop:value=password
                            on:input=move |ev| set_password.set(event_target_value(&ev))
                        />
                        <button id="login" type="submit" disabled=move || login.pending().get()>
                            "Sign in"
                        </button>
                    </form>
                </Show>
                {move || error().map(|m| view! { <p id="error" class="error" role="alert">{m}</p> })}
            </section>
        </main>
    }
}
