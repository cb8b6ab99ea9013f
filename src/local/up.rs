//! The `up` orchestration: images and networks first, then one task per
//! service that waits for its dependencies' conditions (from the events
//! stream), then keeps, starts, creates or recreates its container. Services
//! with no path between them proceed in parallel. The first required failure
//! stops the run with the engine's own account of it.
//!
//! Orchestrates the other `local` files; prints progress through [`Progress`].

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::{JoinHandle, JoinSet};

use super::containers::{self, Existing};
use super::diagnose;
use super::engine::Engine;
use super::graph::{self, Graph};
use super::images::{self, ServiceImage};
use super::logs::{self, Prefix};
use super::observer::{Observer, Phase, Wanted};
use super::plan::{self, Action};
use super::probe::{self, Check};
use super::progress::{Progress, secs};
use super::resources;
use super::spec::{self, ContainerSpec, SpecInput};
use crate::compose::model::{Condition, Project, Service};
use crate::error::Error;

/// How `up` was asked to run.
#[derive(Debug, Clone, Default)]
pub(crate) struct UpOptions {
    /// Services to start with their dependencies; all when empty.
    pub(crate) services: Vec<String>,
    /// Build images even when they exist.
    pub(crate) build: bool,
    /// Stream logs after starting (the default); otherwise wait for readiness and return.
    pub(crate) attached: bool,
    /// Bound on starting and becoming ready (`--wait-timeout`).
    pub(crate) timeout: Option<Duration>,
}

/// One service's line in the summary.
#[derive(Debug, Clone)]
pub(crate) struct Ready {
    pub(crate) service: String,
    pub(crate) phase: Phase,
    pub(crate) healthcheck: bool,
    pub(crate) release: bool,
    pub(crate) urls: Vec<String>,
    /// Seconds from the start of `up` until it was ready (None: was already).
    pub(crate) ready_after: Option<Duration>,
}

/// The outcome of a successful `up`.
pub(crate) struct Started {
    pub(crate) services: Vec<Ready>,
    /// Attached mode: the log streams, which end when their containers stop.
    pub(crate) logs: Vec<JoinHandle<()>>,
    /// Keeps the events stream open while attached.
    pub(crate) observer: Arc<Observer>,
    /// Each service's log prefix (`up --watch` follows replaced containers with it).
    pub(crate) prefixes: HashMap<String, Prefix>,
    /// Keeps the transition reporter running while attached.
    pub(crate) reporter: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Shared by the per-service tasks.
struct Run {
    engine: Engine,
    project: Project,
    graph: Graph,
    specs: HashMap<String, ContainerSpec>,
    actions: HashMap<String, Action>,
    release: HashSet<String>,
    observer: Arc<Observer>,
    progress: Progress,
    attached: bool,
    prefixes: HashMap<String, Prefix>,
    logs: Mutex<Vec<JoinHandle<()>>>,
    /// Services that report health (their own check or their image's).
    healthchecks: HashMap<String, bool>,
    /// Each health-checked service's check, as the engine will run it.
    checks: HashMap<String, Check>,
    /// Health checks parity runs itself while the engine says `starting` (see `probe`).
    probes: Mutex<Vec<JoinHandle<()>>>,
}

/// Why a service's task stopped.
enum TaskError {
    /// An engine operation failed; the error says it all.
    Engine(Error),
    /// A required dependency will never meet its condition.
    Dependency {
        service: String,
        dependency: String,
        why: String,
    },
    /// The release service exited non-zero (or could not run).
    Release { service: String, why: String },
}

/// The release services (`x-parity.release`).
pub(crate) fn release_services(project: &Project) -> HashSet<String> {
    project
        .services
        .iter()
        .filter(|(_, service)| service.x_parity.release)
        .map(|(name, _)| name.clone())
        .collect()
}

/// Brings the project up. See the module doc.
pub(crate) async fn up(
    engine: &Engine,
    project: &Project,
    options: &UpOptions,
    progress: &Progress,
) -> Result<Started, Error> {
    let release = release_services(project);
    let graph = graph::resolve(project, &options.services, &release)?;
    for warning in &graph.warnings {
        progress.warn(warning);
    }
    let services: Vec<&Service> = graph.order.iter().map(|n| &project.services[n]).collect();
    let lookup = |key: &str| std::env::var(key).ok();
    // Before the list: whatever a listed container does from now on (a
    // one-shot that exits) is in the events, even before `up` follows it.
    let observer = Arc::new(Observer::start(engine, &project.name));
    let (existing, images) = tokio::try_join!(
        containers::list(engine, &project.name),
        images::ensure(engine, project, &services, options.build, &lookup, progress),
    )?;
    let mut orphans: Vec<&str> = existing
        .iter()
        .filter(|e| !project.services.contains_key(&e.service))
        .map(|e| e.name.as_str())
        .collect();
    orphans.dedup();
    if !orphans.is_empty() {
        progress.warn(&format!(
            "containers of services no longer in the compose file: {} (`parity down` removes them)",
            orphans.join(", ")
        ));
    }
    // Checked before any network or container exists: a refused run changes nothing.
    preflight(project, &graph, &images)?;
    resources::ensure(engine, project, &services, progress).await?;
    let specs: HashMap<String, ContainerSpec> = services
        .iter()
        .map(|service| {
            let image = &images[&service.name];
            let spec = spec::container_spec(&SpecInput {
                project,
                service,
                image: &image.reference,
                image_id: &image.id,
                release: release.contains(&service.name),
                start_interval: engine.supports(1, 44),
                lookup: &lookup,
            });
            (service.name.clone(), spec)
        })
        .collect();
    let wanted: HashMap<String, String> = specs
        .iter()
        .map(|(name, spec)| (name.clone(), spec.config_hash.clone()))
        .collect();
    let actions = plan::decide(&graph, &existing, &wanted, &|s| release.contains(s));
    remove_duplicates(engine, &graph, &existing, &actions).await?;

    for (service, action) in &actions {
        if let Action::Keep { id, phase } = action {
            observer.adopt(service, id, phase.clone());
        }
    }
    // What the list says of a running container may be behind (see
    // `containers::phase_now`): a one-shot that exited just before is checked.
    let listed_running = actions.iter().filter_map(|(service, action)| match action {
        Action::Keep { id, phase } if !matches!(phase, Phase::Exited(_)) => Some((service, id)),
        _ => None,
    });
    futures_util::future::try_join_all(listed_running.map(|(service, id)| {
        let observer = &observer;
        async move {
            observer.confirm(service, id, containers::phase_now(engine, id).await?);
            Ok::<(), Error>(())
        }
    }))
    .await?;
    let width = graph.order.iter().map(String::len).max().unwrap_or(0);
    let prefixes = graph
        .order
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), Prefix::new(s, i, width)))
        .collect();
    let healthchecks: HashMap<String, bool> = graph
        .order
        .iter()
        .map(|s| (s.clone(), has_healthcheck(&project.services[s], &images[s])))
        .collect();
    let checks: HashMap<String, Check> = graph
        .order
        .iter()
        .filter(|s| healthchecks[*s])
        .filter_map(|s| {
            let image = &images[s];
            let check = probe::check(
                specs[s].body.healthcheck.as_ref(),
                image.health.as_ref(),
                &image.shell,
            )?;
            Some((s.clone(), check))
        })
        .collect();
    let run = Arc::new(Run {
        engine: engine.clone(),
        project: project.clone(),
        graph,
        specs,
        actions,
        release,
        observer: Arc::clone(&observer),
        progress: progress.clone(),
        attached: options.attached,
        prefixes,
        logs: Mutex::new(Vec::new()),
        healthchecks,
        checks,
        probes: Mutex::new(Vec::new()),
    });
    let (finish, finished) = tokio::sync::oneshot::channel::<()>();
    let reporter = tokio::spawn(report_transitions(Arc::clone(&run), finished));
    let healthchecks = run.healthchecks.clone();
    let work = async {
        start_all(&run).await?;
        if !options.attached {
            wait_ready(&run, &healthchecks).await?;
        }
        Ok::<(), Error>(())
    };
    let outcome = match options.timeout {
        Some(limit) => match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => Err(timed_out(&run, &healthchecks, limit)),
        },
        None => work.await,
    };
    if !options.attached || outcome.is_err() {
        stop_probes(&run);
    }
    if let Err(error) = outcome {
        reporter.abort();
        return Err(error);
    }
    // Detached: the reporter prints the transitions that got us here, then the
    // summary follows. Attached: it keeps reporting (unhealthy, exits) while the logs stream.
    let finish = if options.attached {
        Some(finish)
    } else {
        let _ = finish.send(());
        let _ = reporter.await;
        None
    };
    // The engine's assigned ports; a stack that publishes none is spared the list.
    let publishes = run
        .graph
        .order
        .iter()
        .any(|s| !project.services[s].ports.is_empty());
    let ports: HashMap<String, Vec<String>> = if publishes {
        containers::list(engine, &project.name)
            .await?
            .into_iter()
            .map(|e| (e.service.clone(), containers::published_urls(&e.ports)))
            .collect()
    } else {
        HashMap::new()
    };
    let board = observer.board();
    let started = progress.started();
    let services = run
        .graph
        .order
        .iter()
        .map(|s| {
            let status = board.services.get(s).cloned().unwrap_or_default();
            Ready {
                service: s.clone(),
                phase: status.phase,
                healthcheck: healthchecks[s],
                release: run.release.contains(s),
                urls: ports.get(s).cloned().unwrap_or_default(),
                ready_after: status
                    .ready_at
                    .or(status.started_at)
                    .filter(|at| *at >= started)
                    .map(|at| at - started),
            }
        })
        .collect();
    let logs = std::mem::take(&mut *run.logs.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(Started {
        services,
        logs,
        observer,
        prefixes: run.prefixes.clone(),
        reporter: finish,
    })
}

/// Whether the service will report health: its own check, or its image's.
fn has_healthcheck(service: &Service, image: &ServiceImage) -> bool {
    spec::declares_healthcheck(service).unwrap_or(image.healthcheck)
}

/// A `service_healthy` dependency that has no health check would never turn
/// healthy: say so before anything starts.
fn preflight(
    project: &Project,
    graph: &Graph,
    images: &HashMap<String, ServiceImage>,
) -> Result<(), Error> {
    for (dependant, edges) in &graph.edges {
        for edge in edges {
            if edge.condition != Condition::Healthy {
                continue;
            }
            let dep = &project.services[&edge.dependency];
            if !has_healthcheck(dep, &images[&edge.dependency]) {
                return Err(Error::input(format!(
                    "`{dependant}` waits for `{}` to be healthy (depends_on condition: service_healthy), \
                     but `{}` has no health check, neither in the compose file nor in its image `{}`",
                    edge.dependency, edge.dependency, images[&edge.dependency].reference
                ))
                .with_help(format!(
                    "add a `healthcheck:` to `{}` (e.g. test: [\"CMD\", \"/app\", \"health\"]), \
                     or depend on it with `condition: service_started`",
                    edge.dependency
                )));
            }
        }
    }
    Ok(())
}

/// Extra containers of one service (from an earlier scale) are removed.
async fn remove_duplicates(
    engine: &Engine,
    graph: &Graph,
    existing: &[Existing],
    actions: &HashMap<String, Action>,
) -> Result<(), Error> {
    for service in &graph.order {
        let kept = match &actions[service] {
            Action::Keep { id, .. } | Action::Start { id } | Action::Restart { id } => Some(id),
            Action::Recreate { old } => Some(old),
            Action::Create => None,
        };
        for extra in existing
            .iter()
            .filter(|e| &e.service == service && Some(&e.id) != kept)
        {
            containers::remove(engine, &extra.id).await?;
        }
    }
    Ok(())
}

/// Runs every service's task; the first required failure aborts the rest.
async fn start_all(run: &Arc<Run>) -> Result<(), Error> {
    let mut tasks = JoinSet::new();
    for service in &run.graph.order {
        let run = Arc::clone(run);
        let service = service.clone();
        tasks.spawn(async move { service_task(&run, &service).await });
    }
    while let Some(joined) = tasks.join_next().await {
        let result = joined.unwrap_or_else(|e| {
            Err(TaskError::Engine(Error::failed(format!(
                "a service task stopped: {e}"
            ))))
        });
        if let Err(error) = result {
            tasks.abort_all();
            return Err(explain(run, error).await);
        }
    }
    Ok(())
}

/// One service: create its container (a new one is created at once, before
/// its dependencies are ready, as Compose does: only the start waits), wait
/// for dependencies, act, and for a release service wait for its exit.
async fn service_task(run: &Run, service: &str) -> Result<(), TaskError> {
    let action = run.actions[service].clone();
    let created = match action {
        Action::Create => Some(create(run, service).await.map_err(|e| {
            run.observer.fail(service, e.message());
            TaskError::Engine(e)
        })?),
        _ => None,
    };
    for edge in &run.graph.edges[service] {
        if let Err(why) = run
            .observer
            .wait(&edge.dependency, Wanted::Condition(edge.condition))
            .await
        {
            if edge.required {
                return Err(TaskError::Dependency {
                    service: service.to_string(),
                    dependency: edge.dependency.clone(),
                    why,
                });
            }
            run.progress.warn(&format!(
                "{service}: optional dependency `{}` {why}; starting without it",
                edge.dependency
            ));
        }
    }
    act(run, service, &action, created).await.map_err(|e| {
        run.observer.fail(service, e.message());
        TaskError::Engine(e)
    })?;
    if run.release.contains(service) {
        run.observer
            .wait(service, Wanted::Condition(Condition::CompletedSuccessfully))
            .await
            .map_err(|why| TaskError::Release {
                service: service.to_string(),
                why,
            })?;
    }
    Ok(())
}

/// Creates the service's container; the observer follows it from now on.
async fn create(run: &Run, service: &str) -> Result<String, Error> {
    let id =
        containers::create(&run.engine, &run.project.name, service, &run.specs[service]).await?;
    run.observer.track(service, &id, Phase::Created);
    Ok(id)
}

/// Carries out one action on the engine (`created`: the container `Create` made already).
async fn act(
    run: &Run,
    service: &str,
    action: &Action,
    created: Option<String>,
) -> Result<(), Error> {
    let engine = &run.engine;
    let published: Vec<String> = run.project.services[service]
        .ports
        .iter()
        .filter_map(|p| p.published.clone())
        .collect();
    let grace = grace_secs(&run.project.services[service]);
    match action {
        Action::Keep { id, .. } => {
            run.progress.done(service, action.verb());
            follow_logs(run, service, id, logs::From::Tail(0));
            start_probe(run, service, id);
            return Ok(());
        }
        Action::Restart { id } => {
            containers::stop(engine, id, grace).await?;
            run.observer.track(service, id, Phase::Created);
            containers::start(engine, service, id, &published).await?;
            run.observer.started(service);
            follow_logs(run, service, id, logs::From::Tail(0));
            start_probe(run, service, id);
        }
        Action::Start { id } => {
            run.observer.track(service, id, Phase::Created);
            containers::start(engine, service, id, &published).await?;
            run.observer.started(service);
            follow_logs(run, service, id, logs::From::Tail(0));
            start_probe(run, service, id);
        }
        Action::Create | Action::Recreate { .. } => {
            if let Action::Recreate { old } = action {
                containers::stop(engine, old, grace).await?;
                containers::remove(engine, old).await?;
            }
            let id = match created {
                Some(id) => id,
                None => create(run, service).await?,
            };
            containers::start(engine, service, &id, &published).await?;
            run.observer.started(service);
            follow_logs(run, service, &id, logs::From::Start);
            start_probe(run, service, &id);
        }
    }
    run.progress.done(service, action.verb());
    Ok(())
}

/// In attached mode, streams the container's log from now on.
fn follow_logs(run: &Run, service: &str, id: &str, from: logs::From) {
    if !run.attached {
        return;
    }
    let handle = tokio::spawn(logs::stream(
        run.engine.clone(),
        id.to_string(),
        run.prefixes[service].clone(),
        from,
        true,
    ));
    if let Ok(mut list) = run.logs.lock() {
        list.push(handle);
    }
}

/// For a service with a health check: runs it at a short cadence until it
/// passes or the engine decides (see `probe`). A no-op once it is healthy.
fn start_probe(run: &Run, service: &str, id: &str) {
    let Some(check) = run.checks.get(service) else {
        return;
    };
    let handle = tokio::spawn(probe::run(
        run.engine.clone(),
        Arc::clone(&run.observer),
        service.to_string(),
        id.to_string(),
        check.clone(),
    ));
    if let Ok(mut list) = run.probes.lock() {
        list.push(handle);
    }
}

/// Ends the probes still running (detached: parity is about to exit).
fn stop_probes(run: &Run) {
    if let Ok(mut list) = run.probes.lock() {
        for handle in list.drain(..) {
            handle.abort();
        }
    }
}

/// The service's `stop_grace_period` in whole seconds (default 10, as Compose).
pub(crate) fn grace_secs(service: &Service) -> i32 {
    service
        .stop_grace_period
        .map_or(10, |d| i32::try_from(d.as_secs_ceil()).unwrap_or(i32::MAX))
}

/// `--wait`: every service ready (healthy, running, or completed), else the first failure.
async fn wait_ready(run: &Run, healthchecks: &HashMap<String, bool>) -> Result<(), Error> {
    let optional = optional_only(run);
    for service in &run.graph.order {
        let wanted = if run.release.contains(service) || completes(run, service) {
            Wanted::Condition(Condition::CompletedSuccessfully)
        } else {
            Wanted::Ready {
                healthcheck: healthchecks[service],
            }
        };
        if let Err(why) = run.observer.wait(service, wanted).await {
            if optional.contains(service) {
                run.progress.warn(&format!(
                    "{service} {why} (an optional dependency; carrying on)"
                ));
                continue;
            }
            let id = run
                .observer
                .board()
                .services
                .get(service)
                .and_then(|s| s.container.clone());
            let report = match id {
                Some(id) => diagnose::report(&run.engine, service, &id).await,
                None => String::new(),
            };
            return Err(
                Error::failed(format!("`{service}` {why}\n{}", report.trim_end())).with_help(
                    format!("see `parity logs {service}`; fix it, then run `parity up` again"),
                ),
            );
        }
    }
    Ok(())
}

/// Services something waits on with `service_completed_successfully`: exiting 0 is their ready.
fn completes(run: &Run, service: &str) -> bool {
    run.graph
        .edges
        .values()
        .flatten()
        .any(|e| e.dependency == service && e.condition == Condition::CompletedSuccessfully)
}

/// Services reached only through `required: false` edges (and not asked for).
fn optional_only(run: &Run) -> HashSet<String> {
    run.graph
        .order
        .iter()
        .filter(|s| {
            let edges: Vec<_> = run
                .graph
                .edges
                .values()
                .flatten()
                .filter(|e| &e.dependency == *s)
                .collect();
            !edges.is_empty() && edges.iter().all(|e| !e.required)
        })
        .cloned()
        .collect()
}

/// The error for `--wait-timeout`, naming what was not ready.
fn timed_out(run: &Run, healthchecks: &HashMap<String, bool>, limit: Duration) -> Error {
    let board = run.observer.board();
    let waiting: Vec<String> = run
        .graph
        .order
        .iter()
        .filter_map(|s| {
            let phase = board
                .services
                .get(s)
                .map_or(Phase::Pending, |st| st.phase.clone());
            let ready = match &phase {
                Phase::Exited(0) => true,
                Phase::Healthy => true,
                Phase::Running => !healthchecks[s] && !run.release.contains(s),
                _ => false,
            };
            (!ready).then(|| format!("{s} ({})", describe(&phase)))
        })
        .collect();
    Error::failed(format!(
        "not ready after {}s: {}",
        limit.as_secs(),
        waiting.join(", ")
    ))
    .with_help("raise --wait-timeout, or see `parity logs SERVICE` for why it is slow")
}

/// A phase in words.
pub(crate) fn describe(phase: &Phase) -> String {
    match phase {
        Phase::Pending => "waiting for its dependencies".into(),
        Phase::Created => "created".into(),
        Phase::Running => "running".into(),
        Phase::Healthy => "healthy".into(),
        Phase::Unhealthy => "unhealthy".into(),
        Phase::Exited(0) => "completed".into(),
        Phase::Exited(code) => format!("exited ({code})"),
        Phase::Failed(why) => format!("failed: {why}"),
    }
}

/// Turns a task's failure into the error the user sees, with the engine's account.
async fn explain(run: &Run, error: TaskError) -> Error {
    let board = run.observer.board();
    // The engine went away (its event stream broke): that is the error,
    // whichever service's task noticed it first, not that service's fault.
    if let Some(broken) = &board.broken {
        return Error::failed(format!(
            "lost the connection to the Docker Engine in the middle of `up`: {broken}"
        ))
        .with_help(
            "is the engine still running (`docker info`)? once it is, run `parity up` again: \
             it keeps what was already started",
        );
    }
    let container = |s: &str| board.services.get(s).and_then(|st| st.container.clone());
    // Whichever task noticed first, a failed release is reported as the release's failure.
    let error = match error {
        TaskError::Dependency {
            dependency, why, ..
        } if run.release.contains(&dependency) => TaskError::Release {
            service: dependency,
            why,
        },
        other => other,
    };
    match error {
        TaskError::Engine(error) => error,
        TaskError::Dependency {
            service,
            dependency,
            why,
        } => {
            let report = match container(&dependency) {
                Some(id) => diagnose::report(&run.engine, &dependency, &id).await,
                None => String::new(),
            };
            Error::failed(format!(
                "`{service}` was not started: its dependency `{dependency}` {why}\n{}",
                report.trim_end()
            ))
            .with_help(format!(
                "fix `{dependency}` (see `parity logs {dependency}`), then run `parity up` again"
            ))
        }
        TaskError::Release { service, why } => {
            let report = match container(&service) {
                Some(id) => diagnose::report(&run.engine, &service, &id).await,
                None => String::new(),
            };
            let dependants = run.graph.dependants(&service);
            let not_started = if dependants.is_empty() {
                String::new()
            } else {
                format!(" (not started: {})", dependants.join(", "))
            };
            Error::failed(format!(
                "release service `{service}` {why}; nothing that depends on it was started{not_started}\n{}",
                report.trim_end()
            ))
            .with_help(format!(
                "fix `{service}`, then run `parity up` again (it runs again, as it did not complete)"
            ))
        }
    }
}

/// Prints each service's transitions (healthy, unhealthy, exited) as the events arrive.
async fn report_transitions(run: Arc<Run>, mut finish: tokio::sync::oneshot::Receiver<()>) {
    let mut rx = run.observer.subscribe();
    let mut seen: HashMap<String, Phase> = run
        .observer
        .board()
        .services
        .into_iter()
        .map(|(s, st)| (s, st.phase))
        .collect();
    let started = run.progress.started();
    let mut finished = false;
    loop {
        let changes: Vec<(String, Phase, Option<Instant>)> = {
            let board = rx.borrow_and_update();
            board
                .services
                .iter()
                .filter(|(s, st)| seen.get(*s) != Some(&st.phase))
                .map(|(s, st)| (s.clone(), st.phase.clone(), st.ready_at))
                .collect()
        };
        for (service, phase, ready_at) in changes {
            let at = ready_at.map(|t| secs(t.saturating_duration_since(started)));
            match &phase {
                Phase::Healthy => run
                    .progress
                    .done(&service, &format!("healthy {}", at.unwrap_or_default())),
                Phase::Exited(0) => run
                    .progress
                    .done(&service, &format!("completed {}", at.unwrap_or_default())),
                Phase::Unhealthy => run.progress.failed(&service, "unhealthy"),
                Phase::Exited(code) => run
                    .progress
                    .failed(&service, &format!("exited with code {code}")),
                _ => {}
            }
            seen.insert(service, phase);
        }
        if finished {
            return;
        }
        tokio::select! {
            changed = rx.changed() => if changed.is_err() { return },
            _ = &mut finish => finished = true,
        }
    }
}
