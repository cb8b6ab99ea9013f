//! One-off containers (`parity run`), as `docker compose run --rm` makes them:
//! the service's container spec with the command and variables overridden, a
//! name of its own (`<project>-<service>-run-<id>`), the `oneoff` label, no
//! published ports, no restart policy and no network aliases (so the one-off
//! never receives the service's traffic), attached to parity's stdin and
//! output, and removed once it exits.
//!
//! [`oneoff_spec`] is pure; [`run`] and [`start_detached`] drive the engine.

use bollard::query_parameters::{
    AttachContainerOptions, ResizeContainerTTYOptions, WaitContainerOptions,
};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::containers;
use super::engine::{self, Engine};
use super::labels;
use super::session::{self, Attached, RawMode};
use super::spec::ContainerSpec;
use crate::error::Error;

/// What `run` changes in the service's container.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    /// The command; empty: the service's own.
    pub(crate) command: Vec<String>,
    /// `KEY=VALUE` pairs, over the service's variables.
    pub(crate) variables: Vec<(String, String)>,
    /// Allocate a TTY (parity's stdin is a terminal).
    pub(crate) tty: bool,
    /// Run in the background; the engine removes the container when it exits.
    pub(crate) detach: bool,
}

/// The one-off container's spec, from the service's (`spec::container_spec`).
pub(crate) fn oneoff_spec(
    project: &str,
    service: &str,
    mut spec: ContainerSpec,
    overrides: &Overrides,
) -> ContainerSpec {
    spec.name = format!("{project}-{service}-run-{}", unique_suffix());
    let body = &mut spec.body;
    if !overrides.command.is_empty() {
        body.cmd = Some(overrides.command.clone());
    }
    if !overrides.variables.is_empty() {
        let mut env = body.env.take().unwrap_or_default();
        for (key, value) in &overrides.variables {
            env.retain(|entry| entry.split_once('=').map_or(entry.as_str(), |(k, _)| k) != key);
            env.push(format!("{key}={value}"));
        }
        body.env = Some(env);
    }
    let attached = !overrides.detach;
    body.tty = Some(overrides.tty && attached);
    body.open_stdin = Some(attached);
    body.stdin_once = Some(attached);
    body.attach_stdin = Some(attached);
    body.attach_stdout = Some(attached);
    body.attach_stderr = Some(attached);
    if let Some(labels_map) = body.labels.as_mut() {
        labels_map.insert(labels::ONEOFF.into(), "True".into());
        labels_map.remove(labels::CONFIG_HASH);
    }
    if let Some(host) = body.host_config.as_mut() {
        host.port_bindings = None;
        host.restart_policy = None;
        host.auto_remove = Some(overrides.detach);
    }
    if let Some(endpoints) = body
        .networking_config
        .as_mut()
        .and_then(|n| n.endpoints_config.as_mut())
    {
        for endpoint in endpoints.values_mut() {
            endpoint.aliases = None;
        }
    }
    for (_, endpoint) in &mut spec.extra_networks {
        endpoint.aliases = None;
    }
    spec
}

/// Twelve hex digits that differ between runs (Compose uses a random slug).
fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let digest = Sha256::digest(format!("{}-{nanos}-{n}", std::process::id()));
    hex::encode(&digest[..6])
}

/// Creates, attaches, starts and waits for the one-off container; removes it
/// whatever happened, and returns its exit code. `interrupted` resolves on
/// Ctrl-C/SIGTERM: the container is then stopped (`grace` seconds) and removed.
pub(crate) async fn run(
    engine: &Engine,
    project: &str,
    service: &str,
    spec: &ContainerSpec,
    grace: i32,
    interrupted: impl std::future::Future<Output = ()>,
) -> Result<i64, Error> {
    let id = containers::create(engine, project, service, spec).await?;
    let tty = spec.body.tty.unwrap_or(false);
    let outcome = tokio::select! {
        result = attach_and_wait(engine, service, &id, tty) => result,
        () = interrupted => {
            containers::stop(engine, &id, grace).await?;
            Err(Error::interrupted())
        }
    };
    containers::remove(engine, &id).await?;
    outcome
}

async fn attach_and_wait(
    engine: &Engine,
    service: &str,
    id: &str,
    tty: bool,
) -> Result<i64, Error> {
    let attached = engine
        .docker
        .attach_container(
            id,
            Some(AttachContainerOptions {
                stream: true,
                stdin: true,
                stdout: true,
                stderr: true,
                ..AttachContainerOptions::default()
            }),
        )
        .await
        .map_err(|e| {
            engine::failed(format!("{service}: attaching to its one-off container"), &e)
        })?;
    let raw = RawMode::enter(tty);
    containers::start(engine, service, id, &[]).await?;
    // With a TTY the container follows the terminal's size, now and on every
    // resize, as `docker run -it` (and local exec) do.
    let resizes = tty.then(|| {
        let docker = engine.docker.clone();
        let id = id.to_owned();
        session::follow_resizes(move |rows, columns| {
            let (docker, id) = (docker.clone(), id.clone());
            async move {
                let size = ResizeContainerTTYOptions {
                    h: i32::from(rows),
                    w: i32::from(columns),
                };
                let _ = docker.resize_container_tty(&id, size).await;
            }
        })
    });
    let pumped = session::pump(
        Attached {
            output: attached.output,
            input: attached.input,
        },
        true,
    )
    .await;
    if let Some(task) = resizes {
        task.abort();
    }
    pumped?;
    drop(raw);
    exit_code(engine, id).await
}

/// The exit code of a container that has stopped (or is about to).
async fn exit_code(engine: &Engine, id: &str) -> Result<i64, Error> {
    let mut wait = engine.docker.wait_container(
        id,
        Some(WaitContainerOptions {
            condition: "not-running".into(),
        }),
    );
    match wait.next().await {
        Some(Ok(response)) => Ok(response.status_code),
        // bollard reports a non-zero exit as an error carrying the code.
        Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
        Some(Err(e)) => Err(engine::failed("waiting for the one-off container", &e)),
        None => Err(Error::failed(
            "the engine did not report the one-off container's exit",
        )),
    }
}

/// `--detach`: creates and starts the container (the engine removes it when
/// it exits); returns its name.
pub(crate) async fn start_detached(
    engine: &Engine,
    project: &str,
    service: &str,
    spec: &ContainerSpec,
) -> Result<String, Error> {
    let id = containers::create(engine, project, service, spec).await?;
    if let Err(e) = containers::start(engine, service, &id, &[]).await {
        containers::remove(engine, &id).await?;
        return Err(e);
    }
    Ok(spec.name.clone())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use bollard::models::{
        ContainerCreateBody, EndpointSettings, HostConfig, NetworkingConfig, PortBinding,
        RestartPolicy,
    };

    use super::*;

    fn service_spec() -> ContainerSpec {
        ContainerSpec {
            name: "shop-web-1".into(),
            body: ContainerCreateBody {
                cmd: Some(vec!["web".into()]),
                env: Some(vec!["A=1".into(), "B=2".into()]),
                labels: Some(HashMap::from([
                    (labels::ONEOFF.to_string(), "False".to_string()),
                    (labels::CONFIG_HASH.to_string(), "abc".to_string()),
                    (labels::SERVICE.to_string(), "web".to_string()),
                ])),
                host_config: Some(HostConfig {
                    port_bindings: Some(HashMap::from([(
                        "8080/tcp".to_string(),
                        Some(vec![PortBinding::default()]),
                    )])),
                    restart_policy: Some(RestartPolicy::default()),
                    ..HostConfig::default()
                }),
                networking_config: Some(NetworkingConfig {
                    endpoints_config: Some(HashMap::from([(
                        "shop_default".to_string(),
                        EndpointSettings {
                            aliases: Some(vec!["web".into()]),
                            ..EndpointSettings::default()
                        },
                    )])),
                }),
                ..ContainerCreateBody::default()
            },
            extra_networks: vec![(
                "shop_back".into(),
                EndpointSettings {
                    aliases: Some(vec!["web".into()]),
                    ..EndpointSettings::default()
                },
            )],
            config_hash: "abc".into(),
            platform: None,
        }
    }

    #[test]
    fn a_oneoff_takes_the_services_spec_with_the_overrides() {
        let overrides = Overrides {
            command: vec!["exit".into(), "3".into()],
            variables: vec![("B".into(), "changed".into()), ("C".into(), "new".into())],
            tty: false,
            detach: false,
        };
        let spec = oneoff_spec("shop", "web", service_spec(), &overrides);
        assert!(spec.name.starts_with("shop-web-run-"), "{}", spec.name);
        assert_eq!(spec.name.len(), "shop-web-run-".len() + 12);
        let body = &spec.body;
        assert_eq!(
            body.cmd.as_deref(),
            Some(&["exit".to_string(), "3".into()][..])
        );
        assert_eq!(
            body.env.as_deref(),
            Some(&["A=1".to_string(), "B=changed".into(), "C=new".into()][..])
        );
        let labels_map = body.labels.as_ref().unwrap();
        assert_eq!(labels_map[labels::ONEOFF], "True");
        assert!(!labels_map.contains_key(labels::CONFIG_HASH));
        assert_eq!(labels_map[labels::SERVICE], "web");
        let host = body.host_config.as_ref().unwrap();
        assert_eq!(host.port_bindings, None, "a one-off publishes no ports");
        assert_eq!(host.restart_policy, None);
        assert_eq!(
            host.auto_remove,
            Some(false),
            "removed by parity after the exit"
        );
        let endpoints = body
            .networking_config
            .as_ref()
            .unwrap()
            .endpoints_config
            .as_ref()
            .unwrap();
        assert_eq!(endpoints["shop_default"].aliases, None);
        assert_eq!(spec.extra_networks[0].1.aliases, None);
        assert_eq!(
            (body.open_stdin, body.attach_stdin, body.tty),
            (Some(true), Some(true), Some(false))
        );
    }

    #[test]
    fn no_command_keeps_the_services_and_detached_runs_remove_themselves() {
        let overrides = Overrides {
            tty: true,
            detach: true,
            ..Overrides::default()
        };
        let spec = oneoff_spec("shop", "web", service_spec(), &overrides);
        let body = &spec.body;
        assert_eq!(body.cmd.as_deref(), Some(&["web".to_string()][..]));
        assert_eq!(
            body.env.as_deref(),
            Some(&["A=1".to_string(), "B=2".into()][..])
        );
        assert_eq!(body.host_config.as_ref().unwrap().auto_remove, Some(true));
        assert_eq!(
            (body.open_stdin, body.attach_stdout, body.tty),
            (Some(false), Some(false), Some(false)),
            "nothing attached in the background"
        );
    }

    #[test]
    fn two_oneoffs_have_different_names() {
        let a = oneoff_spec("shop", "web", service_spec(), &Overrides::default());
        let b = oneoff_spec("shop", "web", service_spec(), &Overrides::default());
        assert_ne!(a.name, b.name);
    }
}
