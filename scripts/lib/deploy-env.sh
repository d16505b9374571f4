# shellcheck shell=bash
# repo_root is used by the scripts that source this file.
# shellcheck disable=SC2034
# Shared settings for the deploy scripts (sourced, never run):
#   - the pinned tool directory and PATH (helm, venv with the linters, npm tools),
#   - podman's configuration (runc, ulimits) unless the caller chose one,
#   - the fixed cache directory for container builds (cargo target dirs, base-image rootfs).
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GHARTS_TOOLS_DIR="${GHARTS_TOOLS_DIR:-${TMPDIR:-/tmp}/gharts-deploy-tools}"
export GHARTS_BUILD_CACHE="${GHARTS_BUILD_CACHE:-${TMPDIR:-/tmp}/gharts-container-cache}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo_root/deploy/podman/containers.conf}"
export PATH="$GHARTS_TOOLS_DIR/bin:$GHARTS_TOOLS_DIR/venv/bin:$repo_root/deploy/tests/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Image names used by every script (override to test other builds).
export BACKEND_IMAGE="${BACKEND_IMAGE:-localhost/gharts-backend:dev}"
export FRONTEND_IMAGE="${FRONTEND_IMAGE:-localhost/gharts-frontend:dev}"

# Selects the local stand-ins for the registry base images (scripts/make-base-images.sh builds
# them); without this, builds use the Dockerfiles' defaults (registry images).
use_local_base_images() {
  export DEBIAN_IMAGE="${DEBIAN_IMAGE:-localhost/debian:bookworm-slim}"
  export BUILDER_IMAGE="${BUILDER_IMAGE:-localhost/gharts-rust:bookworm}"
  export BACKEND_RUNTIME_IMAGE="${BACKEND_RUNTIME_IMAGE:-localhost/distroless-static:nonroot}"
  export FRONTEND_RUNTIME_IMAGE="${FRONTEND_RUNTIME_IMAGE:-localhost/nginx-unprivileged:slim}"
}

# Prints a timestamped step header.
step() { printf '\n== %s [%s]\n' "$*" "$(date +%H:%M:%S)"; }

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits up to $2 seconds (default 30) for URL $1 to answer 2xx.
wait_http() {
  local url="$1" limit="${2:-30}" i
  for ((i = 0; i < limit * 5; i++)); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "no 2xx answer from $url within ${limit}s" >&2
  return 1
}
