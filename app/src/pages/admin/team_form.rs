//! Create or edit a team: description, the label policy (required labels, optional patterns
//! checked by the server as they are typed), the quota and per-user cap, and the runner groups.

use leptos::prelude::*;

use crate::contract::teams::{TeamCreateRequest, TeamPatchRequest, TeamResponse};
use crate::contract::{ApiError, FieldError};
use crate::server_fns::teams::{check_label_patterns, create_team, update_team};
use crate::ui::chips::ChipInput;
use crate::ui::errors::ErrorNotice;

/// The form's values, as typed.
#[derive(Clone, Default, PartialEq)]
struct Draft {
    name: String,
    description: String,
    required: Vec<String>,
    patterns: Vec<String>,
    max: String,
    per_user: String,
    groups: Vec<String>,
    default_group: String,
}

impl Draft {
    fn of(t: &TeamResponse) -> Self {
        Draft {
            name: t.name.clone(),
            description: t.description.clone().unwrap_or_default(),
            required: t.required_labels.clone(),
            patterns: t.optional_label_patterns.clone().unwrap_or_default(),
            max: t.max_runners.map(|n| n.to_string()).unwrap_or_default(),
            per_user: t.max_runners_per_user.map(|n| n.to_string()).unwrap_or_default(),
            groups: t.allowed_runner_group_ids.iter().map(i64::to_string).collect(),
            default_group: t.default_runner_group_id.map(|g| g.to_string()).unwrap_or_default(),
        }
    }
}

/// The typed values as the API's types, or what is wrong with them before asking the server.
struct Parsed {
    description: Option<String>,
    max: Option<i64>,
    per_user: Option<i64>,
    groups: Vec<i64>,
    default_group: Option<i64>,
}

fn number(field: &str, v: &str) -> Result<Option<i64>, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<i64>().map(Some).map_err(|_| format!("{field} must be a whole number."))
}

fn parse(d: &Draft) -> Result<Parsed, String> {
    let groups =
        d.groups.iter().map(|g| g.trim().parse::<i64>().map_err(|_| format!("Runner group \"{g}\" is not a number."))).collect::<Result<Vec<_>, _>>()?;
    let description = d.description.trim();
    Ok(Parsed {
        description: (!description.is_empty()).then(|| description.to_owned()),
        max: number("The quota", &d.max)?,
        per_user: number("The per-user cap", &d.per_user)?,
        default_group: number("The default group", &d.default_group)?.or_else(|| groups.first().copied()),
        groups,
    })
}

fn create_request(d: &Draft, p: Parsed) -> TeamCreateRequest {
    TeamCreateRequest {
        name: d.name.trim().to_owned(),
        description: p.description,
        required_labels: d.required.clone(),
        optional_label_patterns: (!d.patterns.is_empty()).then(|| d.patterns.clone()),
        max_runners: p.max,
        max_runners_per_user: p.per_user,
        allowed_runner_group_ids: (!p.groups.is_empty()).then_some(p.groups),
        default_runner_group_id: p.default_group,
    }
}

/// Only what changed (merge-patch); `null` clears.
fn patch_request(before: &TeamResponse, d: &Draft, p: Parsed) -> TeamPatchRequest {
    let changed = |a: &Option<String>, b: &Option<String>| a != b;
    TeamPatchRequest {
        description: changed(&before.description, &p.description).then_some(p.description),
        required_labels: (before.required_labels != d.required).then(|| Some(d.required.clone())),
        optional_label_patterns: (before.optional_label_patterns.clone().unwrap_or_default() != d.patterns)
            .then(|| (!d.patterns.is_empty()).then(|| d.patterns.clone())),
        max_runners: (before.max_runners != p.max).then_some(p.max),
        max_runners_per_user: (before.max_runners_per_user != p.per_user).then_some(p.per_user),
        allowed_runner_group_ids: (before.allowed_runner_group_ids != p.groups).then_some(Some(p.groups)),
        default_runner_group_id: (before.default_runner_group_id != p.default_group).then_some(p.default_group),
    }
}

/// The create form (`team: None`) or the edit form of `team`.
#[component]
pub fn TeamForm(team: Option<TeamResponse>, on_done: Callback<Result<String, ApiError>>, on_cancel: Callback<()>) -> impl IntoView {
    let editing = team.is_some();
    let start = team.as_ref().map(Draft::of).unwrap_or_default();
    let name = RwSignal::new(start.name.clone());
    let description = RwSignal::new(start.description.clone());
    let required = RwSignal::new(start.required.clone());
    let patterns = RwSignal::new(start.patterns.clone());
    let max = RwSignal::new(start.max.clone());
    let per_user = RwSignal::new(start.per_user.clone());
    let groups = RwSignal::new(start.groups.clone());
    let default_group = RwSignal::new(start.default_group.clone());
    let draft = move || Draft {
        name: name.get(),
        description: description.get(),
        required: required.get(),
        patterns: patterns.get(),
        max: max.get(),
        per_user: per_user.get(),
        groups: groups.get(),
        default_group: default_group.get(),
    };
    // The server's verdict on the patterns, as they change.
    let check = LocalResource::new(move || {
        let p = patterns.get();
        async move { if p.is_empty() { Ok(Vec::<FieldError>::new()) } else { check_label_patterns(p).await } }
    });
    let pattern_errors = move || match check.get() {
        Some(Ok(errors)) => Some(errors),
        _ => None,
    };
    let local_error = move || parse(&draft()).err();
    let save = Action::new_local(move |d: &Draft| {
        let (d, before) = (d.clone(), team.clone());
        async move {
            let p = parse(&d).map_err(|m| ApiError::new(crate::contract::ErrorCode::ValidationError, m))?;
            match before {
                None => create_team(create_request(&d, p)).await.map(|t| format!("Team {} created.", t.name)),
                Some(b) => update_team(b.id, patch_request(&b, &d, p)).await.map(|t| format!("Team {} saved.", t.name)),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(m)) = save.value().get() {
            on_done.run(Ok(m));
        }
    });
    let can_save = move || local_error().is_none() && pattern_errors().is_some_and(|e| e.is_empty()) && !save.pending().get();
    view! {
        <form id="team-form" class="stack" on:submit=move |ev| { ev.prevent_default(); if can_save() { save.dispatch(draft()); } }>
            <label for="team-name">"Name"</label>
            <input id="team-name" required disabled=editing aria-describedby="team-name-hint" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
            <p id="team-name-hint" class="muted small">{if editing { "A team's name never changes." } else { "2–50 characters: a-z, 0-9 and '-' (kebab-case)." }}</p>
            <label for="team-description">"Description"</label>
            <input id="team-description" maxlength="500" prop:value=description on:input=move |ev| description.set(event_target_value(&ev))/>
            <ChipInput id="team-required" label="Required labels" what="label" values=required
                hint="Added to every runner of the team."/>
            <ChipInput id="team-patterns" label="Optional label patterns" what="pattern" values=patterns separators=&[]
                hint="Regular expressions (Rust syntax) that a requested label must match in full, case-insensitively. Enter adds one."/>
            <div id="pattern-check" aria-live="polite">
                {move || match check.get() {
                    None => view! { <p class="muted small">"Checking the patterns…"</p> }.into_any(),
                    Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                    Some(Ok(errors)) if errors.is_empty() => {
                        (!patterns.with(Vec::is_empty)).then(|| view! { <p class="small ok-text">"The server accepts every pattern."</p> }).into_any()
                    }
                    Some(Ok(errors)) => view! {
                        <ul class="notice error small" id="pattern-errors">
                            {errors.into_iter().map(|f| {
                                let which = f.field.trim_start_matches("optional_label_patterns").trim_matches(['[', ']']).parse::<usize>().ok()
                                    .and_then(|i| patterns.with_untracked(|p| p.get(i).cloned()));
                                view! { <li>{which.map(|p| format!("{p}: ")).unwrap_or_default()}{f.message}</li> }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }}
            </div>
            <div class="columns">
                <div class="stack">
                    <label for="team-max">"Quota (runners)"</label>
                    <input id="team-max" type="number" min="0" max="100000" placeholder="unlimited" prop:value=max on:input=move |ev| max.set(event_target_value(&ev))/>
                </div>
                <div class="stack">
                    <label for="team-max-user">"Per-user cap"</label>
                    <input id="team-max-user" type="number" min="0" max="100000" placeholder="none" prop:value=per_user on:input=move |ev| per_user.set(event_target_value(&ev))/>
                </div>
            </div>
            <ChipInput id="team-groups" label="Allowed runner groups (GitHub ids)" what="group" values=groups
                hint="1–100 group ids. Leave empty when creating to use the service's default group."/>
            <label for="team-default-group">"Default group"</label>
            <select id="team-default-group" on:change=move |ev| default_group.set(event_target_value(&ev))>
                <option value="" selected=move || default_group.with(String::is_empty)>"The first allowed group"</option>
                {move || groups.get().into_iter().map(|g| {
                    let v = g.clone();
                    view! { <option value=g.clone() selected=move || default_group.with(|d| *d == v)>{format!("Group {g}")}</option> }
                }).collect_view()}
            </select>
            {move || local_error().map(|m| view! { <p class="error small" role="alert">{m}</p> })}
            {move || save.value().get().and_then(Result::err).map(|e| view! { <ErrorNotice error=e/> })}
            <div class="dialog-actions">
                <button type="button" class="secondary" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                <button type="submit" id="team-save" disabled=move || !can_save()>{if editing { "Save team" } else { "Create team" }}</button>
            </div>
        </form>
    }
}
