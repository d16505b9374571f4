//! `/app/runners/:id`: every field of one runner, its labels, GitHub's view of it, its audit
//! trail, and working refresh and delete buttons.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use uuid::Uuid;

use crate::contract::audit::AuditLogResponse;
use crate::contract::runners::RunnerStatus;
use crate::contract::{ApiError, ErrorCode};
use crate::server_fns::runners::{get_runner, runner_audit};
use crate::ui::clock::use_clock;
use crate::ui::errors::{ErrorNotice, SuccessNotice};
use crate::ui::format::{Labels, MaybeWhen, StatusBadge, When, absolute};
use crate::ui::runner_actions::{DeleteRunnerDialog, RunnerActions};

/// The runner detail route.
pub struct RunnerDetailPage;

crate::lazy_page!(RunnerDetailPage, runner_detail_page, { view! { <RunnerDetail/> }.into_any() });

#[component]
fn RunnerDetail() -> impl IntoView {
    let params = use_params_map();
    let clock = use_clock();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok())));
    let changed = RwSignal::new(0u32);
    let runner = LocalResource::new(move || {
        clock.refresh.get();
        changed.get();
        let id = id.get();
        async move {
            match id {
                Some(id) => get_runner(id).await,
                None => Err(ApiError::new(ErrorCode::NotFound, "Not Found")),
            }
        }
    });
    let audit = LocalResource::new(move || {
        changed.get();
        let id = id.get();
        async move {
            match id {
                Some(id) => runner_audit(id).await.map(|l| l.logs),
                None => Ok(Vec::new()),
            }
        }
    });
    view! {
        <p><a href="/app/runners">"← All runners"</a></p>
        <Transition fallback=|| view! { <p class="loading">"Loading runner…"</p> }>
            {move || runner.get().map(|r| match r {
                Ok(r) => view! { <RunnerView r=r changed=changed/> }.into_any(),
                Err(e) if e.error_code == ErrorCode::NotFound => view! {
                    <section class="card narrow" id="runner-missing">
                        <h1>"Runner not found"</h1>
                        <p>"No runner with this id exists, or you may not see it."</p>
                    </section>
                }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
        </Transition>
        <section class="card" aria-labelledby="trail-title">
            <h2 id="trail-title">"Audit trail"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || audit.get().map(|r| match r {
                    Ok(rows) if rows.is_empty() => view! { <p class="muted">"No entries."</p> }.into_any(),
                    Ok(rows) => view! { <AuditTrail rows=rows/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RunnerView(r: RunnerStatus, changed: RwSignal<u32>) -> impl IntoView {
    let id = r.runner_id;
    let deleted = r.status.as_str() == "deleted";
    let notice = RwSignal::new(None::<Result<String, ApiError>>);
    let navigate = use_navigate();
    let actions = RunnerActions::new(
        id,
        move |res| {
            notice.set(Some(res.map(|r| format!("GitHub reports this runner as {}.", r.github_status.unwrap_or_else(|| "unknown".into())))));
            changed.update(|n| *n += 1);
        },
        move |res| {
            let ok = res.is_ok();
            notice.set(Some(res.map(|d| d.message)));
            changed.update(|n| *n += 1);
            if ok {
                navigate("/app/runners?status=deleted", Default::default());
            }
        },
    );
    let RunnerActions { refresh, confirm, .. } = actions;
    let text = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    view! {
        <div class="page-head">
            <h1 id="runner-name">{r.runner_name.clone()}</h1>
            <StatusBadge status=r.status.as_str().to_owned()/>
            {r.ephemeral.then(|| view! { <span class="pill">"ephemeral"</span> })}
            <div class="actions">
                <button id="refresh-runner" class="secondary" disabled=move || deleted || refresh.pending().get() on:click=move |_| { refresh.dispatch(()); }>
                    {move || if refresh.pending().get() { "Refreshing…" } else { "Refresh from GitHub" }}
                </button>
                <button id="delete-runner" class="danger" disabled=deleted on:click=move |_| confirm.set(true)>"Delete runner"</button>
            </div>
        </div>
        {move || notice.get().map(|n| match n {
            Ok(m) => view! { <SuccessNotice message=m/> }.into_any(),
            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
        })}
        <DeleteRunnerDialog actions name=r.runner_name.clone() title_id="delete-title"/>
        <div class="columns">
            <section class="card" aria-labelledby="info-title">
                <h2 id="info-title">"Runner"</h2>
                <dl class="facts">
                    <dt>"Runner id"</dt><dd><code>{r.runner_id.to_string()}</code></dd>
                    <dt>"Team"</dt><dd>{text(r.team_name.clone())}</dd>
                    <dt>"Runner group"</dt><dd>{r.runner_group_id}</dd>
                    <dt>"Provisioned by"</dt><dd>{r.provisioned_by.clone()}</dd>
                    <dt>"Created"</dt><dd><When t=r.created_at/></dd>
                    <dt>"First online"</dt><dd><MaybeWhen t=r.registered_at/></dd>
                    <dt>"Updated"</dt><dd><When t=r.updated_at/></dd>
                    {r.expires_at.map(|t| view! { <dt>"Unused config expires"</dt><dd><When t=t/></dd> })}
                    {r.deleted_at.map(|t| view! { <dt>"Deleted"</dt><dd><When t=t/></dd> })}
                    {r.deletion_reason.clone().map(|t| view! { <dt>"Deletion reason"</dt><dd>{t}</dd> })}
                </dl>
            </section>
            <section class="card" aria-labelledby="github-title">
                <h2 id="github-title">"At GitHub"</h2>
                <dl class="facts">
                    <dt>"GitHub runner id"</dt><dd>{r.github_runner_id.map(|i| i.to_string()).unwrap_or_else(|| "not registered".into())}</dd>
                    <dt>"GitHub status"</dt><dd id="github-status">{text(r.github_status.clone())}</dd>
                    <dt>"Busy"</dt><dd>{match r.busy { Some(true) => "yes, running a job", Some(false) => "no", None => "—" }}</dd>
                </dl>
                <h3>"Labels"</h3>
                <Labels labels=r.labels.clone()/>
            </section>
        </div>
    }
}

#[component]
fn AuditTrail(rows: Vec<AuditLogResponse>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table id="audit-trail">
                <thead><tr><th scope="col">"When"</th><th scope="col">"Event"</th><th scope="col">"Who"</th><th scope="col">"Result"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|a| view! {
                        <tr>
                            <td><time datetime=a.timestamp.to_rfc3339()>{absolute(&a.timestamp)}</time></td>
                            <td>{a.event_type.replace('_', " ")}</td>
                            <td>{a.user_identity} " (" {a.actor_type} ")"</td>
                            <td>{if a.success { "ok".to_owned() } else { format!("failed: {}", a.error_message.unwrap_or_default()) }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clock_is_not_needed_for_absolute_times() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-03T09:18:00Z").expect("time").with_timezone(&chrono::Utc);
        assert_eq!(super::absolute(&t), "2026-12-03 09:18:00 UTC");
    }
}
