//! `parity run SERVICE [-- CMD...]` on the local engine, as `docker compose run
//! --rm` does it: the service's dependencies started as `up` starts them (and
//! left running), then a fresh one-off container with the service's
//! configuration and the command and variables overridden, attached to
//! parity's stdin (a TTY when that is a terminal), removed once it exits.
//! parity exits with the command's exit code. `--detach` starts it in the
//! background instead (the engine removes it when it exits) and prints its name.

use std::process::ExitCode;

use crate::cli::{GlobalArgs, RunArgs};
use crate::commands::up::Interrupt;
use crate::compose::model::Project;
use crate::error::{Error, Result};
use crate::local::engine::Engine;
use crate::local::images;
use crate::local::oneoff::{self, Overrides};
use crate::local::progress::Progress;
use crate::local::resources;
use crate::local::session;
use crate::local::spec::{self, SpecInput};
use crate::local::up::{self, UpOptions};

/// Runs `parity run` locally (no `--env`).
pub(super) fn run(
    global: &GlobalArgs,
    args: &RunArgs,
    variables: Vec<(String, String)>,
) -> Result<ExitCode> {
    let project = crate::commands::load_project(global, std::slice::from_ref(&args.service))?;
    if !project.services.contains_key(&args.service) {
        return Err(crate::compose::unknown_service(&project, &args.service));
    }
    crate::commands::block_on(run_async(project, args, variables))
}

async fn run_async(
    project: Project,
    args: &RunArgs,
    variables: Vec<(String, String)>,
) -> Result<ExitCode> {
    // Installed first, so a Ctrl-C at any moment is ours to handle.
    let mut interrupt = Interrupt::install()?;
    let engine = Engine::connect().await?;
    let service = &project.services[&args.service];
    let width = project.services.keys().map(String::len).max().unwrap_or(0);
    let progress = Progress::new(width.max(8));
    let dependencies: Vec<String> = service
        .depends_on
        .keys()
        .filter(|d| project.services.contains_key(*d))
        .cloned()
        .collect();
    if !args.no_deps && !dependencies.is_empty() {
        let options = UpOptions {
            services: dependencies,
            build: false,
            attached: false,
            timeout: None,
        };
        tokio::select! {
            started = up::up(&engine, &project, &options, &progress) => drop(started?),
            () = interrupt.next() => return Err(Error::interrupted()),
        }
    }
    let lookup = |key: &str| std::env::var(key).ok();
    let images = images::ensure(&engine, &project, &[service], false, &lookup, &progress).await?;
    resources::ensure(&engine, &project, &[service], &progress).await?;
    let image = &images[&service.name];
    let spec = spec::container_spec(&SpecInput {
        project: &project,
        service,
        image: &image.reference,
        image_id: &image.id,
        release: false,
        start_interval: engine.supports(1, 44),
        lookup: &lookup,
    });
    let overrides = Overrides {
        command: args.command.clone(),
        variables,
        tty: !args.detach && session::stdin_is_terminal(),
        detach: args.detach,
    };
    let spec = oneoff::oneoff_spec(&project.name, &service.name, spec, &overrides);
    if args.detach {
        let name = oneoff::start_detached(&engine, &project.name, &service.name, &spec).await?;
        outln!("{name}");
        return Ok(ExitCode::SUCCESS);
    }
    let grace = up::grace_secs(service);
    let code = oneoff::run(
        &engine,
        &project.name,
        &service.name,
        &spec,
        grace,
        interrupt.next(),
    )
    .await?;
    Ok(ExitCode::from(session::exit_code(code)))
}
