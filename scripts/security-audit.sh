#!/usr/bin/env bash
# Supply chain: licenses, bans and sources with cargo-deny (offline, deny.toml), and known
# vulnerabilities with cargo-audit against the advisory database snapshot (it cannot be
# downloaded here): ADVISORY_DB, default ../shared/advisory-db next to the checkout.
# Called by scripts/test.sh; the tools are installed by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo-deny --offline check licenses bans sources

db="${ADVISORY_DB:-$(cd .. && pwd)/shared/advisory-db}"
if [ ! -d "$db" ]; then
  # A clone elsewhere has no snapshot next to it, and the database cannot be fetched here.
  echo "SKIPPED cargo-audit: no advisory database at $db (set ADVISORY_DB to a snapshot)"
  exit 0
fi
# RUSTSEC-2023-0071 (rsa, Marvin): a timing side channel on RSA decryption and signing with
# attacker-chosen inputs, no fixed version. GHARTS never decrypts with RSA; it signs its own
# GitHub App JWTs (no attacker input, no timing oracle) and verifies IdP signatures (public key).
# RUSTSEC-2024-0436 (paste unmaintained): a proc-macro of Leptos's either_of, build time only.
cargo-audit audit --db "$db" --no-fetch --deny warnings --ignore RUSTSEC-2023-0071 --ignore RUSTSEC-2024-0436
