//! Refresh and delete for one runner, shared by the runners list and the runner page: the two
//! server calls, and the delete confirmation that says what deleting does.

use leptos::prelude::*;
use uuid::Uuid;

use crate::contract::ApiError;
use crate::contract::runners::{DeprovisionResponse, RunnerStatus};
use crate::server_fns::runners::{delete_runner, refresh_runner};
use crate::ui::dialog::Modal;

/// The refresh and delete actions of one runner and whether its delete confirmation is open.
#[derive(Clone, Copy)]
pub struct RunnerActions {
    pub refresh: Action<(), Result<RunnerStatus, ApiError>>,
    pub delete: Action<(), Result<DeprovisionResponse, ApiError>>,
    pub confirm: RwSignal<bool>,
}

impl RunnerActions {
    /// `on_refresh` and `on_delete` receive each call's result (the confirmation closes first).
    pub fn new(
        id: Uuid,
        on_refresh: impl Fn(Result<RunnerStatus, ApiError>) + 'static,
        on_delete: impl Fn(Result<DeprovisionResponse, ApiError>) + 'static,
    ) -> Self {
        let refresh = Action::new_local(move |_: &()| refresh_runner(id));
        let delete = Action::new_local(move |_: &()| delete_runner(id));
        let confirm = RwSignal::new(false);
        Effect::new(move |_| {
            if let Some(res) = refresh.value().get() {
                on_refresh(res);
            }
        });
        Effect::new(move |_| {
            if let Some(res) = delete.value().get() {
                confirm.set(false);
                on_delete(res);
            }
        });
        Self { refresh, delete, confirm }
    }
}

/// "Delete runner NAME?" with what it does, Cancel, and the button that deletes.
#[component]
pub fn DeleteRunnerDialog(actions: RunnerActions, name: String, #[prop(into)] title_id: String) -> impl IntoView {
    let RunnerActions { delete, confirm, .. } = actions;
    view! {
        <Modal open=confirm title=format!("Delete runner {name}?") title_id=title_id>
            <p>"GHARTS deletes the runner at GitHub and marks it deleted here. A job it is running is cancelled by GitHub. This cannot be undone."</p>
            <div class="dialog-actions">
                <button class="secondary" on:click=move |_| confirm.set(false)>"Cancel"</button>
                <button class="danger confirm-delete" disabled=move || delete.pending().get() on:click=move |_| { delete.dispatch(()); }>"Delete runner"</button>
            </div>
        </Modal>
    }
}
