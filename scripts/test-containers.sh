#!/usr/bin/env bash
# Container checks: builds both images (local base-image stand-ins), prints and checks their
# sizes, runs them as Kubernetes will (read-only root, uid 1000, all capabilities dropped, no new
# privileges, tmpfs /tmp), checks health, the UI and the API through the frontend's proxy (HTTP
# and a real browser), and that `podman stop -t 5` returns within 5 s.
#   scripts/test-containers.sh            (SKIP_BUILD=1 reuses the images already built)
set -euo pipefail
# shellcheck source=scripts/lib/deploy-env.sh
source "$(dirname "$0")/lib/deploy-env.sh"
cd "$repo_root"
use_local_base_images

max_backend_mb="${MAX_BACKEND_MB:-30}"
max_frontend_mb="${MAX_FRONTEND_MB:-25}"
artifacts="${ARTIFACTS:-$repo_root/deploy/tests/artifacts}/containers"
run_id="gharts-test-$$"
password="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

cleanup() {
  # One name per call: `pod rm` of several names removes none when one is already gone.
  podman pod rm -f -t 0 "$run_id-pod" > /dev/null 2>&1 || true
  podman pod rm -f -t 0 "$run_id-qs" > /dev/null 2>&1 || true
  podman rm -f -t 0 "$run_id-backend" "$run_id-frontend" > /dev/null 2>&1 || true
}
trap cleanup EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  scripts/make-base-images.sh
  BUILD_PARALLEL="${BUILD_PARALLEL:-1}" scripts/build-images.sh backend frontend
fi

step "image sizes"
size_ok=0
for pair in "$BACKEND_IMAGE=$max_backend_mb" "$FRONTEND_IMAGE=$max_frontend_mb"; do
  image="${pair%=*}" limit="${pair##*=}"
  bytes="$(podman image inspect --format '{{.Size}}' "$image")"
  mb="$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1000000}')"
  if [ "$bytes" -le $((limit * 1000000)) ]; then
    echo "image size: $image $mb MB (limit $limit MB)"
  else
    echo "image size: $image $mb MB EXCEEDS the $limit MB limit" >&2
    size_ok=1
  fi
done
# A size failure is reported at the end, after the runtime checks have run too.

# Kubernetes' restricted profile, as podman flags.
hardened=(--read-only --tmpfs "/tmp:rw,size=64m,mode=1777" --user 1000:1000 --cap-drop=ALL
          --security-opt no-new-privileges)

step "backend alone (API only, SQLite on /tmp)"
port="$(free_port)"
start_ns=$(date +%s%N)
podman run -d --name "$run_id-backend" "${hardened[@]}" -p "127.0.0.1:$port:8000" \
  -e BOOTSTRAP_ADMIN_PASSWORD="$password" "$BACKEND_IMAGE" > /dev/null
wait_http "http://127.0.0.1:$port/readyz" 30 || { podman logs "$run_id-backend"; exit 1; }
echo "backend ready $(( ($(date +%s%N) - start_ns) / 1000000 )) ms after podman run"
python3 deploy/tests/check_http.py backend "http://127.0.0.1:$port"
podman healthcheck run "$run_id-backend" && echo "ok   HEALTHCHECK (gharts healthcheck) passes"
[ "$(podman inspect --format '{{.Config.User}}' "$run_id-backend")" = 1000:1000 ]
if podman logs "$run_id-backend" 2>&1 | grep -qF "$password"; then echo "the password reached the log" >&2; exit 1; fi
podman logs "$run_id-backend" 2>&1 | head -n 1 | python3 -c 'import json, sys; json.loads(sys.stdin.read())' \
  && echo "ok   backend logs are JSON lines"

stop_within_5s() {
  local name="$1" start elapsed code
  start=$(date +%s%N)
  podman stop -t 5 "$name" > /dev/null
  elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
  code="$(podman inspect --format '{{.State.ExitCode}}' "$name")"
  echo "podman stop -t 5 $name: ${elapsed} ms, exit code $code"
  [ "$elapsed" -lt 5000 ] && [ "$code" = 0 ]
}
stop_within_5s "$run_id-backend"

step "frontend alone (static site, no BACKEND_URL)"
port="$(free_port)"
start_ns=$(date +%s%N)
podman run -d --name "$run_id-frontend" "${hardened[@]}" -p "127.0.0.1:$port:8080" "$FRONTEND_IMAGE" > /dev/null
wait_http "http://127.0.0.1:$port/healthz" 15 || { podman logs "$run_id-frontend"; exit 1; }
echo "frontend ready $(( ($(date +%s%N) - start_ns) / 1000000 )) ms after podman run"
python3 deploy/tests/check_http.py frontend "http://127.0.0.1:$port"
podman healthcheck run "$run_id-frontend" && echo "ok   HEALTHCHECK (wget /healthz) passes"
stop_within_5s "$run_id-frontend"
podman rm -f "$run_id-backend" "$run_id-frontend" > /dev/null

step "single port: one pod, Nginx proxies the API to the backend (BACKEND_URL)"
port="$(free_port)"
podman pod create --name "$run_id-pod" -p "127.0.0.1:$port:8080" > /dev/null
podman run -d --pod "$run_id-pod" --name "$run_id-backend" "${hardened[@]}" -e GHARTS_ADDR=127.0.0.1:8000 \
  -e BOOTSTRAP_ADMIN_PASSWORD="$password" -e TRUSTED_PROXIES=127.0.0.1/32 "$BACKEND_IMAGE" > /dev/null
podman run -d --pod "$run_id-pod" --name "$run_id-frontend" "${hardened[@]}" \
  -e BACKEND_URL=http://127.0.0.1:8000 "$FRONTEND_IMAGE" > /dev/null
wait_http "http://127.0.0.1:$port/readyz" 30 || { podman logs "$run_id-backend"; podman logs "$run_id-frontend"; exit 1; }
python3 deploy/tests/check_http.py frontend "http://127.0.0.1:$port" --proxy
if [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  ARTIFACTS="$artifacts" node deploy/tests/browser-smoke.mjs "http://127.0.0.1:$port" "$password"
else
  echo "browser check skipped: no Chromium at ${CHROMIUM:-/usr/bin/chromium} (scripts/setup-deploy-tools.sh installs it)" >&2
  exit 1
fi
stop_within_5s "$run_id-frontend"
stop_within_5s "$run_id-backend"
step "docs/kubernetes_deployment.md: the podman quick start, as written"
port="$(free_port)"
python3 deploy/tests/docs_quickstart.py "$port" "$run_id-qs" > "$GHARTS_BUILD_CACHE/quickstart.sh"
bash "$GHARTS_BUILD_CACHE/quickstart.sh" | tee "$GHARTS_BUILD_CACHE/quickstart.out"
grep -q '"status":"ready"' "$GHARTS_BUILD_CACHE/quickstart.out"
curl -fsS "http://127.0.0.1:$port/app/" | grep -q '<title>GHARTS</title>'
podman pod rm -f -t 5 "$run_id-qs" > /dev/null
echo "quick start: the guide's podman block serves /readyz and /app/ (port $port for 8080)"
if [ "$size_ok" != 0 ]; then
  echo "containers: runtime checks passed, but an image exceeds its size limit (see above)" >&2
  exit 1
fi
echo "containers: all checks passed"
