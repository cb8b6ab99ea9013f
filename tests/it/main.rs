//! parity's one integration-test binary: the CLI run in temp dirs against the
//! real Docker Engine, moto_server and a real registry, as a user would run it.

// Test helpers are `pub` for use across test modules, not an API.
#![allow(unreachable_pub)]

mod support;

mod backing;
mod build;
mod ci;
mod cli;
mod completions;
mod config;
mod conformance;
mod deploy;
mod differential;
mod e2e;
mod env;
mod env_template;
mod exec;
mod faults;
mod iam;
mod init;
mod interrupt;
mod invalid;
mod jobs;
mod operate;
mod plan;
mod review;
mod run_local;
mod secrets;
mod secrets_canary;
mod secrets_manager;
mod up;
mod up_like;
mod watch;
