//! Runs a [`LikeRun`] on the engine the way ECS runs the tasks: the local-only
//! services first (in the cloud they are managed services that are always
//! there), then the release task to completion, then every other task at
//! once (separate ECS services are not ordered). Within a task the network
//! holder starts first, then each container once its `dependsOn` conditions
//! hold (bounded by its `startTimeout`); when an essential container stops,
//! the task's other containers are stopped (each with its `stopTimeout`) and
//! that is reported.
//!
//! Orchestration only: the create requests are [`super::translate`]'s; the
//! engine calls are `local`'s (containers, images, resources, observer, logs).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::{join_all, select_all, try_join_all};
use tokio::task::JoinHandle;

use super::pause;
use super::translate::{DependsOn, LikeRun, Task, TaskContainer};
use crate::compose::model::{Condition, Project};
use crate::error::Error;
use crate::local::containers;
use crate::local::diagnose;
use crate::local::engine::{self, Engine};
use crate::local::images::ServiceImage;
use crate::local::logs::{self, Prefix};
use crate::local::observer::{Observer, Phase, Wanted};
use crate::local::progress::Progress;
use crate::local::spec::{self, ContainerSpec, SpecInput};
use crate::local::up::Ready;

/// How the run was asked for.
pub(crate) struct Options {
    /// Stream the logs and watch the essential containers until they stop.
    pub(crate) attached: bool,
}

/// What a successful start leaves running.
pub(crate) struct Started {
    pub(crate) services: Vec<Ready>,
    /// Attached: one per task, ending when its essential container stops.
    pub(crate) watchers: Vec<JoinHandle<()>>,
    /// Attached: the log streams.
    pub(crate) logs: Vec<JoinHandle<()>>,
}

/// Shared by the per-task work.
struct Ctx {
    engine: Engine,
    project: Project,
    observer: Arc<Observer>,
    progress: Progress,
    attached: bool,
    prefixes: HashMap<String, Prefix>,
    logs: Mutex<Vec<JoinHandle<()>>>,
    /// Container ids by container (compose service) name, holders as `<service>-task`.
    ids: Mutex<HashMap<String, String>>,
}

impl Ctx {
    fn id(&self, name: &str) -> Option<String> {
        self.ids.lock().ok()?.get(name).cloned()
    }
}

/// Removes what an earlier `up` (plain or `--like`) left of the project's
/// containers: `--like` starts every task afresh, as a deploy starts new tasks.
pub(crate) async fn clear(
    engine: &Engine,
    project: &str,
    progress: &Progress,
) -> Result<(), Error> {
    let existing = containers::list(engine, project).await?;
    try_join_all(existing.iter().map(|c| async move {
        containers::remove(engine, &c.id).await?;
        progress.done(&c.service, "removed (replaced by the cloud-like run)");
        Ok::<_, Error>(())
    }))
    .await?;
    Ok(())
}

/// Builds the network holder's image when the engine does not have it.
pub(crate) async fn ensure_pause_image(engine: &Engine, progress: &Progress) -> Result<(), Error> {
    match engine.docker.inspect_image(pause::IMAGE).await {
        Ok(_) => return Ok(()),
        Err(e) if engine::status_of(&e) == Some(404) => {}
        Err(e) => {
            return Err(engine::failed(
                format!("inspecting image {}", pause::IMAGE),
                &e,
            ));
        }
    }
    let arch = engine
        .docker
        .version()
        .await
        .map_err(|e| engine::failed("asking the engine its architecture", &e))?
        .arch
        .unwrap_or_default();
    let context = pause::context(&arch).ok_or_else(|| {
        Error::failed(format!(
            "`up --like` has no network holder for a `{arch}` engine (it has them for amd64 and arm64)"
        ))
    })?;
    let options = bollard::query_parameters::BuildImageOptions {
        t: Some(pause::IMAGE.to_owned()),
        rm: true,
        ..bollard::query_parameters::BuildImageOptions::default()
    };
    let mut stream =
        engine
            .docker
            .build_image(options, None, Some(bollard::body_full(context.into())));
    use futures_util::StreamExt;
    while let Some(item) = stream.next().await {
        let failure = match item {
            Ok(info) => info.error_detail.map(|d| d.message.unwrap_or_default()),
            Err(e) => Some(engine::message_of(&e)),
        };
        if let Some(message) = failure {
            return Err(Error::failed(format!(
                "building the task network holder image {}: {message}",
                pause::IMAGE
            )));
        }
    }
    progress.done(pause::IMAGE, "built (holds each task's network)");
    Ok(())
}

/// Starts everything; see the module doc.
pub(crate) async fn start(
    engine: &Engine,
    project: &Project,
    like: &LikeRun,
    images: &HashMap<String, ServiceImage>,
    options: &Options,
    progress: &Progress,
) -> Result<Started, Error> {
    let names = every_container(like);
    let width = names.iter().map(String::len).max().unwrap_or(0);
    let prefixes = names
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), Prefix::new(s, i, width)))
        .collect();
    let observer = Arc::new(Observer::start(engine, &project.name));
    let ctx = Arc::new(Ctx {
        engine: engine.clone(),
        project: project.clone(),
        observer: Arc::clone(&observer),
        progress: progress.clone(),
        attached: options.attached,
        prefixes,
        logs: Mutex::new(Vec::new()),
        ids: Mutex::new(HashMap::new()),
    });
    start_local(&ctx, like, images).await?;
    if let Some(release) = &like.release {
        run_release(&ctx, release).await?;
    }
    let started = join_all(like.tasks.iter().map(|task| start_task(&ctx, task))).await;
    if let Some((task, error)) = like
        .tasks
        .iter()
        .zip(started)
        .find_map(|(task, result)| result.err().map(|e| (task, e)))
    {
        return Err(stop_failed_task(&ctx, task, error).await);
    }
    let watchers: Vec<_> = like
        .tasks
        .iter()
        .map(|task| tokio::spawn(watch_essential(Arc::clone(&ctx), task.clone())))
        .collect();
    if !options.attached {
        wait_ready(&ctx, like).await?;
    }
    let services = summary(&ctx, like).await?;
    let logs = std::mem::take(&mut *ctx.logs.lock().unwrap_or_else(|p| p.into_inner()));
    let watchers = if options.attached {
        watchers
    } else {
        for watcher in watchers {
            watcher.abort();
        }
        Vec::new()
    };
    Ok(Started {
        services,
        watchers,
        logs,
    })
}

/// Every container name of the run, in start order.
fn every_container(like: &LikeRun) -> Vec<String> {
    let mut names = like.local.clone();
    for task in like.release.iter().chain(&like.tasks) {
        names.extend(task.containers.iter().map(|c| c.name.clone()));
    }
    names
}

/// The local-only services, as `parity up` runs them, ready before any task starts.
async fn start_local(
    ctx: &Arc<Ctx>,
    like: &LikeRun,
    images: &HashMap<String, ServiceImage>,
) -> Result<(), Error> {
    let lookup = |key: &str| std::env::var(key).ok();
    try_join_all(like.local.iter().map(|name| {
        let service = &ctx.project.services[name];
        let image = &images[name];
        let spec = spec::container_spec(&SpecInput {
            project: &ctx.project,
            service,
            image: &image.reference,
            image_id: &image.id,
            release: false,
            start_interval: ctx.engine.supports(1, 44),
            lookup: &lookup,
        });
        let published: Vec<String> = service
            .ports
            .iter()
            .filter_map(|p| p.published.clone())
            .collect();
        async move {
            // Their own `depends_on` among themselves holds, as under `parity up`.
            for (dependency, edge) in &service.depends_on {
                if like.local.contains(dependency) {
                    ctx.observer
                        .wait(dependency, Wanted::Condition(edge.condition))
                        .await
                        .map_err(|why| {
                            Error::failed(format!(
                                "local service `{name}` was not started: its dependency `{dependency}` {why}"
                            ))
                        })?;
                }
            }
            create_and_start(ctx, name, &spec, &published, "started (local only)").await?;
            let healthcheck = spec::declares_healthcheck(service).unwrap_or(image.healthcheck);
            ctx.observer
                .wait(name, Wanted::Ready { healthcheck })
                .await
                .map_err(|why| Error::failed(format!("local service `{name}` {why}")))?;
            if healthcheck {
                ctx.progress.done(name, "healthy");
            }
            Ok::<_, Error>(())
        }
    }))
    .await?;
    Ok(())
}

/// Creates, tracks, starts and (attached) follows one container.
async fn create_and_start(
    ctx: &Ctx,
    name: &str,
    spec: &ContainerSpec,
    published: &[String],
    verb: &str,
) -> Result<String, Error> {
    let id = containers::create(&ctx.engine, &ctx.project.name, name, spec).await?;
    if let Ok(mut ids) = ctx.ids.lock() {
        ids.insert(name.to_owned(), id.clone());
    }
    if ctx.prefixes.contains_key(name) {
        ctx.observer.track(name, &id, Phase::Created);
    }
    containers::start(&ctx.engine, name, &id, published).await?;
    if let Some(prefix) = ctx.prefixes.get(name) {
        ctx.observer.started(name);
        if ctx.attached {
            let handle = tokio::spawn(logs::stream(
                ctx.engine.clone(),
                id.clone(),
                prefix.clone(),
                logs::From::Start,
                true,
            ));
            if let Ok(mut list) = ctx.logs.lock() {
                list.push(handle);
            }
        }
    }
    ctx.progress.done(name, verb);
    Ok(id)
}

/// The holder, then each container once its dependencies allow.
async fn start_task(ctx: &Arc<Ctx>, task: &Task) -> Result<(), Error> {
    let holder_name = format!("{}-task", task.service);
    let published: Vec<String> = task
        .holder
        .body
        .host_config
        .as_ref()
        .and_then(|h| h.port_bindings.as_ref())
        .into_iter()
        .flat_map(|b| b.values().flatten().flatten())
        .filter_map(|b| b.host_port.clone())
        .collect();
    let holder = create_and_start(
        ctx,
        &holder_name,
        &task.holder,
        &published,
        "task network up (awsvpc: its containers share it)",
    )
    .await?;
    let mode = format!("container:{holder}");
    try_join_all(
        task.containers
            .iter()
            .map(|container| start_container(ctx, task, container, &mode)),
    )
    .await?;
    Ok(())
}

async fn start_container(
    ctx: &Ctx,
    task: &Task,
    container: &TaskContainer,
    network_mode: &str,
) -> Result<(), Error> {
    let name = &container.name;
    let waits = async {
        for (dependency, condition) in &container.depends_on {
            wait_dependency(ctx, dependency, *condition)
                .await
                .map_err(|why| {
                    Error::failed(format!(
                        "task `{}`: container `{name}` depends on `{dependency}` ({}), which {why}",
                        task.service,
                        condition_name(*condition)
                    ))
                })?;
        }
        Ok::<(), Error>(())
    };
    match container.start_timeout {
        Some(limit) => tokio::time::timeout(Duration::from_secs(limit), waits)
            .await
            .map_err(|_| {
                Error::failed(format!(
                    "task `{}`: container `{name}`'s dependencies were not met within its startTimeout ({limit}s)",
                    task.service
                ))
            })??,
        None => waits.await?,
    }
    let mut spec = container.spec.clone();
    if let Some(host) = spec.body.host_config.as_mut() {
        host.network_mode = Some(network_mode.to_owned());
    }
    let role = if container.essential {
        format!("started (task {}, essential)", task.service)
    } else {
        format!("started (task {})", task.service)
    };
    create_and_start(ctx, name, &spec, &[], &role).await?;
    Ok(())
}

fn condition_name(condition: DependsOn) -> &'static str {
    match condition {
        DependsOn::Start => "START",
        DependsOn::Complete => "COMPLETE",
        DependsOn::Success => "SUCCESS",
        DependsOn::Healthy => "HEALTHY",
    }
}

/// Waits for a container dependency's condition; `Err` says why it never will.
async fn wait_dependency(ctx: &Ctx, dependency: &str, condition: DependsOn) -> Result<(), String> {
    match condition.condition() {
        Some(condition) => {
            ctx.observer
                .wait(dependency, Wanted::Condition(condition))
                .await
        }
        None => wait_exit(&ctx.observer, dependency).await.map(|_| ()),
    }
}

/// Waits until the container exits; its exit code.
async fn wait_exit(observer: &Observer, name: &str) -> Result<i64, String> {
    let mut rx = observer.subscribe();
    loop {
        {
            let board = rx.borrow_and_update();
            match board.services.get(name).map(|s| &s.phase) {
                Some(Phase::Exited(code)) => return Ok(*code),
                Some(Phase::Failed(why)) => return Err(why.clone()),
                _ => {}
            }
            if let Some(broken) = &board.broken {
                return Err(format!("lost the engine's events: {broken}"));
            }
        }
        if rx.changed().await.is_err() {
            return Err("the run was stopped".into());
        }
    }
}

/// The release task: started, and its essential container run to exit 0.
async fn run_release(ctx: &Arc<Ctx>, task: &Task) -> Result<(), Error> {
    let started = start_task(ctx, task).await;
    if let Err(error) = started {
        return Err(stop_failed_task(ctx, task, error).await);
    }
    let essential = essential_of(task);
    let code = wait_exit(&ctx.observer, essential).await;
    stop_task(ctx, task).await;
    match code {
        Ok(0) => {
            ctx.progress.done(essential, "completed (release)");
            Ok(())
        }
        Ok(code) => {
            let report = report(ctx, essential).await;
            Err(Error::failed(format!(
                "release task `{}` exited with code {code}; no other task was started\n{}",
                task.service,
                report.trim_end()
            ))
            .with_help(format!(
                "fix `{}`, then run `parity up --like` again",
                task.service
            )))
        }
        Err(why) => Err(Error::failed(format!(
            "release task `{}`: {why}",
            task.service
        ))),
    }
}

/// The essential container's name (the plan makes the task's own service essential).
fn essential_of(task: &Task) -> &str {
    task.containers
        .iter()
        .find(|c| c.essential)
        .map_or(task.service.as_str(), |c| c.name.as_str())
}

/// Stops a task whose start failed, and says why with the engine's account.
async fn stop_failed_task(ctx: &Ctx, task: &Task, error: Error) -> Error {
    let mut reports = String::new();
    for container in &task.containers {
        let failed = ctx
            .observer
            .board()
            .services
            .get(&container.name)
            .is_some_and(|s| {
                matches!(s.phase, Phase::Exited(code) if code != 0) || s.phase == Phase::Unhealthy
            });
        if failed {
            reports.push_str(&report(ctx, &container.name).await);
        }
    }
    stop_task(ctx, task).await;
    if reports.is_empty() {
        return error;
    }
    let message = format!("{}\n{}", error.message(), reports.trim_end());
    Error::failed(message).with_help(format!(
        "see `parity logs {}`; fix it, then run `parity up --like` again",
        task.service
    ))
}

async fn report(ctx: &Ctx, name: &str) -> String {
    match ctx.id(name) {
        Some(id) => diagnose::report(&ctx.engine, name, &id).await,
        None => String::new(),
    }
}

/// Stops every container of a task (each with its stopTimeout), then its holder.
async fn stop_task(ctx: &Ctx, task: &Task) -> Vec<String> {
    let stopped = join_all(task.containers.iter().map(|c| async move {
        let id = ctx.id(&c.name)?;
        let running = matches!(
            ctx.observer.board().services.get(&c.name).map(|s| &s.phase),
            Some(Phase::Running | Phase::Healthy | Phase::Unhealthy | Phase::Created)
        );
        let _ = containers::stop(&ctx.engine, &id, c.stop_timeout).await;
        running.then(|| c.name.clone())
    }))
    .await;
    if let Some(holder) = ctx.id(&format!("{}-task", task.service)) {
        let _ = containers::stop(&ctx.engine, &holder, 0).await;
    }
    stopped.into_iter().flatten().collect()
}

/// ECS: a task whose essential container stops (its own, or a sidecar marked
/// `essential`) is stopped. Runs while attached.
async fn watch_essential(ctx: Arc<Ctx>, task: Task) {
    let exits: Vec<_> = task
        .containers
        .iter()
        .filter(|c| c.essential)
        .map(|c| {
            let observer = &ctx.observer;
            Box::pin(async move { (c.name.clone(), wait_exit(observer, &c.name).await) })
        })
        .collect();
    // The plan always makes the task's own container essential; never empty.
    if exits.is_empty() {
        return;
    }
    let ((essential, Ok(code)), _, _) = select_all(exits).await else {
        return;
    };
    let stopped = stop_task(&ctx, &task).await;
    let others: Vec<&String> = stopped.iter().filter(|n| **n != essential).collect();
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(
            "; stopped its other containers: {}",
            others
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    ctx.progress.failed(
        &task.service,
        &format!("task stopped: essential container `{essential}` exited with code {code}{also}"),
    );
}

/// `--wait`/`--detach`: every container ready (healthy, running, or exited 0
/// where a dependant waited for its completion); a non-essential container
/// that exits is reported, as ECS leaves its task running.
async fn wait_ready(ctx: &Ctx, like: &LikeRun) -> Result<(), Error> {
    for task in &like.tasks {
        for container in &task.containers {
            let completes = task.containers.iter().any(|c| {
                c.depends_on.iter().any(|(d, condition)| {
                    d == &container.name
                        && matches!(condition, DependsOn::Success | DependsOn::Complete)
                })
            });
            let wanted = if completes {
                Wanted::Condition(Condition::CompletedSuccessfully)
            } else {
                Wanted::Ready {
                    healthcheck: container.healthcheck,
                }
            };
            if let Err(why) = ctx.observer.wait(&container.name, wanted).await {
                if !container.essential {
                    ctx.progress.warn(&format!(
                        "task `{}`: non-essential container `{}` {why}; the task keeps running, as on ECS",
                        task.service, container.name
                    ));
                    continue;
                }
                let report = report(ctx, &container.name).await;
                stop_task(ctx, task).await;
                return Err(Error::failed(format!(
                    "task `{}`: essential container `{}` {why}; the task was stopped\n{}",
                    task.service,
                    container.name,
                    report.trim_end()
                ))
                .with_help(format!(
                    "see `parity logs {}`; fix it, then run `parity up --like {}` again",
                    container.name, like.environment
                )));
            }
        }
    }
    Ok(())
}

/// One summary row per container; the task's published URLs on its essential one.
async fn summary(ctx: &Ctx, like: &LikeRun) -> Result<Vec<Ready>, Error> {
    let existing = containers::list(&ctx.engine, &ctx.project.name).await?;
    let urls = |service: &str| {
        existing
            .iter()
            .find(|e| e.service == service)
            .map(|e| containers::published_urls(&e.ports))
            .unwrap_or_default()
    };
    let board = ctx.observer.board();
    let started = ctx.progress.started();
    let row = |name: &str, release: bool, healthcheck: bool, urls: Vec<String>| {
        let status = board.services.get(name).cloned().unwrap_or_default();
        Ready {
            service: name.to_owned(),
            phase: status.phase,
            healthcheck,
            release,
            urls,
            ready_after: status
                .ready_at
                .or(status.started_at)
                .filter(|at| *at >= started)
                .map(|at| at - started),
        }
    };
    let mut rows: Vec<Ready> = like
        .local
        .iter()
        .map(|name| row(name, false, false, urls(name)))
        .collect();
    for task in like.release.iter().chain(&like.tasks) {
        let task_urls = urls(&format!("{}-task", task.service));
        for container in &task.containers {
            let shown = if container.essential {
                task_urls.clone()
            } else {
                Vec::new()
            };
            rows.push(row(
                &container.name,
                task.release && container.essential,
                container.healthcheck,
                shown,
            ));
        }
    }
    Ok(rows)
}

/// Stops every container the run started (Ctrl-C): tasks first, then the local services.
pub(crate) async fn stop_all(engine: &Engine, project: &Project, like: &LikeRun, kill: bool) {
    let list = containers::list(engine, &project.name)
        .await
        .unwrap_or_default();
    let timeout = |service: &str| {
        like.tasks
            .iter()
            .chain(&like.release)
            .flat_map(|t| &t.containers)
            .find(|c| c.name == service)
            .map(|c| c.stop_timeout)
    };
    let (tasks, rest): (Vec<_>, Vec<_>) = list
        .iter()
        .filter(|c| c.state == "running")
        .partition(|c| timeout(&c.service).is_some() || c.service.ends_with("-task"));
    for group in [tasks, rest] {
        join_all(group.into_iter().map(|c| async move {
            if kill {
                containers::kill(engine, &c.id).await;
            } else {
                let grace = timeout(&c.service).unwrap_or_else(|| {
                    project
                        .services
                        .get(&c.service)
                        .map_or(0, crate::local::up::grace_secs)
                });
                let _ = containers::stop(engine, &c.id, grace).await;
            }
        }))
        .await;
    }
}
