//! Healthy sooner than the engine says so: while the engine's health status of
//! a just-started container is still `starting`, parity runs the container's
//! own health-check command itself (exec, as the engine would: same command,
//! user and environment) every [`cadence`], and the first success marks the
//! service healthy on the run's board. That is what `start_interval` does on
//! engines with API 1.44+; this one (20.10, API 1.41) runs its first check
//! only one whole `interval` after the start, at every step of a
//! dependency chain.
//!
//! The rule is the engine's own: one successful run of the check turns
//! `starting` into `healthy`. A verdict the engine reaches first (healthy,
//! unhealthy, exited) ends the probe. The engine's status catches up at its
//! next interval, so `parity ps` / `docker ps` show `health: starting` until
//! then.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::models::HealthConfig;

use super::engine::Engine;
use super::observer::{Observer, Phase};

/// The first seconds of a start are probed every 100 ms; a service still not
/// healthy after that (a database replaying its log) every 500 ms, so a slow
/// start does not keep an engine on a small machine busy with execs.
pub(crate) fn cadence(since_start: Duration) -> Duration {
    if since_start < Duration::from_secs(3) {
        Duration::from_millis(100)
    } else {
        Duration::from_millis(500)
    }
}

/// The command the engine runs for a health check `test` (`CMD ...`,
/// `CMD-SHELL ...` through the container's shell), or `None` for none.
pub(crate) fn command(test: &[String], shell: &[String]) -> Option<Vec<String>> {
    let (kind, rest) = test.split_first()?;
    match kind.as_str() {
        "CMD" if !rest.is_empty() => Some(rest.to_vec()),
        "CMD-SHELL" if !rest.is_empty() => {
            let mut command = if shell.is_empty() {
                vec!["/bin/sh".to_string(), "-c".to_string()]
            } else {
                shell.to_vec()
            };
            command.push(rest.join(" "));
            Some(command)
        }
        _ => None,
    }
}

/// What the probe runs, and how long one run may take before it counts as failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    pub(crate) command: Vec<String>,
    pub(crate) timeout: Duration,
}

/// The check the engine will run for a container created with `container`'s
/// health config over an image with `image`'s, merged as the engine merges
/// them (each field the container leaves unset comes from the image), so no
/// inspect of the started container is needed before the first probe;
/// `None` when there is nothing to run. `shell` is the image's `SHELL`.
pub(crate) fn check(
    container: Option<&HealthConfig>,
    image: Option<&HealthConfig>,
    shell: &[String],
) -> Option<Check> {
    let test = container
        .and_then(|c| c.test.clone())
        .filter(|t| !t.is_empty())
        .or_else(|| image.and_then(|i| i.test.clone()))?;
    let positive = |h: Option<&HealthConfig>| h.and_then(|h| h.timeout).filter(|n| *n > 0);
    // The engine's default timeout is 30 s; a probe that takes longer failed.
    let timeout = positive(container)
        .or_else(|| positive(image))
        .map_or(Duration::from_secs(30), |nanos| {
            Duration::from_nanos(nanos.unsigned_abs())
        });
    Some(Check {
        command: command(&test, shell)?,
        timeout,
    })
}

/// Probes `container` (the service's current one) with `check` until it is
/// healthy or the engine has decided. Errors (an exec the engine refuses) end
/// the probe silently: the engine's own check still decides, only later.
pub(crate) async fn run(
    engine: Engine,
    observer: Arc<Observer>,
    service: String,
    container: String,
    check: Check,
) {
    let Check { command, timeout } = check;
    let started = Instant::now();
    loop {
        let board = observer.board();
        let current = board.services.get(&service);
        let still_starting = current.is_some_and(|s| {
            s.phase == Phase::Running && s.container.as_deref() == Some(container.as_str())
        });
        if !still_starting {
            return;
        }
        let outcome = tokio::time::timeout(
            timeout,
            super::watch::sync::run(&engine, &container, command.clone()),
        )
        .await;
        match outcome {
            Ok(Ok((0, _))) => {
                observer.probed_healthy(&service, &container);
                return;
            }
            Ok(Err(_)) => return,
            _ => {}
        }
        tokio::time::sleep(cadence(started.elapsed())).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn cmd_runs_as_given_and_cmd_shell_through_the_shell() {
        assert_eq!(
            command(&strings(&["CMD", "/app", "health"]), &[]),
            Some(strings(&["/app", "health"]))
        );
        assert_eq!(
            command(&strings(&["CMD-SHELL", "pg_isready -q"]), &[]),
            Some(strings(&["/bin/sh", "-c", "pg_isready -q"]))
        );
        assert_eq!(
            command(
                &strings(&["CMD-SHELL", "exit 0"]),
                &strings(&["/bin/bash", "-ec"])
            ),
            Some(strings(&["/bin/bash", "-ec", "exit 0"]))
        );
    }

    #[test]
    fn none_and_empty_checks_are_not_probed() {
        assert_eq!(command(&strings(&["NONE"]), &[]), None);
        assert_eq!(command(&strings(&["CMD"]), &[]), None);
        assert_eq!(command(&[], &[]), None);
    }

    #[test]
    fn the_check_is_the_containers_over_the_images_as_the_engine_merges_them() {
        let health = |test: &[&str], timeout: Option<i64>| HealthConfig {
            test: Some(strings(test)),
            timeout,
            ..HealthConfig::default()
        };
        let image = health(&["CMD-SHELL", "pg_isready"], Some(5_000_000_000));
        // The image's own check, through the image's shell.
        assert_eq!(
            check(None, Some(&image), &strings(&["/bin/bash", "-c"])),
            Some(Check {
                command: strings(&["/bin/bash", "-c", "pg_isready"]),
                timeout: Duration::from_secs(5),
            })
        );
        // The compose file's test; its timeout unset: the image's.
        let own = health(&["CMD", "/app", "health"], None);
        assert_eq!(
            check(Some(&own), Some(&image), &[]),
            Some(Check {
                command: strings(&["/app", "health"]),
                timeout: Duration::from_secs(5),
            })
        );
        // Only an interval in the compose file: the image's test; no timeout anywhere: 30 s.
        let interval_only = HealthConfig {
            interval: Some(1_000_000_000),
            ..HealthConfig::default()
        };
        let image_cmd = health(&["CMD", "/ok"], None);
        assert_eq!(
            check(Some(&interval_only), Some(&image_cmd), &[]),
            Some(Check {
                command: strings(&["/ok"]),
                timeout: Duration::from_secs(30),
            })
        );
        // Disabled, or none at all: nothing to probe.
        assert_eq!(
            check(Some(&health(&["NONE"], None)), Some(&image), &[]),
            None
        );
        assert_eq!(check(None, None, &[]), None);
    }

    #[test]
    fn cadence_is_fast_first_then_gentle() {
        assert_eq!(cadence(Duration::ZERO), Duration::from_millis(100));
        assert_eq!(cadence(Duration::from_secs(10)), Duration::from_millis(500));
    }
}
