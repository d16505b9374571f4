#!/usr/bin/env bash
# Property-based contract test: schemathesis (PyPI 4.32.5) generates requests from our own
# /openapi.json and checks every response: no 5xx, status and body match the document.
# Needs: the debug gharts built with the fake GitHub (make build), TEST_OIDC_ISSUER.
#
# Three phases against one server, each failing when an operation only ever saw 401/403
# (schemathesis' `missing_auth` warning), so every operation is really exercised:
#   1. m2m        an M2M client (bearer token) on the routes it uses: runners (`runner_id`
#                 pinned to one it provisioned), audit, /auth/me. First, because the admin
#                 phase may deactivate its team or delete its client.
#   2. admin      the admin's session on every operation except the two that can end that
#                 session (PUT/DELETE /api/v1/admin/users/{user_id} on the admin itself, once
#                 the fuzzer has made a second admin) and /auth/logout.
#   3. self-harm  those two operations, with a session of its own and `user_id` pinned to a
#                 user made for them; afterwards that session must still work.
#   4. webhook    POST /api/v1/webhooks/github, every delivery signed with the webhook secret by
#                 scripts/schemathesis_webhook_hooks.py, so the fuzz reaches the handler.
# Each phase's session is opened before any fuzzing: the admin phase fuzzes /auth/local-login
# with the name `admin` and so locks further logins from this address for 15 minutes.
# The session goes in through the document's `session` security scheme (a config file), so
# schemathesis does not also invent an Authorization header, which would take precedence.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${CARGO_TARGET_DIR:-target}/debug/gharts"
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
password="st-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

# A webhook secret: the webhook phase signs its deliveries with it (503 WEBHOOK_NOT_CONFIGURED without).
GHARTS_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$work/gharts.db" BOOTSTRAP_ADMIN_PASSWORD="$password" \
  GITHUB_WEBHOOK_SECRET="wh-$password" GHARTS_FAKE_GITHUB=true OIDC_ISSUER="$TEST_OIDC_ISSUER" OIDC_AUDIENCE=gharts-api LOG_LEVEL=warn \
  LOGIN_IP_ATTEMPTS_PER_MINUTE=100000 \
  "$bin" serve > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fsS "$base/readyz" > /dev/null 2>&1 && break; sleep 0.1; done

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

# A fresh admin session; prints the session token (fails when the login does).
admin_session() {
  local jar="$work/cookies.$1"
  curl -fsS -c "$jar" -H 'X-Requested-With: gharts' -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$password\"}" "$base/auth/local-login" > /dev/null || return 1
  awk '$6 == "gharts_session" {print $7}' "$jar" | grep .
}

# POST as the admin (session $1) to $2 with body $3; prints the response body.
admin_post() {
  curl -fsS -H "Cookie: gharts_session=$1" -H 'X-Requested-With: gharts' -H 'Content-Type: application/json' -d "$3" "$base$2"
}

# A config file: the X-Requested-With header, the credential, and fail on missing_auth.
config() {
  local file="$work/$1.toml"
  { echo 'headers = { X-Requested-With = "gharts" }'
    echo 'warnings = { fail-on = ["missing_auth"] }'
    echo "$2"
  } > "$file"
  echo "$file"
}

summaries=()
# run NAME CONFIG [st options…]: one schemathesis run; keeps its summary line.
run() {
  local name="$1" cfg="$2"; shift 2
  echo "== schemathesis: $name"
  local rc=0
  st --config-file "$cfg" run "$base/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples 25 --request-timeout 10 --exclude-path /auth/logout "$@" 2>&1 | tee "$work/$name.log" || rc=$?
  summaries+=("$name: $(grep -E '^=+ .* in [0-9.]+s =+$' "$work/$name.log" | tail -n 1 | tr -d '=' | xargs)")
  return "$rc"
}

# Arrange: the sessions, a team with an M2M client, and the user the self-harm phase works on.
session="$(admin_session setup)"
admin_phase_session="$(admin_session admin)"
self_harm_session="$(admin_session self-harm)"
team_id="$(admin_post "$session" /api/v1/admin/teams '{"name":"fuzz","max_runners":50}' | json_field id)"
admin_post "$session" /api/v1/admin/oauth-clients "{\"client_id\":\"m2m-c\",\"team_id\":\"$team_id\"}" > /dev/null
victim="$(admin_post "$session" /api/v1/admin/users "{\"email\":\"victim@example.com\",\"team_ids\":[\"$team_id\"]}" | json_field id)"
m2m="$(curl -fsS -u m2m-c:m2m-c-secret -d grant_type=client_credentials "$TEST_OIDC_ISSUER/token" | json_field access_token)"
runner="$(curl -fsS -H "Authorization: Bearer $m2m" -H 'Content-Type: application/json' -d '{"runner_name":"fuzz-target"}' \
  "$base/api/v1/runners/jit" | json_field runner_id)"

status=0
run m2m "$(config m2m "[auth.openapi.bearer]
bearer = \"$m2m\"

[[operations]]
include-path-regex = \"^/api/v1/runners/[{]runner_id[}]\"
parameters = { runner_id = \"$runner\" }")" --include-path-regex '^/api/v1/(runners|audit-logs|auth/me)' || status=1

run admin "$(config admin "[auth.openapi.session]
api_key = \"$admin_phase_session\"")" \
  --exclude-name 'PUT /api/v1/admin/users/{user_id}' --exclude-name 'DELETE /api/v1/admin/users/{user_id}' \
  --exclude-path /api/v1/webhooks/github || status=1

run self-harm "$(config self-harm "[auth.openapi.session]
api_key = \"$self_harm_session\"

[[operations]]
include-path = \"/api/v1/admin/users/{user_id}\"
parameters = { user_id = \"$victim\" }")" \
  --include-name 'PUT /api/v1/admin/users/{user_id}' --include-name 'DELETE /api/v1/admin/users/{user_id}' || status=1
me="$(curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: gharts_session=$self_harm_session" "$base/api/v1/auth/me")"
if [ "$me" != 200 ]; then echo "the admin's session did not survive the self-harm phase: /api/v1/auth/me → $me" >&2; status=1; fi

GHARTS_ST_WEBHOOK_SECRET="wh-$password" run webhook "$(config webhook "hooks = \"$PWD/scripts/schemathesis_webhook_hooks.py\"")" \
  --include-path /api/v1/webhooks/github || status=1

if grep -q "$password" "$work/server.log"; then echo "the admin password appeared in the server log" >&2; status=1; fi
echo "== schemathesis summary"
printf '   %s\n' "${summaries[@]}"
exit "$status"
