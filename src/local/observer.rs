//! What the engine says about the run's containers, from its events stream
//! (`start`, `die`, `health_status`), never by polling: a dependant is released
//! the moment its dependency turns healthy or exits.
//!
//! The stream is opened with `since` = the moment the observer starts, so an
//! event that happens before the subscription is live is replayed, not lost.
//! `up` starts it before it lists the project's containers, and events of a
//! container no service follows yet are kept (folded: each event sets the
//! whole state) until `up` adopts that container: a one-shot listed as running
//! that exits before `up` follows it is seen to have exited, not waited for
//! forever. One that exited just before the observer started, which the list
//! still shows running (the engine updates it after the `die`), is
//! `confirm`ed from its own state. [`verdict`] is the pure rule for "is this dependency condition met yet".

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bollard::query_parameters::EventsOptions;
use futures_util::StreamExt;
use tokio::sync::watch;

use super::engine::Engine;
use super::labels;
use crate::compose::model::Condition;

/// Where a service's container is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for its dependencies (or not touched yet).
    Pending,
    Created,
    Running,
    Healthy,
    Unhealthy,
    Exited(i64),
    /// parity could not create or start it; the text says why.
    Failed(String),
}

/// One service's state and when it got there.
#[derive(Debug, Clone)]
pub(crate) struct Status {
    pub(crate) phase: Phase,
    pub(crate) container: Option<String>,
    pub(crate) started_at: Option<Instant>,
    /// First time it was healthy (or exited 0).
    pub(crate) ready_at: Option<Instant>,
}

impl Default for Status {
    fn default() -> Self {
        Self {
            phase: Phase::Pending,
            container: None,
            started_at: None,
            ready_at: None,
        }
    }
}

/// The run's view of every service, shared through a watch channel.
#[derive(Debug, Clone, Default)]
pub(crate) struct Board {
    pub(crate) services: HashMap<String, Status>,
    /// The events stream broke (engine gone): nothing more will be learnt.
    pub(crate) broken: Option<String>,
}

/// Which containers the run follows, and what the events said about the others.
#[derive(Default)]
struct Followed {
    /// Container id to service.
    services: HashMap<String, String>,
    /// Project containers no service follows (yet), folded from their events.
    unclaimed: HashMap<String, Status>,
    /// Adopted containers no event has been seen for since: `confirm` may still set them.
    unconfirmed: HashSet<String>,
}

/// More unclaimed containers than this (one-offs of a long attached session)
/// are forgotten at once; `up` adopts its containers within seconds.
const UNCLAIMED_LIMIT: usize = 1024;

/// Follows the engine's events for one project.
pub(crate) struct Observer {
    board: watch::Sender<Board>,
    followed: Arc<Mutex<Followed>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Observer {
    /// Opens the project's events stream. Call before starting anything.
    pub(crate) fn start(engine: &Engine, project: &str) -> Self {
        let (board, _) = watch::channel(Board::default());
        let followed: Arc<Mutex<Followed>> = Arc::default();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let mut filters = labels::project_filter(project);
        filters.insert("type".into(), vec!["container".into()]);
        filters.insert(
            "event".into(),
            vec!["start".into(), "die".into(), "health_status".into()],
        );
        let options = EventsOptions {
            since: Some(format!("{}.{:09}", now.as_secs(), now.subsec_nanos())),
            until: None,
            filters: Some(filters),
        };
        let docker = engine.docker.clone();
        let sender = board.clone();
        let shared = Arc::clone(&followed);
        let task = tokio::spawn(async move {
            let mut stream = docker.events(Some(options));
            while let Some(event) = stream.next().await {
                let event = match event {
                    Ok(event) => event,
                    Err(e) => {
                        sender.send_modify(|b| b.broken = Some(e.to_string()));
                        return;
                    }
                };
                let actor = event.actor.unwrap_or_default();
                let Some(id) = actor.id else { continue };
                let action = event.action.unwrap_or_default();
                let attributes = actor.attributes.unwrap_or_default();
                // Held while the event is applied, so `adopt` sees each event
                // either among the unclaimed or after it follows the container.
                let mut followed = shared.lock().unwrap_or_else(|p| p.into_inner());
                followed.unconfirmed.remove(&id);
                let Some(service) = followed.services.get(&id).cloned() else {
                    if followed.unclaimed.len() >= UNCLAIMED_LIMIT {
                        followed.unclaimed.clear();
                    }
                    let status = followed.unclaimed.entry(id).or_default();
                    apply(status, &action, &attributes, Instant::now());
                    continue;
                };
                sender.send_modify(|b| {
                    let status = b.services.entry(service).or_default();
                    if status.container.as_deref() != Some(id.as_str()) {
                        return;
                    }
                    apply(status, &action, &attributes, Instant::now());
                });
            }
            sender.send_modify(|b| b.broken = Some("the engine closed the events stream".into()));
        });
        Self {
            board,
            followed,
            task,
        }
    }

    /// Follows `container` as `service`'s container from now on, in the phase
    /// parity just put it in (created, restarted): earlier events of it are old news.
    pub(crate) fn track(&self, service: &str, container: &str, phase: Phase) {
        // Held until the board follows it too, as in `adopt`.
        let mut followed = self.followed.lock().unwrap_or_else(|p| p.into_inner());
        followed.unclaimed.remove(container);
        followed
            .services
            .insert(container.to_string(), service.to_string());
        self.board.send_modify(|b| {
            let status = b.services.entry(service.to_string()).or_default();
            status.container = Some(container.to_string());
            status.phase = phase;
        });
    }

    /// Follows an existing container `up` keeps, `listed` in the container
    /// list made after this observer started: what the events said of it
    /// since (it exited, it turned healthy) is newer than the list, and wins.
    pub(crate) fn adopt(&self, service: &str, container: &str, listed: Phase) {
        let mut followed = self.followed.lock().unwrap_or_else(|p| p.into_inner());
        let seen = followed.unclaimed.remove(container);
        if seen.is_none() {
            followed.unconfirmed.insert(container.to_string());
        }
        followed
            .services
            .insert(container.to_string(), service.to_string());
        let status = adopted(listed, seen);
        self.board.send_modify(|b| {
            b.services.insert(
                service.to_string(),
                Status {
                    container: Some(container.to_string()),
                    ..status
                },
            );
        });
    }

    /// The adopted container's phase from its own state (`containers::phase_now`,
    /// read after `adopt`): it exited or turned healthy before this observer
    /// started, while the list still showed it running. Events seen since
    /// the adoption are newer and keep their say.
    pub(crate) fn confirm(&self, service: &str, container: &str, phase: Phase) {
        let mut followed = self.followed.lock().unwrap_or_else(|p| p.into_inner());
        if !followed.unconfirmed.remove(container) {
            return;
        }
        self.board.send_modify(|b| {
            if let Some(status) = b.services.get_mut(service)
                && status.container.as_deref() == Some(container)
            {
                status.phase = phase;
            }
        });
    }

    /// Marks a container parity just started, unless an event already moved it on.
    pub(crate) fn started(&self, service: &str) {
        self.board.send_modify(|b| {
            let status = b.services.entry(service.to_string()).or_default();
            if status.phase == Phase::Created {
                status.phase = Phase::Running;
                status.started_at.get_or_insert_with(Instant::now);
            }
        });
    }

    /// The service's health check passed when parity ran it (see `probe`):
    /// healthy now, unless the engine already decided or the container changed.
    pub(crate) fn probed_healthy(&self, service: &str, container: &str) {
        self.board.send_if_modified(|b| {
            let Some(status) = b.services.get_mut(service) else {
                return false;
            };
            if status.phase != Phase::Running || status.container.as_deref() != Some(container) {
                return false;
            }
            status.phase = Phase::Healthy;
            status.ready_at.get_or_insert_with(Instant::now);
            true
        });
    }

    /// Records a failure parity itself ran into.
    pub(crate) fn fail(&self, service: &str, reason: &str) {
        self.board.send_modify(|b| {
            b.services.entry(service.to_string()).or_default().phase =
                Phase::Failed(reason.to_string());
        });
    }

    /// The current view.
    pub(crate) fn board(&self) -> Board {
        self.board.borrow().clone()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<Board> {
        self.board.subscribe()
    }

    /// Waits until `service` meets `condition` (Ok) or cannot anymore (Err with why).
    pub(crate) async fn wait(&self, service: &str, condition: Wanted) -> Result<(), String> {
        let mut rx = self.board.subscribe();
        loop {
            {
                let board = rx.borrow_and_update();
                let status = board.services.get(service).cloned().unwrap_or_default();
                if let Some(result) = verdict(&status.phase, condition) {
                    return result;
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
}

/// An adopted container's status: what its events said since the observer
/// started, else what the container list said.
fn adopted(listed: Phase, seen: Option<Status>) -> Status {
    match seen {
        Some(seen) if seen.phase != Phase::Pending => seen,
        _ => Status {
            phase: listed,
            ..Status::default()
        },
    }
}

/// Applies one engine event to a service's status.
fn apply(status: &mut Status, action: &str, attributes: &HashMap<String, String>, now: Instant) {
    match action {
        "start" => {
            status.phase = Phase::Running;
            status.started_at.get_or_insert(now);
        }
        "die" => {
            let code = attributes
                .get("exitCode")
                .and_then(|c| c.parse().ok())
                .unwrap_or(-1);
            status.phase = Phase::Exited(code);
            if code == 0 {
                status.ready_at.get_or_insert(now);
            }
        }
        a if a.starts_with("health_status") => {
            let state = a.rsplit(':').next().unwrap_or_default().trim();
            if state == "healthy" {
                status.phase = Phase::Healthy;
                status.ready_at.get_or_insert(now);
            } else if state == "unhealthy" {
                status.phase = Phase::Unhealthy;
            }
        }
        _ => {}
    }
}

/// What a waiter needs from a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// A `depends_on` condition.
    Condition(Condition),
    /// `--wait`: healthy when it has a health check, else running.
    Ready { healthcheck: bool },
}

/// Whether `phase` meets what is wanted: `Some(Ok)` yes, `Some(Err)` never will, `None` not yet.
pub(crate) fn verdict(phase: &Phase, wanted: Wanted) -> Option<Result<(), String>> {
    use Phase::{Created, Exited, Failed, Healthy, Pending, Running, Unhealthy};
    let failed = |why: &str| Some(Err(why.to_string()));
    match (wanted, phase) {
        (_, Failed(why)) => failed(why),
        (_, Pending | Created) => None,
        (Wanted::Condition(Condition::Started), _) => Some(Ok(())),
        (Wanted::Condition(Condition::Healthy) | Wanted::Ready { healthcheck: true }, Healthy) => {
            Some(Ok(()))
        }
        (
            Wanted::Condition(Condition::Healthy) | Wanted::Ready { healthcheck: true },
            Unhealthy,
        ) => failed("is unhealthy"),
        (
            Wanted::Condition(Condition::Healthy) | Wanted::Ready { healthcheck: true },
            Exited(code),
        ) => failed(&format!("exited with code {code} before it was healthy")),
        (Wanted::Condition(Condition::CompletedSuccessfully), Exited(0)) => Some(Ok(())),
        (Wanted::Condition(Condition::CompletedSuccessfully), Exited(code)) => {
            failed(&format!("exited with code {code}"))
        }
        (Wanted::Ready { healthcheck: false }, Running | Healthy | Unhealthy) => Some(Ok(())),
        (Wanted::Ready { healthcheck: false }, Exited(code)) => {
            failed(&format!("exited with code {code}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEALTHY: Wanted = Wanted::Condition(Condition::Healthy);
    const COMPLETED: Wanted = Wanted::Condition(Condition::CompletedSuccessfully);

    #[test]
    fn healthy_waits_through_running_and_fails_on_exit_or_unhealthy() {
        assert_eq!(verdict(&Phase::Running, HEALTHY), None);
        assert_eq!(verdict(&Phase::Healthy, HEALTHY), Some(Ok(())));
        assert!(verdict(&Phase::Unhealthy, HEALTHY).unwrap().is_err());
        let early = verdict(&Phase::Exited(3), HEALTHY).unwrap().unwrap_err();
        assert!(early.contains("code 3"), "{early}");
    }

    #[test]
    fn completed_needs_exit_zero() {
        assert_eq!(verdict(&Phase::Running, COMPLETED), None);
        assert_eq!(verdict(&Phase::Exited(0), COMPLETED), Some(Ok(())));
        assert!(verdict(&Phase::Exited(1), COMPLETED).unwrap().is_err());
    }

    #[test]
    fn started_is_met_by_any_started_phase() {
        let started = Wanted::Condition(Condition::Started);
        assert_eq!(verdict(&Phase::Created, started), None);
        assert_eq!(verdict(&Phase::Exited(1), started), Some(Ok(())));
    }

    #[test]
    fn an_adopted_container_takes_its_events_since_the_list_over_the_list() {
        let mut seen = Status::default();
        let code = HashMap::from([("exitCode".to_string(), "0".to_string())]);
        apply(&mut seen, "die", &code, Instant::now());
        let status = adopted(Phase::Running, Some(seen));
        assert_eq!(status.phase, Phase::Exited(0));
        assert_eq!(verdict(&status.phase, COMPLETED), Some(Ok(())));
        assert_eq!(adopted(Phase::Healthy, None).phase, Phase::Healthy);
        assert_eq!(
            adopted(Phase::Running, Some(Status::default())).phase,
            Phase::Running
        );
    }

    #[test]
    fn events_move_the_phase() {
        let mut status = Status::default();
        let now = Instant::now();
        apply(&mut status, "start", &HashMap::new(), now);
        assert_eq!(status.phase, Phase::Running);
        apply(&mut status, "health_status: healthy", &HashMap::new(), now);
        assert_eq!(status.phase, Phase::Healthy);
        assert!(status.ready_at.is_some());
        let code = HashMap::from([("exitCode".to_string(), "137".to_string())]);
        apply(&mut status, "die", &code, now);
        assert_eq!(status.phase, Phase::Exited(137));
    }
}
