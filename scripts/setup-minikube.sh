#!/usr/bin/env bash
# The minikube path: starts a profile with the ingress addon (idempotent), loads the images and
# installs GHARTS with scripts/deploy-to-kind.sh (which works on any cluster kubectl points at).
#   scripts/setup-minikube.sh
# Environment: PROFILE (gharts), DRIVER (podman; docker works too), SKIP_BUILD=1.
set -euo pipefail
# shellcheck source=scripts/lib/deploy-env.sh
source "$(dirname "$0")/lib/deploy-env.sh"
cd "$repo_root"

profile="${PROFILE:-gharts}"
command -v minikube > /dev/null || { echo "setup-minikube: minikube is not installed" >&2; exit 1; }

if minikube status --profile "$profile" > /dev/null 2>&1; then
  echo "minikube profile $profile is running"
else
  minikube start --profile "$profile" --driver "${DRIVER:-podman}" --kubernetes-version v1.33.1 \
    --cpus 2 --memory 4096 --addons ingress
fi
kubectl config use-context "$profile" > /dev/null

[ "${SKIP_BUILD:-0}" = 1 ] || scripts/build-images.sh
for image in "$BACKEND_IMAGE" "$FRONTEND_IMAGE"; do
  minikube image load --profile "$profile" "$image"
done

SKIP_BUILD=1 SKIP_LOAD=1 BASE_URL="http://$(minikube ip --profile "$profile")" scripts/deploy-to-kind.sh
