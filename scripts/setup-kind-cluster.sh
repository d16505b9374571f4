#!/usr/bin/env bash
# Creates the kind cluster for GHARTS (idempotent, never prompts):
#   scripts/setup-kind-cluster.sh
# Environment:
#   CLUSTER_NAME   kind cluster name (default gharts)
#   ROUTING        ingress (default): ingress-nginx; gateway: Gateway API CRDs + Envoy Gateway
#   METRICS_SERVER=1  also install metrics-server (HPA metrics)
# Needs kind, kubectl (and helm for ROUTING=gateway), and a container runtime kind can use.
set -euo pipefail
cd "$(dirname "$0")/.."

cluster="${CLUSTER_NAME:-gharts}"
routing="${ROUTING:-ingress}"
# Pinned versions of what the cluster gets.
node_image="${KIND_NODE_IMAGE:-kindest/node:v1.33.1}"
ingress_nginx_version=controller-v1.12.3
gateway_api_version=v1.2.1
envoy_gateway_version=v1.4.2
metrics_server_version=v0.7.2

for cmd in kind kubectl; do
  command -v "$cmd" > /dev/null || { echo "setup-kind-cluster: $cmd is not installed" >&2; exit 1; }
done

if kind get clusters 2> /dev/null | grep -qx "$cluster"; then
  echo "kind cluster $cluster exists"
else
  kind create cluster --name "$cluster" --image "$node_image" --config kind-config.yaml --wait 180s
fi
kubectl config use-context "kind-$cluster" > /dev/null

case "$routing" in
  ingress)
    kubectl apply -f "https://raw.githubusercontent.com/kubernetes/ingress-nginx/$ingress_nginx_version/deploy/static/provider/kind/deploy.yaml"
    kubectl -n ingress-nginx rollout status deployment/ingress-nginx-controller --timeout=180s
    ;;
  gateway)
    command -v helm > /dev/null || { echo "setup-kind-cluster: ROUTING=gateway needs helm" >&2; exit 1; }
    kubectl apply -f "https://github.com/kubernetes-sigs/gateway-api/releases/download/$gateway_api_version/standard-install.yaml"
    helm upgrade --install envoy-gateway oci://docker.io/envoyproxy/gateway-helm --version "$envoy_gateway_version" \
      --namespace envoy-gateway-system --create-namespace --wait --timeout 5m
    kubectl apply -f deploy/kind/gateway.yaml
    ;;
  *) echo "setup-kind-cluster: ROUTING must be ingress or gateway, not $routing" >&2; exit 2 ;;
esac

if [ "${METRICS_SERVER:-0}" = 1 ]; then
  kubectl apply -f "https://github.com/kubernetes-sigs/metrics-server/releases/download/$metrics_server_version/components.yaml"
  # kind's kubelets serve self-signed certificates.
  kubectl -n kube-system patch deployment metrics-server --type=json \
    -p '[{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--kubelet-insecure-tls"}]'
fi

kubectl create namespace gharts --dry-run=client -o yaml | kubectl apply -f - > /dev/null
echo "kind cluster $cluster ready (routing: $routing); next: scripts/deploy-to-kind.sh"
