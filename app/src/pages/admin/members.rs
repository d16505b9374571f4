//! A team's members: who, since when, added by whom; add an active user who is not a member
//! yet (searched on the server), remove one after a confirmation. On the admins (system) team
//! adding and removing grant and revoke the admin role, each confirmed, and the last-admin rule
//! is explained when the server refuses.

use leptos::prelude::*;
use uuid::Uuid;

use super::{LAST_ADMIN_RULE, MutationError, count_of};
use crate::contract::ApiError;
use crate::contract::teams::{MemberResponse, TeamResponse};
use crate::contract::users::{UserListQuery, UserUpdateRequest};
use crate::server_fns::teams::{add_team_member, remove_team_member, team_members};
use crate::server_fns::users::{list_users, update_user};
use crate::ui::dialog::{Modal, open_while};
use crate::ui::errors::{ErrorNotice, SuccessNotice};
use crate::ui::format::When;
use crate::ui::pager::LocalPager;

/// Members per page of the dialog (the server pages; a team may have thousands).
const MEMBERS_PAGE: i64 = 50;

/// What a confirmation is about.
#[derive(Clone)]
enum Pending {
    Add(Uuid, String),
    Remove(Uuid, String),
}

/// The members dialog's content.
#[component]
pub fn MembersDialog(team: TeamResponse, on_close: Callback<()>, on_changed: Callback<()>) -> impl IntoView {
    let team_id = team.id;
    let system = team.is_system;
    let changed = RwSignal::new(0u32);
    let offset = RwSignal::new(0i64);
    let members = LocalResource::new(move || {
        changed.get();
        team_members(team_id, MEMBERS_PAGE, offset.get())
    });
    let search = RwSignal::new(String::new());
    let found = LocalResource::new(move || {
        let q = search.get();
        async move {
            if q.trim().chars().count() < 2 {
                return None;
            }
            // The admins team's members are the admins (it has no membership rows).
            let (is_admin, not_member_of) = if system { (Some(false), None) } else { (None, Some(team_id)) };
            let query = UserListQuery { active: Some(true), is_admin, search: Some(q), not_member_of, limit: Some(20), ..UserListQuery::default() };
            Some(list_users(query).await)
        }
    });
    let pending = RwSignal::new(None::<Pending>);
    let confirm_open = open_while(pending);
    let outcome = RwSignal::new(None::<Result<String, ApiError>>);
    let act = Action::new_local(move |p: &Pending| {
        let p = p.clone();
        async move {
            match (p, system) {
                (Pending::Add(id, who), false) => add_team_member(team_id, id).await.map(|_| format!("{who} added.")),
                (Pending::Remove(id, who), false) => remove_team_member(team_id, id).await.map(|_| format!("{who} removed.")),
                (Pending::Add(id, who), true) => {
                    update_user(id, UserUpdateRequest { is_admin: Some(true), ..Default::default() }).await.map(|_| format!("{who} is now an admin."))
                }
                (Pending::Remove(id, who), true) => {
                    update_user(id, UserUpdateRequest { is_admin: Some(false), ..Default::default() }).await.map(|_| format!("{who} is no longer an admin."))
                }
            }
        }
    });
    Effect::new(move |_| {
        if let Some(r) = act.value().get() {
            pending.set(None);
            if r.is_ok() {
                changed.update(|n| *n += 1);
                on_changed.run(());
            }
            outcome.set(Some(r));
        }
    });
    let explain = if system {
        "Members of the admins team are the active administrators. Adding someone grants them the admin role; removing revokes it."
    } else {
        "Members may provision runners for this team, within its label policy and quota."
    };
    view! {
        <p class="muted">{format!("{}: ", team.name)}{explain}</p>
        {move || outcome.get().map(|r| match r {
            Ok(m) => view! { <SuccessNotice message=m/> }.into_any(),
            Err(e) => view! { <MutationError error=e/> }.into_any(),
        })}
        <Suspense fallback=|| view! { <p class="loading">"Loading members…"</p> }>
            {move || members.get().map(|r| match r {
                Ok(list) if list.total == 0 => view! { <p class="empty" id="members-empty">"No members yet."</p> }.into_any(),
                Ok(list) => view! {
                    <p class="muted small">{count_of(list.total, "member", "members")}</p>
                    <ul class="member-list" id="members-list">
                        {list.members.into_iter().map(|m| view! { <MemberItem m=m pending=pending system=system/> }).collect_view()}
                    </ul>
                    <LocalPager id="members-pager" total=list.total limit=MEMBERS_PAGE offset=offset/>
                }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
        </Suspense>
        <h3>{if system { "Grant the admin role" } else { "Add a member" }}</h3>
        <label for="member-search">"Find an active user (email, name or subject)"</label>
        <input id="member-search" type="search" autocomplete="off" prop:value=search on:input=move |ev| search.set(event_target_value(&ev))/>
        <Suspense fallback=|| view! { <p class="loading">"Searching…"</p> }>
            {move || found.get().flatten().map(|r| match r {
                Ok(list) => {
                    let users = list.users;
                    if users.is_empty() {
                        view! { <p class="muted small" id="member-search-empty">"No active user who is not a member matches."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="member-list" id="member-candidates">
                                {users.into_iter().map(|u| {
                                    let who = u.display_name.clone().or(u.email.clone()).or(u.oidc_sub.clone()).unwrap_or_else(|| u.id.to_string());
                                    let label = format!("{} {who}", if system { "Make admin:" } else { "Add" });
                                    let (id, w) = (u.id, who.clone());
                                    view! {
                                        <li>
                                            <span>{who.clone()}{u.email.clone().filter(|e| Some(e) != Some(&who)).map(|e| view! { " " <span class="muted small">{e}</span> })}</span>
                                            <button class="secondary" aria-label=label on:click=move |_| {
                                                if system { pending.set(Some(Pending::Add(id, w.clone()))); } else { act.dispatch(Pending::Add(id, w.clone())); }
                                            }>{if system { "Make admin" } else { "Add" }}</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                }
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
        </Suspense>
        <div class="dialog-actions">
            <button class="secondary" id="members-close" on:click=move |_| on_close.run(())>"Close"</button>
        </div>
        <Modal open=confirm_open title=Signal::derive(move || match (pending.get(), system) {
            (Some(Pending::Add(_, w)), _) => format!("Make {w} an admin?"),
            (Some(Pending::Remove(_, w)), true) => format!("Revoke admin from {w}?"),
            (Some(Pending::Remove(_, w)), false) => format!("Remove {w} from the team?"),
            _ => String::new(),
        }) title_id="member-confirm-title">
            <p>{move || match (pending.get(), system) {
                (Some(Pending::Add(..)), _) => "Admins can change every team, user and runner, and read the whole audit log.".to_owned(),
                (Some(Pending::Remove(..)), true) => format!("They keep their team memberships but lose the admin role. {LAST_ADMIN_RULE}"),
                _ => "They can no longer provision runners for this team. Their runners stay until deleted.".to_owned(),
            }}</p>
            <div class="dialog-actions">
                <button class="secondary" on:click=move |_| pending.set(None)>"Cancel"</button>
                <button id="member-confirm" class="danger" disabled=move || act.pending().get()
                    on:click=move |_| if let Some(p) = pending.get_untracked() { act.dispatch(p); }>"Confirm"</button>
            </div>
        </Modal>
    }
}

#[component]
fn MemberItem(m: MemberResponse, pending: RwSignal<Option<Pending>>, system: bool) -> impl IntoView {
    let who = m.display_name.clone().or(m.email.clone()).unwrap_or_else(|| m.user_id.to_string());
    let (id, w) = (m.user_id, who.clone());
    let label = format!("{} {who}", if system { "Revoke admin from" } else { "Remove" });
    view! {
        <li data-member=who.clone()>
            <span>
                {who.clone()}
                {m.email.clone().filter(|e| *e != who).map(|e| view! { " " <span class="muted small">{e}</span> })}
                {(!m.is_active).then(|| view! { " " <span class="badge state-inactive">"Inactive"</span> })}
                <br/>
                <span class="muted small">"Joined " <When t=m.joined_at/>{m.added_by.map(|a| format!(" · added by {a}"))}</span>
            </span>
            <button class="link danger" aria-label=label on:click=move |_| pending.set(Some(Pending::Remove(id, w.clone())))>
                {if system { "Revoke admin" } else { "Remove" }}
            </button>
        </li>
    }
}
