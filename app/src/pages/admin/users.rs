//! `/app/admin/users`: every user, paged by the server, filtered by state, role and a search
//! text (all in the URL); create and edit; disable or restore the selected users in a batch,
//! with a reason and the server's preview. The last admin is kept, and the page says why.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use super::batch::{BatchBar, BatchWords};
use super::user_form::UserForm;
use super::{OutcomeNotice, non_empty};
use crate::contract::ApiError;
use crate::contract::batch::{BatchDisableUsersRequest, BatchRestoreUsersRequest};
use crate::contract::users::{UserListQuery, UserListResponse, UserResponse};
use crate::server_fns::users::{batch_disable_users, batch_restore_users, list_users};
use crate::ui::clock::use_clock;
use crate::ui::dialog::{Modal, open_while};
use crate::ui::errors::ErrorNotice;
use crate::ui::format::{MaybeWhen, When};
use crate::ui::pager::{paging_from, query_setter};
use crate::ui::table::{EmptyCard, PagedTable, SelectAll, SelectBox};

/// The users route.
pub struct UsersPage;

crate::lazy_page!(UsersPage, users_page, { view! { <Users/> }.into_any() });

/// A user's name for people.
pub fn who(u: &UserResponse) -> String {
    u.display_name.clone().or(u.email.clone()).or(u.username.clone()).or(u.oidc_sub.clone()).unwrap_or_else(|| u.id.to_string())
}

#[derive(Clone)]
enum Open {
    Create,
    Edit(UserResponse),
}

#[component]
fn Users() -> impl IntoView {
    let clock = use_clock();
    let url = use_query_map();
    // The URL: `state=all|deactivated` (absent: active users), `admin=1|0`, `q`, `page`, `size`.
    let query = Memo::new(move |_| {
        url.with(|q| {
            let (limit, offset) = paging_from(|k| q.get(k));
            UserListQuery {
                include_inactive: Some(true),
                active: match q.get("state").as_deref() {
                    Some("all") => None,
                    Some("deactivated") => Some(false),
                    _ => Some(true),
                },
                is_admin: q.get("admin").and_then(|a| crate::contract::query::parse_bool(&a)),
                search: non_empty(q.get("q")),
                limit: Some(limit),
                offset: Some(offset),
                not_member_of: None,
            }
        })
    });
    let changed = RwSignal::new(0u32);
    let users = LocalResource::new(move || {
        clock.refresh.get();
        changed.get();
        list_users(query.get())
    });
    let outcome = RwSignal::new(None::<Result<String, ApiError>>);
    let selected = RwSignal::new(BTreeSet::<Uuid>::new());
    let open = RwSignal::new(None::<Open>);
    let form_open = open_while(open);
    let done = Callback::new(move |r: Result<String, ApiError>| {
        outcome.set(Some(r));
        open.set(None);
        changed.update(|n| *n += 1);
    });
    let close = Callback::new(move |_: ()| open.set(None));
    let title = move || match open.get() {
        Some(Open::Edit(u)) => format!("Edit {}", who(&u)),
        _ => "Create a user".to_owned(),
    };
    view! {
        <div class="page-head">
            <h1>"Users"</h1>
            <button id="user-create" on:click=move |_| open.set(Some(Open::Create))>"Create user"</button>
        </div>
        <Filters query=query/>
        <OutcomeNotice outcome=outcome/>
        <UserBatchBar selected=selected on_done=done/>
        <Transition fallback=|| view! { <p class="loading">"Loading users…"</p> }>
            {move || users.get().map(|r| match r {
                Ok(list) => view! { <UserTable list=list selected=selected open=open/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
        </Transition>
        <Modal open=form_open title=Signal::derive(title) title_id="user-form-title">
            {move || match open.get() {
                Some(Open::Create) => view! { <UserForm user=None on_done=done on_cancel=close/> }.into_any(),
                Some(Open::Edit(u)) => view! { <UserForm user=Some(u) on_done=done on_cancel=close/> }.into_any(),
                None => ().into_any(),
            }}
        </Modal>
    }
}

#[component]
fn Filters(query: Memo<UserListQuery>) -> impl IntoView {
    let set = query_setter();
    let (set1, set2, set3) = (set.clone(), set.clone(), set);
    let search = RwSignal::new(query.get_untracked().search.unwrap_or_default());
    view! {
        <form class="filters" role="search" on:submit=move |ev| { ev.prevent_default(); set3("q", search.get_untracked().trim()); }>
            <label>
                "State"
                <select id="filter-state" on:change=move |ev| set1("state", &event_target_value(&ev))>
                    <option value="" selected=move || query.get().active == Some(true)>"Active"</option>
                    <option value="deactivated" selected=move || query.get().active == Some(false)>"Deactivated"</option>
                    <option value="all" selected=move || query.get().active.is_none()>"All"</option>
                </select>
            </label>
            <label>
                "Role"
                <select id="filter-admin" on:change=move |ev| set2("admin", &event_target_value(&ev))>
                    <option value="" selected=move || query.get().is_admin.is_none()>"Any"</option>
                    <option value="1" selected=move || query.get().is_admin == Some(true)>"Admins"</option>
                    <option value="0" selected=move || query.get().is_admin == Some(false)>"Not admins"</option>
                </select>
            </label>
            <label>
                "Search"
                <input id="filter-search" type="search" placeholder="email, name, subject" prop:value=search on:input=move |ev| search.set(event_target_value(&ev))/>
            </label>
            <button type="submit" class="secondary">"Search"</button>
        </form>
    }
}

#[component]
fn UserTable(list: UserListResponse, selected: RwSignal<BTreeSet<Uuid>>, open: RwSignal<Option<Open>>) -> impl IntoView {
    if list.users.is_empty() {
        return view! { <EmptyCard id="users-empty" title="No users match." hint="Change the filters, or create a user."/> }.into_any();
    }
    let select = SelectAll { label: "Select every user on this page", ids: list.users.iter().map(|u| u.id).collect(), selected };
    let columns = &["User", "Roles", "Status", "Last sign-in", "Created", "Actions"];
    view! {
        <PagedTable id="users-table" caption="Users" columns=columns select=Some(select) total=list.total limit=list.limit offset=list.offset>
                    {list.users.into_iter().map(|u| {
                        let (id, name, edit) = (u.id, who(&u), u.clone());
                        let ident = u.email.clone().or(u.username.clone().map(|n| format!("local account {n}"))).or(u.oidc_sub.clone()).filter(|e| *e != name);
                        view! {
                            <tr data-user=u.email.clone().or(u.username.clone()).unwrap_or_default()>
                                <td><SelectBox id=id label=format!("Select {name}") selected=selected/></td>
                                <th scope="row">{name.clone()}{ident.map(|e| view! { <br/><span class="muted small">{e}</span> })}</th>
                                <td>
                                    {u.is_admin.then(|| view! { <span class="badge role-admin">"Admin"</span> })}
                                    {u.can_use_jit.then(|| view! { <span class="badge">"May provision"</span> })}
                                </td>
                                <td>{if u.is_active { view! { <span class="badge state-active">"Active"</span> }.into_any() } else { view! { <span class="badge state-inactive">"Deactivated"</span> }.into_any() }}</td>
                                <td><MaybeWhen t=u.last_login_at/></td>
                                <td><When t=u.created_at/></td>
                                <td class="row-actions">
                                    <button class="link" aria-label=format!("Edit {name}") on:click=move |_| open.set(Some(Open::Edit(edit.clone())))>"Edit"</button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
        </PagedTable>
    }
    .into_any()
}

/// The users page's batch: disable (the incident action) or restore.
const USER_BATCH: BatchWords = BatchWords {
    prefix: "user",
    noun: ("user", "users"),
    ids: ["batch-disable", "batch-restore"],
    verbs: ["Disable", "Restore"],
    titles: ["Disable users", "Restore users"],
    explain: [
        "Disabled users cannot sign in; their sessions end now and their pending runners are reclaimed at the next sync. You are never disabled yourself, and the last admin is kept.",
        "Restored users can sign in again.",
    ],
};

/// The users page's batch bar; disabling may leave admins out.
#[component]
fn UserBatchBar(selected: RwSignal<BTreeSet<Uuid>>, on_done: Callback<Result<String, ApiError>>) -> impl IntoView {
    let exclude_admins = RwSignal::new(true);
    let act = move |disable: bool, dry_run: bool, comment: String, ids: Vec<Uuid>| {
        let (user_ids, exclude_admins) = (Some(ids), exclude_admins.get());
        async move {
            if disable {
                batch_disable_users(BatchDisableUsersRequest { comment, dry_run, user_ids, exclude_admins }).await
            } else {
                batch_restore_users(BatchRestoreUsersRequest { comment, dry_run, user_ids }).await
            }
        }
    };
    let options = move || {
        view! {
            <label class="inline"><input type="checkbox" id="batch-exclude-admins" prop:checked=exclude_admins
                on:change=move |ev| exclude_admins.set(event_target_checked(&ev))/>" Leave admins out"</label>
        }
    };
    view! { <BatchBar selected=selected on_done=on_done words=USER_BATCH act=act options=options/> }
}
