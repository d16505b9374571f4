#!/usr/bin/env bash
# Property-based contract test: schemathesis (PyPI 4.32.5) generates requests from our own
# /openapi.json and checks every response: no 5xx, status and body match the document.
# Runs once as the admin (session cookie) and once as an M2M client (real provider token).
# Needs: the debug gharts built with the fake GitHub (make build), TEST_OIDC_ISSUER.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${CARGO_TARGET_DIR:-target}/debug/gharts"
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
password="st-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

# A webhook secret, so the webhook answers 401 (unsigned fuzz) instead of 503 WEBHOOK_NOT_CONFIGURED.
GHARTS_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$work/gharts.db" BOOTSTRAP_ADMIN_PASSWORD="$password" \
  GITHUB_WEBHOOK_SECRET="wh-$password" GHARTS_FAKE_GITHUB=true OIDC_ISSUER="$TEST_OIDC_ISSUER" OIDC_AUDIENCE=gharts-api LOG_LEVEL=warn \
  "$bin" serve > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fsS "$base/readyz" > /dev/null 2>&1 && break; sleep 0.1; done

# Arrange: the admin's session, a team with an M2M client.
jar="$work/cookies"
curl -fsS -c "$jar" -H 'X-Requested-With: gharts' -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$password\"}" "$base/auth/local-login" > /dev/null
session="$(awk '$6 == "gharts_session" {print $7}' "$jar")"
team_id="$(curl -fsS -b "$jar" -H 'X-Requested-With: gharts' -H 'Content-Type: application/json' \
  -d '{"name":"fuzz","max_runners":50}' "$base/api/v1/admin/teams" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
curl -fsS -b "$jar" -H 'X-Requested-With: gharts' -H 'Content-Type: application/json' \
  -d "{\"client_id\":\"m2m-c\",\"team_id\":\"$team_id\"}" "$base/api/v1/admin/oauth-clients" > /dev/null
m2m="$(curl -fsS -u m2m-c:m2m-c-secret -d grant_type=client_credentials "$TEST_OIDC_ISSUER/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"

run() {
  st run "$base/openapi.json" --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples 25 --request-timeout 10 --exclude-path /auth/logout "$@"
}
echo "== schemathesis as admin (session)"
run -H "Cookie: gharts_session=$session" -H "X-Requested-With: gharts"
echo "== schemathesis as an M2M client (bearer)"
run -H "Authorization: Bearer $m2m"
if grep -q "$password" "$work/server.log"; then echo "the admin password appeared in the server log" >&2; exit 1; fi
