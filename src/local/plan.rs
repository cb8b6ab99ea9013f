//! What `up` does to each service's container given what already exists:
//! keep it, start it, create it, recreate it (its config hash changed), or
//! restart it (a `restart: true` dependency was recreated). A release service
//! that already completed with the same config is kept, not run again.
//!
//! Pure: decides from the existing containers and the wanted config hashes.

use std::collections::HashMap;

use super::containers::Existing;
use super::graph::Graph;
use super::observer::Phase;

/// The action for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Up to date: leave it as it is (running, or a release that completed).
    Keep { id: String, phase: Phase },
    /// Same config, not running: start the existing container.
    Start { id: String },
    /// Same config, running, but a `restart: true` dependency is recreated.
    Restart { id: String },
    /// No container yet.
    Create,
    /// The config changed: replace the container.
    Recreate { old: String },
}

impl Action {
    /// A word for progress lines.
    pub(crate) fn verb(&self) -> &'static str {
        match self {
            Self::Keep { .. } => "up to date",
            Self::Start { .. } => "started",
            Self::Restart { .. } => "restarted",
            Self::Create => "created",
            Self::Recreate { .. } => "recreated",
        }
    }
}

/// Decides every service's action. `wanted` maps service to config hash;
/// `release` says which services are release services.
pub(crate) fn decide(
    graph: &Graph,
    existing: &[Existing],
    wanted: &HashMap<String, String>,
    release: &dyn Fn(&str) -> bool,
) -> HashMap<String, Action> {
    let mut actions: HashMap<String, Action> = HashMap::new();
    for service in &graph.order {
        let current = existing.iter().find(|e| &e.service == service);
        let action = match current {
            None => Action::Create,
            Some(e) if Some(&e.config_hash) != wanted.get(service) => {
                Action::Recreate { old: e.id.clone() }
            }
            Some(e) if release(service) && e.state == "exited" && e.exit_code == Some(0) => {
                Action::Keep {
                    id: e.id.clone(),
                    phase: Phase::Exited(0),
                }
            }
            Some(e) if e.state == "running" => Action::Keep {
                id: e.id.clone(),
                phase: match e.health.as_deref() {
                    Some("healthy") => Phase::Healthy,
                    Some("unhealthy") => Phase::Unhealthy,
                    _ => Phase::Running,
                },
            },
            Some(e) => Action::Start { id: e.id.clone() },
        };
        let recreated_dependency = graph.edges[service].iter().any(|edge| {
            edge.restart && matches!(actions.get(&edge.dependency), Some(Action::Recreate { .. }))
        });
        let action = match action {
            Action::Keep {
                id,
                phase: Phase::Running | Phase::Healthy | Phase::Unhealthy,
            } if recreated_dependency => Action::Restart { id },
            other => other,
        };
        actions.insert(service.clone(), action);
    }
    actions
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::compose::model::{Condition, Dependency, Project, Service};
    use crate::local::graph;

    fn existing(service: &str, hash: &str, state: &str, exit: Option<i64>) -> Existing {
        Existing {
            id: format!("id-{service}"),
            name: format!("p-{service}-1"),
            service: service.into(),
            config_hash: hash.into(),
            state: state.into(),
            health: None,
            exit_code: exit,
            release: false,
            status: String::new(),
            ports: Vec::new(),
            image: String::new(),
        }
    }

    fn stack() -> Graph {
        let mut project = Project::default();
        for name in ["db", "migrate", "web"] {
            project.services.insert(
                name.into(),
                Service {
                    name: name.into(),
                    ..Service::default()
                },
            );
        }
        let dep = |restart| Dependency {
            condition: Condition::Healthy,
            restart,
            required: true,
        };
        project.services["migrate"]
            .depends_on
            .insert("db".into(), dep(false));
        project.services["web"]
            .depends_on
            .insert("db".into(), dep(true));
        project.services["web"]
            .depends_on
            .insert("migrate".into(), dep(false));
        graph::resolve(&project, &[], &HashSet::from(["migrate".to_string()])).unwrap()
    }

    fn wanted(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(s, h)| ((*s).into(), (*h).into()))
            .collect()
    }

    #[test]
    fn nothing_changed_keeps_everything_and_does_not_rerun_the_release() {
        let have = [
            existing("db", "h1", "running", None),
            existing("migrate", "h2", "exited", Some(0)),
            existing("web", "h3", "running", None),
        ];
        let actions = decide(
            &stack(),
            &have,
            &wanted(&[("db", "h1"), ("migrate", "h2"), ("web", "h3")]),
            &|s| s == "migrate",
        );
        assert!(
            actions.values().all(|a| matches!(a, Action::Keep { .. })),
            "{actions:?}"
        );
    }

    #[test]
    fn a_changed_service_is_recreated_and_restart_dependants_restarted() {
        let have = [
            existing("db", "old", "running", None),
            existing("migrate", "h2", "exited", Some(0)),
            existing("web", "h3", "running", None),
        ];
        let actions = decide(
            &stack(),
            &have,
            &wanted(&[("db", "new"), ("migrate", "h2"), ("web", "h3")]),
            &|s| s == "migrate",
        );
        assert_eq!(
            actions["db"],
            Action::Recreate {
                old: "id-db".into()
            }
        );
        assert!(matches!(actions["migrate"], Action::Keep { .. }));
        assert_eq!(
            actions["web"],
            Action::Restart {
                id: "id-web".into()
            }
        );
    }

    #[test]
    fn failed_release_runs_again_and_missing_is_created() {
        let have = [
            existing("db", "h1", "exited", Some(137)),
            existing("migrate", "h2", "exited", Some(1)),
        ];
        let actions = decide(
            &stack(),
            &have,
            &wanted(&[("db", "h1"), ("migrate", "h2"), ("web", "h3")]),
            &|s| s == "migrate",
        );
        assert_eq!(actions["db"], Action::Start { id: "id-db".into() });
        assert_eq!(
            actions["migrate"],
            Action::Start {
                id: "id-migrate".into()
            }
        );
        assert_eq!(actions["web"], Action::Create);
    }
}
