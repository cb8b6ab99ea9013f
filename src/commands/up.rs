//! `parity up`: the compose app on the local Docker Engine, in dependency
//! order, health-gated, the release service first. Attached by default (logs
//! of every service, Ctrl-C stops them); `--detach`/`--wait` return once all
//! is ready with a summary table on stdout.

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::Duration;

use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::cli::{GlobalArgs, UpArgs};
use crate::compose::model::Project;
use crate::error::{Error, Result};
use crate::local::down;
use crate::local::engine::Engine;
use crate::local::progress::Progress;
use crate::local::summary;
use crate::local::up::{self, UpOptions};
use crate::local::watch::{self, Session, rules::Trigger};

/// Runs `parity up`.
pub(crate) fn run(global: &GlobalArgs, args: &UpArgs) -> Result<ExitCode> {
    if let Some(environment) = &args.like {
        return super::up_like::run(global, args, environment);
    }
    let project = super::load_project(global, &args.services)?;
    // Bad rules are refused before anything starts.
    let triggers = if args.watch {
        Some(watch::triggers(&project, &args.services)?)
    } else {
        None
    };
    super::block_on(run_async(project, args, triggers))
}

async fn run_async(
    project: Project,
    args: &UpArgs,
    triggers: Option<Vec<Trigger>>,
) -> Result<ExitCode> {
    // Installed first, so a Ctrl-C at any moment is ours to handle.
    let mut interrupt = Interrupt::install()?;
    let engine = Engine::connect().await?;
    let width = project.services.keys().map(String::len).max().unwrap_or(0);
    let progress = Progress::new(width.max(8));
    let attached = !(args.detach || args.wait);
    let options = UpOptions {
        services: args.services.clone(),
        build: args.build,
        attached,
        timeout: args.wait_timeout.map(Duration::from_secs),
    };
    let release = up::release_services(&project);
    let selected: HashSet<String> =
        crate::local::graph::resolve(&project, &args.services, &release)?
            .order
            .into_iter()
            .collect();
    let mut started = tokio::select! {
        result = up::up(&engine, &project, &options, &progress) => result?,
        () = interrupt.next() => {
            return stop_on_interrupt(&engine, &project, &selected, &progress, &mut interrupt).await;
        }
    };
    if !attached {
        out!("{}", summary::ready_table(&started.services));
        return Ok(ExitCode::SUCCESS);
    }
    let names: Vec<&str> = started
        .services
        .iter()
        .map(|s| s.service.as_str())
        .collect();
    progress.done(
        "attached",
        &format!("to {} (Ctrl-C stops them)", names.join(", ")),
    );
    let logs = futures_util::future::join_all(std::mem::take(&mut started.logs));
    if let Some(triggers) = triggers {
        let session = Session {
            engine: engine.clone(),
            project: project.clone(),
            triggers,
            progress: progress.clone(),
            attached: Some(watch::Attached {
                prefixes: started.prefixes.clone(),
                observer: std::sync::Arc::clone(&started.observer),
            }),
        };
        // Watching goes on while containers come and go (a rebuild replaces one).
        tokio::select! {
            result = session.run() => result?,
            () = interrupt.next() => {}
        }
        started.reporter = None;
        drop(logs);
        return stop_on_interrupt(&engine, &project, &selected, &progress, &mut interrupt).await;
    }
    tokio::select! {
        _ = logs => {
            progress.done("exited", "every container has stopped");
            Ok(ExitCode::SUCCESS)
        }
        () = interrupt.next() => {
            // Stopping makes containers exit; that is not news worth reporting.
            started.reporter = None;
            stop_on_interrupt(&engine, &project, &selected, &progress, &mut interrupt).await
        }
    }
}

/// Ctrl-C: stop gracefully (each service's stop_grace_period); a second Ctrl-C kills.
async fn stop_on_interrupt(
    engine: &Engine,
    project: &Project,
    selected: &HashSet<String>,
    progress: &Progress,
    interrupt: &mut Interrupt,
) -> Result<ExitCode> {
    progress.warn("stopping the project's containers (Ctrl-C again to kill them)");
    tokio::select! {
        result = down::stop(engine, project, Some(selected), progress) => result?,
        () = interrupt.next() => {
            progress.warn("killing the project's containers");
            down::kill(engine, project, Some(selected)).await;
        }
    }
    Err(Error::interrupted())
}

/// SIGINT (Ctrl-C) and SIGTERM, as one stream of "stop" requests (also `run`'s).
pub(crate) struct Interrupt {
    int: Signal,
    term: Signal,
}

impl Interrupt {
    pub(crate) fn install() -> Result<Self> {
        let install =
            |kind| signal(kind).map_err(|e| Error::failed(format!("cannot handle signals: {e}")));
        Ok(Self {
            int: install(SignalKind::interrupt())?,
            term: install(SignalKind::terminate())?,
        })
    }

    pub(crate) async fn next(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }
}
