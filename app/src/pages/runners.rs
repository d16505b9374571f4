//! `/app/runners`: the runners the user may see, paged and filtered by the server, with the
//! filters and the page in the URL; per-row refresh and delete; admins delete in bulk with a
//! reason after a preview. Refreshes every 30 s while the tab is visible.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::contract::ApiError;
use crate::contract::batch::{BatchActionResponse, BatchDeleteRunnersRequest, BatchDetail};
use crate::contract::runners::{RunnerListQuery, RunnerListResponse, RunnerStatus};
use crate::server_fns::runners::{batch_delete_runners, list_runners};
use crate::ui::clock::use_clock;
use crate::ui::dialog::Modal;
use crate::ui::errors::{ErrorNotice, SuccessNotice};
use crate::ui::format::{StatusBadge, When};
use crate::ui::pager::{DEFAULT_PAGE_SIZE, PAGE_SIZES, query_setter};
use crate::ui::reason::{ReasonField, reason_ok};
use crate::ui::runner_actions::{DeleteRunnerDialog, RunnerActions};
use crate::ui::session::use_session;
use crate::ui::table::{EmptyCard, PagedTable, SelectAll, SelectBox};

/// The runners route.
pub struct RunnersPage;

crate::lazy_page!(RunnersPage, runners_page, { view! { <RunnersView/> }.into_any() });

/// The list query from the page's URL (`status`, `team`, `ephemeral`, `q`, `page`, `size`).
fn query_from_url(get: impl Fn(&str) -> Option<String>) -> RunnerListQuery {
    let size = get("size").and_then(|s| s.parse::<i64>().ok()).filter(|s| PAGE_SIZES.contains(s)).unwrap_or(DEFAULT_PAGE_SIZE);
    let page = get("page").and_then(|p| p.parse::<i64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
    RunnerListQuery {
        status: get("status").filter(|s| !s.is_empty()),
        team: get("team").filter(|s| !s.is_empty()),
        ephemeral: get("ephemeral").and_then(|e| crate::contract::query::parse_bool(&e)),
        name_contains: get("q").filter(|s| !s.is_empty()),
        limit: Some(size),
        offset: Some((page - 1) * size),
        ..Default::default()
    }
}

#[component]
fn RunnersView() -> impl IntoView {
    let session = use_session();
    let clock = use_clock();
    let url = use_query_map();
    let filter = Memo::new(move |_| url.with(|q| query_from_url(|k| q.get(k))));
    let changed = RwSignal::new(0u32);
    let runners = LocalResource::new(move || {
        clock.refresh.get();
        changed.get();
        list_runners(filter.get())
    });
    let selected = RwSignal::new(BTreeSet::<Uuid>::new());
    let notice = RwSignal::new(None::<Result<String, ApiError>>);
    let is_admin = move || session.is_admin() == Some(true);
    let done = move |r: Result<String, ApiError>| {
        notice.set(Some(r));
        changed.update(|n| *n += 1);
    };

    view! {
        <div class="page-head">
            <h1>"Runners"</h1>
            <a class="button" href="/app/runners/provision">"Provision a runner"</a>
        </div>
        <Filters filter=filter/>
        {move || notice.get().map(|n| match n {
            Ok(m) => view! { <SuccessNotice message=m/> }.into_any(),
            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
        })}
        <Show when=is_admin>
            <BulkDelete selected=selected on_done=Callback::new(done)/>
        </Show>
        <Transition fallback=|| view! { <p class="loading">"Loading runners…"</p> }>
            {move || runners.get().map(|r| match r {
                Ok(list) => view! { <RunnerTable list=list selected=selected admin=is_admin() on_done=Callback::new(done)/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
        </Transition>
    }
}

/// The filter bar: every change is a new URL, so the back button and links keep the view.
#[component]
fn Filters(filter: Memo<RunnerListQuery>) -> impl IntoView {
    let session = use_session();
    let set = query_setter();
    let teams = move || session.user().map(|m| m.teams).unwrap_or_default();
    let f = move || filter.get();
    let (set1, set2, set3, set4) = (set.clone(), set.clone(), set.clone(), set);
    let search = RwSignal::new(f().name_contains.unwrap_or_default());
    view! {
        <form class="filters" role="search" on:submit=move |ev| { ev.prevent_default(); set4("q", &search.get_untracked()); }>
            <label>
                "Status"
                <select id="filter-status" on:change=move |ev| set1("status", &event_target_value(&ev))>
                    {[("", "Live (not deleted)"), ("pending", "Pending"), ("idle", "Idle"), ("busy", "Busy"), ("active", "Idle or busy"), ("offline", "Offline"), ("deleted", "Deleted")]
                        .into_iter()
                        .map(|(v, l)| view! { <option value=v selected=move || f().status.as_deref().unwrap_or("") == v>{l}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Team"
                <select id="filter-team" on:change=move |ev| set2("team", &event_target_value(&ev))>
                    <option value="">"All I can see"</option>
                    {move || teams().into_iter().map(|t| {
                        let name = t.name.clone();
                        let value = t.name.clone();
                        view! { <option value=value selected=move || f().team.as_deref() == Some(name.as_str())>{t.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>
                "Ephemeral"
                <select id="filter-ephemeral" on:change=move |ev| set3("ephemeral", &event_target_value(&ev))>
                    <option value="" selected=move || f().ephemeral.is_none()>"Any"</option>
                    <option value="true" selected=move || f().ephemeral == Some(true)>"Ephemeral"</option>
                    <option value="false" selected=move || f().ephemeral == Some(false)>"Persistent"</option>
                </select>
            </label>
            <label>
                "Name contains"
                <input id="filter-name" type="search" prop:value=search on:input=move |ev| search.set(event_target_value(&ev))/>
            </label>
            <button type="submit" class="secondary">"Search"</button>
        </form>
    }
}

#[component]
fn RunnerTable(list: RunnerListResponse, selected: RwSignal<BTreeSet<Uuid>>, admin: bool, on_done: Callback<Result<String, ApiError>>) -> impl IntoView {
    if list.runners.is_empty() {
        return view! { <EmptyCard id="runners-empty" title="No runners match." hint="Change the filters, or provision a runner to get started."/> }.into_any();
    }
    let select = admin.then(|| SelectAll {
        label: "Select every live runner on this page",
        ids: list.runners.iter().filter(|r| r.status.as_str() != "deleted").map(|r| r.runner_id).collect(),
        selected,
    });
    let columns = &["Name", "Status", "Team", "Labels", "Provisioned by", "Created", "Actions"];
    view! {
        <PagedTable id="runners-table" class="runners" caption="Runners" columns=columns select=select total=list.total limit=list.limit offset=list.offset>
            {list.runners.into_iter().map(|r| view! { <RunnerRow r=r selected=selected admin=admin on_done=on_done/> }).collect_view()}
        </PagedTable>
    }
    .into_any()
}

#[component]
fn RunnerRow(r: RunnerStatus, selected: RwSignal<BTreeSet<Uuid>>, admin: bool, on_done: Callback<Result<String, ApiError>>) -> impl IntoView {
    let id = r.runner_id;
    let name = r.runner_name.clone();
    let deleted = r.status.as_str() == "deleted";
    let actions = RunnerActions::new(
        id,
        move |res| on_done.run(res.map(|r| format!("Refreshed {}: {}.", r.runner_name, r.status))),
        move |res| on_done.run(res.map(|d| d.message)),
    );
    let RunnerActions { refresh, confirm, .. } = actions;
    let extra = r.labels.len().saturating_sub(3);
    let shown: Vec<String> = r.labels.iter().take(3).cloned().collect();
    let dialog_id = format!("delete-title-{id}");
    let row_name = name.clone();
    view! {
        <tr data-runner=name.clone()>
            {admin.then(|| view! {
                <td><SelectBox id=id label=format!("Select {name}") selected=selected disabled=deleted/></td>
            })}
            <th scope="row"><a href=format!("/app/runners/{id}")>{r.runner_name.clone()}</a>{r.ephemeral.then_some(" ")}{r.ephemeral.then(|| view! { <span class="muted small">"ephemeral"</span> })}</th>
            <td>
                <StatusBadge status=r.status.as_str().to_owned()/>
                {r.deletion_reason.clone().map(|why| view! { <span class="muted small deletion-reason">{format!(" {}", why.replace('_', " "))}</span> })}
            </td>
            <td class="team">{r.team_name.clone().unwrap_or_else(|| "—".into())}</td>
            <td>
                <ul class="labels">
                    {shown.into_iter().map(|l| view! { <li class="pill">{l}</li> }).collect_view()}
                    {(extra > 0).then(|| view! { <li class="pill more">{format!("+{extra} more")}</li> })}
                </ul>
            </td>
            <td>{r.provisioned_by.clone()}</td>
            <td><When t=r.created_at/></td>
            <td class="row-actions">
                <a href=format!("/app/runners/{id}") aria-label=format!("View {row_name}")>"View"</a>
                <Show when=move || !deleted>
                    <button class="link" aria-label=format!("Refresh {}", row_name.clone()) disabled=move || refresh.pending().get() on:click=move |_| { refresh.dispatch(()); }>"Refresh"</button>
                    <button class="link danger" aria-label=format!("Delete {}", row_name.clone()) on:click=move |_| confirm.set(true)>"Delete"</button>
                </Show>
                <DeleteRunnerDialog actions name=name.clone() title_id=dialog_id/>
            </td>
        </tr>
    }
}

/// Admins: delete the selected runners with a reason, after a preview of what will go.
#[component]
fn BulkDelete(selected: RwSignal<BTreeSet<Uuid>>, on_done: Callback<Result<String, ApiError>>) -> impl IntoView {
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let request = move |dry_run: bool| BatchDeleteRunnersRequest {
        comment: reason.get_untracked().trim().to_owned(),
        dry_run,
        runner_ids: Some(selected.get_untracked().into_iter().collect()),
        ..Default::default()
    };
    let preview = LocalResource::new(move || {
        let ids: Vec<Uuid> = selected.get().into_iter().collect();
        let show = open.get();
        async move {
            if !show || ids.is_empty() {
                return None;
            }
            // The preview needs a valid comment; the real reason is checked when confirming.
            let req = BatchDeleteRunnersRequest { comment: "preview of a bulk delete".into(), dry_run: true, runner_ids: Some(ids), ..Default::default() };
            Some(batch_delete_runners(req).await)
        }
    });
    let run = Action::new_local(move |_: &()| batch_delete_runners(request(false)));
    Effect::new(move |_| {
        if let Some(res) = run.value().get() {
            open.set(false);
            reason.set(String::new());
            selected.set(BTreeSet::new());
            on_done.run(res.map(|b: BatchActionResponse| format!("Deleted {} runners ({} failed).", b.affected_count, b.failed_count)));
        }
    });
    let count = move || selected.with(BTreeSet::len);
    let valid = move || reason.with(|r| reason_ok(r));
    view! {
        <Show when=move || { count() > 0 }>
            <p class="bulk-bar">
                {move || format!("{} selected", count())}
                <button id="bulk-delete" class="danger" on:click=move |_| open.set(true)>{move || format!("Delete selected ({})", count())}</button>
                <button class="secondary" on:click=move |_| selected.set(BTreeSet::new())>"Clear selection"</button>
            </p>
        </Show>
        <Modal open=open title="Delete runners in bulk" title_id="bulk-title">
            <p>"These runners will be deleted at GitHub and marked deleted here:"</p>
            <Suspense fallback=|| view! { <p class="loading">"Preparing the preview…"</p> }>
                {move || preview.get().flatten().map(|r| match r {
                    Ok(b) => view! {
                        <ul class="preview" id="bulk-preview">
                            {b.details.into_iter().filter_map(|d| match d {
                                BatchDetail::Runner(r) => Some(view! {
                                    <li>{r.runner_name.unwrap_or_else(|| r.runner_id.to_string())} " — " {r.status.replace('_', " ")}</li>
                                }),
                                _ => None,
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                })}
            </Suspense>
            <ReasonField id="bulk-reason" reason=reason/>
            {move || run.value().get().and_then(Result::err).map(|e| view! { <ErrorNotice error=e/> })}
            <div class="dialog-actions">
                <button class="secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button id="bulk-confirm" class="danger" disabled=move || !valid() || run.pending().get() on:click=move |_| { run.dispatch(()); }>
                    {move || format!("Delete {} runners", count())}
                </button>
            </div>
        </Modal>
    }
}
