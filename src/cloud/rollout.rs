//! What an ECS service's deployments mean for the rollout parity started.
//!
//! Pure: the polling loop (src/commands/deploy) feeds it one observation of a
//! service at a time and acts on the [`Verdict`]. It owns the rules, taken from
//! ECS's documented behaviour, and nothing else:
//!
//! - A rolling-update deployment starts `IN_PROGRESS`, becomes `COMPLETED` once
//!   the service reached a steady state, or `FAILED` when the deployment circuit
//!   breaker tripped. A `FAILED` deployment launches no new tasks.
//! - With the circuit breaker's `rollback` on, ECS then starts a new deployment
//!   of the last completed task definition: that one becomes `PRIMARY` and ours
//!   turns `ACTIVE`, then `INACTIVE`, and may drop out of the list.
//! - So "the service is stable" is not success: after a rollback it is stable on
//!   the *old* revision. Only our deployment id reaching `COMPLETED` is success,
//!   which is why the "services stable" waiter is never used.

use std::time::Duration;

/// One deployment of a service, as DescribeServices reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Deployment {
    pub(crate) id: String,
    /// `PRIMARY` (the newest), `ACTIVE` (older, still has tasks) or `INACTIVE`.
    pub(crate) status: String,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`; absent outside rolling updates.
    pub(crate) rollout_state: Option<String>,
    pub(crate) rollout_state_reason: Option<String>,
    pub(crate) task_definition: String,
    pub(crate) desired: i32,
    pub(crate) running: i32,
    pub(crate) pending: i32,
    pub(crate) failed_tasks: i32,
}

/// One service event (newest first, as ECS lists them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    pub(crate) id: String,
    pub(crate) message: String,
}

/// A service at one moment of the wait.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Observation {
    pub(crate) service: String,
    pub(crate) deployments: Vec<Deployment>,
    pub(crate) events: Vec<Event>,
}

/// How far a deployment in progress has come (for the progress line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Progress {
    pub(crate) running: i32,
    pub(crate) desired: i32,
    pub(crate) pending: i32,
    pub(crate) rollout_state: String,
}

/// What the observation means for the deployment we wait on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Our deployment reached a steady state.
    Completed,
    /// Still rolling out; keep polling.
    InProgress(Progress),
    /// The circuit breaker failed our deployment and nothing replaced it.
    Failed(String),
    /// The service settled on another deployment (a circuit-breaker rollback,
    /// or someone else deployed over us).
    RolledBack(String),
    /// The wait's time ran out while the deployment was still in progress.
    TimedOut(Progress),
}

impl Verdict {
    /// Whether polling should stop.
    #[cfg(test)]
    pub(crate) fn is_final(&self) -> bool {
        !matches!(self, Verdict::InProgress(_))
    }
}

const COMPLETED: &str = "COMPLETED";
const FAILED: &str = "FAILED";
const PRIMARY: &str = "PRIMARY";

/// Decides what `observation` means for deployment `ours`, `elapsed` into a wait
/// of at most `timeout`.
pub(crate) fn decide(
    ours: &str,
    observation: &Observation,
    elapsed: Duration,
    timeout: Duration,
) -> Verdict {
    let primary = observation.deployments.iter().find(|d| d.status == PRIMARY);
    let Some(mine) = observation.deployments.iter().find(|d| d.id == ours) else {
        let now = primary.map_or_else(
            || "no deployment".to_owned(),
            |p| {
                format!(
                    "deployment {} ({})",
                    p.id,
                    short_task_definition(&p.task_definition)
                )
            },
        );
        return Verdict::RolledBack(format!(
            "deployment {ours} is gone; the service now runs {now}"
        ));
    };
    let state = mine.rollout_state.as_deref().unwrap_or("");
    let reason = mine.rollout_state_reason.clone().unwrap_or_default();
    let replaced_by = primary.filter(|p| p.id != ours);
    match (state, replaced_by) {
        (COMPLETED, _) => Verdict::Completed,
        (FAILED, Some(other)) => Verdict::RolledBack(with_reason(
            &format!(
                "the service rolled back to {} (deployment {})",
                short_task_definition(&other.task_definition),
                other.id
            ),
            &reason,
        )),
        (FAILED, None) => Verdict::Failed(with_reason("the deployment failed", &reason)),
        (_, Some(other)) => Verdict::RolledBack(with_reason(
            &format!(
                "deployment {} replaced ours; the service runs {}",
                other.id,
                short_task_definition(&other.task_definition)
            ),
            &reason,
        )),
        _ => {
            let progress = Progress {
                running: mine.running,
                desired: mine.desired,
                pending: mine.pending,
                rollout_state: if state.is_empty() {
                    "UNKNOWN".to_owned()
                } else {
                    state.to_owned()
                },
            };
            if elapsed >= timeout {
                Verdict::TimedOut(progress)
            } else {
                Verdict::InProgress(progress)
            }
        }
    }
}

/// The events not shown yet, oldest first, and marks them seen.
pub(crate) fn new_events<'a>(events: &'a [Event], seen: &mut Vec<String>) -> Vec<&'a Event> {
    let mut fresh: Vec<&Event> = events.iter().filter(|e| !seen.contains(&e.id)).collect();
    fresh.reverse();
    seen.extend(fresh.iter().map(|e| e.id.clone()));
    fresh
}

/// `family:revision` of a task definition ARN (or the input when it is not one).
pub(crate) fn short_task_definition(arn: &str) -> &str {
    arn.rsplit_once(":task-definition/")
        .map_or(arn, |(_, tail)| tail)
}

fn with_reason(what: &str, reason: &str) -> String {
    if reason.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {reason}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD_OLD: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/app-web:1";
    const TD_NEW: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/app-web:2";

    fn deployment(id: &str, status: &str, state: &str, td: &str) -> Deployment {
        Deployment {
            id: id.into(),
            status: status.into(),
            rollout_state: Some(state.into()),
            rollout_state_reason: None,
            task_definition: td.into(),
            desired: 2,
            running: 1,
            pending: 1,
            failed_tasks: 0,
        }
    }

    fn observe(deployments: Vec<Deployment>) -> Observation {
        Observation {
            service: "web".into(),
            deployments,
            events: Vec::new(),
        }
    }

    const MINUTE: Duration = Duration::from_secs(60);

    fn at(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn in_progress_next_to_the_old_deployment_keeps_waiting() {
        let obs = observe(vec![
            deployment("new", "PRIMARY", "IN_PROGRESS", TD_NEW),
            deployment("old", "ACTIVE", "COMPLETED", TD_OLD),
        ]);
        assert_eq!(
            decide("new", &obs, at(5), MINUTE),
            Verdict::InProgress(Progress {
                running: 1,
                desired: 2,
                pending: 1,
                rollout_state: "IN_PROGRESS".into()
            })
        );
    }

    #[test]
    fn our_deployment_completed_is_success() {
        let obs = observe(vec![deployment("new", "PRIMARY", "COMPLETED", TD_NEW)]);
        assert_eq!(decide("new", &obs, at(5), MINUTE), Verdict::Completed);
    }

    #[test]
    fn completed_wins_over_the_timeout() {
        let obs = observe(vec![deployment("new", "PRIMARY", "COMPLETED", TD_NEW)]);
        assert_eq!(decide("new", &obs, at(600), MINUTE), Verdict::Completed);
    }

    #[test]
    fn the_old_deployment_completed_is_not_success() {
        // A stable service on the previous deployment: what the "services stable"
        // waiter would call success.
        let obs = observe(vec![
            deployment("old", "PRIMARY", "COMPLETED", TD_OLD),
            deployment("new", "ACTIVE", "FAILED", TD_NEW),
        ]);
        assert!(matches!(
            decide("new", &obs, at(5), MINUTE),
            Verdict::RolledBack(_)
        ));
    }

    #[test]
    fn circuit_breaker_rollback_names_the_revision_and_reason() {
        let mut failed = deployment("new", "ACTIVE", "FAILED", TD_NEW);
        failed.rollout_state_reason =
            Some("ECS deployment circuit breaker: tasks failed to start.".into());
        let obs = observe(vec![
            deployment("rollback", "PRIMARY", "IN_PROGRESS", TD_OLD),
            failed,
        ]);
        assert_eq!(
            decide("new", &obs, at(5), MINUTE),
            Verdict::RolledBack(
                "the service rolled back to app-web:1 (deployment rollback): \
                 ECS deployment circuit breaker: tasks failed to start."
                    .into()
            )
        );
    }

    #[test]
    fn failed_without_rollback_is_failed() {
        let mut failed = deployment("new", "PRIMARY", "FAILED", TD_NEW);
        failed.rollout_state_reason = Some("tasks failed to start".into());
        let obs = observe(vec![failed]);
        assert_eq!(
            decide("new", &obs, at(5), MINUTE),
            Verdict::Failed("the deployment failed: tasks failed to start".into())
        );
    }

    #[test]
    fn our_deployment_gone_means_the_service_moved_on() {
        let obs = observe(vec![deployment("old", "PRIMARY", "COMPLETED", TD_OLD)]);
        assert_eq!(
            decide("new", &obs, at(5), MINUTE),
            Verdict::RolledBack(
                "deployment new is gone; the service now runs deployment old (app-web:1)".into()
            )
        );
    }

    #[test]
    fn someone_else_deploying_over_us_is_not_success() {
        let obs = observe(vec![
            deployment("theirs", "PRIMARY", "IN_PROGRESS", TD_OLD),
            deployment("new", "ACTIVE", "IN_PROGRESS", TD_NEW),
        ]);
        assert!(matches!(
            decide("new", &obs, at(5), MINUTE),
            Verdict::RolledBack(m) if m.contains("theirs replaced ours")
        ));
    }

    #[test]
    fn still_in_progress_at_the_deadline_times_out() {
        let obs = observe(vec![deployment("new", "PRIMARY", "IN_PROGRESS", TD_NEW)]);
        assert!(matches!(
            decide("new", &obs, MINUTE, MINUTE),
            Verdict::TimedOut(p) if p.running == 1 && p.desired == 2
        ));
        assert!(!decide("new", &obs, at(59), MINUTE).is_final());
    }

    #[test]
    fn missing_rollout_state_waits_and_says_unknown() {
        let mut d = deployment("new", "PRIMARY", "", TD_NEW);
        d.rollout_state = None;
        assert!(matches!(
            decide("new", &observe(vec![d]), at(1), MINUTE),
            Verdict::InProgress(p) if p.rollout_state == "UNKNOWN"
        ));
    }

    #[test]
    fn a_full_circuit_breaker_sequence_ends_rolled_back() {
        // IN_PROGRESS -> FAILED with the rollback deployment as PRIMARY -> ours INACTIVE/gone.
        let steps = [
            observe(vec![
                deployment("new", "PRIMARY", "IN_PROGRESS", TD_NEW),
                deployment("old", "ACTIVE", "COMPLETED", TD_OLD),
            ]),
            observe(vec![
                deployment("rb", "PRIMARY", "IN_PROGRESS", TD_OLD),
                deployment("new", "ACTIVE", "FAILED", TD_NEW),
            ]),
        ];
        let verdicts: Vec<bool> = steps
            .iter()
            .map(|o| decide("new", o, at(1), MINUTE).is_final())
            .collect();
        assert_eq!(verdicts, [false, true]);
    }

    #[test]
    fn new_events_come_oldest_first_and_only_once() {
        let events = vec![
            Event {
                id: "3".into(),
                message: "c".into(),
            },
            Event {
                id: "2".into(),
                message: "b".into(),
            },
            Event {
                id: "1".into(),
                message: "a".into(),
            },
        ];
        let mut seen = vec!["1".to_owned()];
        let fresh: Vec<&str> = new_events(&events, &mut seen)
            .iter()
            .map(|e| e.message.as_str())
            .collect();
        assert_eq!(fresh, ["b", "c"]);
        assert!(new_events(&events, &mut seen).is_empty());
    }

    #[test]
    fn short_task_definition_keeps_family_and_revision() {
        assert_eq!(short_task_definition(TD_NEW), "app-web:2");
        assert_eq!(short_task_definition("app-web:3"), "app-web:3");
    }
}
