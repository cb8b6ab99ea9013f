//! `parity up --watch` and `parity watch`: the Compose Specification's
//! `develop.watch` on the local engine. File events (the `notify` crate) are
//! batched ([`debounce`]), routed through the rules ([`rules`]), and each
//! service's share of a batch is carried out here: rebuild (the image, then
//! `up` of that service; a failed build leaves the old container running),
//! sync ([`sync`]: the engine's archive API), restart, exec. One `⟳` line per
//! action.
//!
//! The engine I/O of watching; the decisions are in `rules` and `debounce`.

pub(crate) mod debounce;
pub(crate) mod rules;
pub(crate) mod sync;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::query_parameters::RestartContainerOptions;
use notify::{EventKind, RecursiveMode, Watcher};

use self::debounce::Debounce;
use self::rules::{ServiceWork, Trigger};
use super::containers;
use super::engine::{self, Engine};
use super::images;
use super::logs::{self, Prefix};
use super::observer::{Observer, Phase};
use super::progress::Progress;
use super::up::{self, UpOptions};
use crate::compose::model::{Project, Service};
use crate::error::Error;

/// Where an attached `up --watch` shows the logs of the containers watch replaces.
pub(crate) struct Attached {
    /// Each service's log prefix, as `up` gave it.
    pub(crate) prefixes: HashMap<String, Prefix>,
    /// `up`'s observer: told about replaced containers so their exits are not reported as failures.
    pub(crate) observer: Arc<Observer>,
}

/// Compiles the watch rules of `services` (all services when empty), reading
/// each build context's `.dockerignore`. No rule at all is an input error.
pub(crate) fn triggers(project: &Project, services: &[String]) -> Result<Vec<Trigger>, Error> {
    if let Some(unknown) = services
        .iter()
        .find(|name| !project.services.contains_key(*name))
    {
        return Err(crate::compose::unknown_service(project, unknown));
    }
    let mut triggers = Vec::new();
    for service in project.services.values() {
        if !services.is_empty() && !services.contains(&service.name) {
            continue;
        }
        let Some(develop) = &service.develop else {
            continue;
        };
        let dockerignore = dockerignore_text(service)?;
        for (index, rule) in develop.watch.iter().enumerate() {
            triggers.push(Trigger::compile(
                service,
                index,
                rule,
                dockerignore.as_deref(),
            )?);
        }
    }
    if triggers.is_empty() {
        return Err(Error::input(
            "nothing to watch: no service has `develop.watch` rules",
        )
        .with_help(
            "add e.g. `develop: {watch: [{action: sync, path: ./src, target: /app/src}]}` to a service",
        ));
    }
    Ok(triggers)
}

/// `<Dockerfile>.dockerignore`, else `.dockerignore`, of the service's build context.
fn dockerignore_text(service: &Service) -> Result<Option<String>, Error> {
    let Some(build) = &service.build else {
        return Ok(None);
    };
    let context = Path::new(&build.context);
    let dockerfile = if build.dockerfile.is_empty() {
        "Dockerfile"
    } else {
        &build.dockerfile
    };
    for candidate in [
        context.join(format!("{dockerfile}.dockerignore")),
        context.join(".dockerignore"),
    ] {
        match std::fs::read_to_string(&candidate) {
            Ok(text) => return Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::failed(format!(
                    "cannot read {}: {e}",
                    candidate.display()
                )));
            }
        }
    }
    Ok(None)
}

/// The quiet window: [`debounce::QUIET`], or `PARITY_WATCH_QUIET_MS` (for measuring it).
fn quiet_window() -> Duration {
    std::env::var("PARITY_WATCH_QUIET_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(debounce::QUIET, Duration::from_millis)
}

/// Why a rebuild stopped: before anything changed, or after the old container went.
enum Rebuild {
    Build(Error),
    Start(Error),
}

/// One watch session.
pub(crate) struct Session {
    pub(crate) engine: Engine,
    pub(crate) project: Project,
    pub(crate) triggers: Vec<Trigger>,
    pub(crate) progress: Progress,
    pub(crate) attached: Option<Attached>,
}

impl Session {
    /// Watches until the watcher fails (the caller stops it with Ctrl-C).
    pub(crate) async fn run(self) -> Result<(), Error> {
        let (sender, mut events) = tokio::sync::mpsc::unbounded_channel();
        let mut watcher = notify::recommended_watcher(move |event| {
            let _ = sender.send(event);
        })
        .map_err(|e| Error::failed(format!("cannot watch files: {e}")))?;
        // A file (or a path still to be made) is watched through its directory:
        // editors and builds replace files by renaming, which a watch on the file
        // loses. One watch per directory, recursive when any rule needs it.
        let mut dirs: BTreeMap<&Path, bool> = BTreeMap::new();
        for path in self.triggers.iter().map(|t| t.path.as_path()) {
            let (dir, recursive) = if path.is_dir() {
                (path, true)
            } else {
                (path.parent().unwrap_or(path), false)
            };
            if !dir.is_dir() {
                self.progress.warn(&format!(
                    "watch path {} does not exist; not watched",
                    path.display()
                ));
                continue;
            }
            *dirs.entry(dir).or_default() |= recursive;
        }
        for (dir, recursive) in &dirs {
            let mode = if *recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            watcher
                .watch(dir, mode)
                .map_err(|e| Error::failed(format!("cannot watch {}: {e}", dir.display())))?;
        }
        let watched = self.triggers.len();
        self.initial_sync().await;
        self.progress.watched(
            "watch",
            &format!(
                "{} for {} (Ctrl-C stops)",
                count(watched, "rule"),
                self.services().join(", ")
            ),
        );
        let mut batch = Debounce::new(quiet_window(), debounce::LONGEST);
        loop {
            let due = batch.due();
            let wake = async move {
                match due {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                event = events.recv() => match event {
                    None => return Err(Error::failed("the file watcher stopped")),
                    Some(Err(e)) => self.progress.warn(&format!("file watcher: {e}")),
                    Some(Ok(event)) => {
                        if matches!(event.kind, EventKind::Access(_) | EventKind::Other) {
                            continue;
                        }
                        let now = Instant::now();
                        for path in event.paths {
                            batch.push(path, now);
                        }
                    }
                },
                () = wake => {
                    if let Some(changed) = batch.take(Instant::now()) {
                        for (service, work) in rules::plan(&self.triggers, &changed) {
                            self.carry_out(&service, &work).await;
                        }
                    }
                }
            }
        }
    }

    fn services(&self) -> Vec<String> {
        let mut names: Vec<String> = self.triggers.iter().map(|t| t.service.clone()).collect();
        names.dedup();
        names
    }

    /// `initial_sync: true`: the rule's whole path (what its ignores let through) once, at start.
    async fn initial_sync(&self) {
        let mut work: BTreeMap<String, ServiceWork> = BTreeMap::new();
        for trigger in self
            .triggers
            .iter()
            .filter(|t| t.initial_sync && t.kind.syncs())
        {
            let mut files = Vec::new();
            walk(&trigger.path, &mut files);
            let entry = work.entry(trigger.service.clone()).or_default();
            for file in files {
                if let Some(target) = trigger.route(&file) {
                    entry.files.insert(target, file);
                }
            }
        }
        for (service, work) in work {
            if !work.files.is_empty() {
                self.carry_out(&service, &work).await;
            }
        }
    }

    /// One service's share of a batch, each action reported in one line.
    async fn carry_out(&self, service: &str, work: &ServiceWork) {
        if work.rebuild {
            let started = Instant::now();
            match self.rebuild(service).await {
                Ok(replaced) => self.progress.watched(
                    service,
                    &format!(
                        "rebuilt in {:.1} s{}",
                        started.elapsed().as_secs_f64(),
                        if replaced {
                            ""
                        } else {
                            " (image unchanged, container kept)"
                        }
                    ),
                ),
                Err(Rebuild::Build(error)) => {
                    self.progress
                        .failed(service, "rebuild failed; the old container keeps running");
                    crate::output::report(&error);
                    return;
                }
                Err(Rebuild::Start(error)) => {
                    self.progress
                        .failed(service, "rebuilt, but the new container did not start");
                    crate::output::report(&error);
                    return;
                }
            }
        }
        if work.files.is_empty() && !work.restart && work.exec.is_empty() {
            return;
        }
        let Some(id) = self.running(service).await else {
            self.progress.warn(&format!(
                "{service}: not running; {} not applied",
                count(work.files.len().max(1), "change")
            ));
            return;
        };
        if !work.files.is_empty() {
            let started = Instant::now();
            match sync::sync(&self.engine, service, &id, &work.files).await {
                Ok(done) => {
                    let mut what = Vec::new();
                    if done.copied > 0 || done.deleted == 0 {
                        what.push(format!("synced {}", count(done.copied, "file")));
                    }
                    if done.deleted > 0 {
                        what.push(format!("removed {}", done.deleted));
                    }
                    self.progress.watched(
                        service,
                        &format!(
                            "{} in {} ms",
                            what.join(", "),
                            started.elapsed().as_millis()
                        ),
                    );
                }
                Err(error) => {
                    self.progress
                        .failed(service, &format!("sync failed: {}", error.message()));
                    return;
                }
            }
        }
        if work.restart {
            let started = Instant::now();
            match self.restart(service, &id).await {
                Ok(()) => self.progress.watched(
                    service,
                    &format!("restarted in {:.1} s", started.elapsed().as_secs_f64()),
                ),
                Err(error) => self
                    .progress
                    .failed(service, &format!("restart failed: {}", error.message())),
            }
        }
        for command in &work.exec {
            let started = Instant::now();
            let shown = command.join(" ");
            match sync::run(&self.engine, &id, command.clone()).await {
                Ok((0, _)) => self.progress.watched(
                    service,
                    &format!("ran `{shown}` in {} ms", started.elapsed().as_millis()),
                ),
                Ok((code, output)) => {
                    self.progress
                        .failed(service, &format!("`{shown}` exited with {code}"));
                    for line in output.lines() {
                        eprintln!("  {line}");
                    }
                }
                Err(error) => self
                    .progress
                    .failed(service, &format!("`{shown}`: {}", error.message())),
            }
        }
    }

    /// The service's running container.
    async fn running(&self, service: &str) -> Option<String> {
        containers::list(&self.engine, &self.project.name)
            .await
            .ok()?
            .into_iter()
            .find(|e| e.service == service && e.state == "running")
            .map(|e| e.id)
    }

    /// Builds the service's image; only when that worked, `up` of the service
    /// (recreated when its image changed) and a restart of the dependants that
    /// ask for it (`depends_on: {<service>: {restart: true}}`). Whether the container was replaced.
    async fn rebuild(&self, service: &str) -> Result<bool, Rebuild> {
        let quiet = self.progress.quiet();
        let lookup = |key: &str| std::env::var(key).ok();
        let definition = &self.project.services[service];
        images::ensure(
            &self.engine,
            &self.project,
            &[definition],
            true,
            &lookup,
            &quiet,
        )
        .await
        .map_err(Rebuild::Build)?;
        let before = self.running(service).await;
        self.forget(service);
        let options = UpOptions {
            services: vec![service.to_string()],
            build: false,
            attached: false,
            timeout: None,
        };
        let outcome = up::up(&self.engine, &self.project, &options, &quiet).await;
        let after = self.running(service).await;
        if let Some(id) = &after {
            self.follow(service, id, before.as_ref() != Some(id));
        }
        outcome.map_err(Rebuild::Start)?;
        let replaced = before != after;
        if replaced {
            for (name, dependant) in &self.project.services {
                let restart = dependant.depends_on.get(service).is_some_and(|d| d.restart);
                if let (true, Some(id)) = (restart, self.running(name).await) {
                    self.restart(name, &id).await.map_err(Rebuild::Start)?;
                    self.progress
                        .watched(name, &format!("restarted ({service} was rebuilt)"));
                }
            }
        }
        Ok(replaced)
    }

    /// Restarts the container (its stop grace period, as `up` stops it).
    async fn restart(&self, service: &str, id: &str) -> Result<(), Error> {
        let grace = up::grace_secs(&self.project.services[service]);
        self.forget(service);
        let result = self
            .engine
            .docker
            .restart_container(
                id,
                Some(RestartContainerOptions {
                    t: Some(grace),
                    signal: None,
                }),
            )
            .await
            .map_err(|e| engine::failed(format!("{service}: restarting its container"), &e));
        self.follow(service, id, false);
        result
    }

    /// Attached: the service's container is about to go away on purpose; its exit is no failure.
    fn forget(&self, service: &str) {
        if let Some(attached) = &self.attached {
            attached.observer.track(service, "", Phase::Pending);
        }
    }

    /// Attached: streams the (new or restarted) container's log from now, or from its start.
    fn follow(&self, service: &str, id: &str, from_start: bool) {
        let Some(attached) = &self.attached else {
            return;
        };
        attached.observer.track(service, id, Phase::Running);
        let Some(prefix) = attached.prefixes.get(service) else {
            return;
        };
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
        let filter = logs::Filter {
            since: (!from_start).then_some(since),
            ..logs::Filter::default()
        };
        tokio::spawn(logs::stream_filtered(
            self.engine.clone(),
            id.to_string(),
            prefix.clone(),
            logs::From::Start,
            true,
            filter,
        ));
    }
}

/// `1 file`, `3 files`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Every file under `path` (or `path` itself when it is a file).
fn walk(path: &Path, files: &mut Vec<PathBuf>) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if !meta.is_dir() {
        files.push(path.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    for entry in entries.flatten() {
        walk(&entry.path(), files);
    }
}
