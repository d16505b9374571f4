#!/usr/bin/env bash
# Chart checks (`make helm-lint` runs this): helm lint --strict and helm template for the default
# values and every example (with the Gateway API and ServiceMonitor APIs available), each render
# validated by kubernetes-validate --strict (core kinds, Kubernetes 1.30 and 1.33) and the Gateway /
# ServiceMonitor schemas (deploy/tests/validate-crds.mjs), `helm package`, then the chart tests
# over rendered YAML (deploy/tests/test_chart.py, with the values docs/schema checks).
# Needs the tools of scripts/setup-deploy-tools.sh.
set -euo pipefail
# shellcheck source=scripts/lib/deploy-env.sh
source "$(dirname "$0")/lib/deploy-env.sh"
cd "$repo_root"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
api=(--api-versions gateway.networking.k8s.io/v1/HTTPRoute --api-versions monitoring.coreos.com/v1/ServiceMonitor)

for values in default chart/examples/values-*.yaml; do
  name="$(basename "$values" .yaml)"
  args=()
  [ "$values" = default ] || args=(-f "$values")
  # helm lint cannot be given --api-versions: the CRD-backed kinds are linted off (and rendered,
  # with those APIs, right below).
  helm lint --strict chart "${args[@]}" --set serviceMonitor.enabled=false --set httpRoute.enabled=false \
    --set gateway.create=false > "$out/lint-$name.log" || { cat "$out/lint-$name.log"; exit 1; }
  helm template gharts chart --namespace gharts "${args[@]}" "${api[@]}" > "$out/$name.yaml"
  for k8s in 1.30.0 1.33.0; do
    kubernetes-validate --strict --quiet --no-warn -k "$k8s" "$out/$name.yaml"
  done
  node deploy/tests/validate-crds.mjs "$out/$name.yaml" > /dev/null
  echo "chart: $name lints, renders $(grep -c '^kind:' "$out/$name.yaml") objects, valid for Kubernetes 1.30/1.33"
done

helm package chart --destination "$out" > /dev/null
echo "chart: packaged $(basename "$out"/gharts-*.tgz)"

(cd deploy/tests && python3 -m pytest -q -p no:cacheprovider test_chart.py)
