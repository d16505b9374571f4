//! The signed-in user, loaded once from the `me` server function and shared as context: it
//! drives the route guards, the navigation and the role badge. A page that meets an expired
//! session sends the user to the login page with the way back.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};

use crate::contract::{ApiError, MeResponse};
use crate::server_fns::session::current_user;

/// The session context: who is signed in (or why nobody is).
#[derive(Clone, Copy)]
pub struct Session {
    /// `None` while loading.
    pub me: LocalResource<Result<MeResponse, ApiError>>,
}

impl Session {
    /// Loads the caller; call once, in the root component.
    pub fn provide() -> Self {
        let s = Session { me: LocalResource::new(current_user) };
        provide_context(s);
        s
    }

    /// The signed-in user, once known.
    pub fn user(&self) -> Option<MeResponse> {
        self.me.get().and_then(Result::ok)
    }

    /// `Some(true)` for admins; `None` while loading.
    pub fn is_admin(&self) -> Option<bool> {
        self.me.get().map(|r| r.is_ok_and(|m| m.is_admin))
    }
}

/// The session context.
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Whether `next` is a console path we may send a user to after login (never another site).
pub fn safe_next(next: &str) -> bool {
    (next == "/app" || next.starts_with("/app/")) && !next.contains("//") && !next.contains('\\')
}

/// The login page's URL that returns to the current page afterwards.
pub fn login_url_returning_here() -> String {
    let loc = use_location();
    let search = loc.search.get_untracked();
    let here = match search.as_str() {
        "" => loc.pathname.get_untracked(),
        s if s.starts_with('?') => format!("{}{s}", loc.pathname.get_untracked()),
        s => format!("{}?{s}", loc.pathname.get_untracked()),
    };
    if safe_next(&here) && !here.starts_with("/app/login") {
        format!("/app/login?next={}", String::from(js_sys::encode_uri_component(&here)))
    } else {
        "/app/login".to_owned()
    }
}

/// Sends the user to the login page (the session ended while they were here).
pub fn redirect_to_login() {
    let session = use_session();
    let target = login_url_returning_here();
    let navigate = use_navigate();
    navigate(&target, NavigateOptions { replace: true, ..Default::default() });
    session.me.refetch();
}
