//! `parity exec --env ENV SERVICE [--task ID] [-- CMD...]`: ECS Exec, as `aws
//! ecs execute-command --interactive` does it. The Session Manager plugin must
//! be installed (checked first, before any AWS call, as the AWS CLI does); the
//! service must have been deployed with ECS Exec on (else the error names the
//! setting); then ExecuteCommand on the newest healthy task (or `--task`), and
//! the plugin runs the session with parity's terminal. parity exits with the
//! plugin's exit code; ECS Exec does not report the remote command's.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tokio::signal::unix::{SignalKind, signal};

use crate::aws::config::Service as AwsService;
use crate::aws::{AwsContext, AwsTarget, ecs, ecs_exec};
use crate::cli::{ExecArgs, GlobalArgs};
use crate::cloud::exec::{self, PLUGIN, PLUGIN_INSTALL};
use crate::commands::ship::session::Inputs;
use crate::compose::model::Service;
use crate::error::{Error, Result};
use crate::settings::Environment;

pub(super) fn run(global: &GlobalArgs, args: &ExecArgs, env: &str) -> Result<ExitCode> {
    let mut inputs = Inputs::load(global)?;
    inputs.environment(env)?;
    let service = inputs
        .project
        .services
        .get(&args.service)
        .ok_or_else(|| crate::compose::unknown_service(&inputs.project, &args.service))?;
    // The ECS service whose tasks hold the container: its own, or (a sidecar) its main's.
    let owner = task_owner(service, env)?.to_owned();
    let plugin = find_plugin(std::env::var_os("PATH"))?;
    crate::commands::env::resolve(&mut inputs.settings, &inputs.project, &[env], false)?;
    let environment = inputs.environment(env)?;
    crate::commands::block_on(session(environment, &owner, args, &plugin))
}

/// The compose service whose ECS service runs `service`'s container; bad input
/// when it has no task in the cloud.
fn task_owner<'a>(service: &'a Service, env: &str) -> Result<&'a str> {
    let x = &service.x_parity;
    let name = &service.name;
    if !x.cloud {
        return Err(x.error(
            "cloud",
            format!("`{name}` has no task in the cloud (it is not `cloud: true`), so there is nothing to exec into in `{env}`"),
        ));
    }
    if x.release {
        return Err(Error::input(format!(
            "`{name}` is the release phase: its task runs once per deploy and stops, so there is nothing to exec into"
        ))
        .with_help(format!("run it again as a one-off task with `parity run --env {env} {name}`")));
    }
    Ok(x.sidecar_of.as_deref().unwrap_or(name))
}

/// The plugin on `path` (the PATH variable), or the error saying how to install it.
pub(crate) fn find_plugin(path: Option<OsString>) -> Result<PathBuf> {
    path.iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(PLUGIN))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| {
            Error::failed(format!(
                "the Session Manager plugin (`{PLUGIN}`) is not installed: it is not on PATH, \
                 and ECS Exec sessions run through it"
            ))
            .with_help(PLUGIN_INSTALL)
        })
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

async fn session(
    environment: &Environment,
    owner: &str,
    args: &ExecArgs,
    plugin: &Path,
) -> Result<ExitCode> {
    let ctx = AwsContext::connect(&AwsTarget::for_environment(environment)).await?;
    let cluster = environment.cluster();
    let ecs_service = environment.service_name(owner);
    let records =
        ecs::describe_service_records(&ctx, &cluster, std::slice::from_ref(&ecs_service)).await?;
    let Some(record) = records.iter().find(|s| s.status() == Some("ACTIVE")) else {
        return Err(Error::failed(format!(
            "service `{ecs_service}` is not deployed in `{}` (cluster {cluster})",
            environment.name()
        ))
        .with_help(format!(
            "deploy it with `parity deploy {}`",
            environment.name()
        )));
    };
    if !record.enable_execute_command() {
        return Err(exec::not_enabled(environment, owner, &ecs_service));
    }
    let tasks = ecs_exec::service_tasks(&ctx, &cluster, &ecs_service).await?;
    let task = exec::pick_task(&tasks, args.task.as_deref(), &ecs_service)?;
    let target = exec::session_target(task, &cluster, &args.service)?;
    let command = exec::command_line(&args.command);
    eprintln!(
        "exec into task {} of {ecs_service} ({}): {command}",
        task.id(),
        task.health.to_lowercase()
    );
    let session =
        ecs_exec::execute_command(&ctx, &cluster, &task.arn, &args.service, &command).await?;
    run_plugin(&ctx, plugin, &session, &target).await
}

/// Runs the Session Manager plugin on `session` with parity's terminal;
/// its exit code. Also `parity db`'s session.
pub(crate) async fn run_plugin(
    ctx: &AwsContext,
    plugin: &Path,
    session: &exec::Session,
    target: &str,
) -> Result<ExitCode> {
    let profile = std::env::var("AWS_PROFILE").unwrap_or_default();
    let endpoint = ctx.endpoint(AwsService::Ecs).url;
    let plugin_args = exec::plugin_args(session, ctx.region(), &profile, target, &endpoint);
    // Ctrl-C and Ctrl-\ belong to the session: the plugin sends them on to the
    // remote process, and parity must outlive them to pass on the plugin's exit.
    let _keep = (signal(SignalKind::interrupt()), signal(SignalKind::quit()));
    let status = tokio::process::Command::new(plugin)
        .args(&plugin_args)
        .status()
        .await
        .map_err(|e| Error::failed(format!("cannot run {}: {e}", plugin.display())))?;
    Ok(ExitCode::from(
        status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugin_is_found_on_path_and_its_absence_says_how_to_install_it() {
        let dir = tempfile::tempdir().unwrap();
        let plugin = dir.path().join(PLUGIN);
        std::fs::write(&plugin, "#!/bin/sh\n").unwrap();
        let path = std::env::join_paths(["/nonexistent".into(), dir.path().to_path_buf()]).unwrap();
        // Not executable: not the plugin.
        assert!(find_plugin(Some(path.clone())).is_err());
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_plugin(Some(path)).unwrap(), plugin);
        let err = find_plugin(None).unwrap_err();
        assert_eq!(err.exit_code(), 1);
        assert!(err.message().contains("not installed"), "{}", err.message());
    }
}
