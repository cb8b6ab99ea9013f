//! `parity up --like ENV`: what `parity plan ENV` would run on Fargate, run on
//! the local engine (see `local::like`). Loads the project, settings and the
//! environment's secret values; refuses what the plan refuses before touching
//! the engine; then images, the plan again with the local images, and the run.

use std::collections::HashMap;
use std::process::ExitCode;

use indexmap::IndexMap;

use super::up::Interrupt;
use crate::aws::ssm::SecretValue;
use crate::cli::{GlobalArgs, UpArgs};
use crate::compose::model::Project;
use crate::error::{Error, Result};
use crate::local::engine::Engine;
use crate::local::like::run::{self, Options};
use crate::local::like::translate::{self, Input, LikeRun};
use crate::local::progress::Progress;
use crate::local::summary;

/// Runs `parity up --like ENV`.
pub(crate) fn run(global: &GlobalArgs, args: &UpArgs, environment: &str) -> Result<ExitCode> {
    let project = super::load_project(global, &args.services)?;
    let settings = super::load_settings(global, &project)?;
    // The plan refuses bad input before anything is read or started.
    translate::local_plan(&project, &settings, environment, &HashMap::new())?;
    let values = super::secrets::like_values(global, &project, environment, args.secrets_from_aws)?;
    super::block_on(run_async(project, settings, values, args, environment))
}

async fn run_async(
    project: Project,
    settings: crate::settings::Settings,
    values: IndexMap<String, SecretValue>,
    args: &UpArgs,
    environment: &str,
) -> Result<ExitCode> {
    let mut interrupt = Interrupt::install()?;
    let engine = Engine::connect().await?;
    let names = translate::image_services(&project, &args.services);
    let width = names.iter().map(|n| n.len() + 5).max().unwrap_or(0);
    let progress = Progress::new(width.max(8));
    let services: Vec<&crate::compose::model::Service> =
        names.iter().map(|n| &project.services[n]).collect();
    let lookup = |key: &str| std::env::var(key).ok();
    let images =
        crate::local::images::ensure(&engine, &project, &services, args.build, &lookup, &progress)
            .await?;
    let refs: HashMap<String, (String, bool)> = images
        .iter()
        .map(|(s, i)| (s.clone(), (i.reference.clone(), i.healthcheck)))
        .collect();
    let plan = translate::local_plan(&project, &settings, environment, &refs)?;
    let secret = |container: &str, variable: &str| -> Option<String> {
        values
            .get(variable)
            .map(|v| v.expose().to_owned())
            .or_else(|| local_value(&project, container, variable))
    };
    let like = translate::translate(&Input {
        project: &project,
        plan: &plan,
        secret: &secret,
        only: &args.services,
    });
    say_what_differs(&like, &values, &project);
    run::clear(&engine, &project.name, &progress).await?;
    run::ensure_pause_image(&engine, &progress).await?;
    crate::local::resources::ensure(&engine, &project, &services, &progress).await?;
    let attached = !(args.detach || args.wait);
    let options = Options { attached };
    let start = run::start(&engine, &project, &like, &images, &options, &progress);
    let start = async {
        match args.wait_timeout {
            Some(limit) => tokio::time::timeout(std::time::Duration::from_secs(limit), start)
                .await
                .map_err(|_| {
                    Error::failed(format!("not ready after {limit}s")).with_help(
                        "raise --wait-timeout, or see `parity logs SERVICE` for why it is slow",
                    )
                })?,
            None => start.await,
        }
    };
    let mut started = tokio::select! {
        result = start => result?,
        () = interrupt.next() => return stop(&engine, &project, &like, &progress, &mut interrupt).await,
    };
    if !attached {
        out!("{}", summary::ready_table(&started.services));
        return Ok(ExitCode::SUCCESS);
    }
    progress.done(
        "attached",
        &format!("to the {environment}-like tasks (Ctrl-C stops them)"),
    );
    let logs = futures_util::future::join_all(std::mem::take(&mut started.logs));
    let aborts: Vec<_> = started.watchers.iter().map(|w| w.abort_handle()).collect();
    let watchers = futures_util::future::join_all(std::mem::take(&mut started.watchers));
    tokio::select! {
        _ = watchers => {
            // The streams end with their containers: let the last lines through.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), logs).await;
            progress.done("exited", "every task has stopped");
            run::stop_all(&engine, &project, &like, false).await;
            Ok(ExitCode::SUCCESS)
        }
        () = interrupt.next() => {
            for watcher in &aborts {
                watcher.abort();
            }
            stop(&engine, &project, &like, &progress, &mut interrupt).await
        }
    }
}

/// The compose file's own value of a variable of a service (a secret ENV has
/// no value for runs with the local one, as `up` would give it).
fn local_value(project: &Project, service: &str, variable: &str) -> Option<String> {
    project
        .services
        .get(service)?
        .environment
        .get(variable)?
        .clone()
}

/// The plan's warnings, then one line per thing left out.
fn say_what_differs(like: &LikeRun, values: &IndexMap<String, SecretValue>, project: &Project) {
    for warning in &like.warnings {
        eprintln!("warning: {warning}");
    }
    for line in &like.left_out {
        eprintln!("note: {line}");
    }
    let mut local: Vec<&str> = project
        .services
        .values()
        .flat_map(|s| s.x_parity.secrets.names())
        .filter(|n| !values.contains_key(*n))
        .map(String::as_str)
        .collect();
    local.sort_unstable();
    local.dedup();
    if !local.is_empty() {
        eprintln!(
            "warning: `{}` has no value for {}; the compose file's values are used",
            like.environment,
            local.join(", ")
        );
    }
}

/// Ctrl-C: stop the tasks gracefully (each container's stopTimeout); a second Ctrl-C kills.
async fn stop(
    engine: &Engine,
    project: &Project,
    like: &LikeRun,
    progress: &Progress,
    interrupt: &mut Interrupt,
) -> Result<ExitCode> {
    progress.warn("stopping the tasks (Ctrl-C again to kill them)");
    tokio::select! {
        () = run::stop_all(engine, project, like, false) => {}
        () = interrupt.next() => {
            progress.warn("killing the tasks");
            run::stop_all(engine, project, like, true).await;
        }
    }
    Err(Error::interrupted())
}
