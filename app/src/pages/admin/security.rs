//! `/app/admin/security`: security events — refused provisioning, drift, lock-outs, incident
//! actions — filtered by type, severity, team, actor and dates (all in the URL), paged by the
//! server, with the details in a drawer. Admins see every event; team members pick one of
//! their teams and see its events.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use super::drawer::{DateRange, JsonBlock, fact, until_end_of_day};
use super::non_empty;
use crate::contract::security::{SecurityEventListResponse, SecurityEventQuery, SecurityEventResponse};
use crate::contract::{SecurityEventType, Severity};
use crate::server_fns::logs::security_page;
use crate::server_fns::teams::list_teams;
use crate::ui::clock::use_clock;
use crate::ui::dialog::{Modal, open_while};
use crate::ui::errors::ErrorNotice;
use crate::ui::format::{When, absolute};
use crate::ui::pager::{paging_from, query_setter};
use crate::ui::session::use_session;
use crate::ui::table::{EmptyCard, PagedTable};

/// The security events route.
pub struct SecurityPage;

crate::lazy_page!(SecurityPage, security_page, { view! { <Security/> }.into_any() });

/// A severity as a coloured badge.
#[component]
pub fn SeverityBadge(severity: Severity) -> impl IntoView {
    let s = severity.as_str();
    view! { <span class=format!("badge severity-{s}")>{s}</span> }
}

#[component]
fn Security() -> impl IntoView {
    let session = use_session();
    let clock = use_clock();
    let url = use_query_map();
    let is_admin = move || session.is_admin() == Some(true);
    // Members see one team at a time: the one in the URL, else their first.
    let filter = Memo::new(move |_| {
        let first = session.user().and_then(|m| m.teams.first().map(|t| t.id));
        url.with(|q| {
            let (limit, offset) = paging_from(|k| q.get(k));
            let team_id = q.get("team").and_then(|t| Uuid::parse_str(&t).ok()).or(if is_admin() { None } else { first });
            SecurityEventQuery {
                event_type: non_empty(q.get("type")),
                severity: non_empty(q.get("severity")),
                user_identity: non_empty(q.get("actor")),
                team_id,
                since: non_empty(q.get("since")),
                until: non_empty(q.get("until")),
                limit: Some(limit.min(200)),
                offset: Some(offset),
                ..SecurityEventQuery::default()
            }
        })
    });
    let no_team = move || !is_admin() && filter.with(|f| f.team_id.is_none());
    let events = LocalResource::new(move || {
        clock.refresh.get();
        let mut f = filter.get();
        f.until = until_end_of_day(f.until);
        async move { if f.team_id.is_none() && session.is_admin() != Some(true) { None } else { Some(security_page(f).await) } }
    });
    let details = RwSignal::new(None::<SecurityEventResponse>);
    let drawer_open = open_while(details);
    view! {
        <h1>"Security events"</h1>
        <Show when=move || !is_admin()>
            <p class="muted">"You see the events of one of your teams at a time."</p>
        </Show>
        <Filters filter=filter/>
        <Show when=no_team>
            <p class="card empty" id="security-no-team">"You are not a member of any team, so there are no events to show."</p>
        </Show>
        <Transition fallback=|| view! { <p class="loading">"Loading security events…"</p> }>
            {move || events.get().flatten().map(|r| match r {
                Ok(list) => view! { <EventTable list=list details=details/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
        </Transition>
        <Modal open=drawer_open drawer=true title=Signal::derive(move || details.get().map(|d| format!("Security event {}", d.id)).unwrap_or_default()) title_id="security-details-title">
            {move || details.get().map(|d| view! { <EventDetails d=d/> })}
            <div class="dialog-actions">
                <button class="secondary" id="details-close" on:click=move |_| details.set(None)>"Close"</button>
            </div>
        </Modal>
    }
}

#[component]
fn Filters(filter: Memo<SecurityEventQuery>) -> impl IntoView {
    let session = use_session();
    let set = query_setter();
    let (set1, set2, set3, set4) = (set.clone(), set.clone(), set.clone(), set);
    let f = move || filter.get();
    let actor = RwSignal::new(filter.get_untracked().user_identity.unwrap_or_default());
    let is_admin = move || session.is_admin() == Some(true);
    // Admins choose among every team; members among theirs.
    let all_teams = LocalResource::new(move || async move {
        if session.is_admin() == Some(true) {
            list_teams(true, 200, 0).await.map(|l| l.teams.into_iter().filter(|t| !t.is_system).map(|t| (t.id, t.name)).collect()).unwrap_or_default()
        } else {
            Vec::new()
        }
    });
    let teams = move || {
        if is_admin() {
            all_teams.get().unwrap_or_default()
        } else {
            session.user().map(|m| m.teams.into_iter().map(|t| (t.id, t.name)).collect()).unwrap_or_default()
        }
    };
    view! {
        <form class="filters" role="search" on:submit=move |ev| { ev.prevent_default(); set4("actor", actor.get_untracked().trim()); }>
            <label>
                "Type"
                <select id="filter-type" on:change=move |ev| set1("type", &event_target_value(&ev))>
                    <option value="" selected=move || f().event_type.is_none()>"Every type"</option>
                    {SecurityEventType::ALL.iter().map(|t| {
                        let v = t.as_str();
                        view! { <option value=v selected=move || f().event_type.as_deref() == Some(v)>{v.replace('_', " ")}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>
                "Severity"
                <select id="filter-severity" on:change=move |ev| set2("severity", &event_target_value(&ev))>
                    <option value="" selected=move || f().severity.is_none()>"Any"</option>
                    {Severity::ALL.iter().rev().map(|s| {
                        let v = s.as_str();
                        view! { <option value=v selected=move || f().severity.as_deref() == Some(v)>{v}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>
                "Team"
                <select id="filter-team" on:change=move |ev| set3("team", &event_target_value(&ev))>
                    <Show when=is_admin><option value="">"Every team"</option></Show>
                    {move || teams().into_iter().map(|(id, name)| view! {
                        <option value=id.to_string() selected=move || f().team_id == Some(id)>{name}</option>
                    }).collect_view()}
                </select>
            </label>
            <Show when=is_admin>
                <label>"Actor" <input id="filter-actor" type="search" placeholder="identity" prop:value=actor on:input=move |ev| actor.set(event_target_value(&ev))/></label>
            </Show>
            <DateRange since=Signal::derive(move || f().since) until=Signal::derive(move || f().until)/>
            <button type="submit" class="secondary">"Apply"</button>
        </form>
    }
}

#[component]
fn EventTable(list: SecurityEventListResponse, details: RwSignal<Option<SecurityEventResponse>>) -> impl IntoView {
    if list.events.is_empty() {
        return view! { <EmptyCard id="security-empty" title="No security events match." hint="That is good news, or the filters are too narrow."/> }
            .into_any();
    }
    let columns = &["When", "Type", "Severity", "Team", "Actor", "Runner", "Details"];
    view! {
        <PagedTable id="security-table" caption="Security events, newest first" columns=columns total=list.total limit=list.limit offset=list.offset>
                    {list.events.into_iter().map(|e| {
                        let row = e.clone();
                        view! {
                            <tr data-event=e.event_type.clone()>
                                <td><When t=e.timestamp/></td>
                                <th scope="row">{e.event_type.replace('_', " ")}</th>
                                <td><SeverityBadge severity=e.severity/></td>
                                <td class="team">{fact(e.team_name.clone())}</td>
                                <td>{e.user_identity.clone()}</td>
                                <td>{fact(e.runner_name.clone())}</td>
                                <td><button class="link" aria-label=format!("Details of event {}", e.id) on:click=move |_| details.set(Some(row.clone()))>"Details"</button></td>
                            </tr>
                        }
                    }).collect_view()}
        </PagedTable>
    }
    .into_any()
}

#[component]
fn EventDetails(d: SecurityEventResponse) -> impl IntoView {
    view! {
        <dl class="facts" id="security-details">
            <dt>"When"</dt><dd>{absolute(&d.timestamp)}</dd>
            <dt>"Type"</dt><dd>{d.event_type.clone()}</dd>
            <dt>"Severity"</dt><dd><SeverityBadge severity=d.severity/></dd>
            <dt>"Action taken"</dt><dd>{fact(d.action_taken.clone())}</dd>
            <dt>"Actor"</dt><dd>{d.user_identity.clone()}</dd>
            <dt>"Subject"</dt><dd>{fact(d.oidc_sub.clone())}</dd>
            <dt>"Team"</dt><dd>{fact(d.team_name.clone())}</dd>
            <dt>"Runner"</dt><dd>{fact(d.runner_name.clone().or(d.runner_id.clone()))}</dd>
            <dt>"GitHub runner id"</dt><dd>{fact(d.github_runner_id.map(|i| i.to_string()))}</dd>
            <dt>"Request id"</dt><dd><code>{fact(d.request_id.clone())}</code></dd>
        </dl>
        <h3>"Violation data"</h3>
        <JsonBlock value=Some(d.violation_data.clone())/>
    }
}
