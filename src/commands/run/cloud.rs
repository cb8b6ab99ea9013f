//! `parity run --env ENV SERVICE [-- CMD...]`: a one-off ECS Fargate task
//! from the task definition revision the service runs now (same image
//! digest, variables and secrets), in the environment's network, with the
//! command and `-e` variables overridden (`cloud::one_off`). Its log lines
//! stream until it stops; parity exits with the container's exit code.
//! Ctrl-C stops the task (StopTask) and exits 130; `--detach` prints the
//! task id and returns.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::Value;

use crate::aws::{AwsContext, AwsTarget, ecs, ecs_describe, ecs_tasks};
use crate::cli::{GlobalArgs, LogFormat, RunArgs};
use crate::cloud::log_reader::{self, Backoff};
use crate::cloud::one_off::{self, OneOff, OneOffState};
use crate::cloud::plan::network_configuration;
use crate::commands::logs::cloud::{Printer, Reader, Selection, Sources};
use crate::commands::logs::now_ms;
use crate::commands::ship::observe::observe;
use crate::commands::ship::session::Inputs;
use crate::compose::unknown_service;
use crate::error::{Error, Result};
use crate::settings::Environment;

/// How far before RunTask the log read starts (clock skew between here and AWS).
const CLOCK_SKEW_MS: i64 = 5_000;
/// After the task stopped: at most this many more log reads, one a second,
/// while they still find lines (CloudWatch makes the last ones visible late).
const FINAL_READS: u32 = 5;

/// Runs `parity run --env ENV`; `variables` are the parsed `-e` options.
pub(crate) fn run(
    global: &GlobalArgs,
    args: &RunArgs,
    env: &str,
    variables: &[(String, String)],
) -> Result<ExitCode> {
    let inputs = Inputs::load(global)?;
    inputs.environment(env)?;
    let service = args.service.as_str();
    let Some(compose) = inputs.project.services.get(service) else {
        return Err(unknown_service(&inputs.project, service));
    };
    if !compose.x_parity.cloud {
        return Err(Error::input(format!(
            "service `{service}` does not run in the cloud (x-parity cloud: false)"
        )));
    }
    if let Some(parent) = &compose.x_parity.sidecar_of {
        return Err(Error::input(format!(
            "service `{service}` is a sidecar in the task of `{parent}`: run `{parent}` instead"
        )));
    }
    let inputs = Inputs::load_for(global, &[env])?;
    let environment = inputs.environment(env)?;
    let target = AwsTarget::for_environment(environment);
    crate::commands::block_on(async {
        // Registered before RunTask, so a Ctrl-C at any moment after it is seen.
        let mut interrupt =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .map_err(|e| Error::failed(format!("cannot watch for Ctrl-C: {e}")))?;
        let ctx = AwsContext::connect(&target).await?;
        let views = observe(&ctx, environment, &inputs.project).await?;
        let task_definition = views
            .iter()
            .find(|v| v.service == service)
            .and_then(|v| v.running.as_ref())
            .map(|r| r.task_definition.clone())
            .ok_or_else(|| {
                Error::failed(format!(
                    "`{service}` is not deployed in {env}: nothing to run it from"
                ))
                .with_help(format!("deploy it first: `parity deploy {env}`"))
            })?;
        let definition = ecs_describe::task_definition_json(&ctx, &task_definition).await?;
        let app = inputs.settings.app();
        let request = one_off::run_task_request(
            &OneOff {
                app,
                environment: env,
                cluster: &environment.cluster(),
                service,
                task_definition: &task_definition,
                command: &args.command,
                variables,
                exec: false,
            },
            &network_configuration(environment),
        );
        let started = now_ms();
        let task = ecs::run_task(&ctx, &request, &format!("the one-off task of {service}")).await?;
        let id = task.rsplit('/').next().unwrap_or(&task).to_owned();
        let revision = crate::cloud::rollout::short_task_definition(&task_definition);
        eprintln!(
            "run: task {id} of {revision} started in {}",
            environment.cluster()
        );
        if args.detach {
            outln!("{id}");
            eprintln!("its logs: parity logs --env {env} {service} --task {id} --follow");
            return Ok(ExitCode::SUCCESS);
        }
        let mut reader = task_reader(environment, &inputs.project, &definition, &id, started);
        tokio::select! {
            result = watch(&ctx, environment, &task, service, &mut reader) => result,
            _ = interrupt.recv() => {
                eprintln!("run: interrupted; stopping task {id}");
                if let Err(e) = ecs_tasks::stop(&ctx, &environment.cluster(), &task, "parity run interrupted (Ctrl-C)").await {
                    eprintln!("run: could not stop task {id}: {}", e.message());
                }
                Err(Error::interrupted())
            }
        }
    })
}

/// A reader of the task's own streams (each container's, as its awslogs
/// options name them), from just before it started.
fn task_reader(
    environment: &Environment,
    project: &crate::compose::model::Project,
    definition: &Value,
    task_id: &str,
    started: i64,
) -> Reader {
    let containers = definition["containerDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut group = None;
    let mut prefixed = Vec::new();
    for container in &containers {
        let options = &container["logConfiguration"]["options"];
        let (Some(name), Some(prefix)) = (
            container["name"].as_str(),
            options["awslogs-stream-prefix"].as_str(),
        ) else {
            continue;
        };
        group = group.or_else(|| options["awslogs-group"].as_str().map(str::to_owned));
        prefixed.push((prefix.to_owned(), name.to_owned()));
    }
    Reader::new(
        group.unwrap_or_else(|| environment.log_group()),
        log_reader::task_streams(&prefixed, task_id),
        started - CLOCK_SKEW_MS,
        Printer::new(Sources::of(project), &[], LogFormat::Text),
        Selection::default(),
    )
}

/// Streams the task's lines until it stops; its container's exit code.
async fn watch(
    ctx: &AwsContext,
    environment: &Environment,
    task: &str,
    service: &str,
    reader: &mut Reader,
) -> Result<ExitCode> {
    let cluster = environment.cluster();
    let short = log_reader::short_task_id(task);
    let mut backoff = Backoff::default();
    let mut last = String::new();
    loop {
        let found = reader.read(ctx).await?;
        let state = ecs::describe_task(ctx, &cluster, task).await?;
        match one_off::state(&state, service) {
            OneOffState::Running(status) => {
                if status != last {
                    eprintln!("run: task {short} {}", status.to_ascii_lowercase());
                    last = status;
                }
            }
            OneOffState::Exited(code) => {
                final_reads(ctx, reader).await?;
                eprintln!("run: {service} exited with code {code}");
                return Ok(ExitCode::from(one_off::exit_status(code)));
            }
            OneOffState::NeverRan(why) => {
                final_reads(ctx, reader).await?;
                return Err(Error::failed(format!(
                    "the one-off task of {service} stopped before its command ran: {why}"
                )));
            }
        }
        tokio::time::sleep(backoff.next(found).min(Duration::from_secs(2))).await;
    }
}

/// Reads the task's last lines after it stopped, while reads still find some.
async fn final_reads(ctx: &AwsContext, reader: &mut Reader) -> Result<()> {
    for _ in 0..FINAL_READS {
        if reader.read(ctx).await? == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}
