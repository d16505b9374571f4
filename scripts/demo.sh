#!/usr/bin/env bash
# The whole journey without a GitHub App: the fake GitHub as a process (it plays the runners:
# online after 5 s, busy after 10 s, offline after 20 s), gharts on http://127.0.0.1:3000 pointed
# at it with a 10 s sync, a team `demo` (required label `demo`, quota 5) with the admin in it.
#   BOOTSTRAP_ADMIN_PASSWORD=change-me make demo
# Data lives in ./gharts-demo.db (delete it to start again). Ctrl-C stops both processes.
# Needs the site bundle and the binaries (make demo builds them).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BOOTSTRAP_ADMIN_PASSWORD:?set BOOTSTRAP_ADMIN_PASSWORD: the password of the demo admin account 'admin'}"
bin="${CARGO_TARGET_DIR:-target}/debug"
addr="${GHARTS_ADDR:-127.0.0.1:3000}"
github_port="${DEMO_GITHUB_PORT:-9000}"
base="http://$addr"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$bin/fake-github" --port "$github_port" --org demo > /dev/null &
pids+=($!)

GHARTS_ADDR="$addr" GHARTS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}" DATABASE_URL="${DEMO_DATABASE_URL:-sqlite://gharts-demo.db}" \
  GITHUB_API_URL="http://127.0.0.1:$github_port" GITHUB_ORG=demo GITHUB_APP_ID=1 GITHUB_INSTALLATION_ID=1 \
  GITHUB_APP_PRIVATE_KEY_FILE=server/tests/fixtures/github-app-test-key.pem SYNC_INTERVAL_SECONDS=10 \
  "$bin/gharts" serve &
pids+=($!)

# Ready when /readyz says so (migrations and the bootstrap admin done).
for _ in $(seq 1 150); do
  curl -fsS "$base/readyz" > /dev/null 2>&1 && break
  kill -0 "${pids[1]}" 2>/dev/null || { echo "gharts exited; see its log above" >&2; exit 1; }
  sleep 0.2
done

# The demo team, once: through the API, as the admin.
jar="$(mktemp)"
trap 'rm -f "$jar"; cleanup' EXIT
api() { curl -fsS -b "$jar" -c "$jar" -H 'X-Requested-With: gharts' -H 'Content-Type: application/json' "$@"; }
api -o /dev/null "$base/auth/local-login" -d "$(jq -n --arg p "$BOOTSTRAP_ADMIN_PASSWORD" '{username: "admin", password: $p}')" ||
  { echo "cannot sign in as admin: is ./gharts-demo.db from another password? delete it to start again" >&2; exit 1; }
created="$(curl -sS -b "$jar" -H 'X-Requested-With: gharts' -H 'Content-Type: application/json' -o "$jar.team" -w '%{http_code}' \
  "$base/api/v1/admin/teams" -d '{"name": "demo", "description": "The demo team", "required_labels": ["demo"], "optional_label_patterns": ["gpu-.*", "linux", "x64"], "max_runners": 5}')"
if [ "$created" = 201 ]; then  # 409 on a second start: the team is there already
  me="$(api "$base/api/v1/auth/me" | jq -r .user_id)"
  api -o /dev/null "$base/api/v1/admin/teams/$(jq -r .id "$jar.team")/members" -d "{\"user_id\": \"$me\"}"
fi
rm -f "$jar.team"

cat <<EOF

  GHARTS demo: $base/app/  (sign in as admin with your BOOTSTRAP_ADMIN_PASSWORD)
  Provision a runner for team "demo" under Provision; watch it go pending -> idle -> busy -> offline
  on the Runners page as the fake GitHub plays it and the sync (every 10 s) picks it up.
  Ctrl-C stops the demo.

EOF
wait "${pids[1]}"
