//! `/app/admin`: what an admin checks first — runners, teams, users and security events as the
//! server counts them, the sync worker (leader, heartbeat, last result) with "Sync now", and the
//! GitHub App's health (`gharts github check`'s facts).

use leptos::prelude::*;

use crate::contract::admin::{AdminStatsResponse, GitHubHealthResponse, SyncStatusResponse};
use crate::server_fns::admin::{admin_stats, github_health, security_last_day, sync_status, trigger_sync};
use crate::ui::clock::use_clock;
use crate::ui::errors::{ErrorNotice, SuccessNotice};
use crate::ui::format::{MaybeWhen, When};

/// The admin overview route.
pub struct AdminOverviewPage;

crate::lazy_page!(AdminOverviewPage, admin_overview_page, { view! { <AdminOverview/> }.into_any() });

#[component]
fn AdminOverview() -> impl IntoView {
    let clock = use_clock();
    let trigger = Action::new_local(|_: &()| trigger_sync());
    let stats = LocalResource::new(move || {
        clock.refresh.get();
        admin_stats()
    });
    let sync = LocalResource::new(move || {
        clock.refresh.get();
        trigger.version().get();
        sync_status()
    });
    let last_day = LocalResource::new(move || {
        clock.refresh.get();
        security_last_day()
    });
    // Asked on opening and on "Check again" (not on every refresh: each check calls GitHub).
    let recheck = RwSignal::new(0u32);
    let github = LocalResource::new(move || {
        recheck.get();
        github_health()
    });
    view! {
        <h1>"Administration"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || stats.get().map(|r| match r {
                Ok(s) => view! { <Stats s=s/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
        </Transition>
        <section class="card" aria-labelledby="security-day-title">
            <div class="page-head">
                <h2 id="security-day-title">"Security events, last 24 hours"</h2>
                <a class="button secondary" href="/app/admin/security">"Open security events"</a>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || last_day.get().map(|r| match r {
                    Ok(counts) => view! {
                        <ul class="cards" id="security-last-day">
                            {counts.into_iter().map(|(s, n)| view! {
                                <li class="card stat">
                                    <a class="stat-value" href=format!("/app/admin/security?severity={}", s.as_str())>{n}</a>
                                    <span class=format!("badge severity-{}", s.as_str())>{s.as_str()}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                })}
            </Transition>
        </section>
        <section class="card" aria-labelledby="github-title" id="github-health">
            <div class="page-head">
                <h2 id="github-title">"GitHub App"</h2>
                <button class="secondary" id="github-recheck" on:click=move |_| recheck.update(|n| *n += 1)>"Check again"</button>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Checking GitHub…"</p> }>
                {move || github.get().map(|r| match r {
                    Ok(h) => view! { <GitHubHealth h=h/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                })}
            </Transition>
        </section>
        <section class="card" aria-labelledby="sync-title">
            <div class="page-head">
                <h2 id="sync-title">"Sync worker"</h2>
                <button id="sync-now" disabled=move || trigger.pending().get() on:click=move |_| { trigger.dispatch(()); }>"Sync now"</button>
            </div>
            {move || trigger.value().get().map(|r| match r {
                Ok(t) => view! { <SuccessNotice message=format!("Sync {}.", t.status.replace('_', " "))/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || sync.get().map(|r| match r {
                    Ok(s) => view! { <Sync s=s/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Stats(s: AdminStatsResponse) -> impl IntoView {
    let cards = [
        (
            "Runners",
            s.runners.total,
            format!("{} idle · {} busy · {} pending · {} offline", s.runners.idle, s.runners.busy, s.runners.pending, s.runners.offline),
        ),
        ("Teams", s.teams.total, format!("{} active", s.teams.active)),
        ("Users", s.users.total, format!("{} active · {} admins", s.users.active, s.users.admins)),
        ("Security events", s.security.total_events, format!("{} critical · {} high", s.security.critical_events, s.security.high_events)),
    ];
    view! {
        <ul class="cards" id="admin-stats">
            {cards.into_iter().map(|(label, n, sub)| view! {
                <li class="card stat"><span class="stat-value">{n}</span><span class="stat-label">{label}</span><span class="muted small">{sub}</span></li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn Sync(s: SyncStatusResponse) -> impl IntoView {
    view! {
        <dl class="facts" id="sync-facts">
            <dt>"Enabled"</dt><dd>{if s.enabled { format!("yes, every {} s", s.interval_seconds) } else { "no".to_owned() }}</dd>
            <dt>"Leader"</dt><dd>{s.worker_hostname.unwrap_or_else(|| "none".into())}</dd>
            <dt>"Heartbeat"</dt><dd><MaybeWhen t=s.worker_heartbeat/></dd>
            <dt>"Last successful cycle"</dt><dd><MaybeWhen t=s.last_sync_time/></dd>
            <dt>"Took"</dt><dd>{s.last_sync_duration_ms.map(|ms| format!("{ms} ms")).unwrap_or_else(|| "—".into())}</dd>
            <dt>"Result"</dt><dd><code>{s.last_sync_result.map(|v| v.to_string()).unwrap_or_else(|| "—".into())}</code></dd>
            <dt>"Last error"</dt><dd>{s.last_sync_error.unwrap_or_else(|| "none".into())}</dd>
            <dt>"Late"</dt><dd>{if s.is_stale { "yes: no successful cycle for three intervals" } else { "no" }}</dd>
        </dl>
    }
}

/// `gharts github check`'s facts: the state first, then the App, the installation, the token
/// and the rate-limit budget.
#[component]
fn GitHubHealth(h: GitHubHealthResponse) -> impl IntoView {
    let (class, summary) = match h.state.as_str() {
        "ok" => ("notice success", "Connected: GHARTS can reach GitHub as the App."),
        "not_configured" => ("notice warn", "Not configured: provisioning and sync are off until the GitHub App is set up."),
        "unreachable" => ("notice error", "Unreachable: GitHub did not answer in time, or is failing. Retrying may help."),
        _ => ("notice error", "Rejected: GitHub refused the App. Check its id, key, installation and permissions."),
    };
    let dash = || "—".to_owned();
    view! {
        <div class=class role="status" id="github-state" data-state=h.state.clone()>
            <p>{summary}</p>
            {h.error.clone().map(|e| view! { <p class="small" id="github-error">{e}</p> })}
        </div>
        <dl class="facts" id="github-facts">
            <dt>"Organisation"</dt><dd>{h.org.clone().unwrap_or_else(dash)}</dd>
            <dt>"App"</dt><dd id="github-app">{match (h.app_name.clone(), h.app_slug.clone(), h.app_id) {
                (Some(n), Some(s), Some(id)) => format!("{n} ({s}, id {id})"),
                _ => dash(),
            }}</dd>
            <dt>"Installation"</dt><dd id="github-installation">{match (h.installation_id, h.installation_account.clone()) {
                (Some(id), Some(a)) => format!("{id} on {a}"),
                _ => dash(),
            }}</dd>
            <dt>"Installation token"</dt><dd id="github-token">{if h.token_ok { "minted" } else { "not available" }}</dd>
            <dt>"Rate limit"</dt><dd id="github-rate">{match h.rate_limit.clone() {
                Some(r) => view! { {format!("{} of {} left, resets ", r.remaining, r.limit)}<When t=r.reset_at/> }.into_any(),
                None => dash().into_any(),
            }}</dd>
            <dt>"Checked"</dt><dd><When t=h.checked_at/></dd>
        </dl>
    }
}
