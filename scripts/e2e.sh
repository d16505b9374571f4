#!/usr/bin/env bash
# End-to-end: starts the built gharts (UI + API on one port) on a fresh database, runs the
# Playwright suite in Debian Chromium, then checks that SIGTERM stops it within 5 s.
#   scripts/e2e.sh sqlite|postgres [playwright arguments, e.g. a spec file]
# Needs: the site bundle in $LEPTOS_SITE_ROOT, the gharts binary in $CARGO_TARGET_DIR/debug,
# end2end/node_modules, and for postgres a server at $TEST_POSTGRES_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
shift || true
bin="${CARGO_TARGET_DIR:-target}/debug/gharts"
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
password="e2e-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
pg_db=""

case "$backend" in
  sqlite) db_url="sqlite://$work/gharts.db" ;;
  postgres)
    base="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
    pg_db="gharts_e2e_$(date +%s)_$$"
    psql "$base" -qc "create database $pg_db"
    db_url="${base%/*}/$pg_db"
    ;;
  *) echo "usage: $0 sqlite|postgres" >&2; exit 2 ;;
esac

server_pid=""
github_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$github_pid" ] && kill "$github_pid" 2>/dev/null || true
  [ -n "$pg_db" ] && psql "${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -qc "drop database if exists $pg_db with (force)" || true
  rm -rf "$work"
}
trap cleanup EXIT

# With the test OpenID Provider (scripts/test.sh), SSO is on and the bootstrap admin's email is
# alice's, so her first SSO login binds to that account.
oidc_env=()
if [ -n "${TEST_OIDC_ISSUER:-}" ]; then
  oidc_env=(OIDC_ISSUER="$TEST_OIDC_ISSUER" OIDC_AUDIENCE=gharts-api OIDC_CLIENT_ID=gharts-ui
            OIDC_CLIENT_SECRET=gharts-ui-secret BOOTSTRAP_ADMIN_EMAIL=alice@example.com PUBLIC_URL="http://127.0.0.1:$port")
fi

# The fake GitHub as a process (built by `make build`), playing the runners: online 1 s after
# their JIT config is issued, and staying idle; except runners named `held-*`, which never come
# online (unused JIT configs, kept pending: the incident flow in journey.spec.ts needs them). The long browser journey (journey.spec.ts) needs
# it and the provider, and runs on PostgreSQL only (one database is enough for it).
github_env=()
journey=""
fake_github="$(dirname "$bin")/fake-github"
if [ -x "$fake_github" ]; then
  github_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "$fake_github" --port "$github_port" --org e2e --online-after 1 --busy-after 86400 --done-after 86400 --never-online held- > "$work/github.log" 2>&1 &
  github_pid=$!
  for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$github_port/" || true)" != 000 ] && break
    sleep 0.1
  done
  github_env=(GITHUB_API_URL="http://127.0.0.1:$github_port" GITHUB_ORG=e2e GITHUB_APP_ID=1 GITHUB_INSTALLATION_ID=1
              GITHUB_APP_PRIVATE_KEY_FILE=server/tests/fixtures/github-app-test-key.pem SYNC_INTERVAL_SECONDS=10)
  if [ -n "${TEST_OIDC_ISSUER:-}" ] && [ "$backend" = postgres ]; then journey=1; fi
fi

env "${oidc_env[@]}" "${github_env[@]}" GHARTS_ADDR="127.0.0.1:$port" GHARTS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}" DATABASE_URL="$db_url" \
  BOOTSTRAP_ADMIN_PASSWORD="$password" LOG_FORMAT=json LOGIN_IP_ATTEMPTS_PER_MINUTE=600 "$bin" serve > "$work/server.log" 2>&1 &
server_pid=$!

# Readiness wait: poll /readyz (the server must also finish migrations and the bootstrap).
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/readyz" > /dev/null 2>&1; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "gharts exited early" >&2; exit 1; }
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/readyz" > /dev/null

artifacts="$PWD/end2end/artifacts/$backend"
(cd end2end && BASE_URL="http://127.0.0.1:$port" E2E_ADMIN_PASSWORD="$password" E2E_ARTIFACTS="$artifacts" \
  E2E_OIDC="${TEST_OIDC_ISSUER:+1}" E2E_JOURNEY="$journey" \
  npx playwright test "$@") || { tail -n 50 "$work/server.log"; exit 1; }
echo "screenshots: $artifacts"

# The password must never reach the log.
if grep -q "$password" "$work/server.log"; then echo "the admin password appeared in the server log" >&2; exit 1; fi

# SIGTERM: the process drains and exits within 5 s.
start=$(date +%s%N)
kill -TERM "$server_pid"
for _ in $(seq 1 60); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then echo "gharts still running 6 s after SIGTERM" >&2; exit 1; fi
wait "$server_pid" || { echo "gharts exited non-zero after SIGTERM" >&2; exit 1; }
server_pid=""
echo "e2e ($backend): SIGTERM to exit took $(( ($(date +%s%N) - start) / 1000000 )) ms"
