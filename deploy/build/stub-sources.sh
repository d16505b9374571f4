#!/usr/bin/env bash
# Copies the workspace's manifests and lock file into DEST, plus a stub of every Rust source
# (empty; `fn main() {}` for binaries and build scripts). A dependency layer built from these
# depends only on Cargo.toml/Cargo.lock: editing code never rebuilds the dependencies (what
# cargo-chef does, without installing it). Run from the source root by the Dockerfiles.
#   deploy/build/stub-sources.sh DEST
set -euo pipefail
dest="$1"
mkdir -p "$dest"
find . \( -name Cargo.toml -o -name Cargo.lock \) -not -path './target/*' -exec cp --parents {} "$dest" \;
find . -name '*.rs' -not -path './target/*' -print0 | while IFS= read -r -d '' file; do
  mkdir -p "$dest/$(dirname "$file")"
  case "$file" in
    */main.rs | */build.rs | */src/bin/*) echo 'fn main() {}' > "$dest/$file" ;;
    *) : > "$dest/$file" ;;
  esac
done
