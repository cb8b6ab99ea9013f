//! Stopping and removing: Ctrl-C of an attached `up` (graceful, dependants
//! first, each with its `stop_grace_period`; a second Ctrl-C kills), and
//! `parity down` (containers, including those of services since removed from
//! the file, then networks and, when asked, volumes).
//!
//! Orchestrates `containers` and `resources`; prints progress only.

use std::collections::HashSet;

use futures_util::future::join_all;

use super::containers::{self, Existing};
use super::engine::Engine;
use super::graph;
use super::progress::Progress;
use super::resources;
use super::up::grace_secs;
use crate::compose::model::Project;
use crate::error::Error;

/// The project's containers in stop order: groups that can stop in parallel,
/// dependants before their dependencies; containers of unknown services first.
fn stop_groups(project: &Project, containers: Vec<Existing>) -> Vec<Vec<Existing>> {
    let levels = graph::resolve(project, &[], &HashSet::new())
        .map(|g| g.stop_levels())
        .unwrap_or_default();
    let mut rest = containers;
    let mut groups = Vec::new();
    let known: HashSet<&String> = levels.iter().flatten().collect();
    let (unknown, known_containers): (Vec<_>, Vec<_>) =
        rest.drain(..).partition(|c| !known.contains(&c.service));
    groups.push(unknown);
    let mut remaining = known_containers;
    for level in &levels {
        let (now, later): (Vec<_>, Vec<_>) = remaining
            .into_iter()
            .partition(|c| level.contains(&c.service));
        groups.push(now);
        remaining = later;
    }
    groups.push(remaining);
    groups.retain(|g| !g.is_empty());
    groups
}

/// Stops the project's running containers (of `only` the given services when
/// set), gracefully, in dependency order.
pub(crate) async fn stop(
    engine: &Engine,
    project: &Project,
    only: Option<&HashSet<String>>,
    progress: &Progress,
) -> Result<(), Error> {
    let running: Vec<Existing> = containers::list(engine, &project.name)
        .await?
        .into_iter()
        .filter(|c| c.state == "running" || c.state == "restarting")
        .filter(|c| only.is_none_or(|o| o.contains(&c.service)))
        .collect();
    for group in stop_groups(project, running) {
        let results = join_all(group.iter().map(|c| async move {
            progress.working(&c.service, "stopping");
            let grace = project.services.get(&c.service).map_or(10, grace_secs);
            let result = containers::stop(engine, &c.id, grace).await;
            if result.is_ok() {
                progress.done(&c.service, "stopped");
            }
            result
        }))
        .await;
        results.into_iter().collect::<Result<Vec<()>, Error>>()?;
    }
    Ok(())
}

/// Kills every running container of the project (of `only` the given services).
pub(crate) async fn kill(engine: &Engine, project: &Project, only: Option<&HashSet<String>>) {
    let Ok(list) = containers::list(engine, &project.name).await else {
        return;
    };
    join_all(
        list.iter()
            .filter(|c| c.state == "running" || c.state == "restarting")
            .filter(|c| only.is_none_or(|o| o.contains(&c.service)))
            .map(|c| containers::kill(engine, &c.id)),
    )
    .await;
}

/// `parity down`: stop and remove every container of the project, then its
/// networks, and its volumes when `volumes`.
pub(crate) async fn down(
    engine: &Engine,
    project: &Project,
    volumes: bool,
    progress: &Progress,
) -> Result<(), Error> {
    stop(engine, project, None, progress).await?;
    let all = containers::list(engine, &project.name).await?;
    let results = join_all(all.iter().map(|c| async move {
        let result = containers::remove(engine, &c.id).await;
        if result.is_ok() {
            progress.done(&c.name, "removed");
        }
        result
    }))
    .await;
    results.into_iter().collect::<Result<Vec<()>, Error>>()?;
    resources::remove(engine, &project.name, volumes, progress).await
}
