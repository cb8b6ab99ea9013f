//! `parity env apply|show|template|destroy ENV`: the AWS environment as the
//! CloudFormation stack `parity-<app>-<env>`, rendered from templates/ by
//! `cloud::stack` and applied through change sets (`template` is
//! `commands::env_template`).
//!
//! Orchestration only: what a change set or a stack state means is decided
//! in `cloud::change_set`, how outputs become settings in
//! `cloud::stack_outputs`; the AWS calls are in `aws::cloudformation`.

mod apply;
mod backing;
mod certificate;
mod confirm;
mod destroy;
mod outputs;
mod show;
mod watch;

pub(crate) use outputs::resolve;

use std::process::ExitCode;

use crate::cli::{EnvArgs, EnvCommand, GlobalArgs};
use crate::error::Result;

pub(crate) fn run(global: &GlobalArgs, args: &EnvArgs) -> Result<ExitCode> {
    match &args.command {
        EnvCommand::Apply(args) => apply::run(global, args),
        EnvCommand::Show(args) => show::run(global, args),
        EnvCommand::Template(args) => super::env_template::run(global, args),
        EnvCommand::Destroy(args) => destroy::run(global, args),
    }
}

/// Writes `text` to stdout; a closed pipe (`parity env show staging | head -1`) is not an error.
pub(crate) fn print_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = stdout.write_all(b"\n");
    }
    let _ = stdout.flush();
}

/// The cloud services of the project (those `x-parity` does not keep local).
pub(crate) fn cloud_services(project: &crate::compose::model::Project) -> Vec<String> {
    project
        .services
        .iter()
        .filter(|(_, s)| s.x_parity.cloud && s.x_parity.sidecar_of.is_none())
        .map(|(name, _)| name.clone())
        .collect()
}
