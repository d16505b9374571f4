//! A team's M2M client: what it is, its state and history, and the actions on it — register,
//! enable or disable, delete (confirmed), and rotate (disable the old one and register the
//! new one in one guided step; the old one is re-enabled if the new one is refused).

use leptos::prelude::*;
use uuid::Uuid;

use super::count_of;
use crate::contract::ApiError;
use crate::contract::oauth_clients::{OAuthClientCreateRequest, OAuthClientResponse};
use crate::contract::teams::TeamResponse;
use crate::server_fns::clients::{delete_client, register_client, rotate_client, set_client_active, team_clients};
use crate::ui::dialog::{Modal, open_while};
use crate::ui::errors::{ErrorNotice, SuccessNotice};
use crate::ui::format::{MaybeWhen, When};

/// What the actions can do.
#[derive(Clone)]
enum Step {
    Register(OAuthClientCreateRequest),
    Rotate(Uuid, OAuthClientCreateRequest),
    SetActive(Uuid, bool),
    Delete(Uuid),
}

/// The M2M dialog's content.
#[component]
pub fn ClientDialog(team: TeamResponse, on_close: Callback<()>) -> impl IntoView {
    let team_id = team.id;
    let changed = RwSignal::new(0u32);
    let clients = LocalResource::new(move || {
        changed.get();
        team_clients(team_id)
    });
    let act = Action::new_local(move |s: &Step| {
        let s = s.clone();
        async move {
            match s {
                Step::Register(r) => register_client(r).await.map(|c| format!("Client {} registered.", c.client_id)),
                Step::Rotate(old, r) => rotate_client(old, r).await.map(|c| format!("Rotated: {} is active, the old client is disabled.", c.client_id)),
                Step::SetActive(id, on) => {
                    set_client_active(id, on).await.map(|c| format!("Client {} {}.", c.client_id, if on { "enabled" } else { "disabled" }))
                }
                Step::Delete(id) => delete_client(id).await.map(|()| "Registration deleted.".to_owned()),
            }
        }
    });
    let form = RwSignal::new(None::<Option<Uuid>>); // Some(None): register, Some(Some(old)): rotate
    let confirm_delete = RwSignal::new(None::<OAuthClientResponse>);
    let delete_open = open_while(confirm_delete);
    let confirm_disable = RwSignal::new(None::<OAuthClientResponse>);
    let disable_open = open_while(confirm_disable);
    Effect::new(move |_| {
        if let Some(Ok(_)) = act.value().get() {
            form.set(None);
            confirm_delete.set(None);
            confirm_disable.set(None);
            changed.update(|n| *n += 1);
        }
    });
    view! {
        <p class="muted" id="client-explainer">
            {format!("{}: ", team.name)}
            "An M2M client is a CI pipeline's identity at the identity provider (OAuth client credentials). Registering its client id binds it to this team: \
             its tokens provision runners for this team only, under the team's label policy and quota. A team has at most one active client."
        </p>
        {move || act.value().get().map(|r| match r {
            Ok(m) => view! { <SuccessNotice message=m/> }.into_any(),
            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
        })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || clients.get().map(|r| match r {
                Ok(list) => {
                    let current = list.clients.iter().find(|c| c.is_active).or(list.clients.first()).cloned();
                    let older: Vec<_> = list.clients.iter().filter(|c| Some(c.id) != current.as_ref().map(|x| x.id)).cloned().collect();
                    match current {
                        None => view! {
                            <p class="notice warn" id="client-none">"No M2M client is registered: every M2M token for this team is refused."</p>
                            <Show when=move || form.get().is_none()>
                                <button id="client-register" on:click=move |_| form.set(Some(None))>"Register a client"</button>
                            </Show>
                        }.into_any(),
                        Some(c) => view! {
                            <ClientFacts c=c.clone()/>
                            <Show when=move || form.get().is_none()>
                                <ClientActions c=c.clone() act=act form=form confirm_delete=confirm_delete confirm_disable=confirm_disable/>
                            </Show>
                            {(!older.is_empty()).then(|| view! {
                                <details>
                                    <summary>{count_of(older.len() as i64, "earlier registration", "earlier registrations")}</summary>
                                    <ul class="member-list">
                                        {older.into_iter().map(|o| view! {
                                            <li><span><code>{o.client_id.clone()}</code>" "{if o.is_active { "active" } else { "disabled" }}" · registered "<When t=o.created_at/></span>
                                                <button class="link danger" aria-label=format!("Delete registration {}", o.client_id)
                                                    on:click=move |_| confirm_delete.set(Some(o.clone()))>"Delete"</button></li>
                                        }).collect_view()}
                                    </ul>
                                </details>
                            })}
                        }.into_any(),
                    }
                }
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
        </Suspense>
        {move || form.get().map(|rotating| view! { <ClientForm team_id=team_id rotating=rotating act=act form=form/> })}
        <div class="dialog-actions">
            <button class="secondary" id="client-close" on:click=move |_| on_close.run(())>"Close"</button>
        </div>
        <Modal open=disable_open title=Signal::derive(move || confirm_disable.get().map(|c| format!("Disable {}?", c.client_id)).unwrap_or_default()) title_id="client-disable-title">
            <p>"Its tokens are refused until it is enabled again, so the pipeline cannot provision runners for this team."</p>
            <div class="dialog-actions">
                <button class="secondary" on:click=move |_| confirm_disable.set(None)>"Cancel"</button>
                <button id="client-disable-confirm" class="danger" disabled=move || act.pending().get()
                    on:click=move |_| if let Some(c) = confirm_disable.get_untracked() { act.dispatch(Step::SetActive(c.id, false)); }>"Disable client"</button>
            </div>
        </Modal>
        <Modal open=delete_open title=Signal::derive(move || confirm_delete.get().map(|c| format!("Delete the registration of {}?", c.client_id)).unwrap_or_default()) title_id="client-delete-title">
            <p>"Tokens of this client are refused from now on. The client itself at the identity provider is not changed. The audit log keeps its history."</p>
            <div class="dialog-actions">
                <button class="secondary" on:click=move |_| confirm_delete.set(None)>"Cancel"</button>
                <button id="client-delete-confirm" class="danger" disabled=move || act.pending().get()
                    on:click=move |_| if let Some(c) = confirm_delete.get_untracked() { act.dispatch(Step::Delete(c.id)); }>"Delete registration"</button>
            </div>
        </Modal>
    }
}

#[component]
fn ClientFacts(c: OAuthClientResponse) -> impl IntoView {
    view! {
        <dl class="facts" id="client-facts">
            <dt>"Client id"</dt><dd><code id="client-id">{c.client_id.clone()}</code></dd>
            <dt>"Status"</dt><dd id="client-status">{if c.is_active { "Active" } else { "Disabled: M2M provisioning is blocked for this team" }}</dd>
            <dt>"Description"</dt><dd>{c.description.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Registered by"</dt><dd>{c.created_by.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Registered"</dt><dd><When t=c.created_at/></dd>
            <dt>"Last used"</dt><dd><MaybeWhen t=c.last_used_at/></dd>
        </dl>
    }
}

#[component]
fn ClientActions(
    c: OAuthClientResponse,
    act: Action<Step, Result<String, ApiError>>,
    form: RwSignal<Option<Option<Uuid>>>,
    confirm_delete: RwSignal<Option<OAuthClientResponse>>,
    confirm_disable: RwSignal<Option<OAuthClientResponse>>,
) -> impl IntoView {
    let (id, active) = (c.id, c.is_active);
    let for_disable = c.clone();
    view! {
        <div class="actions">
            <button id="client-rotate" on:click=move |_| form.set(Some(Some(id)))>"Rotate…"</button>
            <button id="client-toggle" class="secondary" disabled=move || act.pending().get() on:click=move |_| {
                if active { confirm_disable.set(Some(for_disable.clone())); } else { act.dispatch(Step::SetActive(id, true)); }
            }>
                {if active { "Disable" } else { "Enable" }}
            </button>
            <button id="client-delete" class="danger" on:click=move |_| confirm_delete.set(Some(c.clone()))>"Delete…"</button>
        </div>
    }
}

/// Register a client, or (with `rotating`) its replacement.
#[component]
fn ClientForm(team_id: Uuid, rotating: Option<Uuid>, act: Action<Step, Result<String, ApiError>>, form: RwSignal<Option<Option<Uuid>>>) -> impl IntoView {
    let client_id = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let request = move || {
        let d = description.get_untracked().trim().to_owned();
        OAuthClientCreateRequest { client_id: client_id.get_untracked().trim().to_owned(), team_id, description: (!d.is_empty()).then_some(d) }
    };
    view! {
        <form class="stack card" id="client-form" on:submit=move |ev| {
            ev.prevent_default();
            act.dispatch(match rotating { Some(old) => Step::Rotate(old, request()), None => Step::Register(request()) });
        }>
            <h3>{if rotating.is_some() { "Rotate the client" } else { "Register a client" }}</h3>
            {rotating.is_some().then(|| view! {
                <ol class="small">
                    <li>"Create the new client at the identity provider."</li>
                    <li>"Enter its client id here: GHARTS disables the current client and registers the new one in one step."</li>
                    <li>"Give the new credentials to the pipeline. The old client's tokens are refused from now on."</li>
                </ol>
            })}
            <label for="client-id-input">"Client id (the token's subject)"</label>
            <input id="client-id-input" required maxlength="255" prop:value=client_id on:input=move |ev| client_id.set(event_target_value(&ev))/>
            <label for="client-description">"Description"</label>
            <input id="client-description" maxlength="500" prop:value=description on:input=move |ev| description.set(event_target_value(&ev))/>
            <div class="dialog-actions">
                <button type="button" class="secondary" on:click=move |_| form.set(None)>"Cancel"</button>
                <button type="submit" id="client-submit" disabled=move || client_id.with(|c| c.trim().is_empty()) || act.pending().get()>
                    {if rotating.is_some() { "Disable the old client and register this one" } else { "Register client" }}
                </button>
            </div>
        </form>
    }
}
