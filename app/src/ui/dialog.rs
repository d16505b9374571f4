//! An accessible modal dialog: the native `<dialog>` opened with `showModal()` moves focus in,
//! keeps Tab inside, makes the page inert, closes on Escape and returns focus to the opener.

use leptos::html;
use leptos::prelude::*;

/// A modal dialog shown while `open` is true; `title_id` labels it. The children hold its
/// content and its buttons (a button that closes it sets `open` to false).
#[component]
pub fn Modal(open: RwSignal<bool>, #[prop(into)] title: String, #[prop(into)] title_id: String, children: Children) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        if let Some(d) = dialog.get() {
            if open.get() {
                if !d.open() {
                    let _ = d.show_modal();
                }
            } else if d.open() {
                d.close();
            }
        }
    });
    let labelled_by = title_id.clone();
    view! {
        <dialog node_ref=dialog class="dialog" aria-labelledby=labelled_by on:close=move |_| open.set(false)>
            <h2 id=title_id>{title}</h2>
            {children()}
        </dialog>
    }
}
