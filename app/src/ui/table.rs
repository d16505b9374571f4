//! The console's lists: a table paged by the server (a caption for screen readers, the column
//! headers, an optional select-all box, the pager), the card shown when nothing matches, and the
//! row checkbox of a list that can be acted on in a batch.

use std::collections::BTreeSet;

use leptos::prelude::*;
use uuid::Uuid;

use super::pager::Pager;

/// The select-all box of a batch list: it checks or clears `ids` (the page's selectable rows).
pub struct SelectAll {
    /// Its accessible name ("Select every user on this page").
    pub label: &'static str,
    /// The rows of this page it selects.
    pub ids: Vec<Uuid>,
    /// The selection it changes.
    pub selected: RwSignal<BTreeSet<Uuid>>,
}

/// A server-paged table `id` with `columns` and the rows as children, then the pager.
#[component]
pub fn PagedTable(
    #[prop(into)] id: String,
    caption: &'static str,
    columns: &'static [&'static str],
    total: i64,
    limit: i64,
    offset: i64,
    #[prop(optional_no_strip)] select: Option<SelectAll>,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table id=id class=class>
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        {select.map(|s| {
                            let (ids, all, selected) = (s.ids.clone(), s.ids, s.selected);
                            let checked = move || !all.is_empty() && selected.with(|sel| all.iter().all(|id| sel.contains(id)));
                            view! {
                                <th scope="col">
                                    <input type="checkbox" aria-label=s.label prop:checked=checked
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            selected.update(|sel| for id in &ids { if on { sel.insert(*id); } else { sel.remove(id); } });
                                        }/>
                                </th>
                            }
                        })}
                        {columns.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
        <Pager total=total limit=limit offset=offset/>
    }
}

/// What a list shows when nothing matches: `title`, and what to do about it.
#[component]
pub fn EmptyCard(#[prop(into)] id: String, title: &'static str, hint: &'static str) -> impl IntoView {
    view! {
        <div class="card empty" id=id>
            <p>{title}</p>
            <p class="muted">{hint}</p>
        </div>
    }
}

/// A row's checkbox in a batch list: `id` in or out of `selected`.
#[component]
pub fn SelectBox(id: Uuid, #[prop(into)] label: String, selected: RwSignal<BTreeSet<Uuid>>, #[prop(optional)] disabled: bool) -> impl IntoView {
    view! {
        <input type="checkbox" aria-label=label disabled=disabled
            prop:checked=move || selected.with(|s| s.contains(&id))
            on:change=move |ev| { let on = event_target_checked(&ev); selected.update(|s| { if on { s.insert(id); } else { s.remove(&id); } }); }/>
    }
}
