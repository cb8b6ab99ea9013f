//! `parity watch`: the running project's `develop.watch` rules applied as
//! files change, until Ctrl-C (`docker compose watch --no-up`). `parity up
//! --watch` starts the project first and shows its logs.

use std::process::ExitCode;

use super::up::Interrupt;
use crate::cli::{GlobalArgs, WatchArgs};
use crate::error::{Error, Result};
use crate::local::containers;
use crate::local::engine::Engine;
use crate::local::progress::Progress;
use crate::local::watch::{self, Session};

/// Runs `parity watch`.
pub(crate) fn run(global: &GlobalArgs, args: &WatchArgs) -> Result<ExitCode> {
    let project = super::load_project(global, &args.services)?;
    let triggers = watch::triggers(&project, &args.services)?;
    super::block_on(async move {
        let mut interrupt = Interrupt::install()?;
        let engine = Engine::connect().await?;
        let running = containers::list(&engine, &project.name)
            .await?
            .into_iter()
            .any(|c| c.state == "running");
        if !running {
            return Err(Error::failed(format!(
                "project `{}` has no running container to watch",
                project.name
            ))
            .with_help("start it and watch at once with `parity up --watch`"));
        }
        let width = project.services.keys().map(String::len).max().unwrap_or(0);
        let session = Session {
            engine,
            progress: Progress::new(width.max(8)),
            project,
            triggers,
            attached: None,
        };
        tokio::select! {
            result = session.run() => result.map(|()| ExitCode::SUCCESS),
            () = interrupt.next() => Ok(ExitCode::SUCCESS),
        }
    })
}
