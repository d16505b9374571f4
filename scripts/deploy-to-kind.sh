#!/usr/bin/env bash
# Installs GHARTS on the kind cluster of scripts/setup-kind-cluster.sh, end to end and
# idempotently: images built and loaded, PostgreSQL, Secrets, `helm upgrade --install --wait`,
# `helm test`, then a smoke test through the Ingress (or the Gateway).
#   scripts/deploy-to-kind.sh
# Environment:
#   CLUSTER_NAME (gharts), NAMESPACE (gharts), RELEASE (gharts), HOST (gharts.local)
#   ROUTING      ingress (default) or gateway: as given to setup-kind-cluster.sh
#   SKIP_BUILD=1 use the images already built; SKIP_LOAD=1 do not load them (minikube loads itself)
#   BASE_URL     where the smoke test reaches the cluster (default http://127.0.0.1:8080, kind's
#                published port 80; with ROUTING=gateway a port-forward to Envoy is used)
#   GITHUB_APP_ID, GITHUB_ORG, GITHUB_APP_PRIVATE_KEY_FILE (optional, all three): connect a GitHub
#                App: Secret gharts-github holds the key file and a generated webhook secret
#                (kept on re-runs); GITHUB_INSTALLATION_ID and GITHUB_API_URL are passed on when set
set -euo pipefail
# shellcheck source=scripts/lib/deploy-env.sh
source "$(dirname "$0")/lib/deploy-env.sh"
cd "$repo_root"

ns="${NAMESPACE:-gharts}"
release="${RELEASE:-gharts}"
host="${HOST:-gharts.local}"
routing="${ROUTING:-ingress}"

# Reads key $2 of Secret $1, empty when absent.
secret_value() { kubectl -n "$ns" get secret "$1" -o "jsonpath={.data.$2}" 2> /dev/null | base64 -d 2> /dev/null || true; }
# Creates or updates Secret $1 from --from-literal pairs.
apply_secret() {
  local name="$1"; shift
  kubectl -n "$ns" create secret generic "$name" "$@" --dry-run=client -o yaml | kubectl apply -f - > /dev/null
}
random() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32; }

step "images"
[ "${SKIP_BUILD:-0}" = 1 ] || scripts/build-images.sh
[ "${SKIP_LOAD:-0}" = 1 ] || scripts/load-to-kind.sh

step "namespace, PostgreSQL and Secrets in $ns"
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - > /dev/null
# Existing passwords are kept: the database volume outlives this script.
db_password="$(secret_value gharts-postgresql password)"
[ -n "$db_password" ] || db_password="$(random)"
apply_secret gharts-postgresql --from-literal=password="$db_password"
kubectl -n "$ns" apply -f deploy/kind/postgres.yaml > /dev/null
kubectl -n "$ns" rollout status statefulset/gharts-postgresql --timeout=180s
apply_secret gharts-db --from-literal=DATABASE_URL="postgres://gharts:$db_password@gharts-postgresql:5432/gharts?sslmode=disable"
admin_password="$(secret_value gharts-bootstrap password)"
[ -n "$admin_password" ] || admin_password="$(random)"
apply_secret gharts-bootstrap --from-literal=password="$admin_password"
session_secret="$(secret_value gharts-session session-secret)"
[ -n "$session_secret" ] || session_secret="$(random)$(random)"
apply_secret gharts-session --from-literal=session-secret="$session_secret"

github_args=()
if [ -n "${GITHUB_APP_ID:-}" ]; then
  : "${GITHUB_ORG:?GITHUB_ORG is required with GITHUB_APP_ID}"
  : "${GITHUB_APP_PRIVATE_KEY_FILE:?GITHUB_APP_PRIVATE_KEY_FILE (the App key, a .pem file) is required with GITHUB_APP_ID}"
  webhook_secret="$(secret_value gharts-github webhook-secret)"
  [ -n "$webhook_secret" ] || webhook_secret="$(random)$(random)"
  apply_secret gharts-github --from-file=private-key="$GITHUB_APP_PRIVATE_KEY_FILE" \
    --from-literal=webhook-secret="$webhook_secret"
  github_args=(--set-string "github.appId=$GITHUB_APP_ID" --set-string "github.org=$GITHUB_ORG"
               --set github.privateKey.existingSecret=gharts-github --set github.webhookSecret.existingSecret=gharts-github)
  [ -z "${GITHUB_INSTALLATION_ID:-}" ] || github_args+=(--set-string "github.installationId=$GITHUB_INSTALLATION_ID")
  [ -z "${GITHUB_API_URL:-}" ] || github_args+=(--set-string "github.apiUrl=$GITHUB_API_URL")
fi

step "helm upgrade --install $release"
routing_args=(--set "ingress.hosts[0]=$host")
if [ "$routing" = gateway ]; then
  routing_args=(--set ingress.enabled=false --set httpRoute.enabled=true --set "httpRoute.hostnames[0]=$host"
                --set httpRoute.parentRefs[0].name=shared --set httpRoute.parentRefs[0].namespace=envoy-gateway-system)
fi
helm upgrade --install "$release" chart --namespace "$ns" -f chart/examples/values-dev.yaml \
  --set backend.image.repository="${BACKEND_IMAGE%:*}" --set backend.image.tag="${BACKEND_IMAGE##*:}" \
  --set frontend.image.repository="${FRONTEND_IMAGE%:*}" --set frontend.image.tag="${FRONTEND_IMAGE##*:}" \
  --set auth.sessionSecret.existingSecret=gharts-session --set config.publicUrl="http://$host" \
  "${routing_args[@]}" "${github_args[@]}" --wait --timeout 5m
helm test "$release" --namespace "$ns" --logs

step "smoke test through the $routing"
base="${BASE_URL:-http://127.0.0.1:8080}"
pf_pid=""
if [ "$routing" = gateway ] && [ -z "${BASE_URL:-}" ]; then
  svc="$(kubectl -n envoy-gateway-system get svc -l gateway.envoyproxy.io/owning-gateway-name=shared -o name | head -n 1)"
  port="$(free_port)"
  kubectl -n envoy-gateway-system port-forward "$svc" "$port:80" > /dev/null &
  pf_pid=$!
  trap '[ -z "$pf_pid" ] || kill "$pf_pid" 2> /dev/null || true' EXIT
  base="http://127.0.0.1:$port"
  sleep 2
fi
for _ in $(seq 1 30); do
  curl -fsS -H "Host: $host" "$base/readyz" > /dev/null 2>&1 && break
  sleep 2
done
curl -fsS -H "Host: $host" "$base/readyz"; echo
curl -fsS -H "Host: $host" "$base/app/" | grep -q '<title>GHARTS</title>'
echo "smoke test passed: /readyz and /app/ answer through the $routing"

github_info="off (set GITHUB_APP_ID, GITHUB_ORG, GITHUB_APP_PRIVATE_KEY_FILE and re-run)"
if [ -n "${GITHUB_APP_ID:-}" ]; then
  github_info="App $GITHUB_APP_ID on $GITHUB_ORG; its webhook: http://$host/api/v1/webhooks/github, secret:
            kubectl -n $ns get secret gharts-github -o jsonpath='{.data.webhook-secret}' | base64 -d"
fi
cat <<INFO

GHARTS is running in namespace $ns (release $release).
  Console:  add "127.0.0.1 $host" to /etc/hosts, open http://$host:8080/app/
            or: kubectl -n $ns port-forward svc/$release-frontend 8081:80 (with frontend.backendProxy=true)
  Sign in:  admin / the password in Secret gharts-bootstrap:
            kubectl -n $ns get secret gharts-bootstrap -o jsonpath='{.data.password}' | base64 -d
  GitHub:   $github_info
  Remove:   helm uninstall $release -n $ns; kind delete cluster --name ${CLUSTER_NAME:-gharts}
INFO
