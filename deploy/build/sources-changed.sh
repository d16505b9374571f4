#!/usr/bin/env bash
# Tells whether the given source paths differ from the digest recorded in STAMP (exit 0: they
# changed, or there is no record; exit 1: the same sources were built into this target dir).
# With --save, records their digest after a successful build. The Dockerfiles use it so a cached
# target dir (a build mount) is reused as is when nothing changed; the dependency step deletes
# the stamps, because it rebuilds the workspace crates from stubs.
#   deploy/build/sources-changed.sh [--save] STAMP PATH...
set -euo pipefail
save=0
if [ "$1" = --save ]; then save=1; shift; fi
stamp="$1"; shift
digest="$(find "$@" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [ "$save" = 1 ]; then
  echo "$digest" > "$stamp"
  exit 0
fi
[ "$(cat "$stamp" 2> /dev/null)" != "$digest" ]
