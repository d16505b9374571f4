//! The preview of a batch action: what each selected item would become, as the server's dry
//! run reports it.

use leptos::prelude::*;

use crate::contract::batch::{BatchActionResponse, BatchDetail};
use crate::ui::errors::ErrorNotice;

/// The dry run's per-item statuses (`would_be_disabled`, `skipped`, `not_found`, …).
#[component]
pub fn BatchPreview(#[prop(into)] id: String, preview: LocalResource<Option<Result<BatchActionResponse, crate::contract::ApiError>>>) -> impl IntoView {
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
