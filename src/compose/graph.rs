//! Which services are active (profiles) and whether what they refer to exists:
//! `depends_on` targets, dependency cycles, networks, volumes, secrets, configs.
//!
//! Profiles as the spec defines them: a service without `profiles` is always
//! active; one with profiles is active when one of them is enabled (`*`
//! enables all) or when the service is named on the command line (which
//! enables its profiles too). A required dependency on an inactive service is
//! an error; an optional one (`required: false`) is dropped.
//!
//! Owns: those checks and the filtering. Errors point at the referring node.

use indexmap::{IndexMap, IndexSet};

use super::model::Project;
use super::yaml::{Node, Pos, Value};
use crate::error::{Error, Result};

/// Drops inactive services and checks every reference of the active ones.
pub(crate) fn resolve(
    project: &mut Project,
    nodes: &IndexMap<String, &Node>,
    profiles: &[String],
    named: &[String],
) -> Result<()> {
    let mut enabled: IndexSet<String> = profiles.iter().cloned().collect();
    for name in named {
        if let Some(service) = project.services.get(name) {
            enabled.extend(service.profiles.iter().cloned());
        }
    }
    let all = enabled.contains("*");
    let is_active = |profiles: &[String], name: &str| {
        profiles.is_empty()
            || all
            || named.iter().any(|n| n == name)
            || profiles.iter().any(|p| enabled.contains(p))
    };
    let active: IndexSet<String> = project
        .services
        .iter()
        .filter(|(name, service)| is_active(&service.profiles, name))
        .map(|(name, _)| name.clone())
        .collect();

    // Only active services are checked, as compose-go checks the project
    // after profiles: a disabled service may be incomplete (no image, a
    // dependency on a service another file or profile brings).
    for name in &active {
        let (service, node) = (&project.services[name], &nodes[name]);
        if service.image.is_none()
            && service.build.is_none()
            && !service.other.contains_key("provider")
        {
            return Err(node
                .pos
                .error(format!(
                    "service `{name}` has neither an image nor a build context"
                ))
                .with_help("add `image:` or `build:`"));
        }
        if let (Some(platform), Some(build)) = (&service.platform, &service.build)
            && !build.platforms.is_empty()
            && !build.platforms.contains(platform)
        {
            return Err(reference_pos(node, "platform", platform)
                .error(format!(
                    "service `{name}` runs on `{platform}`, which its `build.platforms` does not include"
                ))
                .with_help(format!("add {platform} to `build.platforms`, or change `platform`")));
        }
        watch_targets(name, service, node)?;
        for (dependency, options) in &service.depends_on {
            // An optional dependency on a service that does not exist is
            // dropped below, as compose-go does (with a warning).
            if !project.services.contains_key(dependency) && options.required {
                let mut error = reference_pos(node, "depends_on", dependency).error(format!(
                    "service `{name}` depends on undefined service `{dependency}`"
                ));
                let names: Vec<&str> = project.services.keys().map(String::as_str).collect();
                if let Some(help) = crate::suggest::did_you_mean(dependency, &names) {
                    error = error.with_help(help);
                }
                return Err(error);
            }
        }
    }

    for name in &active {
        let service = &project.services[name];
        for (dependency, options) in &service.depends_on {
            if !active.contains(dependency) && options.required {
                let profiles = project.services[dependency].profiles.join(", ");
                return Err(reference_pos(nodes[name], "depends_on", dependency)
                    .error(format!(
                        "service `{name}` depends on `{dependency}`, which is not enabled (its profiles: {profiles})"
                    ))
                    .with_help(format!("enable one of its profiles, e.g. --profile {}", project.services[dependency].profiles[0])));
            }
        }
    }

    project.services.retain(|name, _| active.contains(name));
    for (name, service) in &mut project.services {
        for dependency in service.depends_on.keys().filter(|d| !active.contains(*d)) {
            tracing::warn!(
                "service {name}: optional dependency {dependency} is not active; ignored"
            );
        }
        let keep: Vec<String> = service
            .depends_on
            .keys()
            .filter(|d| active.contains(*d))
            .cloned()
            .collect();
        service.depends_on.retain(|d, _| keep.contains(d));
    }
    check_cycles(project, nodes)?;
    check_references(project, nodes)
}

/// Where a service refers to `target` under `key` (list item or mapping key).
fn reference_pos(service: &Node, key: &str, target: &str) -> Pos {
    let Some(node) = service.get(key) else {
        return service.pos.clone();
    };
    match &node.value {
        Value::Map(map) => map
            .get(target)
            .map_or(node.pos.clone(), |e| e.key_pos.clone()),
        Value::Seq(items) => items
            .iter()
            .find(|i| {
                i.as_scalar() == Some(target)
                    || i.get("source").and_then(Node::as_scalar) == Some(target)
                    || i.as_scalar()
                        .is_some_and(|s| s.split(':').next() == Some(target))
            })
            .map_or(node.pos.clone(), |i| i.pos.clone()),
        Value::Scalar(..) => node.pos.clone(),
    }
}

fn check_cycles(project: &Project, nodes: &IndexMap<String, &Node>) -> Result<()> {
    // 0 = unvisited, 1 = on the current path, 2 = done.
    let mut state: IndexMap<&str, u8> = project.services.keys().map(|k| (k.as_str(), 0)).collect();
    let mut path: Vec<&str> = Vec::new();
    for start in project.services.keys() {
        if let Some(cycle) = visit(project, start, &mut state, &mut path) {
            let first = cycle[0];
            let second = cycle.get(1).copied().unwrap_or(first);
            return Err(reference_pos(nodes[first], "depends_on", second)
                .error(format!("dependency cycle: {}", cycle.join(" -> ")))
                .with_help("remove one of these depends_on entries"));
        }
    }
    Ok(())
}

fn visit<'a>(
    project: &'a Project,
    name: &'a str,
    state: &mut IndexMap<&'a str, u8>,
    path: &mut Vec<&'a str>,
) -> Option<Vec<&'a str>> {
    match state.get(name).copied() {
        Some(2) | None => return None,
        Some(1) => {
            let start = path.iter().position(|n| *n == name).unwrap_or(0);
            let mut cycle: Vec<&str> = path[start..].to_vec();
            cycle.push(name);
            return Some(cycle);
        }
        _ => {}
    }
    state.insert(name, 1);
    path.push(name);
    if let Some(service) = project.services.get(name) {
        for dependency in service.depends_on.keys() {
            if let Some(cycle) = visit(project, dependency, state, path) {
                return Some(cycle);
            }
        }
    }
    path.pop();
    state.insert(name, 2);
    None
}

/// Networks, named volumes, secrets and configs a service uses must be defined.
fn check_references(project: &Project, nodes: &IndexMap<String, &Node>) -> Result<()> {
    for (name, service) in &project.services {
        let node = &nodes[name];
        for network in service.networks.keys() {
            if network != "default" && !project.networks.contains_key(network) {
                return Err(reference_pos(node, "networks", network)
                    .error(format!(
                        "service `{name}` refers to undefined network `{network}`"
                    ))
                    .with_help("define it under the top-level `networks:` key"));
            }
        }
        for mount in &service.volumes {
            if mount.kind != "volume" {
                continue;
            }
            if let Some(source) = &mount.source
                && !project.volumes.contains_key(source)
            {
                return Err(reference_pos(node, "volumes", source)
                    .error(format!("service `{name}` refers to undefined volume `{source}`"))
                    .with_help("define it under the top-level `volumes:` key, or use a path (./dir) for a bind mount"));
            }
        }
        for (key, refs, defined) in [
            ("secrets", &service.secrets, &project.secrets),
            ("configs", &service.configs, &project.configs),
        ] {
            for reference in refs {
                if !defined.contains_key(&reference.source) {
                    return Err(reference_pos(node, key, &reference.source)
                        .error(format!(
                            "service `{name}` refers to undefined {} `{}`",
                            &key[..key.len() - 1],
                            reference.source
                        ))
                        .with_help(format!("define it under the top-level `{key}:` key")));
                }
            }
        }
    }
    Ok(())
}

/// `names` and the services they depend on, transitively, in model order;
/// every service when `names` is empty. An unknown name is bad input.
pub(crate) fn with_dependencies(project: &Project, names: &[String]) -> Result<IndexSet<String>> {
    if names.is_empty() {
        return Ok(project.services.keys().cloned().collect());
    }
    let mut keep: IndexSet<&str> = IndexSet::new();
    let mut queue: Vec<&str> = Vec::new();
    for name in names {
        if !project.services.contains_key(name) {
            return Err(unknown_service(project, name));
        }
        queue.push(name);
    }
    while let Some(name) = queue.pop() {
        if keep.insert(name)
            && let Some(service) = project.services.get(name)
        {
            queue.extend(service.depends_on.keys().map(String::as_str));
        }
    }
    Ok(project
        .services
        .keys()
        .filter(|name| keep.contains(name.as_str()))
        .cloned()
        .collect())
}

/// "no such service", with the closest name when there is one, and the list.
pub(crate) fn unknown_service(project: &Project, name: &str) -> Error {
    let known: Vec<&str> = project.services.keys().map(String::as_str).collect();
    let mut error = Error::input(format!("no such service: `{name}`"));
    if let Some(help) = crate::suggest::did_you_mean(name, &known) {
        error = error.with_help(help);
    }
    error.with_help(format!("the services are: {}", known.join(", ")))
}

/// A sync rule of an active service needs its `target` (where `path` lands in
/// the container). Checked after profiles, as compose-go validates only the
/// services it runs: an inactive service's incomplete rule is not an error.
fn watch_targets(name: &str, service: &crate::compose::model::Service, node: &Node) -> Result<()> {
    let Some(develop) = &service.develop else {
        return Ok(());
    };
    for (index, rule) in develop.watch.iter().enumerate() {
        if matches!(rule.action.as_str(), "sync" | "sync+restart" | "sync+exec")
            && rule.target.is_none()
        {
            let action = node
                .get("develop")
                .and_then(|d| d.get("watch"))
                .and_then(|w| w.as_seq())
                .and_then(|rules| rules.get(index))
                .and_then(|r| r.get("action"))
                .unwrap_or(node);
            return Err(action
                .pos
                .error(format!(
                    "`services.{name}.develop.watch[{index}]` action `{}` needs a `target`",
                    rule.action
                ))
                .with_help("add where `path` lands in the container, e.g. `target: /app`"));
        }
    }
    Ok(())
}
