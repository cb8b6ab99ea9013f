//! `parity env template ENV`: the environment's rendered CloudFormation
//! template on stdout, for review or for teams that apply templates through
//! their own pipeline. Reads only files: no AWS call, no credentials needed.

use std::process::ExitCode;

use crate::cli::{EnvTemplateArgs, GlobalArgs};
use crate::cloud::stack;
use crate::error::Result;

pub(crate) fn run(global: &GlobalArgs, args: &EnvTemplateArgs) -> Result<ExitCode> {
    let project = crate::commands::load_project(global, &[])?;
    let settings = crate::commands::load_settings(global, &project)?;
    let data = stack::stack_data(&project, &settings, &args.env)?;
    super::print_stdout(&stack::render(&data)?);
    Ok(ExitCode::SUCCESS)
}
