//! A chip input: a list of values shown as removable pills, added with Enter, a comma or the
//! Add button (duplicates, compared case-insensitively, are ignored).

use leptos::prelude::*;

/// Splits what was typed into values and appends the new ones.
pub fn add_values(list: &mut Vec<String>, raw: &str, separators: &[char]) {
    for v in raw.split(separators).map(str::trim).filter(|v| !v.is_empty()) {
        if !list.iter().any(|x| x.eq_ignore_ascii_case(v)) {
            list.push(v.to_owned());
        }
    }
}

/// The chips of `values` and an input that adds to them. `id` names the input (the list is
/// `<id>-chips`); `what` is the noun in the remove buttons' labels ("label", "pattern");
/// `separators` split a typed line into several values (patterns take only Enter).
#[component]
pub fn ChipInput(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(into)] what: String,
    values: RwSignal<Vec<String>>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(optional)] separators: Option<&'static [char]>,
) -> impl IntoView {
    let separators: &'static [char] = separators.unwrap_or(&[',', ' ']);
    let text = RwSignal::new(String::new());
    let add = move || {
        let raw = text.get_untracked();
        values.update(|l| add_values(l, &raw, separators));
        text.set(String::new());
    };
    let hint_id = format!("{id}-hint");
    let chips_id = format!("{id}-chips");
    let described = hint.is_some().then(|| hint_id.clone());
    view! {
        <label for=id.clone()>{label.clone()}</label>
        <ul class="labels editable" id=chips_id aria-label=label>
            {move || values.get().into_iter().map(|v| {
                let gone = v.clone();
                let remove_label = format!("Remove {what} {v}");
                view! {
                    <li class="pill">{v.clone()}
                        <button type="button" class="chip-remove" aria-label=remove_label
                            on:click=move |_| values.update(|l| l.retain(|x| *x != gone))>"×"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
        <div class="row">
            <input id=id.clone() aria-describedby=described prop:value=text
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    let split = separators.contains(&',') && v.ends_with(',');
                    text.set(v);
                    if split { add(); }
                }
                on:keydown=move |ev| if ev.key() == "Enter" { ev.prevent_default(); add(); }
                on:blur=move |_| add()/>
            <button type="button" class="secondary" on:click=move |_| add()>"Add"</button>
        </div>
        {hint.map(|h| view! { <p id=hint_id class="muted small">{h}</p> })}
    }
}
