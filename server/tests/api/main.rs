//! Integration tests: the real router on a real socket, a fresh database per test, run on
//! SQLite and on PostgreSQL. The PostgreSQL half runs when `TEST_POSTGRES_URL` is set; without
//! it each PostgreSQL test prints `SKIPPED … TEST_POSTGRES_URL is unset` and passes, unless
//! `GHARTS_TEST_REQUIRE_ALL` is set (`make test` sets both), which turns a skip into a failure.
//! The OpenID Provider, Prism and the webhook examples need `scripts/setup.sh test` (node).

mod github_peer;
mod helpers;
mod oidc_peer;
mod seed;

mod admin_stats;
mod audit;
mod audit_chain;
mod audit_logs;
mod authz_matrix;
mod batch;
mod bootstrap;
mod ci_client;
mod cli;
mod cli_audit;
mod console_bridge;
mod contract_doc;
mod db_copy;
mod errors;
mod github_app;
mod health;
mod housekeeping;
mod import_python;
mod leader_election;
mod list_plans;
mod local_login;
mod login_limits;
mod logs;
mod metrics;
mod migration_guide;
mod oauth_clients;
mod oidc;
mod openapi;
mod provisioning;
mod provisioning_faults;
mod runners;
mod security_events;
mod security_headers;
mod serve_worker;
mod sessions;
mod shutdown;
mod sync;
mod teams;
mod users;
mod webhooks;
mod write_gate;
