//! An accessible modal dialog: the native `<dialog>` opened with `showModal()` moves focus in,
//! keeps Tab inside, makes the page inert, closes on Escape and returns focus to the opener.

use leptos::html;
use leptos::prelude::*;

/// A modal dialog shown while `open` is true; `title_id` labels it. The children hold its
/// content and its buttons (a button that closes it sets `open` to false). `drawer` shows it
/// as a panel at the side (details of a row).
#[component]
pub fn Modal(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] title_id: String,
    #[prop(optional)] drawer: bool,
    children: Children,
) -> impl IntoView {
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
        <dialog node_ref=dialog class=if drawer { "dialog drawer" } else { "dialog" } aria-labelledby=labelled_by on:close=move |_| open.set(false)>
            <h2 id=title_id>{move || title.get()}</h2>
            {children()}
        </dialog>
    }
}

/// An `open` flag for a [`Modal`] bound to a subject: the dialog is open while `subject` holds a
/// value for which `shows` is true, and closing it (Escape, Cancel) clears the subject.
pub fn open_when<T: Send + Sync + 'static>(subject: RwSignal<Option<T>>, shows: fn(&T) -> bool) -> RwSignal<bool> {
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        let want = subject.with(|s| s.as_ref().is_some_and(shows));
        if open.get_untracked() != want {
            open.set(want);
        }
    });
    Effect::new(move |_| {
        if !open.get() && subject.with_untracked(|s| s.as_ref().is_some_and(shows)) {
            subject.set(None);
        }
    });
    open
}

/// [`open_when`] for any value of the subject.
pub fn open_while<T: Send + Sync + 'static>(subject: RwSignal<Option<T>>) -> RwSignal<bool> {
    open_when(subject, |_| true)
}
