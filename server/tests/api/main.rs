//! Integration tests: the real router on a real socket, a fresh database per test, run on
//! SQLite and on PostgreSQL (`TEST_POSTGRES_URL`, default the local server).

mod helpers;
mod oidc_peer;
mod seed;

mod audit;
mod bootstrap;
mod cli;
mod errors;
mod health;
mod local_login;
mod oidc;
mod provisioning;
mod runners;
mod sessions;
mod shutdown;
