//! `parity logs`: the services' logs, each line prefixed with its service;
//! `--follow` keeps streaming, `--tail N` starts from the last N lines.

use std::process::ExitCode;

use crate::cli::{GlobalArgs, LogsArgs};
use crate::compose::unknown_service;
use crate::error::{Error, Result};
use crate::local::containers;
use crate::local::engine::Engine;
use crate::local::logs::{self, From, Prefix};

/// Runs `parity logs`.
pub(crate) fn run(global: &GlobalArgs, args: &LogsArgs) -> Result<ExitCode> {
    let project = super::load_project(global, &args.services)?;
    for name in &args.services {
        if !project.services.contains_key(name) {
            return Err(unknown_service(&project, name));
        }
    }
    super::block_on(async {
        let engine = Engine::connect().await?;
        let list: Vec<_> = containers::list(&engine, &project.name)
            .await?
            .into_iter()
            .filter(|c| args.services.is_empty() || args.services.contains(&c.service))
            .collect();
        let width = list.iter().map(|c| c.service.len()).max().unwrap_or(0);
        let from = args.tail.map_or(From::Start, From::Tail);
        let streams = list.iter().enumerate().map(|(i, c)| {
            logs::stream(
                engine.clone(),
                c.id.clone(),
                Prefix::new(&c.service, i, width),
                from,
                args.follow,
            )
        });
        tokio::select! {
            _ = futures_util::future::join_all(streams) => Ok(ExitCode::SUCCESS),
            _ = tokio::signal::ctrl_c() => Err(Error::interrupted()),
        }
    })
}
