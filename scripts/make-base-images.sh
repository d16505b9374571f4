#!/usr/bin/env bash
# Builds local stand-ins for the registry base images, because no image registry can be reached
# on these machines (each is skipped when already present; FORCE=1 rebuilds):
#   $DEBIAN_IMAGE            debootstrap --variant=minbase bookworm (~2 min)
#   $BUILDER_IMAGE           the official Rust image's shape, filled with the host's toolchain
#   $BACKEND_RUNTIME_IMAGE   ~ gcr.io/distroless/static-debian12:nonroot
#   $FRONTEND_RUNTIME_IMAGE  ~ nginxinc/nginx-unprivileged:alpine-slim
# Needs: podman, debootstrap, the host toolchain with the wasm32 target, wasm-bindgen (= Cargo.lock),
# node, and deploy/tests/node_modules (npm binaryen 132) — scripts/setup-deploy-tools.sh installs them.
set -euo pipefail
# shellcheck source=scripts/lib/deploy-env.sh
source "$(dirname "$0")/lib/deploy-env.sh"
use_local_base_images
cd "$repo_root"

have_image() { [ "${FORCE:-0}" != 1 ] && podman image exists "$1"; }
apt_sources=/etc/apt/sources.list.d/debian.sources

if have_image "$DEBIAN_IMAGE"; then
  echo "base image $DEBIAN_IMAGE present"
else
  step "debootstrap $DEBIAN_IMAGE"
  # The mirror is read from the host's apt sources at run time, never written into a file.
  mirror="$(awk '/^URIs:/ {print $2; exit}' "$apt_sources")"
  rootfs="$(mktemp -d)"
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$rootfs.log" 2>&1 \
    || { tail -n 20 "$rootfs.log"; exit 1; }
  rm -f "$rootfs.log"
  : > "$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" > /dev/null
  rm -rf "$rootfs"
  trap - EXIT
fi

# apt inside a build uses the host's sources file, mounted read-only.
apt_mount=(-v "$apt_sources:$apt_sources:ro")

if have_image "$BUILDER_IMAGE"; then
  echo "builder image $BUILDER_IMAGE present"
else
  step "builder stand-in $BUILDER_IMAGE"
  sysroot="$(rustc --print sysroot)"
  [ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown" ] || { echo "the host toolchain lacks wasm32-unknown-unknown" >&2; exit 1; }
  tools="$(mktemp -d)"
  cp "$(command -v wasm-bindgen)" "$(command -v node)" "$tools/"
  # cargo-leptos too when the host has the pinned one (SITE_BUILDER=cargo-leptos); optional.
  if [ "$(cargo leptos --version 2> /dev/null)" = "cargo-leptos 0.3.10" ]; then
    cp "$(command -v cargo-leptos)" "$tools/"
  fi
  cp -r deploy/tests/node_modules/binaryen "$tools/binaryen"
  podman build --format docker -q -f deploy/images/rust-builder.Containerfile \
    --build-arg BASE_IMAGE="$DEBIAN_IMAGE" "${apt_mount[@]}" \
    -v "$sysroot:/host/toolchain:ro" -v "$tools:/host/tools:ro" \
    -t "$BUILDER_IMAGE" deploy/images > /dev/null
  rm -rf "$tools"
fi

for pair in "distroless-static=$BACKEND_RUNTIME_IMAGE" "nginx-unprivileged=$FRONTEND_RUNTIME_IMAGE"; do
  target="${pair%%=*}" image="${pair#*=}"
  if have_image "$image"; then
    echo "runtime image $image present"
  else
    step "runtime stand-in $image"
    podman build --format docker -q -f deploy/images/runtime-standins.Containerfile --target "$target" \
      --build-arg BASE_IMAGE="$DEBIAN_IMAGE" "${apt_mount[@]}" -t "$image" deploy/images > /dev/null
  fi
done
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'debian|gharts-rust|distroless|nginx-unprivileged'
