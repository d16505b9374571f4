#!/bin/sh
# gharts-runner.sh: ask GHARTS for a just-in-time GitHub Actions runner and start it.
#
# A CI pipeline (or a Kubernetes Job, see examples/kubernetes/runner-job.yaml) runs this with its
# M2M client's credentials. It gets a client-credentials token from the IdP, asks GHARTS for a
# runner (POST /api/v1/runners/jit) and then runs `./run.sh --jitconfig <config>` in its place.
# The guide is docs/ci_integration.md. Needs POSIX sh, curl and jq, nothing else.
#
# Usage: gharts-runner.sh [options]
#   --label LABEL        a label to request (repeatable); also --labels a,b,c
#   --name NAME          the runner's exact name (default: a prefix, see --name-prefix)
#   --name-prefix P      the name becomes P-<6 hex> (default: gharts)
#   --group ID           a runner group id the team allows (default: the team's default group)
#   --team NAME          the team (an M2M client can only use its own, the default)
#   --work-folder DIR    the runner's work folder, relative (default: _work)
#   --run-id ID          the pipeline's run id: the Idempotency-Key (default: from the CI's variables)
#   --runner-dir DIR     where run.sh is (default: .)
#   --print              print the run command (it holds the JIT config, a secret) instead of running it
#   --jitconfig-file F   write the JIT config to file F (mode 600) instead of running the runner
#   --dry-run            ask the dry-run endpoint what the policy would do; provision nothing
#   -h, --help           this text
#
# Settings (environment; options win):
#   GHARTS_URL                   GHARTS's base URL, e.g. https://gharts.example.com (required)
#   GHARTS_TOKEN_URL             the IdP's token endpoint (required)
#   GHARTS_CLIENT_ID             the client id, or GHARTS_CLIENT_ID_FILE: a file holding it
#   GHARTS_CLIENT_SECRET         the client secret, or GHARTS_CLIENT_SECRET_FILE: a file holding it
#   GHARTS_AUDIENCE              sent as `audience` to the token endpoint (Auth0 needs it)
#   GHARTS_SCOPE                 sent as `scope` (Entra ID: api://<app>/.default; Okta: a custom scope)
#   GHARTS_TOKEN_AUTH            basic (default: HTTP Basic) or post (id and secret in the form)
#   GHARTS_LABELS, GHARTS_RUNNER_NAME, GHARTS_RUNNER_NAME_PREFIX, GHARTS_RUNNER_GROUP_ID,
#   GHARTS_TEAM, GHARTS_WORK_FOLDER, GHARTS_RUN_ID, GHARTS_RUNNER_DIR: as the options above
#   GHARTS_CA_FILE               a CA bundle for GHARTS and the IdP (curl --cacert)
#   GHARTS_MAX_ATTEMPTS          attempts per call when told to retry (default 5)
#   GHARTS_MAX_RETRY_WAIT        longest wait between attempts, in seconds (default 300)
#   GHARTS_RETRY_DELAY           wait when the answer names none (network failure), seconds (default 5)
# Without --run-id, the run id is the first set of: GHARTS_RUN_ID, CI_JOB_ID (GitLab),
# GITHUB_RUN_ID-GITHUB_RUN_ATTEMPT-GITHUB_JOB (GitHub Actions), BUILDKITE_JOB_ID, BUILD_TAG (Jenkins).
#
# Exit codes (docs/ci_integration.md lists which error_code gives which):
#   0  the runner ran (or, with --print / --jitconfig-file / --dry-run, the request succeeded)
#   1  any other refusal or an unexpected answer (e.g. VALIDATION_ERROR, NAME_CONFLICT, GITHUB_REJECTED)
#   2  usage: a bad option or a missing setting; nothing was requested
#   3  auth: the IdP refused the credentials, or GHARTS refused the token or the client
#   4  policy: the team's policy refused the request (labels, runner group, team)
#   5  quota: the team or the per-user quota is full
#   6  unavailable: GHARTS, GitHub or the IdP stayed unavailable after the allowed attempts
set -eu
LC_ALL=C
export LC_ALL

prog=gharts-runner
EX_OTHER=1 EX_USAGE=2 EX_AUTH=3 EX_POLICY=4 EX_QUOTA=5 EX_UNAVAILABLE=6

say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
  code=$1
  shift
  say "$*"
  exit "$code"
}
usage() { sed -n '/^# Usage:/,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; }

need_value() { [ "$#" -ge 2 ] || die "$EX_USAGE" "$1 needs a value (see --help)"; }
add_label() { labels="${labels:+$labels,}$1"; }

labels=${GHARTS_LABELS:-}
name=${GHARTS_RUNNER_NAME:-}
prefix=${GHARTS_RUNNER_NAME_PREFIX:-}
group=${GHARTS_RUNNER_GROUP_ID:-}
team=${GHARTS_TEAM:-}
work_folder=${GHARTS_WORK_FOLDER:-}
run_id=${GHARTS_RUN_ID:-}
runner_dir=${GHARTS_RUNNER_DIR:-.}
mode=run
jit_file=

while [ "$#" -gt 0 ]; do
  case $1 in
    --label) need_value "$@"; add_label "$2"; shift 2 ;;
    --labels) need_value "$@"; add_label "$2"; shift 2 ;;
    --name) need_value "$@"; name=$2; shift 2 ;;
    --name-prefix) need_value "$@"; prefix=$2; shift 2 ;;
    --group) need_value "$@"; group=$2; shift 2 ;;
    --team) need_value "$@"; team=$2; shift 2 ;;
    --work-folder) need_value "$@"; work_folder=$2; shift 2 ;;
    --run-id) need_value "$@"; run_id=$2; shift 2 ;;
    --runner-dir) need_value "$@"; runner_dir=$2; shift 2 ;;
    --print) mode=print; shift ;;
    --jitconfig-file) need_value "$@"; mode=to-file; jit_file=$2; shift 2 ;;
    --dry-run) mode=dry-run; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "$EX_USAGE" "unknown option: $1 (see --help)" ;;
  esac
done

for tool in curl jq; do
  command -v "$tool" > /dev/null 2>&1 || die "$EX_USAGE" "$tool is not installed"
done

# A setting from the variable $1, or from the file named by ${1}_FILE (a trailing newline dropped).
setting() {
  eval "value=\${$1:-}"
  eval "file=\${$1_FILE:-}"
  if [ -z "$value" ] && [ -n "$file" ]; then
    [ -r "$file" ] || die "$EX_USAGE" "$1_FILE: cannot read $file"
    value=$(cat "$file")
  fi
  [ -n "$value" ] || die "$EX_USAGE" "set $1 (or $1_FILE)"
  printf '%s' "$value"
}

base_url=${GHARTS_URL:-}
[ -n "$base_url" ] || die "$EX_USAGE" "set GHARTS_URL (e.g. https://gharts.example.com)"
base_url=${base_url%/}
token_url=${GHARTS_TOKEN_URL:-}
[ -n "$token_url" ] || die "$EX_USAGE" "set GHARTS_TOKEN_URL (the IdP's token endpoint)"
client_id=$(setting GHARTS_CLIENT_ID)
client_secret=$(setting GHARTS_CLIENT_SECRET)
token_auth=${GHARTS_TOKEN_AUTH:-basic}
case $token_auth in basic | post) ;; *) die "$EX_USAGE" "GHARTS_TOKEN_AUTH must be basic or post" ;; esac

is_count() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }
max_attempts=${GHARTS_MAX_ATTEMPTS:-5}
max_wait=${GHARTS_MAX_RETRY_WAIT:-300}
retry_delay=${GHARTS_RETRY_DELAY:-5}
for n in "$max_attempts" "$max_wait" "$retry_delay"; do
  is_count "$n" || die "$EX_USAGE" "GHARTS_MAX_ATTEMPTS, GHARTS_MAX_RETRY_WAIT and GHARTS_RETRY_DELAY are whole numbers"
done
[ "$max_attempts" -ge 1 ] || max_attempts=1
[ -z "$group" ] || is_count "$group" || die "$EX_USAGE" "--group takes a runner group id (a number)"
[ -z "$name" ] || [ -z "$prefix" ] || die "$EX_USAGE" "give --name or --name-prefix, not both"
[ -n "$name" ] || prefix=${prefix:-gharts}

if [ "$mode" = run ] && [ ! -x "$runner_dir/run.sh" ]; then
  die "$EX_USAGE" "$runner_dir/run.sh not found (run this in the runner's directory, or give --runner-dir, --print or --jitconfig-file)"
fi

# The Idempotency-Key: one per runner request of a pipeline run, so a retried job gets the same runner.
if [ -z "$run_id" ]; then
  if [ -n "${CI_JOB_ID:-}" ]; then
    run_id=$CI_JOB_ID
  elif [ -n "${GITHUB_RUN_ID:-}" ]; then
    run_id="$GITHUB_RUN_ID-${GITHUB_RUN_ATTEMPT:-1}-${GITHUB_JOB:-job}"
  elif [ -n "${BUILDKITE_JOB_ID:-}" ]; then
    run_id=$BUILDKITE_JOB_ID
  elif [ -n "${BUILD_TAG:-}" ]; then
    run_id=$BUILD_TAG
  fi
fi
idempotency_key=
if [ -n "$run_id" ]; then
  case $run_id in *[!\ -~]*) die "$EX_USAGE" "the run id must be printable ASCII" ;; esac
  [ "${#run_id}" -le 200 ] || die "$EX_USAGE" "the run id is longer than 200 characters"
  idempotency_key="gharts-runner:$run_id"
elif [ "$mode" != dry-run ]; then
  say "no run id (--run-id or GHARTS_RUN_ID): a retried job will get a second runner"
fi

umask 077
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gharts-runner.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A value for a double-quoted string of a curl config file (secrets go there, never into argv).
curl_quote() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }

# http URL CONFIG [curl args...]: one request with the curl config file CONFIG (headers, auth).
# Sets status (000: no answer), curl_rc, and leaves the body in $tmp/body, the headers in $tmp/headers.
http() {
  url=$1
  config=$2
  shift 2
  curl_rc=0
  status=$(curl -sS --connect-timeout 10 --max-time 60 ${GHARTS_CA_FILE:+--cacert "$GHARTS_CA_FILE"} \
    -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' -K "$config" "$@" "$url" 2> "$tmp/curl.err") || curl_rc=$?
  [ -n "$status" ] || status=000
}

# header NAME: the last value of a header of the last answer (names compared case-insensitively).
header() {
  awk -v name="$1" 'BEGIN { name = tolower(name) }
    { sub(/\r$/, ""); i = index($0, ":") }
    i > 0 && tolower(substr($0, 1, i - 1)) == name { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); last = v }
    END { print last }' "$tmp/headers"
}
# The Retry-After of the last answer, in seconds (empty when absent or an HTTP date).
retry_after() { header Retry-After | sed -n 's/^\([0-9][0-9]*\)[[:space:]]*$/\1/p'; }
body_field() { jq -r "$1 // empty" "$tmp/body" 2> /dev/null || true; }

# wait_before_retry SECONDS WHAT: sleeps (capped), or returns 1 when no attempt is left.
attempt=1
wait_before_retry() {
  [ "$attempt" -lt "$max_attempts" ] || return 1
  seconds=$1
  [ "$seconds" -le "$max_wait" ] || seconds=$max_wait
  say "$2; retrying in ${seconds}s (attempt $((attempt + 1)) of $max_attempts)"
  sleep "$seconds"
  attempt=$((attempt + 1))
}

# The exit code for an error_code (docs/ci_integration.md has the table).
exit_code_for() {
  case $1 in
    UNAUTHENTICATED | FORBIDDEN | CSRF_CHECK_FAILED | USER_NOT_REGISTERED | USER_INACTIVE | M2M_CLIENT_NOT_REGISTERED | M2M_CLIENT_DISABLED)
      echo "$EX_AUTH" ;;
    LABEL_POLICY_VIOLATION | RUNNER_GROUP_NOT_ALLOWED | TEAM_INACTIVE | NOT_TEAM_MEMBER | NO_ACTIVE_TEAM) echo "$EX_POLICY" ;;
    QUOTA_EXCEEDED) echo "$EX_QUOTA" ;;
    RATE_LIMITED | IDEMPOTENCY_KEY_IN_PROGRESS | GITHUB_UNAVAILABLE | GITHUB_NOT_CONFIGURED | IDP_UNAVAILABLE | DATABASE_UNAVAILABLE | NOT_READY)
      echo "$EX_UNAVAILABLE" ;;
    *) echo "$EX_OTHER" ;;
  esac
}

# --- 1. The access token (client credentials) ---------------------------------------------------
{
  printf 'data-urlencode = "grant_type=client_credentials"\n'
  if [ "$token_auth" = basic ]; then
    printf 'user = "%s:%s"\n' "$(curl_quote "$client_id")" "$(curl_quote "$client_secret")"
  else
    printf 'data-urlencode = "client_id=%s"\n' "$(curl_quote "$client_id")"
    printf 'data-urlencode = "client_secret=%s"\n' "$(curl_quote "$client_secret")"
  fi
  [ -z "${GHARTS_AUDIENCE:-}" ] || printf 'data-urlencode = "audience=%s"\n' "$(curl_quote "$GHARTS_AUDIENCE")"
  [ -z "${GHARTS_SCOPE:-}" ] || printf 'data-urlencode = "scope=%s"\n' "$(curl_quote "$GHARTS_SCOPE")"
} > "$tmp/token.conf"
unset client_secret

while :; do
  http "$token_url" "$tmp/token.conf" -H 'Accept: application/json'
  case $status in
    000)
      wait_before_retry "$retry_delay" "the IdP did not answer ($(cat "$tmp/curl.err"))" && continue
      die "$EX_UNAVAILABLE" "the IdP at $token_url did not answer: $(cat "$tmp/curl.err")" ;;
    429 | 5??)
      wait_before_retry "$(retry_after | grep . || echo "$retry_delay")" "the IdP answered HTTP $status" && continue
      die "$EX_UNAVAILABLE" "the IdP answered HTTP $status after $attempt attempt(s)" ;;
  esac
  break
done
access_token=$(body_field .access_token)
if [ "$status" != 200 ] || [ -z "$access_token" ]; then
  error=$(body_field .error)
  description=$(body_field .error_description)
  case $status in
    400 | 401 | 403) die "$EX_AUTH" "the IdP refused the client credentials (HTTP $status${error:+ $error}${description:+: $description})" ;;
    *) die "$EX_OTHER" "unexpected answer from the IdP (HTTP $status${error:+ $error})" ;;
  esac
fi
printf 'header = "Authorization: Bearer %s"\n' "$(curl_quote "$access_token")" > "$tmp/api.conf"
unset access_token
{
  printf 'header = "Content-Type: application/json"\n'
  printf 'header = "Accept: application/json"\n'
  [ -z "$idempotency_key" ] || printf 'header = "Idempotency-Key: %s"\n' "$(curl_quote "$idempotency_key")"
} >> "$tmp/api.conf"

# --- 2. The runner request -------------------------------------------------------------------------
jq -n --arg labels "$labels" --arg name "$name" --arg prefix "$prefix" --arg group "$group" \
  --arg team "$team" --arg work "$work_folder" '
  {labels: ($labels | split(",") | map(gsub("^\\s+|\\s+$"; "")) | map(select(length > 0)))}
  + (if $name != "" then {runner_name: $name} else {runner_name_prefix: $prefix} end)
  + (if $group != "" then {runner_group_id: ($group | tonumber)} else {} end)
  + (if $team != "" then {team_name: $team} else {} end)
  + (if $work != "" then {work_folder: $work} else {} end)' > "$tmp/request.json"

endpoint="$base_url/api/v1/runners/jit"
[ "$mode" != dry-run ] || endpoint="$endpoint/dry-run"
attempt=1
while :; do
  http "$endpoint" "$tmp/api.conf" -X POST --data-binary "@$tmp/request.json"
  code=$(body_field .error_code)
  case $status in
    000)
      # Without an Idempotency-Key only a refused connection is safe to retry (nothing was sent).
      if [ -n "$idempotency_key" ] || [ "$curl_rc" = 7 ] || [ "$curl_rc" = 6 ]; then
        wait_before_retry "$retry_delay" "GHARTS did not answer ($(cat "$tmp/curl.err"))" && continue
      fi
      die "$EX_UNAVAILABLE" "GHARTS at $base_url did not answer: $(cat "$tmp/curl.err")" ;;
    409 | 429 | 503)
      # Retry only when GHARTS says when (QUOTA_EXCEEDED, for one, has no Retry-After).
      seconds=$(retry_after)
      if [ -n "$seconds" ]; then
        wait_before_retry "$seconds" "HTTP $status ${code:-without error_code}" && continue
      fi ;;
  esac
  break
done

request_id=$(header X-Request-Id)
case $status in
  200 | 201) ;;
  *)
    detail=$(body_field .detail)
    say "refused: HTTP $status ${code:-(no error_code)}: ${detail:-$(dd bs=300 count=1 < "$tmp/body" 2> /dev/null | tr -d '\r\n')}"
    jq -r '(.errors // [])[] | "  \(.field): \(.message)"' "$tmp/body" 2> /dev/null >&2 || true
    [ -z "$request_id" ] || say "request id: $request_id (quote it to your GHARTS admins)"
    if [ -n "$code" ]; then
      exit "$(exit_code_for "$code")"
    fi
    case $status in
      401 | 403) exit "$EX_AUTH" ;;
      429 | 502 | 503 | 504) exit "$EX_UNAVAILABLE" ;;
      *) exit "$EX_OTHER" ;;
    esac ;;
esac

if [ "$mode" = dry-run ]; then
  jq . "$tmp/body"
  exit 0
fi

config=$(body_field .encoded_jit_config)
[ -n "$config" ] || die "$EX_OTHER" "GHARTS answered $status without a JIT config"
summary=$(jq -r '"runner \(.runner_name) (id \(.runner_id), team \(.team_name), group \(.runner_group_id)), labels \(.labels | join(",")); an unused config expires at \(.expires_at)"' "$tmp/body")
if [ "$(header Idempotency-Replayed)" = true ]; then
  say "$summary (a replay: the same runner as the first request with run id $run_id)"
else
  say "$summary"
fi

case $mode in
  print)
    printf '%s/run.sh --jitconfig %s\n' "$runner_dir" "$config" ;;
  to-file)
    printf '%s' "$config" > "$jit_file" || die "$EX_OTHER" "cannot write $jit_file"
    say "JIT config written to $jit_file" ;;
  run)
    rm -rf "$tmp"
    trap - EXIT
    cd "$runner_dir"
    exec ./run.sh --jitconfig "$config" ;;
esac
