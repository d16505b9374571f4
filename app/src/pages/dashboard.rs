//! `/app/`: runner counts by status (scoped by the server), quota usage of the user's teams,
//! recent provisioning activity and the sync worker's last run.

use leptos::prelude::*;

use crate::contract::console::Dashboard;
use crate::contract::teams::TeamResponse;
use crate::server_fns::console::get_dashboard;
use crate::ui::clock::use_clock;
use crate::ui::errors::ErrorNotice;
use crate::ui::format::{MaybeWhen, When};

/// The dashboard route.
pub struct DashboardPage;

crate::lazy_page!(DashboardPage, dashboard_page, {
    let clock = use_clock();
    let data = LocalResource::new(move || {
        clock.refresh.get();
        get_dashboard()
    });
    view! {
        <h1>"Dashboard"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || data.get().map(|r| match r {
                Ok(d) => view! { <DashboardView d=d/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
        </Transition>
    }
    .into_any()
});

#[component]
fn DashboardView(d: Dashboard) -> impl IntoView {
    let c = d.counts;
    let cards = [("pending", "Pending", c.pending), ("idle", "Idle", c.idle), ("busy", "Busy", c.busy), ("offline", "Offline", c.offline)];
    let total = c.pending + c.idle + c.busy + c.offline;
    view! {
        <section aria-labelledby="counts-title">
            <h2 id="counts-title">"Runners"</h2>
            <ul class="cards" id="runner-counts">
                <li class="card stat">
                    <a href="/app/runners"><span class="stat-value" id="count-total">{total}</span><span class="stat-label">"Live runners"</span></a>
                </li>
                {cards
                    .into_iter()
                    .map(|(key, label, n)| {
                        view! {
                            <li class=format!("card stat stat-{key}")>
                                <a href=format!("/app/runners?status={key}")>
                                    <span class="stat-value" id=format!("count-{key}")>{n}</span>
                                    <span class="stat-label"><span class=format!("dot status-{key}") aria-hidden="true"></span>{label}</span>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <p class="actions">
                <a class="button" href="/app/runners/provision">"Provision a runner"</a>
                <a class="button secondary" href="/app/runners">"All runners"</a>
            </p>
        </section>
        <div class="columns">
            <section class="card" aria-labelledby="quota-title">
                <h2 id="quota-title">"Your teams"</h2>
                {if d.teams.is_empty() {
                    view! { <p class="muted">"You are not a member of any team yet. Ask an administrator to add you."</p> }.into_any()
                } else {
                    view! { <ul class="quota-list">{d.teams.into_iter().map(|t| view! { <TeamQuota t=t/> }).collect_view()}</ul> }.into_any()
                }}
            </section>
            <section class="card" aria-labelledby="sync-title">
                <h2 id="sync-title">"Sync with GitHub"</h2>
                <dl class="facts">
                    <dt>"State"</dt>
                    <dd id="sync-state">{d.status.sync.clone()}</dd>
                    <dt>"Last successful run"</dt>
                    <dd><MaybeWhen t=d.status.last_sync_time/></dd>
                    <dt>"GitHub App"</dt>
                    <dd>{d.status.github.clone()}</dd>
                    {d.sync.map(|s| view! {
                        <dt>"Last result"</dt>
                        <dd>{s.last_sync_result.map(|v| v.to_string()).unwrap_or_else(|| "—".into())}</dd>
                        <dt>"Last error"</dt>
                        <dd>{s.last_sync_error.unwrap_or_else(|| "none".into())}</dd>
                    })}
                </dl>
            </section>
        </div>
        <section class="card" aria-labelledby="activity-title">
            <h2 id="activity-title">"Recent provisioning activity"</h2>
            {if d.recent.is_empty() {
                view! { <p class="muted">"Nothing yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="activity" id="activity">
                        {d.recent.into_iter().map(|a| {
                            let what = match a.event_type.as_str() {
                                "provision_jit" => "provisioned",
                                "provision_jit_failed" => "failed to provision",
                                "runner_deleted" => "deleted",
                                other => other,
                            }.to_owned();
                            let target = a.runner_name.clone().unwrap_or_else(|| "a runner".into());
                            view! {
                                <li class=if a.success { "ok" } else { "failed" }>
                                    <When t=a.timestamp/> " · " <strong>{a.user_identity}</strong> " " {what} " "
                                    {match a.runner_id {
                                        Some(id) if a.success => view! { <a href=format!("/app/runners/{id}")>{target}</a> }.into_any(),
                                        _ => view! { <span>{target}</span> }.into_any(),
                                    }}
                                    {a.team_name.map(|t| format!(" in {t}"))}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// A team's quota: a meter when it has one, the count otherwise.
#[component]
fn TeamQuota(t: TeamResponse) -> impl IntoView {
    let used = t.active_runner_count;
    let label = match t.max_runners {
        Some(max) => format!("{used} of {max} runners"),
        None => format!("{used} runners (no quota)"),
    };
    let id = format!("quota-{}", t.name);
    view! {
        <li>
            <span class="team-name">{t.name.clone()}</span>
            {t.max_runners.map(|max| view! {
                <meter min="0" max=max.to_string() value=used.to_string() high=(max * 8 / 10).to_string() aria-labelledby=id.clone()></meter>
            })}
            <span id=id>{label}</span>
        </li>
    }
}
