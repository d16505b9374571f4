#!/usr/bin/env bash
# Installs what a builder image lacks for the site bundle, skipping what is present:
#   - the wasm32-unknown-unknown target,
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock,
#   - wasm-opt from npm binaryen 132 (never Debian's binaryen 108: it silently breaks the bundle),
#   - with SITE_BUILDER=cargo-leptos, cargo-leptos 0.3.10 (0.3.11 needs a newer rustc).
# Run by Dockerfile.frontend from the source root.
set -euo pipefail

if [ ! -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ]; then
  rustup target add wasm32-unknown-unknown
fi

wb_version="$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  # Not --locked: its own lock pins a crate some registry mirrors lack.
  cargo install wasm-bindgen-cli --version "$wb_version"
fi

# The WASM splitter for lazy routes, at the version of the wasm_split_helpers in Cargo.lock.
ws_version="$(awk '/^name = "wasm_split_helpers"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)"
if ! cargo install --list | grep -qx "wasm_split_cli_support v$ws_version:"; then
  cargo install wasm_split_cli_support --version "$ws_version" --features build-binary
fi

if ! wasm-opt --version 2>/dev/null | grep -q 'version 132'; then
  if ! command -v npm > /dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm > /dev/null
    rm -rf /var/lib/apt/lists/*
  fi
  mkdir -p /opt/wasm-opt
  cp deploy/frontend/wasm-opt/package.json deploy/frontend/wasm-opt/package-lock.json /opt/wasm-opt/
  npm ci --prefix /opt/wasm-opt --no-audit --no-fund --loglevel=error
  ln -sf /opt/wasm-opt/node_modules/.bin/wasm-opt /usr/local/bin/wasm-opt
fi

if [ "${SITE_BUILDER:-plain}" = cargo-leptos ] && [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos 0.3.10" ]; then
  cargo install cargo-leptos --version 0.3.10 --locked
fi

echo "site tools: $(rustc --version), wasm-bindgen $wb_version, $(wasm-opt --version)"
