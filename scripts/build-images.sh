#!/usr/bin/env bash
# Builds the two images (`make images`):
#   scripts/build-images.sh [backend] [frontend]      (both when none is named)
# Environment:
#   CONTAINER_TOOL   podman (default) or docker
#   BACKEND_IMAGE, FRONTEND_IMAGE                     tags (default localhost/gharts-{backend,frontend}:dev)
#   BUILDER_IMAGE, BACKEND_RUNTIME_IMAGE, FRONTEND_RUNTIME_IMAGE   base images; unset = the
#                    Dockerfiles' registry defaults (scripts/test-containers.sh sets local stand-ins)
#   SITE_BUILDER     plain (default) or cargo-leptos
#   BUILD_CONTEXT    the source tree to build (default: this checkout)
#   BUILD_CACHE_MOUNTS=1 (podman only, default there): keep cargo target dirs in
#                    $GHARTS_BUILD_CACHE/<image>-target, reuse the host's ~/.cargo/registry, and
#                    trust the host's CA bundle for downloads. The images do not depend on them.
set -euo pipefail
# shellcheck source=scripts/lib/deploy-env.sh
source "$(dirname "$0")/lib/deploy-env.sh"
cd "$repo_root"

tool="${CONTAINER_TOOL:-podman}"
components=("$@")
[ ${#components[@]} -gt 0 ] || components=(backend frontend)
mounts="${BUILD_CACHE_MOUNTS:-$([ "$tool" = podman ] && echo 1 || echo 0)}"
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

for component in "${components[@]}"; do
  case "$component" in
    backend) image="$BACKEND_IMAGE" runtime="${BACKEND_RUNTIME_IMAGE:-}" ;;
    frontend) image="$FRONTEND_IMAGE" runtime="${FRONTEND_RUNTIME_IMAGE:-}" ;;
    *) echo "usage: $0 [backend] [frontend]" >&2; exit 2 ;;
  esac
  args=(build -t "$image" --build-arg "REVISION=$revision")
  [ "$tool" != podman ] || args+=(--format docker)   # keeps HEALTHCHECK in the image config
  [ -z "${BUILDER_IMAGE:-}" ] || args+=(--build-arg "BUILDER_IMAGE=$BUILDER_IMAGE")
  [ -z "$runtime" ] || args+=(--build-arg "RUNTIME_IMAGE=$runtime")
  [ "$component" != frontend ] || args+=(--build-arg "SITE_BUILDER=${SITE_BUILDER:-plain}")
  if [ "$mounts" = 1 ]; then
    mkdir -p "$GHARTS_BUILD_CACHE/$component-target" "$HOME/.cargo/registry"
    args+=(-v "$GHARTS_BUILD_CACHE/$component-target:/build/target"
           -v "$HOME/.cargo/registry:/usr/local/cargo/registry"
           -v "/etc/ssl/certs/ca-certificates.crt:/run/build-ca.crt:ro")
  fi
  step "build $image ($component)"
  start=$SECONDS
  nice -n "${BUILD_NICE:-10}" "$tool" "${args[@]}" -f "${BUILD_CONTEXT:-.}/Dockerfile.$component" "${BUILD_CONTEXT:-.}"
  echo "$image built in $((SECONDS - start)) s"
done
