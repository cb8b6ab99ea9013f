//! `parity logs`: the services' logs, each line prefixed with its service;
//! `--follow` keeps streaming, `--tail N` starts from the last N lines,
//! `--since` and `--grep` narrow them. Without `--env` from the local
//! engine, with `--env ENV` from the environment's CloudWatch Logs
//! ([`cloud`]); the same prefixes, colours and flags in both places.

pub(crate) mod cloud;

use std::process::ExitCode;

use crate::cli::{GlobalArgs, LogFormat, LogsArgs};
use crate::cloud::since;
use crate::compose::unknown_service;
use crate::error::{Error, Result};
use crate::local::containers;
use crate::local::engine::Engine;
use crate::local::logs::{self, Filter, From, Prefix};

/// Runs `parity logs`.
pub(crate) fn run(global: &GlobalArgs, args: &LogsArgs) -> Result<ExitCode> {
    let now = now_ms();
    let since = args
        .since
        .as_deref()
        .map(|text| since::parse(text, now).map_err(Error::input))
        .transpose()?;
    if args.grep.as_deref() == Some("") {
        return Err(Error::input(
            "--grep is empty: give the text the lines must contain",
        ));
    }
    if let Some(env) = &args.env {
        return cloud::run(
            global,
            args,
            env,
            since.unwrap_or(now - since::DEFAULT_CLOUD_MS),
        );
    }
    if args.task.is_some() {
        return Err(Error::input("--task names an ECS task: it needs --env ENV")
            .with_help("locally, name the service: `parity logs SERVICE`"));
    }
    let project = super::load_project(global, &args.services)?;
    for name in &args.services {
        if !project.services.contains_key(name) {
            return Err(unknown_service(&project, name));
        }
    }
    let colour_of = |service: &str| project.services.get_index_of(service).unwrap_or(0);
    super::block_on(async {
        let engine = Engine::connect().await?;
        let list: Vec<_> = containers::list(&engine, &project.name)
            .await?
            .into_iter()
            .filter(|c| args.services.is_empty() || args.services.contains(&c.service))
            .collect();
        let width = list.iter().map(|c| c.service.len()).max().unwrap_or(0);
        let from = args.tail.map_or(From::Start, From::Tail);
        let streams = list.iter().map(|c| {
            let filter = Filter {
                since: since.map(|ms| ms / 1000),
                grep: args.grep.clone(),
                json_service: (args.format == LogFormat::Json).then(|| c.service.clone()),
            };
            logs::stream_filtered(
                engine.clone(),
                c.id.clone(),
                Prefix::new(&c.service, colour_of(&c.service), width),
                from,
                args.follow,
                filter,
            )
        });
        tokio::select! {
            _ = futures_util::future::join_all(streams) => Ok(ExitCode::SUCCESS),
            _ = tokio::signal::ctrl_c() => Err(Error::interrupted()),
        }
    })
}

/// Milliseconds since the epoch, now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
