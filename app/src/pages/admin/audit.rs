//! `/app/admin/audit`: the audit log as the caller may read it (admins: every row; team
//! members: their teams' rows and their own, scoped by the server). Filters and the page live
//! in the URL; exports (JSONL, CSV) take the same filters; a row's details open in a drawer;
//! admins verify the hash chain.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::drawer::{DateRange, JsonBlock, fact, until_end_of_day};
use super::non_empty;
use crate::contract::audit::{AuditLogListResponse, AuditLogQuery, AuditLogResponse, AuditVerifyResponse};
use crate::server_fns::logs::{audit_page, verify_audit_chain};
use crate::ui::clock::use_clock;
use crate::ui::dialog::{Modal, open_while};
use crate::ui::errors::ErrorNotice;
use crate::ui::format::{When, absolute};
use crate::ui::pager::{paging_from, query_setter};
use crate::ui::session::use_session;
use crate::ui::table::{EmptyCard, PagedTable};

/// The audit route.
pub struct AuditPage;

crate::lazy_page!(AuditPage, audit_page, { view! { <Audit/> }.into_any() });

/// The event types the service writes, grouped for the filter.
pub const EVENT_GROUPS: &[(&str, &[&str])] = &[
    ("Provisioning", &["provision_jit", "provision_jit_failed", "runner_deleted", "deprovision_failed", "runner_removed", "batch_delete_runners"]),
    (
        "Teams",
        &[
            "team_created",
            "team_updated",
            "team_deactivated",
            "team_reactivated",
            "team_member_added",
            "team_member_removed",
            "batch_deactivate_teams",
            "batch_reactivate_teams",
        ],
    ),
    ("Users", &["user_created", "user_updated", "user_deactivated", "user_activated", "user_sub_bound", "batch_disable_users", "batch_restore_users"]),
    ("M2M clients", &["oauth_client_created", "oauth_client_updated", "oauth_client_deleted"]),
    ("Sign-in", &["login", "login_failed", "logout"]),
    ("Service", &["sync_triggered", "audit_exported", "bootstrap_admin_created"]),
];

fn filter_from(get: impl Fn(&str) -> Option<String>) -> AuditLogQuery {
    let (limit, offset) = paging_from(&get);
    AuditLogQuery {
        event_type: non_empty(get("type")),
        user_identity: non_empty(get("actor")),
        team: non_empty(get("team")),
        success: get("success").and_then(|s| crate::contract::query::parse_bool(&s)),
        since: non_empty(get("since")),
        until: non_empty(get("until")),
        limit: Some(limit),
        offset: Some(offset),
        ..AuditLogQuery::default()
    }
}

/// The export link for `format` with the page's filters (the GET route works with the session cookie).
fn export_href(f: &AuditLogQuery, format: &str) -> String {
    let mut q: Vec<(&str, String)> = vec![("format", format.to_owned())];
    let opt = [("event_type", &f.event_type), ("user_identity", &f.user_identity), ("team", &f.team), ("since", &f.since)];
    q.extend(opt.into_iter().filter_map(|(k, v)| v.clone().map(|v| (k, v))));
    if let Some(u) = until_end_of_day(f.until.clone()) {
        q.push(("until", u));
    }
    if let Some(s) = f.success {
        q.push(("success", s.to_string()));
    }
    let query = q.into_iter().map(|(k, v)| format!("{k}={}", String::from(js_sys::encode_uri_component(&v)))).collect::<Vec<_>>().join("&");
    format!("/api/v1/audit-logs?{query}")
}

#[component]
fn Audit() -> impl IntoView {
    let session = use_session();
    let clock = use_clock();
    let url = use_query_map();
    let filter = Memo::new(move |_| url.with(|q| filter_from(|k| q.get(k))));
    let logs = LocalResource::new(move || {
        clock.refresh.get();
        let mut f = filter.get();
        f.until = until_end_of_day(f.until);
        audit_page(f)
    });
    let details = RwSignal::new(None::<AuditLogResponse>);
    let drawer_open = open_while(details);
    let is_admin = move || session.is_admin() == Some(true);
    view! {
        <div class="page-head">
            <h1>"Audit log"</h1>
            <div class="actions">
                <a class="button secondary" id="export-jsonl" download="audit.jsonl" href=move || export_href(&filter.get(), "jsonl")>"Export JSONL"</a>
                <a class="button secondary" id="export-csv" download="audit.csv" href=move || export_href(&filter.get(), "csv")>"Export CSV"</a>
            </div>
        </div>
        <Show when=move || !is_admin()>
            <p class="muted">"You see the entries of your teams and your own."</p>
        </Show>
        <Filters filter=filter/>
        <Show when=is_admin>
            <ChainCheck/>
        </Show>
        <Transition fallback=|| view! { <p class="loading">"Loading the audit log…"</p> }>
            {move || logs.get().map(|r| match r {
                Ok(list) => view! { <AuditTable list=list details=details/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
        </Transition>
        <Modal open=drawer_open drawer=true title=Signal::derive(move || details.get().map(|d| format!("Audit entry {}", d.id)).unwrap_or_default()) title_id="audit-details-title">
            {move || details.get().map(|d| view! { <AuditDetails d=d/> })}
            <div class="dialog-actions">
                <button class="secondary" id="details-close" on:click=move |_| details.set(None)>"Close"</button>
            </div>
        </Modal>
    }
}

#[component]
fn Filters(filter: Memo<AuditLogQuery>) -> impl IntoView {
    let session = use_session();
    let set = query_setter();
    let (set1, set2, set3, set4) = (set.clone(), set.clone(), set.clone(), set);
    let f = move || filter.get();
    let actor = RwSignal::new(filter.get_untracked().user_identity.unwrap_or_default());
    let team = RwSignal::new(filter.get_untracked().team.unwrap_or_default());
    let is_admin = move || session.is_admin() == Some(true);
    let my_teams = move || session.user().map(|m| m.teams).unwrap_or_default();
    view! {
        <form class="filters" role="search" on:submit=move |ev| {
            ev.prevent_default();
            set4("actor", actor.get_untracked().trim());
            if is_admin() { set4("team", team.get_untracked().trim()); }
        }>
            <label>
                "Event"
                <select id="filter-type" on:change=move |ev| set1("type", &event_target_value(&ev))>
                    <option value="" selected=move || f().event_type.is_none()>"Every event"</option>
                    {EVENT_GROUPS.iter().map(|(group, types)| view! {
                        <optgroup label=*group>
                            {types.iter().map(|t| view! { <option value=*t selected=move || f().event_type.as_deref() == Some(*t)>{t.replace('_', " ")}</option> }).collect_view()}
                        </optgroup>
                    }).collect_view()}
                </select>
            </label>
            <label>
                "Outcome"
                <select id="filter-success" on:change=move |ev| set2("success", &event_target_value(&ev))>
                    <option value="" selected=move || f().success.is_none()>"Any"</option>
                    <option value="true" selected=move || f().success == Some(true)>"Succeeded"</option>
                    <option value="false" selected=move || f().success == Some(false)>"Failed or refused"</option>
                </select>
            </label>
            {move || if is_admin() {
                view! {
                    <label>"Team" <input id="filter-team" placeholder="team name" prop:value=team on:input=move |ev| team.set(event_target_value(&ev))/></label>
                }.into_any()
            } else {
                let set3 = set3.clone();
                view! {
                    <label>
                        "Team"
                        <select id="filter-team" on:change=move |ev| set3("team", &event_target_value(&ev))>
                            <option value="">"All my teams"</option>
                            {my_teams().into_iter().map(|t| {
                                let n = t.name.clone();
                                view! { <option value=t.name.clone() selected=move || f().team.as_deref() == Some(n.as_str())>{t.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }.into_any()
            }}
            <label>"Actor" <input id="filter-actor" type="search" placeholder="identity" prop:value=actor on:input=move |ev| actor.set(event_target_value(&ev))/></label>
            <DateRange since=Signal::derive(move || f().since) until=Signal::derive(move || f().until)/>
            <button type="submit" class="secondary">"Apply"</button>
        </form>
    }
}

#[component]
fn AuditTable(list: AuditLogListResponse, details: RwSignal<Option<AuditLogResponse>>) -> impl IntoView {
    if list.logs.is_empty() {
        return view! { <EmptyCard id="audit-empty" title="No entries match." hint="Change the filters or the dates."/> }.into_any();
    }
    let columns = &["When", "Event", "Actor", "Team", "Target", "Outcome", "Details"];
    view! {
        <PagedTable id="audit-table" caption="Audit log entries, newest first" columns=columns total=list.total limit=list.limit offset=list.offset>
                    {list.logs.into_iter().map(|l| {
                        let row = l.clone();
                        view! {
                            <tr data-event=l.event_type.clone()>
                                <td><When t=l.timestamp/></td>
                                <th scope="row">{l.event_type.replace('_', " ")}</th>
                                <td class="actor">{l.user_identity.clone()}<br/><span class="muted small">{l.actor_type.replace('_', " ")}</span></td>
                                <td class="team">{fact(l.team_name.clone())}</td>
                                <td>{fact(l.runner_name.clone())}</td>
                                <td>{if l.success { view! { <span class="badge outcome-ok">"OK"</span> }.into_any() } else { view! { <span class="badge outcome-failed">"Failed"</span> }.into_any() }}</td>
                                <td><button class="link" aria-label=format!("Details of entry {}", l.id) on:click=move |_| details.set(Some(row.clone()))>"Details"</button></td>
                            </tr>
                        }
                    }).collect_view()}
        </PagedTable>
    }
    .into_any()
}

#[component]
fn AuditDetails(d: AuditLogResponse) -> impl IntoView {
    view! {
        <dl class="facts" id="audit-details">
            <dt>"When"</dt><dd>{absolute(&d.timestamp)}</dd>
            <dt>"Event"</dt><dd>{d.event_type.clone()}</dd>
            <dt>"Outcome"</dt><dd>{if d.success { "succeeded" } else { "failed or refused" }}</dd>
            <dt>"Error"</dt><dd id="details-error">{fact(d.error_message.clone())}</dd>
            <dt>"Actor"</dt><dd>{format!("{} ({})", d.user_identity, d.actor_type)}</dd>
            <dt>"Subject"</dt><dd>{fact(d.oidc_sub.clone())}</dd>
            <dt>"IP address"</dt><dd id="details-ip">{fact(d.request_ip.clone())}</dd>
            <dt>"User agent"</dt><dd id="details-ua">{fact(d.user_agent.clone())}</dd>
            <dt>"Request id"</dt><dd><code>{fact(d.request_id.clone())}</code></dd>
            <dt>"Team"</dt><dd>{fact(d.team_name.clone())}</dd>
            <dt>"Runner"</dt><dd>{fact(d.runner_name.clone().or(d.runner_id.clone()))}</dd>
            <dt>"Hash"</dt><dd><code>{d.hash.clone().unwrap_or_else(|| "not sealed yet".to_owned())}</code></dd>
        </dl>
        <h3>"Event data"</h3>
        <JsonBlock value=d.event_data.clone()/>
    }
}

/// Admins: recompute the chain and say whether it holds.
#[component]
fn ChainCheck() -> impl IntoView {
    let verify = Action::new_local(|_: &()| verify_audit_chain());
    view! {
        <section class="card chain" aria-labelledby="chain-title">
            <h2 id="chain-title" class="visually-hidden">"Chain verification"</h2>
            <button id="verify-chain" class="secondary" disabled=move || verify.pending().get() on:click=move |_| { verify.dispatch(()); }>
                {move || if verify.pending().get() { "Verifying…" } else { "Verify the hash chain" }}
            </button>
            <div id="chain-result" role="status">
                {move || verify.value().get().map(|r| match r {
                    Ok(v) => view! { <ChainResult v=v/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                })}
            </div>
        </section>
    }
}

#[component]
fn ChainResult(v: AuditVerifyResponse) -> impl IntoView {
    let text = match v.status.as_str() {
        "ok" => format!(
            "The chain holds: {} entries checked ({} → {}) in {} ms.",
            v.checked_count,
            fact(v.first_id.map(|i| i.to_string())),
            fact(v.last_id.map(|i| i.to_string())),
            v.duration_ms
        ),
        "empty" => "No sealed entries to check yet.".to_owned(),
        _ => format!(
            "The chain is BROKEN at entry {} ({}): an entry was changed, removed or inserted.",
            fact(v.first_broken_id.map(|i| i.to_string())),
            fact(v.reason.clone()).replace('_', " ")
        ),
    };
    let class = if v.status == "broken" { "notice error" } else { "notice success" };
    view! {
        <p class=class>{text}</p>
        {v.head_hash.map(|h| view! { <p class="small">"Head hash (record it to compare later): " <code>{h}</code></p> })}
        {(v.unsealed_count > 0).then(|| view! { <p class="small">{format!("{} newer entries are not sealed into the chain yet.", v.unsealed_count)}</p> })}
        {v.warning.map(|w| view! { <p class="notice error">{w}</p> })}
    }
}
