#!/usr/bin/env bash
# Chart checks (`make helm-lint` runs this): helm lint --strict and helm template for the default
# values and every example (with the Gateway API and ServiceMonitor APIs available), each render
# validated by kubernetes-validate --strict (core kinds, Kubernetes 1.30 and 1.33) and the Gateway /
# ServiceMonitor schemas (deploy/tests/validate-crds.mjs), the plain manifests of examples/kubernetes
# the same way, `helm package`, then the chart tests over rendered YAML (deploy/tests/test_chart.py,
# with the values docs/schema checks).
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
  objects="$(grep -c '^kind:' "$out/$name.yaml")"
  validated=()
  for k8s in 1.30.0 1.33.0; do
    kubernetes-validate --strict --no-warn -k "$k8s" "$out/$name.yaml" > "$out/validate-$name.log" \
      || { grep -v ' passed for ' "$out/validate-$name.log"; exit 1; }
    validated+=("$(grep -c ' passed for resource ' "$out/validate-$name.log")/$objects on ${k8s%.0}")
  done
  crds="$(node deploy/tests/validate-crds.mjs "$out/$name.yaml" | tail -n 1)"
  # Each tool's own summary: helm lint's last line, kubernetes-validate's passes, the CRD schemas'.
  echo "chart: $name: helm lint: $(tail -n 1 "$out/lint-$name.log"); kubernetes-validate --strict: ${validated[*]} passed; $crds"
done

# The examples for CI authors (docs/ci_integration.md): plain manifests, validated like a render.
for manifest in examples/kubernetes/*.yaml; do
  name="$(basename "$manifest" .yaml)"
  objects="$(grep -c '^kind:' "$manifest")"
  validated=()
  for k8s in 1.30.0 1.33.0; do
    kubernetes-validate --strict --no-warn -k "$k8s" "$manifest" > "$out/validate-example-$name.log" \
      || { grep -v ' passed for ' "$out/validate-example-$name.log"; exit 1; }
    validated+=("$(grep -c ' passed for resource ' "$out/validate-example-$name.log")/$objects on ${k8s%.0}")
  done
  echo "chart: examples/kubernetes/$name: kubernetes-validate --strict: ${validated[*]} passed"
done

helm package chart --destination "$out" > /dev/null
echo "chart: packaged $(basename "$out"/gharts-*.tgz)"

(cd deploy/tests && python3 -m pytest -q -p no:cacheprovider test_chart.py)
