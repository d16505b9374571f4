//! Server-side paging controls: where we are in `total`, previous/next, and the page size.
//! The page lives in the URL (`page`, `size`), so a reload or a shared link shows the same rows.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

/// Page sizes offered.
pub const PAGE_SIZES: [i64; 4] = [25, 50, 100, 200];
/// The default page size.
pub const DEFAULT_PAGE_SIZE: i64 = 50;

/// `(limit, offset)` from the URL's `size` and `page` (a size outside [`PAGE_SIZES`] is the default).
pub fn paging_from(get: impl Fn(&str) -> Option<String>) -> (i64, i64) {
    let size = get("size").and_then(|s| s.parse::<i64>().ok()).filter(|s| PAGE_SIZES.contains(s)).unwrap_or(DEFAULT_PAGE_SIZE);
    let page = get("page").and_then(|p| p.parse::<i64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
    (size, (page - 1) * size)
}

/// The current URL with `key` set to `value` (removed when empty) and `page` reset unless it is the key.
pub fn url_with(key: &str, value: &str) -> String {
    url_from(&use_location(), key, value)
}

fn url_from(loc: &leptos_router::location::Location, key: &str, value: &str) -> String {
    let mut params: Vec<(String, String)> = loc
        .query
        .get_untracked()
        .into_iter()
        .filter(|(k, _)| k != key && (key == "page" || k != "page"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if !value.is_empty() {
        params.push((key.to_owned(), value.to_owned()));
    }
    let query = params.iter().map(|(k, v)| format!("{k}={}", String::from(js_sys::encode_uri_component(v)))).collect::<Vec<_>>().join("&");
    let path = loc.pathname.get_untracked();
    if query.is_empty() { path } else { format!("{path}?{query}") }
}

/// A function that navigates to the current URL with one query parameter changed (made while
/// rendering, called from event handlers).
pub fn query_setter() -> impl Fn(&str, &str) + Clone + 'static {
    let loc = use_location();
    let navigate = use_navigate();
    move |key: &str, value: &str| navigate(&url_from(&loc, key, value), Default::default())
}

/// "Rows a–b of n", previous/next and the page size.
#[component]
pub fn Pager(total: i64, limit: i64, offset: i64) -> impl IntoView {
    let page = offset / limit.max(1) + 1;
    let pages = ((total + limit - 1) / limit.max(1)).max(1);
    let (first, last) = if total == 0 { (0, 0) } else { (offset + 1, (offset + limit).min(total)) };
    let prev = (page > 1).then(|| url_with("page", &(page - 1).to_string()));
    let next = (page < pages).then(|| url_with("page", &(page + 1).to_string()));
    let set_query = query_setter();
    view! {
        <nav class="pager" aria-label="Pages">
            <span>{format!("{first}–{last} of {total}")}</span>
            {match prev {
                Some(href) => view! { <a class="button secondary" href=href rel="prev">"Previous"</a> }.into_any(),
                None => view! { <span class="button secondary disabled" aria-disabled="true">"Previous"</span> }.into_any(),
            }}
            <span>{format!("Page {page} of {pages}")}</span>
            {match next {
                Some(href) => view! { <a class="button secondary" href=href rel="next">"Next"</a> }.into_any(),
                None => view! { <span class="button secondary disabled" aria-disabled="true">"Next"</span> }.into_any(),
            }}
            <label class="inline">
                "Rows per page "
                <select on:change=move |ev| set_query("size", &event_target_value(&ev))>
                    {PAGE_SIZES
                        .iter()
                        .map(|s| view! { <option value=s.to_string() selected=*s == limit>{s.to_string()}</option> })
                        .collect_view()}
                </select>
            </label>
        </nav>
    }
}

/// Paging inside a dialog (no URL of its own): "a–b of n" with previous and next buttons that
/// move `offset` by `limit`. Nothing is shown when everything fits on one page.
#[component]
pub fn LocalPager(id: &'static str, total: i64, limit: i64, offset: RwSignal<i64>) -> impl IntoView {
    let here = offset.get_untracked();
    let (first, last) = if total == 0 { (0, 0) } else { (here + 1, (here + limit).min(total)) };
    (total > limit).then(|| {
        view! {
            <nav class="pager" aria-label="Pages" id=id>
                <span>{format!("{first}–{last} of {total}")}</span>
                <button type="button" class="secondary" id=format!("{id}-prev") disabled={here == 0}
                    on:click=move |_| offset.update(|o| *o = (*o - limit).max(0))>"Previous"</button>
                <button type="button" class="secondary" id=format!("{id}-next") disabled={here + limit >= total}
                    on:click=move |_| offset.update(|o| *o += limit)>"Next"</button>
            </nav>
        }
    })
}
