//! `parity db ENV [SERVICE]`: the managed service's own client, run inside
//! the environment (the only place the service is reachable from) through
//! ECS Exec: the client task's definition is registered
//! (`cloud::backing::client`: the compose service's image, the password
//! injected by `valueFrom`), started as a one-off task with ECS Exec on
//! (`cloud::one_off`), waited on until it runs, and the client opened in it
//! through the Session Manager plugin (as `parity exec --env` does). The
//! task is stopped when the session ends, when anything before it fails,
//! and on Ctrl-C while waiting (during the session Ctrl-C belongs to the
//! client: it cancels a query). parity exits with the plugin's exit code.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use tokio::signal::unix::{SignalKind, signal};

use crate::aws::{AwsContext, ecs, ecs_exec, ecs_tasks};
use crate::cli::{DbArgs, GlobalArgs};
use crate::cloud::backing::{Backing, client};
use crate::cloud::exec;
use crate::cloud::one_off::{self, OneOff, OneOffState};
use crate::cloud::plan::network_configuration;
use crate::commands::exec::cloud::{find_plugin, run_plugin};
use crate::commands::ship::session::{Cloud, Inputs};
use crate::error::{Error, Result};
use crate::settings::Environment;

/// How long the client task may take to start (Fargate pulls the image).
const START_TIMEOUT: Duration = Duration::from_secs(300);
/// How long ExecuteCommand is retried while the task's ECS Exec agent starts.
const AGENT_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_secs(2);

pub(super) fn run(
    global: &GlobalArgs,
    args: &DbArgs,
    backing: &Backing,
    image: &str,
) -> Result<ExitCode> {
    // Checked before any AWS call, as `exec --env` does.
    let plugin = find_plugin(std::env::var_os("PATH"))?;
    let inputs = Inputs::load_for(global, &[&args.env])?;
    let environment = inputs.environment(&args.env)?;
    let endpoint = super::endpoint(environment, backing)?.to_owned();
    crate::commands::block_on(async {
        // Registered before RunTask, so a Ctrl-C at any moment after it is seen.
        let mut interrupt = signal(SignalKind::interrupt())
            .map_err(|e| Error::failed(format!("cannot watch for Ctrl-C: {e}")))?;
        let cloud = Cloud::connect(environment).await?;
        let ctx = &cloud.ctx;
        let cluster = environment.cluster();
        let definition = ecs::register_task_definition(
            ctx,
            &client::task_definition(environment, backing, image, &cloud.account_id),
        )
        .await?;
        let task = ecs::run_task(
            ctx,
            &one_off::run_task_request(
                &OneOff {
                    app: &environment.app,
                    environment: environment.name(),
                    cluster: &cluster,
                    service: &backing.service,
                    task_definition: &definition,
                    command: &[],
                    variables: &[],
                    exec: true,
                },
                &network_configuration(environment),
            ),
            &format!("the client task of `{}`", backing.service),
        )
        .await?;
        let id = task.rsplit('/').next().unwrap_or(&task).to_owned();
        eprintln!(
            "db: task {id} ({image}) started in {cluster}; opening {} when it runs",
            backing.engine.name
        );
        // Ctrl-C stops the wait; during the session it belongs to the client
        // (the plugin sends it on: it cancels a query), and parity outlives it.
        let opened = tokio::select! {
            opened = open(ctx, environment, backing, &task, &endpoint) => opened,
            _ = interrupt.recv() => Err(Error::interrupted()),
        };
        let outcome = match opened {
            Ok((session, target)) => run_plugin(ctx, &plugin, &session, &target).await,
            Err(e) => Err(e),
        };
        let reason = match &outcome {
            Err(e) if e.exit_code() == 130 => "parity db interrupted (Ctrl-C)",
            _ => "parity db session ended",
        };
        match ecs_tasks::stop(ctx, &cluster, &task, reason).await {
            Ok(()) => eprintln!("db: stopped task {id}"),
            Err(e) => eprintln!("db: could not stop task {id}: {}", e.message()),
        }
        outcome
    })
}

/// Waits for the task to run, then opens the client in it: the session
/// and the plugin's target.
async fn open(
    ctx: &AwsContext,
    environment: &Environment,
    backing: &Backing,
    task: &str,
    endpoint: &str,
) -> Result<(exec::Session, String)> {
    let cluster = environment.cluster();
    let container = backing.service.as_str();
    let started = Instant::now();
    loop {
        let state = ecs::describe_task(ctx, &cluster, task).await?;
        match one_off::state(&state, container) {
            OneOffState::Running(status) if status == "RUNNING" => break,
            OneOffState::Running(_) => {}
            OneOffState::Exited(code) => {
                return Err(Error::failed(format!(
                    "the client task of `{container}` stopped before the session (exit code {code})"
                )));
            }
            OneOffState::NeverRan(why) => {
                return Err(Error::failed(format!(
                    "the client task of `{container}` could not start: {why}"
                )));
            }
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(Error::failed(format!(
                "the client task of `{container}` did not start within {} s",
                START_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
    let described = ecs_exec::tasks(ctx, &cluster, &[task.to_owned()]).await?;
    let described = described
        .first()
        .ok_or_else(|| Error::failed(format!("task {task} is not known to ECS")))?;
    let target = exec::session_target(described, &cluster, container)?;
    let command = exec::command_line(&client::command(backing, endpoint));
    eprintln!("db: {command}");
    let started = Instant::now();
    let session = loop {
        match ecs_exec::execute_command(ctx, &cluster, task, container, &command).await {
            Ok(session) => break session,
            // ECS: "... or the execute command agent isn't running. Wait and try again".
            Err(e) if e.message().contains("agent") && started.elapsed() < AGENT_TIMEOUT => {
                tokio::time::sleep(POLL).await;
            }
            Err(e) => {
                return Err(e.with_help(format!(
                    "the task's ECS Exec agent reaches AWS through the task role's ssmmessages \
                     permissions, which `parity env apply {}` gives it when a managed service exists",
                    environment.name()
                )));
            }
        }
    };
    Ok((session, target))
}
