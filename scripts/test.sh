#!/usr/bin/env bash
# Every test: unit + integration (each integration test on SQLite and on PostgreSQL, each with
# its own database), then the browser end-to-end suite on both databases.
# Called by `make test` after setup and builds.
set -euo pipefail
cd "$(dirname "$0")/.."
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
# Nothing may be skipped here: a test that would skip for a missing peer fails instead.
export GHARTS_TEST_REQUIRE_ALL=1

# The shared OpenID Provider (tests that count its hits or rotate its keys start their own).
oidc_dir="$(mktemp -d)"
oidc_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
coproc OIDC { cd end2end/oidc && exec node provider.mjs --port "$oidc_port" --keys "$oidc_dir/keys.json" 2>&1; }
oidc_pid=$OIDC_PID
trap 'kill "$oidc_pid" 2>/dev/null || true; rm -rf "$oidc_dir"' EXIT
# Ready when it says so.
while read -r line <&"${OIDC[0]}"; do
  case "$line" in "oidc-provider ready"*) break ;; esac
done
# Keep draining its output so it never blocks on a full pipe (through a copy of the fd:
# bash closes coproc fds in background jobs).
exec {oidc_out}<&"${OIDC[0]}"
cat <&"$oidc_out" > /dev/null &
export TEST_OIDC_ISSUER="http://127.0.0.1:$oidc_port" TEST_OIDC_KEYS="$oidc_dir/keys.json"
echo "OpenID Provider at $TEST_OIDC_ISSUER"

echo "== supply chain (cargo-deny offline, cargo-audit against the advisory snapshot)"
scripts/security-audit.sh

echo "== console bundle size (release build, gzip -9; README \"Console bundle\")"
LEPTOS_SITE_ROOT=target/site-release scripts/build-site.sh release
scripts/bundle-size.py target/site-release --max-first-load "${BUNDLE_MAX_FIRST_LOAD:-312000}" --max-total "${BUNDLE_MAX_TOTAL:-960000}"

echo "== unit and integration tests (SQLite + PostgreSQL)"
if cargo nextest --version > /dev/null 2>&1; then
  cargo nextest run -p app -p server --no-fail-fast
else
  cargo test -p app -p server --no-fail-fast
fi

echo "== contract fuzzing (schemathesis against /openapi.json)"
scripts/schemathesis.sh

echo "== end-to-end (Chromium)"
scripts/e2e.sh sqlite
scripts/e2e.sh postgres
echo "== all tests passed"
