#!/usr/bin/env bash
# Builds the two images (`make images`):
#   scripts/build-images.sh [backend] [frontend]      (both when none is named)
# Environment:
#   CONTAINER_TOOL   podman (default) or docker
#   BACKEND_IMAGE, FRONTEND_IMAGE                     tags (default localhost/gharts-{backend,frontend}:dev)
#   BUILDER_IMAGE, BACKEND_RUNTIME_IMAGE, FRONTEND_RUNTIME_IMAGE   base images; unset = the
#                    Dockerfiles' registry defaults (scripts/test-containers.sh sets local stand-ins)
#   LOCAL_BASE_IMAGES=1  (podman) build local stand-ins for the base images first
#                    (scripts/make-base-images.sh) and use them: for machines without registry access
#   SITE_BUILDER     plain (default) or cargo-leptos
#   BUILD_CONTEXT    the source tree to build (default: this checkout)
#   BUILD_PARALLEL=1 build both at once (their single-threaded link/LTO/wasm-opt phases overlap);
#                    each build's output then goes to $GHARTS_BUILD_CACHE/build-<name>.log
#   BUILD_CACHE_MOUNTS=1 (podman only, default there): keep cargo target dirs in
#                    $GHARTS_BUILD_CACHE/<name>-target, reuse the host's ~/.cargo/registry, and
#                    trust the host's CA bundle for downloads. The images do not depend on them.
set -euo pipefail
# shellcheck source=scripts/lib/deploy-env.sh
source "$(dirname "$0")/lib/deploy-env.sh"
cd "$repo_root"

tool="${CONTAINER_TOOL:-podman}"
context="${BUILD_CONTEXT:-.}"
components=("$@")
[ ${#components[@]} -gt 0 ] || components=(backend frontend)
mounts="${BUILD_CACHE_MOUNTS:-$([ "$tool" = podman ] && echo 1 || echo 0)}"
revision="$(git rev-parse --short HEAD 2> /dev/null || echo unknown)"
mkdir -p "$GHARTS_BUILD_CACHE"
if [ "${LOCAL_BASE_IMAGES:-0}" = 1 ]; then
  [ "$tool" = podman ] || { echo "LOCAL_BASE_IMAGES=1 needs CONTAINER_TOOL=podman" >&2; exit 2; }
  scripts/make-base-images.sh
  use_local_base_images
fi

# Builds image $1 (backend|frontend).
build_one() {
  local component="$1" image runtime start
  case "$component" in
    backend) image="$BACKEND_IMAGE" runtime="${BACKEND_RUNTIME_IMAGE:-}" ;;
    frontend) image="$FRONTEND_IMAGE" runtime="${FRONTEND_RUNTIME_IMAGE:-}" ;;
    *) echo "usage: $0 [backend] [frontend]" >&2; return 2 ;;
  esac
  local args=(build -f "$context/Dockerfile.$component" -t "$image" --build-arg "REVISION=$revision")
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
  start=$SECONDS
  nice -n "${BUILD_NICE:-10}" "$tool" "${args[@]}" "$context"
  echo "$image built in $((SECONDS - start)) s"
}

if [ "${BUILD_PARALLEL:-0}" = 1 ] && [ ${#components[@]} -gt 1 ]; then
  pids=()
  for component in "${components[@]}"; do
    step "build $component (log: $GHARTS_BUILD_CACHE/build-$component.log)"
    build_one "$component" > "$GHARTS_BUILD_CACHE/build-$component.log" 2>&1 &
    pids+=($!)
  done
  status=0
  for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then
      tail -n 1 "$GHARTS_BUILD_CACHE/build-${components[$i]}.log"
    else
      status=1
      echo "building ${components[$i]} failed:" >&2
      tail -n 40 "$GHARTS_BUILD_CACHE/build-${components[$i]}.log" >&2
    fi
  done
  exit "$status"
fi
for component in "${components[@]}"; do
  step "build $component"
  build_one "$component"
done
