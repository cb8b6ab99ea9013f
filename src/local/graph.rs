//! Which services an `up` touches and in what order: the requested services
//! plus their dependencies, each edge with the condition the dependant waits
//! for. The release service's dependants always wait for its successful exit.
//!
//! Pure: reads the model only; no engine, no printing (warnings are returned).

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use crate::compose::model::{Condition, Project};
use crate::error::Error;

/// One `depends_on` edge as the runner honours it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edge {
    pub(crate) dependency: String,
    pub(crate) condition: Condition,
    /// `false`: a failing dependency is reported and the dependant starts anyway.
    pub(crate) required: bool,
    /// Restart the dependant when the dependency is recreated.
    pub(crate) restart: bool,
}

/// The services of one run in dependency order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    /// Topological order: every service after its dependencies.
    pub(crate) order: Vec<String>,
    /// Each service's dependencies (only those taking part in the run).
    pub(crate) edges: IndexMap<String, Vec<Edge>>,
    /// Optional dependencies that were skipped, said once to the user.
    pub(crate) warnings: Vec<String>,
}

impl Graph {
    /// The services that depend on `service` directly.
    pub(crate) fn dependants(&self, service: &str) -> Vec<&str> {
        self.edges
            .iter()
            .filter(|(_, deps)| deps.iter().any(|e| e.dependency == service))
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// Groups for stopping: dependants before their dependencies; each group can stop in parallel.
    pub(crate) fn stop_levels(&self) -> Vec<Vec<String>> {
        let mut depth: HashMap<&str, usize> = HashMap::new();
        for name in &self.order {
            let d = self.edges[name]
                .iter()
                .map(|e| depth.get(e.dependency.as_str()).map_or(0, |d| d + 1))
                .max()
                .unwrap_or(0);
            depth.insert(name, d);
        }
        let max = depth.values().copied().max().unwrap_or(0);
        let mut levels = vec![Vec::new(); max + 1];
        for name in &self.order {
            levels[max - depth[name.as_str()]].push(name.clone());
        }
        levels.retain(|l| !l.is_empty());
        levels
    }
}

/// Resolves the requested services (all when empty) and their dependencies.
/// `releases` are the release services: their dependants wait for their successful exit.
pub(crate) fn resolve(
    project: &Project,
    requested: &[String],
    releases: &HashSet<String>,
) -> Result<Graph, Error> {
    let mut graph = Graph::default();
    // Jobs (`x-parity.schedule`) run on their schedule or by `parity run`:
    // like a service of an inactive profile, `up` starts one only when named.
    let everything_but_jobs: Vec<String>;
    let requested = if requested.is_empty() {
        everything_but_jobs = project
            .services
            .iter()
            .filter(|(_, s)| !s.x_parity.is_job())
            .map(|(n, _)| n.clone())
            .collect();
        everything_but_jobs.as_slice()
    } else {
        requested
    };
    for name in crate::compose::with_dependencies(project, requested)? {
        let service = &project.services[&name];
        let mut edges = Vec::new();
        for (dep, spec) in &service.depends_on {
            if !project.services.contains_key(dep) {
                if spec.required {
                    return Err(Error::input(format!(
                        "service `{name}` depends on `{dep}`, which is not an active service"
                    ))
                    .with_help(format!(
                        "define `{dep}`, enable its profile with --profile, or mark the dependency `required: false`"
                    )));
                }
                graph.warnings.push(format!(
                    "{name}: optional dependency `{dep}` is not an active service; starting without it"
                ));
                continue;
            }
            let condition = if releases.contains(dep) {
                Condition::CompletedSuccessfully
            } else {
                spec.condition
            };
            edges.push(Edge {
                dependency: dep.clone(),
                condition,
                required: spec.required,
                restart: spec.restart,
            });
        }
        graph.edges.insert(name, edges);
    }
    graph.order = topological(&graph.edges)?;
    Ok(graph)
}

/// Kahn's algorithm, keeping the model's (sorted) order among independent services.
fn topological(edges: &IndexMap<String, Vec<Edge>>) -> Result<Vec<String>, Error> {
    let mut names: Vec<&String> = edges.keys().collect();
    names.sort();
    let mut done: HashSet<&str> = HashSet::new();
    let mut order = Vec::new();
    while order.len() < names.len() {
        let ready: Vec<&String> = names
            .iter()
            .copied()
            .filter(|n| !done.contains(n.as_str()))
            .filter(|n| {
                edges[*n]
                    .iter()
                    .all(|e| done.contains(e.dependency.as_str()))
            })
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = names
                .iter()
                .filter(|n| !done.contains(n.as_str()))
                .map(|n| n.as_str())
                .collect();
            return Err(Error::input(format!(
                "dependency cycle between services: {}",
                stuck.join(", ")
            ))
            .with_help("remove one of the `depends_on` entries that form the cycle"));
        }
        for name in ready {
            done.insert(name);
            order.push(name.clone());
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::model::{Dependency, Service};

    type Spec<'a> = &'a [(&'a str, &'a [(&'a str, Condition, bool)])];

    fn project(spec: Spec<'_>) -> Project {
        let mut project = Project {
            name: "p".into(),
            ..Project::default()
        };
        for (name, deps) in spec {
            let mut service = Service {
                name: (*name).into(),
                ..Service::default()
            };
            for (dep, condition, required) in *deps {
                service.depends_on.insert(
                    (*dep).into(),
                    Dependency {
                        condition: *condition,
                        restart: false,
                        required: *required,
                    },
                );
            }
            project.services.insert((*name).into(), service);
        }
        project
    }

    fn stack() -> Project {
        project(&[
            ("db", &[]),
            ("migrate", &[("db", Condition::Healthy, true)]),
            (
                "web",
                &[
                    ("migrate", Condition::Started, true),
                    ("db", Condition::Healthy, true),
                ],
            ),
            ("worker", &[("db", Condition::Healthy, true)]),
            ("cache", &[]),
        ])
    }

    #[test]
    fn order_puts_dependencies_first() {
        let graph = resolve(&stack(), &[], &HashSet::new()).unwrap();
        assert_eq!(graph.order, ["cache", "db", "migrate", "worker", "web"]);
    }

    #[test]
    fn jobs_start_only_when_named() {
        let mut project = stack();
        project.services["cache"].x_parity.schedule = Some("rate(1 hour)".into());
        let graph = resolve(&project, &[], &HashSet::new()).unwrap();
        assert_eq!(graph.order, ["db", "migrate", "worker", "web"]);
        let graph = resolve(&project, &["cache".into()], &HashSet::new()).unwrap();
        assert_eq!(graph.order, ["cache"]);
    }

    #[test]
    fn requested_services_pull_in_their_dependencies_only() {
        let graph = resolve(&stack(), &["web".into()], &HashSet::new()).unwrap();
        assert_eq!(graph.order, ["db", "migrate", "web"]);
    }

    #[test]
    fn release_dependants_wait_for_completion() {
        let releases = HashSet::from(["migrate".to_string()]);
        let graph = resolve(&stack(), &[], &releases).unwrap();
        let web = &graph.edges["web"];
        let migrate = web.iter().find(|e| e.dependency == "migrate").unwrap();
        assert_eq!(migrate.condition, Condition::CompletedSuccessfully);
    }

    #[test]
    fn missing_optional_dependency_is_a_warning() {
        let p = project(&[("web", &[("ghost", Condition::Started, false)])]);
        let graph = resolve(&p, &[], &HashSet::new()).unwrap();
        assert_eq!(graph.order, ["web"]);
        assert!(graph.warnings[0].contains("ghost"));
    }

    #[test]
    fn missing_required_dependency_is_bad_input() {
        let p = project(&[("web", &[("ghost", Condition::Started, true)])]);
        let err = resolve(&p, &[], &HashSet::new()).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn cycles_are_bad_input() {
        let p = project(&[
            ("a", &[("b", Condition::Started, true)]),
            ("b", &[("a", Condition::Started, true)]),
        ]);
        let err = resolve(&p, &[], &HashSet::new()).unwrap_err();
        assert!(err.message().contains("cycle"), "{}", err.message());
    }

    #[test]
    fn unknown_service_suggests_the_closest() {
        let err = resolve(&stack(), &["wbe".into()], &HashSet::new()).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let text = format!("{:?}", err);
        assert!(text.contains("did you mean `web`"), "{text}");
    }

    #[test]
    fn stop_levels_put_dependants_first() {
        let graph = resolve(&stack(), &[], &HashSet::new()).unwrap();
        let levels = graph.stop_levels();
        assert_eq!(levels[0], ["web"]);
        assert_eq!(levels.last().unwrap(), &["cache", "db"]);
    }
}
