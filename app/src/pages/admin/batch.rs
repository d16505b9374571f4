//! Batch incident actions on a page's selected rows (teams: deactivate/reactivate; users:
//! disable/restore): the bar with the two actions, and the dialog with the server's preview
//! (a dry run), the reason with its counter and the confirmation.

use std::collections::BTreeSet;
use std::future::Future;

use leptos::prelude::*;
use uuid::Uuid;

use super::{MutationError, count_of};
use crate::contract::ApiError;
use crate::contract::batch::{BatchActionResponse, BatchDetail};
use crate::ui::dialog::{Modal, open_while};
use crate::ui::errors::ErrorNotice;
use crate::ui::reason::{ReasonField, reason_ok};

/// What a batch bar says: `[the incident action, its undo]` each time.
#[derive(Clone, Copy)]
pub struct BatchWords {
    /// Prefix of the dialog's element ids (`<prefix>-batch-preview`, `-reason`, `-confirm`, `-title`).
    pub prefix: &'static str,
    /// The item, singular and plural.
    pub noun: (&'static str, &'static str),
    /// The bar's button ids.
    pub ids: [&'static str; 2],
    /// The verbs ("Disable", "Restore").
    pub verbs: [&'static str; 2],
    /// The dialog's titles.
    pub titles: [&'static str; 2],
    /// What each action means, said in the dialog.
    pub explain: [&'static str; 2],
}

/// The selected rows: run one of two batch actions after the server's preview. `act(first,
/// dry_run, comment, ids)` calls the server (`first`: the incident action); `options` are
/// extra controls shown for the incident action (read by `act` through their signals).
#[component]
pub fn BatchBar<A, F>(
    selected: RwSignal<BTreeSet<Uuid>>,
    on_done: Callback<Result<String, ApiError>>,
    words: BatchWords,
    act: A,
    #[prop(optional, into)] options: Option<ViewFn>,
) -> impl IntoView
where
    A: Fn(bool, bool, String, Vec<Uuid>) -> F + Copy + Send + Sync + 'static,
    F: Future<Output = Result<BatchActionResponse, ApiError>> + 'static,
{
    let BatchWords { prefix, noun, ids, verbs, titles, explain } = words;
    let mode = RwSignal::new(None::<bool>); // Some(true): the incident action, Some(false): its undo
    let open = open_while(mode);
    let reason = RwSignal::new(String::new());
    let which = |first: bool| usize::from(!first);
    let preview = LocalResource::new(move || {
        let (m, list) = (mode.get(), selected.get().into_iter().collect::<Vec<_>>());
        // The preview needs a valid comment; the real reason is checked when confirming.
        let call = m.map(|first| act(first, true, format!("preview of a {} batch", noun.0), list));
        async move {
            match call {
                Some(f) => Some(f.await),
                None => None,
            }
        }
    });
    let run = Action::new_local(move |(first, comment, list): &(bool, String, Vec<Uuid>)| act(*first, false, comment.clone(), list.clone()));
    Effect::new(move |_| {
        if let Some(r) = run.value().get() {
            if r.is_ok() {
                mode.set(None);
                reason.set(String::new());
                selected.set(BTreeSet::new());
            }
            on_done
                .run(r.map(|b| format!("{}: {} changed, {} failed.", b.action.replace('_', " "), count_of(b.affected_count, noun.0, noun.1), b.failed_count)));
        }
    });
    let count = move || selected.with(BTreeSet::len);
    let title_id = format!("{prefix}-batch-title");
    view! {
        <Show when=move || { count() > 0 }>
            <p class="bulk-bar">
                {move || format!("{} selected", count())}
                <button id=ids[0] class="danger" on:click=move |_| mode.set(Some(true))>{format!("{} selected", verbs[0])}</button>
                <button id=ids[1] class="secondary" on:click=move |_| mode.set(Some(false))>{format!("{} selected", verbs[1])}</button>
                <button class="secondary" on:click=move |_| selected.set(BTreeSet::new())>"Clear selection"</button>
            </p>
        </Show>
        <Modal open=open title=Signal::derive(move || titles[which(mode.get() != Some(false))].to_owned()) title_id=title_id>
            <p>{move || explain[which(mode.get() != Some(false))]}</p>
            {options.map(|o| view! { <Show when=move || mode.get() == Some(true)>{o.run()}</Show> })}
            <BatchPreview id=format!("{prefix}-batch-preview") preview=preview/>
            <ReasonField id=format!("{prefix}-batch-reason") reason=reason/>
            {move || run.value().get().and_then(Result::err).map(|e| view! { <MutationError error=e/> })}
            <div class="dialog-actions">
                <button class="secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                <button id=format!("{prefix}-batch-confirm") class="danger" disabled=move || !reason.with(|r| reason_ok(r)) || run.pending().get()
                    on:click=move |_| {
                        if let Some(m) = mode.get_untracked() {
                            run.dispatch((m, reason.get_untracked().trim().to_owned(), selected.get_untracked().into_iter().collect()));
                        }
                    }>
                    {move || format!("{} {}", verbs[which(mode.get() != Some(false))], count_of(count() as i64, noun.0, noun.1))}
                </button>
            </div>
        </Modal>
    }
}

/// The dry run's per-item statuses (`would_be_disabled`, `skipped`, `not_found`, …).
#[component]
pub fn BatchPreview(#[prop(into)] id: String, preview: LocalResource<Option<Result<BatchActionResponse, ApiError>>>) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Preparing the preview…"</p> }>
            {
                let id = id.clone();
                move || preview.get().flatten().map(|r| match r {
                    Ok(b) => view! {
                        <p>{format!("{} of {} would change.", b.affected_count, b.details.len())}</p>
                        <ul class="preview" id=id.clone()>
                            {b.details.into_iter().map(|d| {
                                let (name, status, error) = match d {
                                    BatchDetail::User(u) => (u.email.or(u.oidc_sub).unwrap_or_else(|| u.user_id.to_string()), u.status, u.error),
                                    BatchDetail::Team(t) => (t.team_name.unwrap_or_else(|| t.team_id.to_string()), t.status, t.error),
                                    BatchDetail::Runner(r) => (r.runner_name.unwrap_or_else(|| r.runner_id.to_string()), r.status, r.error),
                                };
                                view! { <li>{name} " — " {status.replace('_', " ")}{error.map(|e| format!(": {e}"))}</li> }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                })
            }
        </Suspense>
    }
}
