#!/usr/bin/env bash
# Loads the two images into the kind cluster's nodes (no registry involved):
#   scripts/load-to-kind.sh
# Environment: CLUSTER_NAME (gharts), CONTAINER_TOOL (podman|docker, default podman),
# BACKEND_IMAGE, FRONTEND_IMAGE (default localhost/gharts-{backend,frontend}:dev).
set -euo pipefail
# shellcheck source=scripts/lib/deploy-env.sh
source "$(dirname "$0")/lib/deploy-env.sh"

cluster="${CLUSTER_NAME:-gharts}"
tool="${CONTAINER_TOOL:-podman}"
for image in "$BACKEND_IMAGE" "$FRONTEND_IMAGE"; do
  if [ "$tool" = docker ]; then
    kind load docker-image "$image" --name "$cluster"
  else
    # kind reads images from docker only; with podman an OCI archive goes through instead.
    archive="$(mktemp --suffix=.tar)"
    podman save --format oci-archive -o "$archive" "$image"
    kind load image-archive "$archive" --name "$cluster"
    rm -f "$archive"
  fi
  echo "loaded $image into kind cluster $cluster"
done
