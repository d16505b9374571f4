#!/usr/bin/env bash
# Builds the site bundle as `cargo leptos build --split` does, with plain cargo (no cargo-leptos
# needed): <site-root>/{index.html,boot.js,favicon.ico,robots.txt} and pkg/ with gharts.{js,wasm,css},
# the split loader __wasm_split.js and one .wasm per lazily loaded piece (every console page but
# the login page is a lazy route). A build with lazy code must always be split: unsplit, its
# split points are unresolved imports.
#   scripts/build-site.sh [debug|release]
# Environment (the Makefile exports these): CARGO_TARGET_DIR, LEPTOS_OUTPUT_NAME, LEPTOS_SITE_ROOT,
# LEPTOS_SITE_PKG_DIR. Release runs wasm-opt -Oz on every .wasm (npm binaryen 132 on PATH; never
# Debian's 108). Tools: wasm-bindgen-cli (= Cargo.lock) and wasm-split-cli (wasm_split_cli_support
# 0.2.3, matching the wasm_split_helpers in Cargo.lock), both installed by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-debug}"
name="${LEPTOS_OUTPUT_NAME:-gharts}"
site="${LEPTOS_SITE_ROOT:-target/site}"
pkg="$site/${LEPTOS_SITE_PKG_DIR:-pkg}"
target_dir="${CARGO_TARGET_DIR:-target}"

# The splitter needs the linker's relocations (as cargo-leptos --split sets them).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Clink-args=--emit-relocs"
case "$mode" in
  debug) cargo build -p frontend --lib --target wasm32-unknown-unknown; profile_dir=debug ;;
  release) cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release; profile_dir=wasm-release ;;
  *) echo "usage: $0 [debug|release]" >&2; exit 2 ;;
esac

split="$(mktemp -d)"
trap 'rm -rf "$split"' EXIT
# 1. Split: <split>/<name>.wasm (the main module), the chunks, and the loader __wasm_split.js.
wasm-split-cli --target web --out-name "$name" "$target_dir/wasm32-unknown-unknown/$profile_dir/frontend.wasm" "$split"

rm -rf "$site"
mkdir -p "$pkg"
cp -r public/. "$site/"
# cargo-leptos reserves <site>/index.html (it refuses one in public/); static servers need it.
cp frontend/index.html "$site/index.html"
# 2. Bindings for the main module; the chunks call its exports, so lld's exports are kept.
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle --out-dir "$pkg" --out-name "$name" "$split/$name.wasm"
mv "$pkg/${name}_bg.wasm" "$pkg/$name.wasm"
# 3. The loader and the chunks live next to <name>.js (the loader imports it and fetches the
#    chunks relative to itself).
for f in "$split"/*; do
  case "$(basename "$f")" in "$name.wasm") ;; *) cp "$f" "$pkg/" ;; esac
done
scripts/fix-split-loader.sh "$pkg"
if [ "$mode" = release ]; then
  # One wasm-opt per core (a split bundle is a hundred files). wasm-opt 132 does not know the
  # name section's newer subsections; it drops them, noisily.
  # shellcheck disable=SC2016 # $1 is the inner shell's argument
  find "$pkg" -name '*.wasm' -print0 | xargs -0 -n 1 -P "$(nproc)" bash -o pipefail -c \
    'wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$1" -o "$1" 2>&1 | { grep -v "unknown name subsection" || true; }' _
fi
cp style/main.css "$pkg/$name.css"
echo "site bundle ($mode, split into $(find "$pkg" -name '*.wasm' | wc -l) wasm files) in $site: $(du -sh "$site" | cut -f1)"
