// Loads the console's WASM bundle. Kept out of index.html so the CSP needs no 'unsafe-inline'.
import init from "/pkg/gharts.js";
init({ module_or_path: "/pkg/gharts.wasm" });
