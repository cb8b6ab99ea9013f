//! A command in a service's running container (`parity exec`), as `docker
//! compose exec` runs it: through the engine's exec API, attached to parity's
//! stdin and output (a TTY when parity's stdin is a terminal and `-T` is not
//! given), and the process's exit code reported back.

use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};

use super::containers;
use super::engine::{self, Engine};
use super::session::{self, Attached, RawMode};
use crate::error::Error;

/// What to run, and how.
#[derive(Debug, Clone)]
pub(crate) struct ExecRequest {
    pub(crate) command: Vec<String>,
    /// `KEY=VALUE` entries added to the container's environment for this process.
    pub(crate) env: Vec<String>,
    pub(crate) tty: bool,
}

/// The id of the service's running container, or an error saying how to start it.
pub(crate) async fn running_container(
    engine: &Engine,
    project: &str,
    service: &str,
) -> Result<String, Error> {
    let existing = containers::list(engine, project).await?;
    let mine: Vec<_> = existing.iter().filter(|e| e.service == service).collect();
    if let Some(running) = mine.iter().find(|e| e.state == "running") {
        return Ok(running.id.clone());
    }
    let state = mine.first().map_or_else(
        || "has no container".to_owned(),
        |e| format!("is {}", e.status),
    );
    Err(Error::failed(format!(
        "service `{service}` of project `{project}` is not running (it {state})"
    ))
    .with_help(format!(
        "start it with `parity up -d {service}`, or run a one-off container with `parity run {service}`"
    )))
}

/// Runs the command in the container and returns its exit code.
pub(crate) async fn exec(
    engine: &Engine,
    service: &str,
    container: &str,
    request: &ExecRequest,
) -> Result<i64, Error> {
    let created = engine
        .docker
        .create_exec(
            container,
            CreateExecOptions {
                attach_stdin: Some(true),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                tty: Some(request.tty),
                env: (!request.env.is_empty()).then(|| request.env.clone()),
                cmd: Some(request.command.clone()),
                ..CreateExecOptions::default()
            },
        )
        .await
        .map_err(|e| engine::failed(format!("{service}: creating the exec"), &e))?;
    // Without a TTY, Ctrl-C is a signal to parity, not a key for the process:
    // watched from before the start, so it is never the default (a silent death).
    let mut interrupt = if request.tty {
        None
    } else {
        Some(
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .map_err(|e| Error::failed(format!("cannot watch for Ctrl-C: {e}")))?,
        )
    };
    let raw = RawMode::enter(request.tty);
    let started = engine
        .docker
        .start_exec(
            &created.id,
            Some(StartExecOptions {
                tty: request.tty,
                ..StartExecOptions::default()
            }),
        )
        .await
        .map_err(|e| engine::failed(format!("{service}: starting the exec"), &e))?;
    let StartExecResults::Attached { output, input } = started else {
        return Err(Error::failed(format!(
            "{service}: the engine started the exec detached"
        )));
    };
    let resizes = request.tty.then(|| {
        let docker = engine.docker.clone();
        let id = created.id.clone();
        session::follow_resizes(move |rows, columns| {
            let (docker, id) = (docker.clone(), id.clone());
            async move {
                let size = ResizeExecOptions {
                    height: rows,
                    width: columns,
                };
                let _ = docker.resize_exec(&id, size).await;
            }
        })
    });
    let pumped = match interrupt.as_mut() {
        None => session::pump(Attached { output, input }, true).await,
        Some(interrupt) => tokio::select! {
            pumped = session::pump(Attached { output, input }, true) => pumped,
            _ = interrupt.recv() => Err(interrupted(service, &request.command)),
        },
    };
    if let Some(task) = resizes {
        task.abort();
    }
    drop(raw);
    pumped?;
    let inspected = engine
        .docker
        .inspect_exec(&created.id)
        .await
        .map_err(|e| engine::failed(format!("{service}: reading the exec's exit code"), &e))?;
    inspected.exit_code.ok_or_else(|| {
        Error::failed(format!(
            "{service}: the engine reported no exit code for the command"
        ))
    })
}

/// Ctrl-C during an exec without a TTY: parity stops (exit 130), and says that
/// the command may run on, since the engine's API cannot signal a process an
/// exec started (`docker exec` leaves it running the same way).
fn interrupted(service: &str, command: &[String]) -> Error {
    Error::interrupted().with_help(format!(
        "`{}` may still be running in `{service}`'s container: the engine cannot signal a process started by exec; with a terminal (no -T), Ctrl-C reaches the process itself",
        command.join(" ")
    ))
}
