#!/usr/bin/env bash
# Every deploy check, in one command (installs what a fresh machine lacks, skips what is there):
#   scripts/test-deploy.sh
# 1. tools        scripts/setup-deploy-tools.sh (podman, helm, linters, validators; pinned)
# 2. lint         hadolint, shellcheck, yamllint, actionlint
# 3. chart        helm lint/template/package, kubernetes-validate, Gateway/ServiceMonitor schemas,
#                 chart tests over rendered YAML, values docs and schema
# 4. scripts      kind/minikube scripts against stub commands; image helper scripts
# 5. containers   both images built, sizes checked, run hardened, UI + API + browser, stop < 5 s
# 6. kube-play    the chart's rendered Deployments under `podman kube play`
# Logs: $DEPLOY_LOGS (default /tmp/gharts-deploy-logs). Ends with "deploy-checks: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
logs="${DEPLOY_LOGS:-${TMPDIR:-/tmp}/gharts-deploy-logs}"
mkdir -p "$logs"
passed=0 failed=0 failed_names=()
started=$SECONDS

summary_lines='^(=+ )?[0-9]+ (passed|failed)|^(deploy tools|podman version|hadolint|shellcheck|yamllint|actionlint|chart|image size|browser|podman stop|kube play|backend ready|frontend ready|containers|values tables|http checks|quick start)[ :]'

# Runs check $1 (the command after it), logging to $logs/$1.log; prints one result line.
check() {
  local name="$1" start=$SECONDS
  shift
  printf '== %-10s ' "$name"
  # (podman without systemd logs harmless errors about healthcheck timers; they are left out.)
  if "$@" > "$logs/$name.log" 2>&1; then
    passed=$((passed + 1))
    printf 'passed (%ss)\n' "$((SECONDS - start))"
    # The tools' own summary lines (pytest's counts, helm lint's, the linters', the checks').
    grep -E "$summary_lines" "$logs/$name.log" | sed 's/^/   /'
  else
    failed=$((failed + 1)) failed_names+=("$name")
    printf 'FAILED (%ss); its summary lines, then the last lines of %s:\n' "$((SECONDS - start))" "$logs/$name.log"
    grep -E "$summary_lines|^FAIL" "$logs/$name.log" | sed 's/^/   /'
    grep -v 'systemd connection' "$logs/$name.log" | tail -n 25 | sed 's/^/   /'
  fi
}

check tools scripts/setup-deploy-tools.sh
if [ "$failed" = 0 ]; then
  check lint scripts/lint-deploy.sh
  check chart scripts/test-chart.sh
  check scripts bash -c 'source scripts/lib/deploy-env.sh && cd deploy/tests && python3 -m pytest -q -p no:cacheprovider test_cluster_scripts.py test_deploy_files.py'
  check containers scripts/test-containers.sh
  # kube play needs the images (a size failure alone still leaves them built).
  if bash -c 'source scripts/lib/deploy-env.sh && podman image exists "$BACKEND_IMAGE" && podman image exists "$FRONTEND_IMAGE"'; then
    check kube-play scripts/test-kube-play.sh
  else
    failed=$((failed + 1)) failed_names+=(kube-play)
    echo "== kube-play  FAILED: the images were not built"
  fi
fi

echo "deploy checks took $((SECONDS - started)) s; logs in $logs${failed_names[*]:+; failed: ${failed_names[*]}}"
echo "deploy-checks: $passed passed, $failed failed"
[ "$failed" = 0 ]
