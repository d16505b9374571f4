#!/usr/bin/env bash
# Prints the Rust target triple for the image's architecture (TARGETARCH, set by BuildKit/buildah;
# empty means the builder's own) and, when that differs from the builder's, installs the cross
# toolchain: the rustup target plus Debian's cross gcc and libc (static linking needs libc.a).
# Run by Dockerfile.backend, which builds natively for every platform (no emulation).
set -euo pipefail
host="$(rustc -vV | sed -n 's/^host: //p')"
case "${TARGETARCH:-}" in
  "") target="$host" ;;
  amd64) target=x86_64-unknown-linux-gnu ;;
  arm64) target=aarch64-unknown-linux-gnu ;;
  *) echo "rust-target: unsupported TARGETARCH ${TARGETARCH}" >&2; exit 1 ;;
esac
if [ "$target" != "$host" ]; then
  rustup target list --installed | grep -qx "$target" || rustup target add "$target" >&2
  case "$target" in
    aarch64-*) pkgs=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross) ;;
    x86_64-*) pkgs=(gcc-x86-64-linux-gnu libc6-dev-amd64-cross) ;;
  esac
  if ! command -v "${pkgs[0]}" > /dev/null; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
    rm -rf /var/lib/apt/lists/*
  fi
fi
echo "$target"
