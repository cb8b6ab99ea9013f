//! `parity run [--env ENV] [-e KEY=VALUE]... [--detach] SERVICE [-- CMD...]`:
//! a one-off command in a new container of a service. Locally like
//! `docker compose run --rm` (`local`); with `--env ENV` a one-off ECS
//! Fargate task from the revision the service runs there ([`cloud`]).
//! Both read `-e` the one way (`commands::variables`).

mod cloud;
mod local;

use std::process::ExitCode;

use crate::cli::{GlobalArgs, RunArgs};
use crate::error::Result;

/// Runs `parity run`.
pub(crate) fn run(global: &GlobalArgs, args: &RunArgs) -> Result<ExitCode> {
    let variables =
        crate::commands::variables::parse(&args.variables, &|name| std::env::var(name).ok())?;
    match &args.env {
        Some(env) => cloud::run(global, args, env, &variables),
        None => local::run(global, args, variables),
    }
}
