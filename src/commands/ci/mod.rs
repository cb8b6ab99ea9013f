//! `parity ci github [--write] [--force]`: the project's CI as GitHub Actions
//! workflows, rendered from templates/github/ with values taken from
//! parity.toml (app, environments, regions, accounts), so nothing in them is
//! typed per project.
//!
//! `workflows` decides what the workflows hold (pure, from the settings),
//! `render` puts that through the templates, `write` puts the files under
//! `.github/workflows/` without clobbering a file someone edited.

mod render;
mod workflows;
mod write;

use std::process::ExitCode;

use crate::cli::{CiArgs, CiCommand, GlobalArgs};
use crate::error::Result;

pub(crate) fn run(global: &GlobalArgs, args: &CiArgs) -> Result<ExitCode> {
    match &args.command {
        CiCommand::Github(github) => {
            let project = super::load_project(global, &[])?;
            let settings = super::load_settings(global, &project)?;
            let data = workflows::Workflows::new(global, &project, &settings)?;
            let files = render::render(&data)?;
            if github.write {
                write::write(&project.working_dir, &files, github.force)?;
            } else {
                print!("{}", render::as_stream(&files));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
