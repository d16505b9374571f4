#!/usr/bin/env bash
# Gives the site bundle's assets content-hashed names so Nginx can cache them as immutable:
#   pkg/<name>.{wasm,js,css} -> pkg/<name>-<hash16>.<ext>,  boot.js -> boot-<hash16>.js
# and rewrites the references in boot.js and index.html (which stays unhashed and no-store).
#   deploy/frontend/hash-assets.sh SITE_DIR [NAME]
set -euo pipefail
site="$1"
name="${2:-${LEPTOS_OUTPUT_NAME:-gharts}}"

hash16() { sha256sum "$1" | cut -c1-16; }

# Renames $site/$1 (dir/base.ext) to dir/base-<hash>.ext and prints the new path.
hashed_name() {
  local rel="$1" dir base ext new
  dir="$(dirname "$rel")" base="$(basename "$rel")"
  ext="${base##*.}" base="${base%.*}"
  new="$base-$(hash16 "$site/$rel").$ext"
  [ "$dir" = . ] || new="$dir/$new"
  mv "$site/$rel" "$site/$new"
  echo "$new"
}

# Replaces "/$2" by "/$3" in file $1 and fails when the reference was not there.
rewrite() {
  grep -qF "\"/$2\"" "$1" || { echo "hash-assets: $1 does not reference /$2" >&2; exit 1; }
  sed -i "s#\"/$2\"#\"/$3\"#g" "$1"
}

wasm="$(hashed_name "pkg/$name.wasm")"
js="$(hashed_name "pkg/$name.js")"
css="$(hashed_name "pkg/$name.css")"
rewrite "$site/boot.js" "pkg/$name.js" "$js"
# A split bundle's loader imports the glue by its relative name (and the glue imports the
# loader, whose name stays: it changes with every build and is served for revalidation).
if [ -f "$site/pkg/__wasm_split.js" ]; then
  grep -qF "\"./$name.js\"" "$site/pkg/__wasm_split.js" || { echo "hash-assets: the split loader does not import ./$name.js" >&2; exit 1; }
  sed -i "s#\"./$name.js\"#\"./$(basename "$js")\"#g" "$site/pkg/__wasm_split.js"
fi
rewrite "$site/boot.js" "pkg/$name.wasm" "$wasm"
boot="$(hashed_name boot.js)"
rewrite "$site/index.html" "boot.js" "$boot"
rewrite "$site/index.html" "pkg/$name.css" "$css"
echo "hashed: $boot $js $wasm $css"
