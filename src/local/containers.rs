//! Containers on the engine: the project's existing ones (by label), create,
//! start, stop, kill, remove, and the engine's errors people hit turned into
//! messages that say what to do (port taken, name taken by a stranger).
//!
//! Engine calls for containers only; the order of things is the orchestrator's.

use bollard::models::{
    ContainerState, ContainerStateStatusEnum, ContainerSummary, ContainerSummaryStateEnum,
    HealthStatusEnum, PortSummary,
};
use bollard::query_parameters::{
    CreateContainerOptions, KillContainerOptions, ListContainersOptions, RemoveContainerOptions,
    StopContainerOptions,
};

use super::engine::{self, Engine};
use super::labels;
use super::observer::Phase;
use super::spec::ContainerSpec;
use crate::error::Error;

/// A container of the project that already exists.
#[derive(Debug, Clone)]
pub(crate) struct Existing {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) service: String,
    pub(crate) config_hash: String,
    /// `running`, `exited`, `created`, ...
    pub(crate) state: String,
    /// `healthy`, `unhealthy`, `starting` when it has a health check.
    pub(crate) health: Option<String>,
    pub(crate) exit_code: Option<i64>,
    pub(crate) release: bool,
    pub(crate) status: String,
    pub(crate) ports: Vec<PortSummary>,
    pub(crate) image: String,
}

impl Existing {
    fn from_summary(summary: ContainerSummary) -> Self {
        let labels_map = summary.labels.unwrap_or_default();
        let status = summary.status.unwrap_or_default();
        let state = match summary.state {
            Some(ContainerSummaryStateEnum::EMPTY) | None => String::new(),
            Some(state) => state.to_string(),
        };
        Self {
            id: summary.id.unwrap_or_default(),
            name: summary
                .names
                .and_then(|n| n.into_iter().next())
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default(),
            service: labels_map.get(labels::SERVICE).cloned().unwrap_or_default(),
            config_hash: labels_map
                .get(labels::CONFIG_HASH)
                .cloned()
                .unwrap_or_default(),
            health: health_of(&status),
            exit_code: exit_code_of(&status),
            release: labels_map.get(labels::RELEASE).is_some_and(|v| v == "true"),
            state,
            status,
            ports: summary.ports.unwrap_or_default(),
            image: summary.image.unwrap_or_default(),
        }
    }
}

/// `Up 3 seconds (healthy)` → `healthy`; `(health: starting)` → `starting`.
fn health_of(status: &str) -> Option<String> {
    let inner = status.rsplit_once('(')?.1.strip_suffix(')')?;
    let health = inner.strip_prefix("health: ").unwrap_or(inner);
    matches!(health, "healthy" | "unhealthy" | "starting").then(|| health.to_string())
}

/// `Exited (3) 2 minutes ago` → 3.
fn exit_code_of(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    rest.split_once(')')?.0.parse().ok()
}

/// Every container of the project, running or not.
pub(crate) async fn list(engine: &Engine, project: &str) -> Result<Vec<Existing>, Error> {
    let mut filters = labels::project_filter(project);
    if let Some(label) = filters.get_mut("label") {
        label.push(format!("{}=False", labels::ONEOFF));
    }
    let summaries = engine
        .docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..ListContainersOptions::default()
        }))
        .await
        .map_err(|e| engine::failed("listing the project's containers", &e))?;
    let mut list: Vec<Existing> = summaries.into_iter().map(Existing::from_summary).collect();
    list.sort_by(|a, b| a.service.cmp(&b.service).then(a.name.cmp(&b.name)));
    Ok(list)
}

/// The container's phase from its own state (inspect), not from the list:
/// the engine announces an exit (`die`) and only then cleans up and updates
/// the list, so for a while after a one-shot's `die` the list still says
/// `running`; inspect waits for the container's lock and says `exited`.
pub(crate) async fn phase_now(engine: &Engine, id: &str) -> Result<Phase, Error> {
    let inspected = engine
        .docker
        .inspect_container(id, None)
        .await
        .map_err(|e| engine::failed("inspecting a container", &e))?;
    Ok(phase_of(&inspected.state.unwrap_or_default()))
}

/// A container state in `up`'s terms (pure).
pub(crate) fn phase_of(state: &ContainerState) -> Phase {
    match state.status {
        Some(ContainerStateStatusEnum::EXITED | ContainerStateStatusEnum::DEAD) => {
            Phase::Exited(state.exit_code.unwrap_or(-1))
        }
        Some(ContainerStateStatusEnum::CREATED) => Phase::Created,
        _ => match state.health.as_ref().and_then(|h| h.status) {
            Some(HealthStatusEnum::HEALTHY) => Phase::Healthy,
            Some(HealthStatusEnum::UNHEALTHY) => Phase::Unhealthy,
            _ => Phase::Running,
        },
    }
}

/// Creates the container, then joins its further networks. A name held by a
/// container outside the project is a clear error.
pub(crate) async fn create(
    engine: &Engine,
    project: &str,
    service: &str,
    spec: &ContainerSpec,
) -> Result<String, Error> {
    let options = CreateContainerOptions {
        name: Some(spec.name.clone()),
        platform: spec.platform.clone().unwrap_or_default(),
    };
    let created = match engine
        .docker
        .create_container(Some(options), spec.body.clone())
        .await
    {
        Ok(created) => created,
        Err(e) if engine::status_of(&e) == Some(409) => {
            return Err(Error::failed(format!(
                "{service}: a container named `{}` already exists and is not part of project `{project}`",
                spec.name
            ))
            .with_help(format!(
                "remove it (`docker rm -f {}`), or run this project under another name (`parity -p NAME up`)",
                spec.name
            )));
        }
        Err(e) => {
            return Err(engine::failed(
                format!("{service}: creating its container"),
                &e,
            ));
        }
    };
    for (network, endpoint) in &spec.extra_networks {
        engine
            .docker
            .connect_network(
                network,
                bollard::models::NetworkConnectRequest {
                    container: created.id.clone(),
                    endpoint_config: Some(endpoint.clone()),
                },
            )
            .await
            .map_err(|e| engine::failed(format!("{service}: joining network {network}"), &e))?;
    }
    Ok(created.id)
}

/// Starts a container; a published port that is taken says which and what to do.
pub(crate) async fn start(
    engine: &Engine,
    service: &str,
    id: &str,
    published: &[String],
) -> Result<(), Error> {
    match engine.docker.start_container(id, None).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let message = engine::message_of(&e);
            let lower = message.to_lowercase();
            if lower.contains("port is already allocated")
                || lower.contains("address already in use")
            {
                let port = published
                    .iter()
                    .find(|p| message.contains(&format!(":{p}")))
                    .cloned()
                    .unwrap_or_else(|| published.join(", "));
                return Err(Error::failed(format!(
                    "{service}: host port {port} is already in use ({message})"
                ))
                .with_help(format!(
                    "stop what listens on it (`ss -ltnp 'sport = :{port}'`, `docker ps --filter publish={port}`) \
                     or publish another port in the compose file"
                )));
            }
            Err(Error::failed(format!(
                "{service}: starting its container: {message}"
            )))
        }
    }
}

/// Stops gracefully: the container's stop signal, then SIGKILL after `grace_secs`.
pub(crate) async fn stop(engine: &Engine, id: &str, grace_secs: i32) -> Result<(), Error> {
    match engine
        .docker
        .stop_container(
            id,
            Some(StopContainerOptions {
                t: Some(grace_secs),
                signal: None,
            }),
        )
        .await
    {
        Ok(()) => Ok(()),
        // 304: already stopped; 404: already gone.
        Err(e) if matches!(engine::status_of(&e), Some(304 | 404)) => Ok(()),
        Err(e) => Err(engine::failed("stopping a container", &e)),
    }
}

/// SIGKILL, for the second Ctrl-C.
pub(crate) async fn kill(engine: &Engine, id: &str) {
    let _ = engine
        .docker
        .kill_container(
            id,
            Some(KillContainerOptions {
                signal: "SIGKILL".into(),
            }),
        )
        .await;
}

/// Removes a container (and its anonymous volumes).
pub(crate) async fn remove(engine: &Engine, id: &str) -> Result<(), Error> {
    match engine
        .docker
        .remove_container(
            id,
            Some(RemoveContainerOptions {
                v: true,
                force: true,
                link: false,
            }),
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(e) if matches!(engine::status_of(&e), Some(404 | 409)) => Ok(()),
        Err(e) => Err(engine::failed("removing a container", &e)),
    }
}

/// `host:port->port/proto` pairs for display, and URLs for published TCP ports.
pub(crate) fn published_urls(ports: &[PortSummary]) -> Vec<String> {
    let mut urls: Vec<String> = ports
        .iter()
        .filter(|p| p.public_port.is_some())
        .filter(|p| p.ip.as_deref() != Some("::"))
        .filter(|p| p.typ.as_ref().is_none_or(|t| t.to_string() == "tcp"))
        .map(|p| {
            let host = match p.ip.as_deref() {
                None | Some("" | "0.0.0.0") => "localhost",
                Some(ip) => ip,
            };
            format!("http://{host}:{}", p.public_port.unwrap_or_default())
        })
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspected_state_gives_the_phase() {
        let state =
            |status, exit_code: Option<i64>, health: Option<HealthStatusEnum>| ContainerState {
                status: Some(status),
                exit_code,
                health: health.map(|status| bollard::models::Health {
                    status: Some(status),
                    ..bollard::models::Health::default()
                }),
                ..ContainerState::default()
            };
        use ContainerStateStatusEnum::{EXITED, RUNNING};
        assert_eq!(phase_of(&state(EXITED, Some(0), None)), Phase::Exited(0));
        assert_eq!(
            phase_of(&state(EXITED, Some(3), Some(HealthStatusEnum::HEALTHY))),
            Phase::Exited(3)
        );
        assert_eq!(
            phase_of(&state(RUNNING, None, Some(HealthStatusEnum::HEALTHY))),
            Phase::Healthy
        );
        assert_eq!(
            phase_of(&state(RUNNING, None, Some(HealthStatusEnum::STARTING))),
            Phase::Running
        );
    }

    #[test]
    fn status_text_gives_health_and_exit_code() {
        assert_eq!(
            health_of("Up 3 seconds (healthy)").as_deref(),
            Some("healthy")
        );
        assert_eq!(
            health_of("Up 1 second (health: starting)").as_deref(),
            Some("starting")
        );
        assert_eq!(health_of("Up 3 seconds"), None);
        assert_eq!(exit_code_of("Exited (3) 2 minutes ago"), Some(3));
        assert_eq!(exit_code_of("Up 3 seconds"), None);
    }
}
