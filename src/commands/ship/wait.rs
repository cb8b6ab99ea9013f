//! The rollout wait: polls DescribeServices and asks `cloud::rollout` what each
//! observation means for the deployment id UpdateService/CreateService
//! returned. Never the "services stable" waiter (it calls a rollback success).
//! Progress (running/desired, rollout state, new events) goes to stderr.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::aws::AwsContext;
use crate::aws::ecs;
use crate::cloud::rollout::{self, Verdict};
use crate::error::{Error, Result};

/// One service's deployment being waited on.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// ECS service name.
    pub(crate) service: String,
    pub(crate) deployment: String,
}

/// Waits until every target's deployment completed; the first failure,
/// rollback or the timeout ends the wait with exit 1, naming the reason and
/// the service's recent events.
pub(crate) async fn wait_for(
    ctx: &AwsContext,
    cluster: &str,
    targets: &[Target],
    timeout: Duration,
) -> Result<()> {
    let started = Instant::now();
    let names: Vec<String> = targets.iter().map(|t| t.service.clone()).collect();
    let mut seen: HashMap<String, Vec<String>> = HashMap::new();
    let mut last_line: HashMap<String, String> = HashMap::new();
    let mut done: Vec<String> = Vec::new();
    loop {
        let services = ecs::describe_services(ctx, cluster, &names).await?;
        for target in targets {
            if done.contains(&target.service) {
                continue;
            }
            let Some(running) = services.iter().find(|s| s.name == target.service) else {
                return Err(Error::failed(format!(
                    "service {} disappeared from cluster {cluster} during the rollout",
                    target.service
                )));
            };
            let observation = &running.observation;
            let seen_ids = seen.entry(target.service.clone()).or_insert_with(|| {
                // Events from before this deploy are history, not progress.
                observation.events.iter().map(|e| e.id.clone()).collect()
            });
            for event in rollout::new_events(&observation.events, seen_ids) {
                eprintln!("  {}: {}", target.service, event.message);
            }
            match rollout::decide(&target.deployment, observation, started.elapsed(), timeout) {
                Verdict::Completed => {
                    eprintln!("  {}: rollout COMPLETED", target.service);
                    done.push(target.service.clone());
                }
                Verdict::InProgress(p) => {
                    let line = format!(
                        "{}/{} running, {} pending, {}",
                        p.running, p.desired, p.pending, p.rollout_state
                    );
                    if last_line.get(&target.service) != Some(&line) {
                        eprintln!("  {}: {line}", target.service);
                        last_line.insert(target.service.clone(), line);
                    }
                }
                Verdict::Failed(reason) | Verdict::RolledBack(reason) => {
                    return Err(failure(&target.service, &reason, observation));
                }
                Verdict::TimedOut(p) => {
                    return Err(failure(
                        &target.service,
                        &format!(
                            "the rollout did not complete within {}s ({}/{} running, {})",
                            timeout.as_secs(),
                            p.running,
                            p.desired,
                            p.rollout_state
                        ),
                        observation,
                    )
                    .with_help("rerun with a longer --timeout, or look at the service's events in the ECS console"));
                }
            }
        }
        if done.len() == targets.len() {
            return Ok(());
        }
        if let Err(signal) = super::interrupt::sleep(super::POLL_INTERVAL).await {
            return Err(interrupted(signal, targets, &done, &last_line));
        }
    }
}

/// Stopped waiting by a signal: each service's state as last seen. A rollout
/// under way is ECS's to finish (or roll back); parity does not cancel it.
fn interrupted(
    signal: super::interrupt::Signal,
    targets: &[Target],
    done: &[String],
    last_line: &HashMap<String, String>,
) -> Error {
    let mut error = super::interrupt::stopped(signal, "while waiting for the rollout");
    for target in targets {
        let state = if done.contains(&target.service) {
            "rollout COMPLETED".to_owned()
        } else {
            format!(
                "rollout under way ({}); ECS carries on with it (or rolls it back): parity did not cancel it",
                last_line
                    .get(&target.service)
                    .map_or("no progress seen yet", String::as_str)
            )
        };
        error = error.with_help(format!("{}: {state}", target.service));
    }
    error
}

fn failure(service: &str, reason: &str, observation: &rollout::Observation) -> Error {
    let mut message = format!("{service}: {reason}");
    let recent: Vec<&str> = observation
        .events
        .iter()
        .take(5)
        .map(|e| e.message.as_str())
        .collect();
    if !recent.is_empty() {
        message.push_str("\nrecent service events (newest first):");
        for event in recent {
            message.push_str("\n  ");
            message.push_str(event);
        }
    }
    Error::failed(message)
}
