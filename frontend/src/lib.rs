//! The browser entry point: mounts [`app::App`] into `<body>` (client-side rendering).

use wasm_bindgen::prelude::wasm_bindgen;

/// Runs when the WASM module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
