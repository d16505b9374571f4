# GHARTS developer entry points. The two a newcomer needs:
#   BOOTSTRAP_ADMIN_PASSWORD=change-me make run   # UI + API on http://127.0.0.1:3000, SQLite
#   make test                                      # every test (installs what is missing)
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Builds live outside the clone (a fixed directory under the system temp dir) so clean clones reuse them.
export CARGO_TARGET_DIR ?= $(or $(TMPDIR),/tmp)/gharts-target
# One set of Leptos build variables for every build (changing them rebuilds the Leptos crates).
export LEPTOS_OUTPUT_NAME := gharts
export LEPTOS_SITE_ROOT := target/site
export LEPTOS_SITE_PKG_DIR := pkg
# Server-function URLs must not depend on the checkout path (bundle and backend built apart).
export SERVER_FN_OVERRIDE_KEY := gharts
export CARGO_TERM_COLOR ?= never
# npm's wasm-opt (binaryen 132) and Playwright ahead of anything in /usr/bin.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: help run demo test setup-run setup-test site site-release bundle-size build test-unit test-e2e lint watch bench bench-migrate \
        images helm-lint test-deploy

# `make images`: podman (default) or docker. LOCAL_BASE_IMAGES=1 builds local stand-ins for the
# registry base images first (machines without registry access; podman only).
export CONTAINER_TOOL ?= podman

help:
	@echo "make run          build the console and start UI + API on http://127.0.0.1:3000 (SQLite)"
	@echo "make demo         the whole journey without a GitHub App: gharts + the fake GitHub playing the runners"
	@echo "make test         run every test (unit, integration on SQLite + PostgreSQL, browser e2e)"
	@echo "make site-release optimised site bundle (wasm-opt) in $(LEPTOS_SITE_ROOT)"
	@echo "make bundle-size  the console bundle per file, first load and whole, raw and gzip (release build)"
	@echo "make watch        live reload with cargo-leptos 0.3.10 (install it once: see README)"
	@echo "make bench        benchmark (release, both databases): M2M provisioning at 16/64/256 callers, lists and audit log at scale; own CPU and RSS (BENCH_QUICK=1: short)"
	@echo "make bench-migrate benchmark: import an organisation-sized Python database, copy 100,000 audit rows"
	@echo "make images       both container images (CONTAINER_TOOL=podman|docker; LOCAL_BASE_IMAGES=1 offline)"
	@echo "make helm-lint    chart: helm lint --strict, renders validated, chart tests"
	@echo "make test-deploy  every deploy check: linters, chart, images built and run hardened, kube play"

setup-run:
	@scripts/setup.sh run

setup-test:
	@scripts/setup.sh test

site: setup-run
	@scripts/build-site.sh debug

site-release: setup-run
	@scripts/build-site.sh release

# The console bundle's size, as browsers fetch it (README "Console bundle"); make test checks a budget.
bundle-size: setup-run
	@LEPTOS_SITE_ROOT=target/site-release scripts/build-site.sh release
	@scripts/bundle-size.py target/site-release

run: site
	@if [ -z "$$BOOTSTRAP_ADMIN_PASSWORD$$BOOTSTRAP_ADMIN_PASSWORD_FILE" ]; then \
	  echo "note: set BOOTSTRAP_ADMIN_PASSWORD to create the 'admin' account on first start"; fi
	GHARTS_SITE_ROOT=$(LEPTOS_SITE_ROOT) cargo run -p server --bin gharts -- serve

# gharts and the fake GitHub as processes, a demo team, the console on http://127.0.0.1:3000.
demo: site
	cargo build -p server --features fake-github --bin gharts --bin fake-github
	@scripts/demo.sh

build:
	cargo build -p server --features fake-github --bin gharts --bin fake-github --tests

test: setup-test site build
	@scripts/test.sh

lint:
	cargo fmt --all -- --check
	cargo clippy -p server -p app --all-targets -- -D warnings

watch:
	cargo leptos watch --split

# Provisioning and list latency, throughput and peak RSS (prints figures; see README "Performance").
bench:
	cargo build --release -p server --features fake-github --bin gharts --bin fake-github
	cargo run --release -p server --features fake-github --bin gharts-bench

# Moving in at scale: a Python import and a 100,000-row audit copy (prints times).
bench-migrate:
	cargo run --release -p server --features fake-github --bin gharts-migrate-bench

# ---- Deploy (README "Deploying", docs/kubernetes_deployment.md) ----
images:
	@scripts/build-images.sh

helm-lint:
	@scripts/setup-deploy-tools.sh chart > /dev/null
	@scripts/test-chart.sh

# Linters, chart, cluster-script tests, both images built with podman from local base images and
# run hardened, `podman kube play` of the chart; ends with "deploy-checks: N passed, M failed".
test-deploy:
	@scripts/test-deploy.sh
