//! `/app/admin/teams`: every team with its policy, quota use and members, paged by the server
//! (inactive teams on request, in the URL); create and edit; (de)activate one team with a
//! reason, or the selected teams in a batch after a preview; each team's members and M2M client.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use super::OutcomeNotice;
use super::batch::{BatchBar, BatchWords};
use super::clients::ClientDialog;
use super::members::MembersDialog;
use super::team_form::TeamForm;
use crate::contract::ApiError;
use crate::contract::batch::{BatchActionResponse, BatchDeactivateTeamsRequest, BatchReactivateTeamsRequest};
use crate::contract::teams::{TeamListResponse, TeamResponse};
use crate::server_fns::teams::{batch_deactivate_teams, batch_reactivate_teams, deactivate_team, list_teams, reactivate_team};
use crate::ui::clock::use_clock;
use crate::ui::dialog::{Modal, open_when};
use crate::ui::errors::ErrorNotice;
use crate::ui::format::Labels;
use crate::ui::pager::{paging_from, query_setter};
use crate::ui::reason::{ReasonField, reason_ok};
use crate::ui::table::{EmptyCard, PagedTable, SelectAll, SelectBox};

/// The teams route.
pub struct TeamsPage;

crate::lazy_page!(TeamsPage, teams_page, { view! { <Teams/> }.into_any() });

/// Which dialog is open, for which team.
#[derive(Clone)]
enum Open {
    Create,
    Edit(TeamResponse),
    Members(TeamResponse),
    Client(TeamResponse),
    Deactivate(TeamResponse),
}

#[component]
fn Teams() -> impl IntoView {
    let clock = use_clock();
    let url = use_query_map();
    let query = Memo::new(move |_| {
        url.with(|q| {
            let (limit, offset) = paging_from(|k| q.get(k));
            (q.get("inactive").is_some_and(|v| v == "1"), limit, offset)
        })
    });
    let changed = RwSignal::new(0u32);
    let teams = LocalResource::new(move || {
        clock.refresh.get();
        changed.get();
        let (inactive, limit, offset) = query.get();
        list_teams(inactive, limit, offset)
    });
    let outcome = RwSignal::new(None::<Result<String, ApiError>>);
    let selected = RwSignal::new(BTreeSet::<Uuid>::new());
    let open = RwSignal::new(None::<Open>);
    let done = Callback::new(move |r: Result<String, ApiError>| {
        outcome.set(Some(r));
        open.set(None);
        changed.update(|n| *n += 1);
    });
    let set = query_setter();
    view! {
        <div class="page-head">
            <h1>"Teams"</h1>
            <button id="team-create" on:click=move |_| open.set(Some(Open::Create))>"Create team"</button>
        </div>
        <form class="filters" on:submit=|ev| ev.prevent_default()>
            <label class="inline">
                <input type="checkbox" id="filter-inactive" prop:checked=move || query.get().0
                    on:change=move |ev| set("inactive", if event_target_checked(&ev) { "1" } else { "" })/>
                " Include inactive teams"
            </label>
        </form>
        <OutcomeNotice outcome=outcome/>
        <BatchBar selected=selected on_done=done words=TEAM_BATCH act=team_batch/>
        <Transition fallback=|| view! { <p class="loading">"Loading teams…"</p> }>
            {move || teams.get().map(|r| match r {
                Ok(list) => view! { <TeamTable list=list selected=selected open=open on_done=done/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
        </Transition>
        <Dialogs open=open on_done=done changed=changed/>
    }
}

/// The page's dialogs; the open one follows `open`.
#[component]
fn Dialogs(open: RwSignal<Option<Open>>, on_done: Callback<Result<String, ApiError>>, changed: RwSignal<u32>) -> impl IntoView {
    let is = move |f: fn(&Open) -> bool| open_when(open, f);
    let (form, members, client, deactivate) = (
        is(|o| matches!(o, Open::Create | Open::Edit(_))),
        is(|o| matches!(o, Open::Members(_))),
        is(|o| matches!(o, Open::Client(_))),
        is(|o| matches!(o, Open::Deactivate(_))),
    );
    let title = move || match open.get() {
        Some(Open::Edit(t)) => format!("Edit team {}", t.name),
        _ => "Create a team".to_owned(),
    };
    let close = Callback::new(move |_: ()| open.set(None));
    let touched = Callback::new(move |_: ()| changed.update(|n| *n += 1));
    view! {
        <Modal open=form title=Signal::derive(title) title_id="team-form-title">
            {move || match open.get() {
                Some(Open::Create) => view! { <TeamForm team=None on_done=on_done on_cancel=close/> }.into_any(),
                Some(Open::Edit(t)) => view! { <TeamForm team=Some(t) on_done=on_done on_cancel=close/> }.into_any(),
                _ => ().into_any(),
            }}
        </Modal>
        <Modal open=members title="Team members" title_id="members-title">
            {move || match open.get() {
                Some(Open::Members(t)) => view! { <MembersDialog team=t on_close=close on_changed=touched/> }.into_any(),
                _ => ().into_any(),
            }}
        </Modal>
        <Modal open=client title="M2M client" title_id="client-title">
            {move || match open.get() {
                Some(Open::Client(t)) => view! { <ClientDialog team=t on_close=close/> }.into_any(),
                _ => ().into_any(),
            }}
        </Modal>
        <Modal open=deactivate title="Deactivate team" title_id="deactivate-title">
            {move || match open.get() {
                Some(Open::Deactivate(t)) => view! { <DeactivateForm team=t on_done=on_done on_cancel=close/> }.into_any(),
                _ => ().into_any(),
            }}
        </Modal>
    }
}

#[component]
fn TeamTable(
    list: TeamListResponse,
    selected: RwSignal<BTreeSet<Uuid>>,
    open: RwSignal<Option<Open>>,
    on_done: Callback<Result<String, ApiError>>,
) -> impl IntoView {
    if list.teams.is_empty() {
        return view! { <EmptyCard id="teams-empty" title="No teams on this page." hint="Create a team to let its members provision runners."/> }.into_any();
    }
    let select = SelectAll { label: "Select every team on this page", ids: list.teams.iter().filter(|t| !t.is_system).map(|t| t.id).collect(), selected };
    let columns = &["Team", "Label policy", "Quota", "Runner groups", "Members", "Status", "Actions"];
    view! {
        <PagedTable id="teams-table" caption="Teams" columns=columns select=Some(select) total=list.total limit=list.limit offset=list.offset>
            {list.teams.into_iter().map(|t| view! { <TeamRow t=t selected=selected open=open on_done=on_done/> }).collect_view()}
        </PagedTable>
    }
    .into_any()
}

fn quota(t: &TeamResponse) -> String {
    let team = match t.max_runners {
        Some(m) => format!("{} of {m}", t.active_runner_count),
        None => format!("{} (unlimited)", t.active_runner_count),
    };
    match t.max_runners_per_user {
        Some(u) => format!("{team} · {u} per user"),
        None => team,
    }
}

#[component]
fn TeamRow(t: TeamResponse, selected: RwSignal<BTreeSet<Uuid>>, open: RwSignal<Option<Open>>, on_done: Callback<Result<String, ApiError>>) -> impl IntoView {
    let id = t.id;
    let name = t.name.clone();
    let reactivate = Action::new_local(move |_: &()| reactivate_team(id));
    Effect::new(move |_| {
        if let Some(r) = reactivate.value().get() {
            on_done.run(r.map(|t| format!("Team {} reactivated.", t.name)));
        }
    });
    let groups = t
        .allowed_runner_group_ids
        .iter()
        .map(|g| if Some(*g) == t.default_runner_group_id { format!("{g} (default)") } else { g.to_string() })
        .collect::<Vec<_>>()
        .join(", ");
    let (te, tm, tc, td) = (t.clone(), t.clone(), t.clone(), t.clone());
    let patterns = t.optional_label_patterns.clone().unwrap_or_default();
    view! {
        <tr data-team=name.clone()>
            <td>
                {(!t.is_system).then(|| view! {
                    <SelectBox id=id label=format!("Select {name}") selected=selected/>
                })}
            </td>
            <th scope="row">
                {t.name.clone()}
                {t.is_system.then(|| view! { " " <span class="badge system">"System"</span> })}
                {t.description.clone().map(|d| view! { <br/><span class="muted small">{d}</span> })}
            </th>
            <td>
                {if t.is_system { view! { <span class="muted">"—"</span> }.into_any() } else { view! {
                    <Labels labels=t.required_labels.clone()/>
                    {(!patterns.is_empty()).then(|| view! { <p class="small">"Patterns: " <code>{patterns.join("  ")}</code></p> })}
                }.into_any() }}
            </td>
            <td>{if t.is_system { "—".to_owned() } else { quota(&t) }}</td>
            <td>{if groups.is_empty() { "—".to_owned() } else { groups }}</td>
            <td>{t.member_count}</td>
            <td>
                {if t.is_active {
                    view! { <span class="badge state-active">"Active"</span> }.into_any()
                } else {
                    view! {
                        <span class="badge state-inactive">"Inactive"</span>
                        {t.deactivation_reason.clone().map(|r| view! { <br/><span class="muted small">{r}</span> })}
                    }.into_any()
                }}
            </td>
            <td class="row-actions">
                <button class="link" aria-label=format!("Members of {name}") on:click=move |_| open.set(Some(Open::Members(tm.clone())))>"Members"</button>
                {(!t.is_system).then(|| view! {
                    <button class="link" aria-label=format!("Edit {}", te.name) on:click=move |_| open.set(Some(Open::Edit(te.clone())))>"Edit"</button>
                    <button class="link" aria-label=format!("M2M client of {}", tc.name) on:click=move |_| open.set(Some(Open::Client(tc.clone())))>"M2M client"</button>
                    {if td.is_active {
                        let td2 = td.clone();
                        view! { <button class="link danger" aria-label=format!("Deactivate {}", td.name) on:click=move |_| open.set(Some(Open::Deactivate(td2.clone())))>"Deactivate"</button> }.into_any()
                    } else {
                        view! { <button class="link" aria-label=format!("Reactivate {}", td.name) disabled=move || reactivate.pending().get() on:click=move |_| { reactivate.dispatch(()); }>"Reactivate"</button> }.into_any()
                    }}
                })}
            </td>
        </tr>
    }
}

/// Deactivation of one team: what it means, and the reason stored on the team.
#[component]
fn DeactivateForm(team: TeamResponse, on_done: Callback<Result<String, ApiError>>, on_cancel: Callback<()>) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let id = team.id;
    let name = team.name.clone();
    let run = Action::new_local(move |r: &String| deactivate_team(id, r.clone()));
    Effect::new(move |_| {
        if let Some(Ok(t)) = run.value().get() {
            on_done.run(Ok(format!("Team {} deactivated.", t.name)));
        }
    });
    view! {
        <p>{format!("Members of {name} can no longer provision runners for it, and its pending runners are reclaimed at the next sync. Running runners are not touched.")}</p>
        <ReasonField id="deactivate-reason" reason=reason/>
        {move || run.value().get().and_then(Result::err).map(|e| view! { <ErrorNotice error=e/> })}
        <div class="dialog-actions">
            <button class="secondary" on:click=move |_| on_cancel.run(())>"Cancel"</button>
            <button id="deactivate-confirm" class="danger" disabled=move || !reason.with(|r| reason_ok(r)) || run.pending().get()
                on:click=move |_| { run.dispatch(reason.get_untracked().trim().to_owned()); }>"Deactivate team"</button>
        </div>
    }
}

/// The teams page's batch: deactivate (the incident action) or reactivate.
const TEAM_BATCH: BatchWords = BatchWords {
    prefix: "team",
    noun: ("team", "teams"),
    ids: ["batch-deactivate", "batch-reactivate"],
    verbs: ["Deactivate", "Reactivate"],
    titles: ["Change teams in a batch", "Change teams in a batch"],
    explain: ["Deactivated teams cannot provision; their pending runners are reclaimed at the next sync.", "Reactivated teams can provision again."],
};

/// Calls the teams' batch routes.
async fn team_batch(deactivate: bool, dry_run: bool, comment: String, ids: Vec<Uuid>) -> Result<BatchActionResponse, ApiError> {
    let team_ids = Some(ids);
    if deactivate {
        batch_deactivate_teams(BatchDeactivateTeamsRequest { reason: comment.clone(), comment, dry_run, team_ids }).await
    } else {
        batch_reactivate_teams(BatchReactivateTeamsRequest { comment, dry_run, team_ids }).await
    }
}
