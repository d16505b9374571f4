//! Lazy pages that survive a failed download. Every console page but the login page is a lazy
//! route: its code is a separate WASM chunk, fetched when the page is first matched. Leptos's
//! `#[lazy_route]` (0.8) panics when that fetch fails — and a panic aborts the whole WASM module,
//! so one dropped request (a flaky network, a proxy restarting, a navigation racing the fetch)
//! left a blank console until a full reload. [`lazy_page!`](crate::lazy_page) splits the page the
//! same way but loads it `fallible`: a chunk that fails twice in a row shows [`chunk_failed`] in
//! the page's place, the rest of the console keeps working, and the next visit fetches the chunk
//! again (failures are not cached by the loader).

use leptos::prelude::*;

/// Declares `$page` (a unit struct) a lazy route whose view is `$body`, split into the WASM chunk
/// `$chunk` (unique in the crate; the chunk's file is named after it).
///
/// ```ignore
/// pub struct TeamsPage;
/// crate::lazy_page!(TeamsPage, teams_page, { view! { <Teams/> }.into_any() });
/// ```
#[macro_export]
macro_rules! lazy_page {
    ($page:ident, $chunk:ident, $body:block) => {
        #[doc(hidden)]
        mod $chunk {
            use super::*;

            /// The page's view, in its own chunk; `Err` when the chunk could not be loaded.
            #[::leptos::wasm_split::wasm_split($chunk, wasm_split_path = ::leptos::wasm_split, preload(preload), fallible)]
            pub fn view() -> ::core::result::Result<::leptos::prelude::AnyView, ::leptos::wasm_split::SplitLoaderError> {
                let view: ::leptos::prelude::AnyView = $body;
                ::core::result::Result::Ok(view)
            }
        }

        impl ::leptos_router::LazyRoute for $page {
            fn data() -> Self {
                $page
            }

            async fn view(_this: Self) -> ::leptos::prelude::AnyView {
                // A dropped connection gets one more try before the user is told.
                for _ in 0..2 {
                    if let ::core::result::Result::Ok(view) = $chunk::view().await {
                        return view;
                    }
                }
                $crate::ui::lazy::chunk_failed()
            }

            async fn preload() {
                // A failed preload is not cached: `view` fetches again and says so if it fails.
                let _ = $chunk::preload().await;
            }
        }
    };
}

/// The notice in place of a page whose chunk could not be downloaded, with a way to try again.
pub fn chunk_failed() -> AnyView {
    let reload = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    };
    view! {
        <div class="notice error" role="alert" id="chunk-failed">
            <p>"This page could not be downloaded. Check your connection and try again."</p>
            <button type="button" class="secondary" on:click=reload>"Try again"</button>
        </div>
    }
    .into_any()
}
