//! `/app/runners/provision`: pick a team, name the runner, edit its labels while a dry run
//! shows what the team's policy adds and rejects, pick a runner group from the team's
//! allowlist, provision; then copy or download the run command and the JIT config, which is
//! shown this once, with its expiry counting down.

use leptos::prelude::*;
use uuid::Uuid;

use crate::contract::runners::{DryRunResponse, JitProvisionRequest, JitProvisionResponse};
use crate::contract::{ApiError, ErrorCode};
use crate::server_fns::provision::{dry_run, get_team, provision_runner};
use crate::ui::chips::ChipInput;
use crate::ui::clock::use_clock;
use crate::ui::errors::ErrorNotice;
use crate::ui::format::{absolute, countdown};
use crate::ui::session::use_session;

/// The provisioning route.
pub struct ProvisionPage;

crate::lazy_page!(ProvisionPage, provision_page, { view! { <Provision/> }.into_any() });

/// What the form holds.
#[derive(Clone, Default, PartialEq)]
struct Draft {
    team_id: Option<Uuid>,
    name: String,
    exact_name: bool,
    labels: Vec<String>,
    group: Option<i64>,
}

impl Draft {
    fn request(&self) -> JitProvisionRequest {
        let name = self.name.trim();
        let name = (!name.is_empty()).then(|| name.to_owned());
        JitProvisionRequest {
            runner_name: if self.exact_name { name.clone() } else { None },
            runner_name_prefix: if self.exact_name { None } else { name.or_else(|| Some("runner".to_owned())) },
            labels: self.labels.clone(),
            runner_group_id: self.group,
            team_id: self.team_id,
            ..Default::default()
        }
    }
}

#[component]
fn Provision() -> impl IntoView {
    let session = use_session();
    let result = RwSignal::new(None::<JitProvisionResponse>);
    let can = move || session.user().map(|m| m.can_use_jit);
    view! {
        <h1>"Provision a runner"</h1>
        {move || match (can(), result.get()) {
            (Some(false), _) => view! {
                <div class="notice error" role="alert"><p>"Your account may not provision runners. Ask an administrator."</p></div>
            }.into_any(),
            (_, Some(done)) => view! { <Provisioned r=done on_again=Callback::new(move |_| result.set(None))/> }.into_any(),
            _ => view! { <ProvisionForm on_done=Callback::new(move |r| result.set(Some(r)))/> }.into_any(),
        }}
    }
}

#[component]
fn ProvisionForm(on_done: Callback<JitProvisionResponse>) -> impl IntoView {
    let session = use_session();
    let teams = move || session.user().map(|m| m.teams).unwrap_or_default();
    let draft = RwSignal::new(Draft { team_id: teams().first().map(|t| t.id), ..Default::default() });
    // The chips edit their own list; the draft (and so the dry run) follows it.
    let labels = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| {
        let l = labels.get();
        draft.update(|d| d.labels = l);
    });
    let team = LocalResource::new(move || {
        let id = draft.with(|d| d.team_id);
        async move {
            match id {
                Some(id) => Some(get_team(id).await),
                None => None,
            }
        }
    });
    // The dry run follows every change of the form (the newest answer wins).
    let check = LocalResource::new(move || {
        let d = draft.get();
        async move {
            d.team_id?;
            Some(dry_run(d.request()).await)
        }
    });
    let submit = Action::new_local(move |req: &JitProvisionRequest| provision_runner(req.clone()));
    Effect::new(move |_| {
        if let Some(Ok(r)) = submit.value().get() {
            on_done.run(r);
        }
    });
    let groups = move || match team.get().flatten() {
        Some(Ok(t)) => (t.allowed_runner_group_ids, t.default_runner_group_id),
        _ => (Vec::new(), None),
    };

    view! {
        <form id="provision-form" class="card stack wide" on:submit=move |ev| {
            ev.prevent_default();
            submit.dispatch(draft.get_untracked().request());
        }>
            <label for="team">"Team"</label>
            {move || if teams().is_empty() {
                view! { <p class="notice error" id="team">"You are not a member of any active team. Ask an administrator to add you."</p> }.into_any()
            } else {
                view! {
                    <select id="team" required on:change=move |ev| {
                        let id = Uuid::parse_str(&event_target_value(&ev)).ok();
                        draft.update(|d| { d.team_id = id; d.group = None; });
                    }>
                        {teams().into_iter().map(|t| view! {
                            <option value=t.id.to_string() selected=move || draft.with(|d| d.team_id == Some(t.id))>{t.name.clone()}</option>
                        }).collect_view()}
                    </select>
                }.into_any()
            }}

            <fieldset>
                <legend>"Name"</legend>
                <label class="inline"><input type="radio" name="name-mode" checked=move || !draft.with(|d| d.exact_name)
                    on:change=move |_| draft.update(|d| d.exact_name = false)/>" A prefix (GHARTS adds a unique suffix)"</label>
                <label class="inline"><input type="radio" name="name-mode" checked=move || draft.with(|d| d.exact_name)
                    on:change=move |_| draft.update(|d| d.exact_name = true)/>" An exact name"</label>
                <label for="runner-name">{move || if draft.with(|d| d.exact_name) { "Runner name" } else { "Name prefix" }}</label>
                <input id="runner-name" placeholder="e.g. build" maxlength="64" aria-describedby="name-hint"
                    prop:value=move || draft.with(|d| d.name.clone()) on:input=move |ev| draft.update(|d| d.name = event_target_value(&ev))/>
                <p id="name-hint" class="muted small">"Letters, digits, - and _."</p>
            </fieldset>

            <fieldset>
                <legend>"Labels"</legend>
                <ChipInput id="label-input" label="Requested labels" what="label" values=labels
                    hint="Enter or comma adds a label. System labels (self-hosted, the OS and architecture) and your team's required labels are added for you."/>
            </fieldset>

            <label for="runner-group">"Runner group"</label>
            <select id="runner-group" on:change=move |ev| {
                let v = event_target_value(&ev).parse::<i64>().ok();
                draft.update(|d| d.group = v);
            }>
                {move || {
                    let (allowed, default) = groups();
                    let mut options = vec![view! { <option value="" selected=move || draft.with(|d| d.group.is_none())>{format!("Team default{}", default.map(|g| format!(" ({g})")).unwrap_or_default())}</option> }.into_any()];
                    options.extend(allowed.into_iter().map(|g| view! { <option value=g.to_string() selected=move || draft.with(|d| d.group == Some(g))>{format!("Group {g}")}</option> }.into_any()));
                    options
                }}
            </select>

            <section class="dry-run" aria-live="polite" aria-labelledby="check-title">
                <h2 id="check-title">"Policy check"</h2>
                {move || match check.get().flatten() {
                    None => view! { <p class="muted">"Choose a team to check the request against its policy."</p> }.into_any(),
                    Some(Ok(d)) => view! { <DryRunView d=d requested=draft.with_untracked(|d| d.labels.clone())/> }.into_any(),
                    // The same refusal as the last attempt's answer below: said once, there.
                    Some(Err(e)) if submit.value().with(|v| matches!(v, Some(Err(s)) if s.error_code == e.error_code && s.detail == e.detail)) => {
                        view! { <p class="muted" id="dry-run-same">"Refused: the server's answer is below."</p> }.into_any()
                    }
                    Some(Err(e)) => view! { <PolicyRefusal e=e/> }.into_any(),
                }}
            </section>

            <div id="provision-error">{move || submit.value().get().and_then(Result::err).map(|e| view! { <ErrorNotice error=e/> })}</div>
            <div class="actions">
                <button id="provision" type="submit" disabled=move || submit.pending().get() || draft.with(|d| d.team_id.is_none())>
                    {move || if submit.pending().get() { "Provisioning…" } else { "Provision runner" }}
                </button>
                <a class="button secondary" href="/app/runners">"Cancel"</a>
            </div>
        </form>
    }
}

/// What the policy would do: the final labels (marking the ones it adds), the name, the quota.
#[component]
fn DryRunView(d: DryRunResponse, requested: Vec<String>) -> impl IntoView {
    let quota = d.quota.clone();
    view! {
        <div id="dry-run" class="notice ok">
            <p>"Allowed. The runner would get these labels:"</p>
            <ul class="labels" id="final-labels">
                {d.labels.into_iter().map(|l| {
                    let added = !requested.iter().any(|r| r.eq_ignore_ascii_case(&l));
                    view! { <li class=if added { "pill added" } else { "pill" } title=if added { "added by GHARTS or the team's policy" } else { "requested" }>
                        {l.clone()}{added.then(|| view! { <span class="visually-hidden">" (added)"</span> })}
                    </li> }
                }).collect_view()}
            </ul>
            <p class="muted small">"Highlighted labels are added by GHARTS or the team's policy."</p>
            <p>
                {format!("Name: {}{}", d.runner_name, if d.runner_name_is_example { " (example; the suffix is chosen when provisioning)" } else { "" })}
                " · " {format!("runner group {}", d.runner_group_id)}
            </p>
            <p id="quota-line">
                {match quota.max_runners { Some(m) => format!("Team quota: {} of {m} in use.", quota.in_use), None => format!("Team: {} runners in use, no quota.", quota.in_use) }}
                {quota.max_runners_per_user.map(|m| format!(" Yours: {} of {m}.", quota.in_use_by_caller))}
            </p>
            {(!d.github_configured).then(|| view! { <p class="error">"GitHub is not configured on this server: provisioning will fail until an administrator connects the GitHub App."</p> })}
        </div>
    }
}

/// Why the policy refuses: the server's message and each offending field.
#[component]
fn PolicyRefusal(e: ApiError) -> impl IntoView {
    let policy =
        matches!(e.error_code, ErrorCode::LabelPolicyViolation | ErrorCode::RunnerGroupNotAllowed | ErrorCode::QuotaExceeded | ErrorCode::ValidationError);
    view! {
        <div id="dry-run-refused">
            {policy.then(|| view! { <p><strong>"This request would be refused:"</strong></p> })}
            <ErrorNotice error=e/>
        </div>
    }
}

/// The result: shown once. Copy buttons fall back to selecting the text where the Clipboard API
/// is missing (plain http); the config can also be downloaded.
#[component]
fn Provisioned(r: JitProvisionResponse, on_again: Callback<()>) -> impl IntoView {
    let clock = use_clock();
    let expires = r.expires_at;
    let download = format!("data:text/plain;charset=utf-8,{}", String::from(js_sys::encode_uri_component(&r.encoded_jit_config)));
    view! {
        <section class="card wide" id="provisioned" aria-labelledby="done-title">
            <h2 id="done-title">{format!("Runner {} provisioned", r.runner_name)}</h2>
            <p class="notice warn" role="note">
                <strong>"Shown once: "</strong>
                "the JIT configuration is a secret and GHARTS will not show it again. Start the runner with it before it expires."
            </p>
            <p>
                "Expires " <time datetime=expires.to_rfc3339()>{absolute(&expires)}</time>
                " — " <span id="expiry-countdown">{move || countdown(&expires, clock.now_ms.get())}</span> " left"
            </p>
            <CopyBlock id="run-command" label="Run command" text=r.run_command.clone()/>
            <CopyBlock id="jit-config" label="JIT configuration" text=r.encoded_jit_config.clone()/>
            <p>
                <a class="button secondary" id="download-config" href=download download=format!("{}.jitconfig", r.runner_name)>"Download the JIT configuration"</a>
            </p>
            <h3>"Labels"</h3>
            <ul class="labels">{r.labels.iter().map(|l| view! { <li class="pill">{l.clone()}</li> }).collect_view()}</ul>
            <div class="actions">
                <a class="button secondary" href=format!("/app/runners/{}", r.runner_id)>"View the runner"</a>
                <button id="provision-another" on:click=move |_| on_again.run(())>"Provision another"</button>
            </div>
        </section>
    }
}

/// A read-only text with a copy button.
#[component]
fn CopyBlock(id: &'static str, label: &'static str, text: String) -> impl IntoView {
    let area = NodeRef::<leptos::html::Textarea>::new();
    let state = RwSignal::new("");
    let shown = text.clone();
    let copy = move |_| {
        let text = text.clone();
        let navigator = window().navigator();
        // `navigator.clipboard` is undefined outside secure contexts: never call into it then.
        let has_clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into()).is_ok_and(|v| !v.is_undefined());
        let area = area.get();
        leptos::task::spawn_local(async move {
            let copied = has_clipboard && wasm_bindgen_futures::JsFuture::from(navigator.clipboard().write_text(&text)).await.is_ok();
            if copied {
                state.set("Copied");
            } else if let Some(a) = area {
                // No Clipboard API (not a secure context): select the text for Ctrl+C.
                a.select();
                state.set("Selected: press Ctrl+C to copy");
            }
        });
    };
    view! {
        <label for=id>{label}</label>
        <div class="copy-block">
            <textarea id=id node_ref=area readonly rows="3" class="mono" prop:value=shown></textarea>
            <button type="button" class="secondary" id=format!("copy-{id}") on:click=copy>"Copy"</button>
        </div>
        <p class="muted small" role="status" id=format!("copy-{id}-status")>{move || state.get()}</p>
    }
}
