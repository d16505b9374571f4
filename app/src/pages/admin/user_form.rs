//! Create a user (email, display name, OIDC subject, roles, teams) or edit one (display name,
//! roles, active), with the user's team memberships. Granting or revoking admin is confirmed.

use leptos::prelude::*;
use uuid::Uuid;

use super::MutationError;
use crate::contract::ApiError;
use crate::contract::users::{UserCreateRequest, UserResponse, UserUpdateRequest};
use crate::server_fns::teams::list_teams;
use crate::server_fns::users::{activate_user, create_user, deactivate_user, update_user, user_teams};
use crate::ui::dialog::Modal;
use crate::ui::errors::ErrorNotice;
use crate::ui::reason::{ReasonField, reason_ok};

/// What the form holds.
#[derive(Clone, Default)]
struct Draft {
    email: String,
    oidc_sub: String,
    display_name: String,
    is_admin: bool,
    can_use_jit: bool,
    is_active: bool,
    team_ids: Vec<Uuid>,
    /// Why the user is deactivated (when "active" is unchecked).
    reason: String,
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// The create form (`user: None`) or the edit form of `user`.
#[component]
pub fn UserForm(user: Option<UserResponse>, on_done: Callback<Result<String, ApiError>>, on_cancel: Callback<()>) -> impl IntoView {
    let editing = user.clone();
    let start = user.as_ref().map_or(Draft { can_use_jit: true, is_active: true, ..Default::default() }, |u| Draft {
        email: u.email.clone().unwrap_or_default(),
        oidc_sub: u.oidc_sub.clone().unwrap_or_default(),
        display_name: u.display_name.clone().unwrap_or_default(),
        is_admin: u.is_admin,
        can_use_jit: u.can_use_jit,
        is_active: u.is_active,
        team_ids: vec![],
        reason: String::new(),
    });
    let was_admin = start.is_admin;
    let was_active = start.is_active && user.is_some();
    let draft = RwSignal::new(start);
    let reason = RwSignal::new(String::new());
    Effect::new(move |_| {
        let r = reason.get();
        draft.update(|d| d.reason = r);
    });
    let reason_missing = move || was_active && !draft.with(|d| d.is_active) && !reason.with(|r| reason_ok(r));
    let confirm_admin = RwSignal::new(false);
    let save = Action::new_local(move |d: &Draft| {
        let (d, before) = (d.clone(), editing.clone());
        async move {
            match before {
                None => create_user(UserCreateRequest {
                    email: opt(&d.email),
                    oidc_sub: opt(&d.oidc_sub),
                    display_name: opt(&d.display_name),
                    is_admin: d.is_admin,
                    can_use_jit: d.can_use_jit,
                    team_ids: d.team_ids,
                })
                .await
                .map(|u| format!("User {} created.", super::users::who(&u))),
                Some(b) => {
                    let name = opt(&d.display_name);
                    let req = UserUpdateRequest {
                        display_name: (name != b.display_name).then(|| name.unwrap_or_default()),
                        is_admin: (d.is_admin != b.is_admin).then_some(d.is_admin),
                        is_active: None,
                        can_use_jit: (d.can_use_jit != b.can_use_jit).then_some(d.can_use_jit),
                    };
                    let who = opt(&d.display_name).unwrap_or_else(|| super::users::who(&b));
                    let mut done = Vec::new();
                    // Reactivate first (a deactivated user cannot be changed meaningfully), deactivate last.
                    if d.is_active && !b.is_active {
                        activate_user(b.id).await?;
                        done.push("reactivated");
                    }
                    if req.display_name.is_some() || req.is_admin.is_some() || req.can_use_jit.is_some() {
                        update_user(b.id, req).await?;
                        done.push("saved");
                    }
                    if !d.is_active && b.is_active {
                        deactivate_user(b.id, d.reason.trim().to_owned()).await?;
                        done.push("deactivated");
                    }
                    Ok(if done.is_empty() { format!("Nothing changed for {who}.") } else { format!("User {who} {}.", done.join(" and ")) })
                }
            }
        }
    });
    Effect::new(move |_| {
        if let Some(r) = save.value().get() {
            confirm_admin.set(false);
            if let Ok(m) = r {
                on_done.run(Ok(m));
            }
        }
    });
    let submit = move || {
        let d = draft.get_untracked();
        if d.is_admin != was_admin {
            confirm_admin.set(true)
        } else {
            save.dispatch(d);
        }
    };
    let field = move |get: fn(&Draft) -> String, set: fn(&mut Draft, String)| {
        (move || draft.with(get), move |ev: leptos::ev::Event| draft.update(|d| set(d, event_target_value(&ev))))
    };
    let (email_v, email_in) = field(|d| d.email.clone(), |d, v| d.email = v);
    let (sub_v, sub_in) = field(|d| d.oidc_sub.clone(), |d, v| d.oidc_sub = v);
    let (name_v, name_in) = field(|d| d.display_name.clone(), |d, v| d.display_name = v);
    let is_edit = user.is_some();
    let user_id = user.as_ref().map(|u| u.id);
    let subject_name = user.as_ref().map(super::users::who).unwrap_or_else(|| "this user".to_owned());
    view! {
        <form id="user-form" class="stack" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <label for="user-email">"Email"</label>
            <input id="user-email" type="email" maxlength="254" disabled=is_edit prop:value=email_v on:input=email_in/>
            <label for="user-sub">"OIDC subject"</label>
            <input id="user-sub" maxlength="255" disabled=is_edit aria-describedby="user-sub-hint" prop:value=sub_v on:input=sub_in/>
            <p id="user-sub-hint" class="muted small">{if is_edit {
                "Email and subject do not change here. A subject is bound at the first sign-in by verified email."
            } else {
                "An email, a subject, or both. Without a subject, the first SSO sign-in with this verified email binds it."
            }}</p>
            <label for="user-display-name">"Display name"</label>
            <input id="user-display-name" maxlength="255" prop:value=name_v on:input=name_in/>
            <fieldset>
                <legend>"Roles and state"</legend>
                <label class="inline"><input type="checkbox" id="user-admin" prop:checked=move || draft.with(|d| d.is_admin)
                    on:change=move |ev| draft.update(|d| d.is_admin = event_target_checked(&ev))/>" Administrator"</label>
                <label class="inline"><input type="checkbox" id="user-jit" prop:checked=move || draft.with(|d| d.can_use_jit)
                    on:change=move |ev| draft.update(|d| d.can_use_jit = event_target_checked(&ev))/>" May provision runners"</label>
                {is_edit.then(|| view! {
                    <label class="inline"><input type="checkbox" id="user-active" prop:checked=move || draft.with(|d| d.is_active)
                        on:change=move |ev| draft.update(|d| d.is_active = event_target_checked(&ev))/>" Active (may sign in)"</label>
                })}
            </fieldset>
            <Show when=move || was_active && !draft.with(|d| d.is_active)>
                <p class="notice warn">"Deactivating ends the user's sessions now; their pending runners are reclaimed at the next sync."</p>
                <ReasonField id="user-deactivate-reason" reason=reason/>
            </Show>
            {match user_id {
                None => view! { <TeamPicker draft=draft/> }.into_any(),
                Some(id) => view! { <Memberships user_id=id/> }.into_any(),
            }}
            {move || save.value().get().and_then(Result::err).map(|e| view! { <MutationError error=e/> })}
            <div class="dialog-actions">
                <button type="button" class="secondary" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                <button type="submit" id="user-save" disabled=move || save.pending().get() || reason_missing()>{if is_edit { "Save user" } else { "Create user" }}</button>
            </div>
        </form>
        <Modal open=confirm_admin title=Signal::derive(move || if draft.with(|d| d.is_admin) { format!("Make {subject_name} an admin?") } else { format!("Revoke admin from {subject_name}?") }) title_id="user-admin-title">
            <p>{move || if draft.with(|d| d.is_admin) {
                "Admins can change every team, user and runner, and read the whole audit log."
            } else {
                "They lose the admin role. GHARTS keeps at least one active admin and refuses otherwise."
            }}</p>
            <div class="dialog-actions">
                <button class="secondary" on:click=move |_| confirm_admin.set(false)>"Cancel"</button>
                <button id="user-admin-confirm" class="danger" disabled=move || save.pending().get()
                    on:click=move |_| { save.dispatch(draft.get_untracked()); }>"Confirm"</button>
            </div>
        </Modal>
    }
}

/// Create: the teams the new user joins (a non-admin needs at least one).
#[component]
fn TeamPicker(draft: RwSignal<Draft>) -> impl IntoView {
    let teams = LocalResource::new(|| list_teams(true, 200, 0));
    view! {
        <fieldset>
            <legend>"Teams (a non-admin needs at least one)"</legend>
            <Suspense fallback=|| view! { <p class="loading">"Loading teams…"</p> }>
                {move || teams.get().map(|r| match r {
                    Ok(list) => list.teams.into_iter().filter(|t| !t.is_system).map(|t| {
                        let id = t.id;
                        view! {
                            <label class="inline">
                                <input type="checkbox" prop:checked=move || draft.with(|d| d.team_ids.contains(&id))
                                    on:change=move |ev| { let on = event_target_checked(&ev); draft.update(|d| { d.team_ids.retain(|x| *x != id); if on { d.team_ids.push(id); } }); }/>
                                " " {t.name.clone()} {(!t.is_active).then_some(" (inactive)")}
                            </label>
                            <br/>
                        }
                    }).collect_view().into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                })}
            </Suspense>
        </fieldset>
    }
}

/// Edit: the teams the user belongs to (memberships change on the teams page).
#[component]
fn Memberships(user_id: Uuid) -> impl IntoView {
    let teams = LocalResource::new(move || user_teams(user_id));
    view! {
        <section aria-labelledby="user-teams-title">
            <h3 id="user-teams-title">"Team memberships"</h3>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || teams.get().map(|r| match r {
                    Ok(list) if list.teams.is_empty() => view! { <p class="muted" id="user-teams">"No team."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="labels" id="user-teams">
                            {list.teams.into_iter().map(|t| view! { <li class="pill">{t.name}{(!t.is_active).then_some(" (inactive)")}</li> }).collect_view()}
                        </ul>
                        <p class="muted small">"Add or remove memberships from the team's Members dialog on the Teams page."</p>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
