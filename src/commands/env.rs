//! `parity env …`: the environment stack's commands, one module each; this
//! file only dispatches.

use std::process::ExitCode;

use crate::cli::{EnvArgs, EnvCommand, GlobalArgs};
use crate::error::Result;

pub(crate) fn run(global: &GlobalArgs, args: &EnvArgs) -> Result<ExitCode> {
    match &args.command {
        EnvCommand::Template(args) => super::env_template::run(global, args),
    }
}
