#!/usr/bin/env bash
# Builds the site bundle as `cargo leptos build` does, with plain cargo + wasm-bindgen (no cargo-leptos
# needed): <site-root>/{boot.js,favicon.ico,robots.txt,pkg/gharts.{js,wasm,css}}, plus index.html for
# static servers (cargo-leptos reserves that path; gharts serves its own copy either way).
#   scripts/build-site.sh [debug|release]
# Environment (the Makefile exports these): CARGO_TARGET_DIR, LEPTOS_OUTPUT_NAME, LEPTOS_SITE_ROOT,
# LEPTOS_SITE_PKG_DIR. Release runs wasm-opt -Oz (npm binaryen 132 on PATH; never Debian's 108).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-debug}"
name="${LEPTOS_OUTPUT_NAME:-gharts}"
site="${LEPTOS_SITE_ROOT:-target/site}"
pkg="$site/${LEPTOS_SITE_PKG_DIR:-pkg}"
target_dir="${CARGO_TARGET_DIR:-target}"

case "$mode" in
  debug) cargo build -p frontend --lib --target wasm32-unknown-unknown; profile_dir=debug ;;
  release) cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release; profile_dir=wasm-release ;;
  *) echo "usage: $0 [debug|release]" >&2; exit 2 ;;
esac

rm -rf "$site"
mkdir -p "$pkg"
cp -r public/. "$site/"
# cargo-leptos reserves <site>/index.html (it refuses one in public/); static servers need it.
cp frontend/index.html "$site/index.html"
wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name "$name" \
  "$target_dir/wasm32-unknown-unknown/$profile_dir/frontend.wasm"
mv "$pkg/${name}_bg.wasm" "$pkg/$name.wasm"
if [ "$mode" = release ]; then
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$pkg/$name.wasm" -o "$pkg/$name.wasm"
fi
cp style/main.css "$pkg/$name.css"
echo "site bundle ($mode) in $site: $(du -sh "$site" | cut -f1)"
