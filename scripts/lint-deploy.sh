#!/usr/bin/env bash
# Linters for the deploy side: hadolint (Dockerfiles), shellcheck (every shell script),
# yamllint (chart values and examples, the Kubernetes examples, workflows, kind files) and actionlint
# (workflows).
# Needs the tools of scripts/setup-deploy-tools.sh.
set -euo pipefail
# shellcheck source=scripts/lib/deploy-env.sh
source "$(dirname "$0")/lib/deploy-env.sh"
cd "$repo_root"

hadolint --config deploy/lint/hadolint.yaml Dockerfile.backend Dockerfile.frontend deploy/images/*.Containerfile
echo "hadolint: Dockerfile.backend Dockerfile.frontend deploy/images/*.Containerfile clean"

# Every script at warning level; the deploy scripts and the examples at every level (info and style too).
mapfile -t shell_scripts < <(git ls-files --cached --others --exclude-standard '*.sh' | grep -v node_modules)
shellcheck -x -S warning "${shell_scripts[@]}"
mapfile -t deploy_scripts < <(printf '%s\n' "${shell_scripts[@]}" | grep -E '^(deploy/|examples/|scripts/(lib/|.*(deploy|kind|minikube|chart|container|kube-play|images)))')
shellcheck -x "${deploy_scripts[@]}"
echo "shellcheck: ${#shell_scripts[@]} scripts clean (${#deploy_scripts[@]} deploy scripts and examples at every severity)"

yamllint -s -c deploy/lint/yamllint.yaml chart/values.yaml chart/examples examples/kubernetes kind-config.yaml deploy/kind .github/workflows
echo "yamllint: chart values and examples, examples/kubernetes, kind files, workflows clean"

actionlint .github/workflows/*.yml
echo "actionlint: .github/workflows clean"
