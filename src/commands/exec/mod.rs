//! `parity exec [--env ENV] SERVICE [-- CMD...]`: a command (default: a shell)
//! in a running container of the service. Without `--env`, in the service's
//! local container through the engine's exec API (`local`); with it, in one of
//! the service's ECS tasks through ECS Exec and the Session Manager plugin
//! (`cloud`).

pub(crate) mod cloud;
mod local;

use std::process::ExitCode;

use crate::cli::{ExecArgs, GlobalArgs};
use crate::error::Result;

/// Runs `parity exec`.
pub(crate) fn run(global: &GlobalArgs, args: &ExecArgs) -> Result<ExitCode> {
    match &args.env {
        Some(env) => cloud::run(global, args, env),
        None => local::run(global, args),
    }
}
