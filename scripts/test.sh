#!/usr/bin/env bash
# Every test: unit + integration (each integration test on SQLite and on PostgreSQL, each with
# its own database), then the browser end-to-end suite on both databases.
# Called by `make test` after setup and builds.
set -euo pipefail
cd "$(dirname "$0")/.."
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

echo "== unit and integration tests (SQLite + PostgreSQL)"
if cargo nextest --version > /dev/null 2>&1; then
  cargo nextest run -p app -p server --no-fail-fast
else
  cargo test -p app -p server --no-fail-fast
fi

echo "== end-to-end (Chromium)"
scripts/e2e.sh sqlite
scripts/e2e.sh postgres
echo "== all tests passed"
