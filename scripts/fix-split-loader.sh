#!/usr/bin/env bash
# Patches the split loader (__wasm_split.js, written by wasm-split-cli and by cargo leptos --split):
# each chunk's fetch starts at once but is awaited only after the chunk's dependencies arrived, so
# a fetch that fails before then was reported as an unhandled rejection ("Failed to fetch" page
# error) although the load does fail properly and the page says so (app/src/ui/lazy.rs). Marking
# each fetch as handled keeps the rejection for the await. Idempotent.
#   scripts/fix-split-loader.sh PKG_DIR
set -euo pipefail
loader="$1/__wasm_split.js"
[ -f "$loader" ] || { echo "fix-split-loader: no $loader" >&2; exit 1; }
grep -q '^\s*const src = fetch(' "$loader" || { echo "fix-split-loader: $loader has no chunk fetch (loader format changed?)" >&2; exit 1; }
if ! grep -q '^\s*src\.catch(() => {});' "$loader"; then
  sed -i 's#^\(\s*\)const src = fetch(\(.*\));$#\1const src = fetch(\2);\n\1src.catch(() => {});#' "$loader"
fi
