#!/usr/bin/env bash
# Runs the chart's rendered backend and frontend Deployments with `podman kube play` (what a
# cluster would run, with securityContext, read-only root filesystem and limits enforced), and
# checks on loopback that the backend is ready (/readyz), the frontend serves the console and a
# browser shows its login page and signs the admin in (routing the backend's paths to the backend
# pod as an Ingress would), and that stopping each container takes < 5 s.
# Needs the images (scripts/test-containers.sh builds them) and the deploy tools.
set -euo pipefail
# shellcheck source=scripts/lib/deploy-env.sh
source "$(dirname "$0")/lib/deploy-env.sh"
cd "$repo_root"

work="$(mktemp -d)"
artifacts="${ARTIFACTS:-$repo_root/deploy/tests/artifacts}/kube-play"
password="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export HOSTPORT_BACKEND HOSTPORT_FRONTEND
HOSTPORT_BACKEND="$(free_port)"
HOSTPORT_FRONTEND="$(free_port)"
# Volumes kube play creates (the PVC, converted Secrets) are removed afterwards.
volumes_before="$(podman volume ls -q)"
cleanup() {
  [ ! -f "$work/play.yaml" ] || podman kube down "$work/play.yaml" > /dev/null 2>&1 || true
  for volume in $(podman volume ls -q); do
    grep -qx "$volume" <<< "$volumes_before" || podman volume rm -f "$volume" > /dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# The local example with this machine's images; the bootstrap password inline (the chart then
# creates a Secret, which the conversion turns into a ConfigMap). GitHub as an operator sets it
# up: an existing Secret gharts-github (the tests' throw-away App key, random webhook secrets)
# and an API URL on the pod's loopback where nothing listens, so nothing leaves the machine.
export WEBHOOK_SECRET WEBHOOK_SECRET_PREVIOUS
WEBHOOK_SECRET="hook-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
WEBHOOK_SECRET_PREVIOUS="old-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
b64() { base64 -w0; }
helm template gharts chart -f chart/examples/values-local.yaml \
  --set backend.image.repository="${BACKEND_IMAGE%:*}" --set backend.image.tag="${BACKEND_IMAGE##*:}" \
  --set frontend.image.repository="${FRONTEND_IMAGE%:*}" --set frontend.image.tag="${FRONTEND_IMAGE##*:}" \
  --set frontend.backendProxy=false --set auth.bootstrapAdmin.password="$password" \
  --set config.publicUrl="http://127.0.0.1:$HOSTPORT_FRONTEND" \
  --set github.appId=1 --set github.org=gharts-kube-play --set github.installationId=2 \
  --set github.apiUrl=http://127.0.0.1:9 --set github.privateKey.existingSecret=gharts-github \
  --set github.webhookSecret.existingSecret=gharts-github --set github.webhookSecretPrevious.existingSecret=gharts-github \
  --set config.labelPolicy.enforcement=enforce --set config.sync.leaseSeconds=5 > "$work/rendered.yaml"
cat >> "$work/rendered.yaml" <<YAML
---
apiVersion: v1
kind: Secret
metadata:
  name: gharts-github
data:
  private-key: $(b64 < server/tests/fixtures/github-app-test-key.pem)
  webhook-secret: $(printf %s "$WEBHOOK_SECRET" | b64)
  webhook-secret-previous: $(printf %s "$WEBHOOK_SECRET_PREVIOUS" | b64)
YAML
python3 deploy/tests/kube_play_manifests.py "$work/rendered.yaml" > "$work/play.yaml"
echo "kube play: $(grep -c '^kind:' "$work/play.yaml") objects ($(grep '^kind:' "$work/play.yaml" | sort | uniq -c | tr -s ' ' | tr '\n' ';'))"

podman kube play "$work/play.yaml" > "$work/play.log" || { cat "$work/play.log"; exit 1; }
backend_ctr="$(podman ps --filter label=app.kubernetes.io/component=backend --format '{{.Names}}' | head -n 1)"
[ -n "$backend_ctr" ] || backend_ctr="$(podman ps --format '{{.Names}}' | grep -E 'gharts-backend.*-backend$' | head -n 1)"
frontend_ctr="$(podman ps --format '{{.Names}}' | grep -E 'gharts-frontend.*-frontend$' | head -n 1)"

wait_http "http://127.0.0.1:$HOSTPORT_BACKEND/readyz" 30 || { podman logs "$backend_ctr"; exit 1; }
wait_http "http://127.0.0.1:$HOSTPORT_FRONTEND/healthz" 15 || { podman logs "$frontend_ctr"; exit 1; }
curl -fsS "http://127.0.0.1:$HOSTPORT_BACKEND/readyz"; echo
echo "kube play: backend /readyz is ready on 127.0.0.1:$HOSTPORT_BACKEND"

# The pods really run hardened: uid 1000, read-only root, no capabilities.
for ctr in "$backend_ctr" "$frontend_ctr"; do
  read -r user ro caps <<< "$(podman inspect --format '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{len .EffectiveCaps}}' "$ctr")"
  echo "kube play: $ctr runs as $user, read-only root $ro, $caps capabilities"
  [ "$ro" = true ] && [ "$caps" = 0 ] && [[ "$user" == 1000* ]]
done

# The GitHub settings reached the process: the ConfigMap's values and the secret files.
podman exec "$backend_ctr" gharts check-config > "$work/check-config.txt"
for line in GITHUB_APP_ID=1 GITHUB_ORG=gharts-kube-play GITHUB_INSTALLATION_ID=2 "GITHUB_APP_PRIVATE_KEY=<set, redacted>" \
            "GITHUB_WEBHOOK_SECRET=<set, redacted>" "GITHUB_WEBHOOK_SECRET_PREVIOUS=<set, redacted>" \
            LABEL_POLICY_ENFORCEMENT=enforce SYNC_ENABLED=true SYNC_LEASE_SECONDS=5; do
  grep -qxF "$line" "$work/check-config.txt" || { echo "gharts check-config lacks $line" >&2; exit 1; }
done
if grep -qF -e "$WEBHOOK_SECRET" -e "BEGIN RSA" "$work/check-config.txt"; then echo "check-config printed a secret" >&2; exit 1; fi
echo "kube play: gharts check-config shows the GitHub App, webhook secrets (redacted), label policy and sync lease"
python3 deploy/tests/check_http.py webhook "http://127.0.0.1:$HOSTPORT_BACKEND"
if podman logs "$backend_ctr" 2>&1 | grep -qF -e "$WEBHOOK_SECRET" -e "$password"; then echo "a secret reached the log" >&2; exit 1; fi
python3 deploy/tests/check_http.py frontend "http://127.0.0.1:$HOSTPORT_FRONTEND"
# The browser routes the backend's paths to the backend pod, as the Ingress/HTTPRoute would.
ARTIFACTS="$artifacts" BACKEND_ORIGIN="http://127.0.0.1:$HOSTPORT_BACKEND" \
  node deploy/tests/browser-smoke.mjs "http://127.0.0.1:$HOSTPORT_FRONTEND" "$password"

for ctr in "$frontend_ctr" "$backend_ctr"; do
  start=$(date +%s%N)
  podman stop -t 5 "$ctr" > /dev/null
  elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "kube play: podman stop -t 5 $ctr took ${elapsed} ms"
  [ "$elapsed" -lt 5000 ]
done
echo "kube play: all checks passed"
