//! `parity down`: stop and remove the project's containers and networks
//! (and named volumes with `--volumes`).

use std::process::ExitCode;

use crate::cli::{DownArgs, GlobalArgs};
use crate::error::Result;
use crate::local::down;
use crate::local::engine::Engine;
use crate::local::progress::Progress;

/// Runs `parity down`.
pub(crate) fn run(global: &GlobalArgs, args: &DownArgs) -> Result<ExitCode> {
    let project = super::load_project(global, &[])?;
    super::block_on(async {
        let engine = Engine::connect().await?;
        let progress = Progress::new(20);
        down::down(&engine, &project, args.volumes, &progress).await?;
        Ok(ExitCode::SUCCESS)
    })
}
