//! The merged top-level document -> [`Project`]: services, networks, volumes,
//! secrets, configs and `x-*` extensions, with the names docker compose
//! gives them (`<project>_<key>` unless `name:` or `external`).
//!
//! Owns: top-level normalization. Service fields are in `service`;
//! profiles and dependency checks in `graph`.

use indexmap::IndexMap;

use super::model::{FileObject, Network, Project, Service, Volume};
use super::service::{self, Context};
use super::yaml::Node;
use super::{keys, paths, read};
use crate::error::Result;

/// Normalizes every service (active or not; `graph` filters by profile).
pub(crate) fn project<'a>(
    name: &str,
    root: &'a Node,
    ctx: &Context<'_>,
) -> Result<(Project, IndexMap<String, &'a Node>)> {
    let map = read::mapping(root, "the top level")?;
    read::check_keys(map, keys::TOP_LEVEL, "the top level of the compose file")?;
    let mut project = Project {
        name: name.to_owned(),
        ..Project::default()
    };
    let mut service_nodes = IndexMap::new();
    for (key, entry) in map {
        let value = &entry.node;
        if key.starts_with("x-") {
            project.extensions.insert(key.clone(), read::json(value));
            continue;
        }
        if matches!(
            key.as_str(),
            "services" | "networks" | "volumes" | "secrets" | "configs"
        ) {
            read::not_null(value, key)?;
        }
        if value.is_null() {
            continue;
        }
        match key.as_str() {
            "services" => {
                service::declare_secrets(value);
                for (service_name, entry) in read::mapping(value, "services")? {
                    check_service_name(service_name, entry)?;
                    let service = service::service(service_name, &entry.key_pos, &entry.node, ctx)?;
                    project.services.insert(service_name.clone(), service);
                    service_nodes.insert(service_name.clone(), &entry.node);
                }
            }
            "networks" => {
                project.networks = objects(value, "networks", keys::NETWORK, &|n, node, field| {
                    network(name, n, node, field)
                })?
            }
            "volumes" => {
                project.volumes = objects(value, "volumes", keys::VOLUME, &|n, node, field| {
                    volume(name, n, node, field, ctx)
                })?
            }
            "secrets" => {
                project.secrets =
                    objects(value, "secrets", keys::FILE_OBJECT, &|n, node, field| {
                        secret(name, n, node, field, ctx)
                    })?
            }
            "configs" => {
                project.configs =
                    objects(value, "configs", keys::FILE_OBJECT, &|n, node, field| {
                        file_object(name, n, node, field, ctx)
                    })?
            }
            // `version` is obsolete and ignored; `name` was read by the loader;
            // `include` was resolved before normalization.
            _ => {}
        }
    }
    project.services.sort_keys();
    Ok((project, service_nodes))
}

fn check_service_name(name: &str, entry: &super::yaml::Entry) -> Result<()> {
    let valid = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(())
    } else {
        Err(entry
            .key_pos
            .error(format!("invalid service name `{name}`"))
            .with_help("service names use letters, digits, `_`, `.` and `-`, starting with a letter or digit"))
    }
}

type ObjectReader<'a, T> = dyn Fn(&str, &Node, &str) -> Result<T> + 'a;

fn objects<T: Default>(
    node: &Node,
    field: &str,
    allowed: &[&str],
    each: &ObjectReader<'_, T>,
) -> Result<IndexMap<String, T>> {
    let mut out = IndexMap::new();
    for (key, entry) in read::mapping(node, field)? {
        let sub = format!("{field}.{key}");
        let value = if entry.node.is_null() {
            each(key, &entry.node, &sub)?
        } else {
            let map = read::mapping(&entry.node, &sub)?;
            read::check_keys(map, allowed, &format!("`{sub}`"))?;
            each(key, &entry.node, &sub)?
        };
        out.insert(key.clone(), value);
    }
    Ok(out)
}

/// Reads the common `name`, `external`, `labels`; returns the rest verbatim.
struct Common {
    name: Option<String>,
    external: bool,
    labels: IndexMap<String, String>,
    driver: Option<String>,
    other: IndexMap<String, serde_json::Value>,
}

fn common(node: &Node, field: &str) -> Result<Common> {
    let mut common = Common {
        name: None,
        external: false,
        labels: IndexMap::new(),
        driver: None,
        other: IndexMap::new(),
    };
    for (key, entry) in node.as_map().into_iter().flatten() {
        let value = &entry.node;
        let sub = format!("{field}.{key}");
        if value.is_null() {
            continue;
        }
        match key.as_str() {
            "name" if common.name.is_none() => common.name = Some(read::string(value, &sub)?),
            "name" => {}
            "external" => {
                // Legacy `external: {name: x}` names the object; a different
                // `name:` beside it is a conflict, as compose-go says.
                if let Some(name_node) = value.get("name") {
                    let name = read::string(name_node, &sub)?;
                    let written = node
                        .get("name")
                        .map(|n| read::string(n, &format!("{field}.name")))
                        .transpose()?;
                    if written.as_ref().is_some_and(|w| *w != name) {
                        return Err(name_node
                            .pos
                            .error(format!("`{field}`: `name` and `external.name` conflict"))
                            .with_help("keep `name:` and write `external: true`"));
                    }
                    common.name = Some(name);
                    common.external = true;
                } else if value.as_map().is_some() {
                    // The legacy mapping without a name (`external: {}`) is
                    // external all the same, as compose-go reads it.
                    common.external = true;
                } else {
                    common.external = read::boolean(value, &sub)?;
                }
            }
            "labels" => common.labels = read::labels(value, &sub)?,
            "driver" => common.driver = Some(read::string(value, &sub)?),
            other => {
                common.other.insert(other.to_owned(), read::json(value));
            }
        }
    }
    Ok(common)
}

/// The engine-level name: `name:` as written, the key for external objects,
/// else `<project>_<key>`.
fn engine_name(project: &str, key: &str, common: &Common) -> String {
    match &common.name {
        Some(name) => name.clone(),
        None if common.external => key.to_owned(),
        None => format!("{project}_{key}"),
    }
}

fn network(project: &str, key: &str, node: &Node, field: &str) -> Result<Network> {
    let mut common = common(node, field)?;
    let name = engine_name(project, key, &common);
    Ok(Network {
        name: Some(name),
        driver: common.driver,
        external: common.external,
        internal: common
            .other
            .shift_remove("internal")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        labels: common.labels,
        other: common.other,
    })
}

fn volume(project: &str, key: &str, node: &Node, field: &str, ctx: &Context<'_>) -> Result<Volume> {
    let mut common = common(node, field)?;
    // An external volume exists already: nothing else can be said of how to
    // create it (compose-go refuses `driver`, `driver_opts`, `labels` beside it).
    if common.external
        && let Some((other, entry)) = node
            .as_map()
            .into_iter()
            .flatten()
            .find(|(k, _)| !matches!(k.as_str(), "name" | "external") && !k.starts_with("x-"))
    {
        return Err(entry
            .key_pos
            .error(format!(
                "`{field}` is external: `{other}` cannot be set beside it"
            ))
            .with_help(format!(
                "remove `{other}`, or `external: true` to let parity create the volume"
            )));
    }
    // A local volume with `o: bind` is a bind mount of `device`: a relative
    // device is relative to the file, as compose-go resolves it.
    if common.driver.as_deref() == Some("local")
        && let Some(serde_json::Value::Object(opts)) = common.other.get_mut("driver_opts")
        && opts.get("o").and_then(serde_json::Value::as_str) == Some("bind")
        && let Some(serde_json::Value::String(device)) = opts.get_mut("device")
    {
        *device = paths::absolute_string(&node.pos.source.base_dir, device, ctx.env);
    }
    Ok(Volume {
        name: Some(engine_name(project, key, &common)),
        driver: common.driver,
        external: common.external,
        labels: common.labels,
        other: common.other,
    })
}

fn file_object(
    project: &str,
    key: &str,
    node: &Node,
    field: &str,
    ctx: &Context<'_>,
) -> Result<FileObject> {
    let mut common = common(node, field)?;
    let mut object = FileObject {
        name: Some(engine_name(project, key, &common)),
        external: common.external,
        ..FileObject::default()
    };
    if let Some(file) = node.get("file") {
        let text = read::string(file, &format!("{field}.file"))?;
        object.file = Some(paths::absolute_string(
            &file.pos.source.base_dir,
            &text,
            ctx.env,
        ));
        common.other.shift_remove("file");
    }
    if let Some(environment) = common.other.shift_remove("environment") {
        object.environment = environment.as_str().map(str::to_owned);
    }
    if let Some(content) = common.other.shift_remove("content") {
        object.content = content.as_str().map(str::to_owned);
    }
    if !common.labels.is_empty() {
        common
            .other
            .insert("labels".into(), serde_json::json!(common.labels));
    }
    if let Some(driver) = common.driver {
        common.other.insert("driver".into(), driver.into());
    }
    object.other = common.other;
    Ok(object)
}

/// A secret's value comes from somewhere: `file` or `environment` (or
/// `content`, newer than Compose 2.26), unless it is `external`. compose-go
/// refuses one without, even with a `driver`.
fn secret(
    project: &str,
    key: &str,
    node: &Node,
    field: &str,
    ctx: &Context<'_>,
) -> Result<FileObject> {
    let object = file_object(project, key, node, field, ctx)?;
    if object.external
        || object.file.is_some()
        || object.environment.is_some()
        || object.content.is_some()
    {
        return Ok(object);
    }
    Err(node
        .pos
        .error(format!("secret `{key}` has no value: it needs `file` or `environment`"))
        .with_help("point `file:` at the file holding it, name the `environment:` variable holding it, or mark it `external: true`"))
}

/// Adds the `default` network when a service uses it and the file does not define it.
pub(crate) fn add_default_network(project: &mut Project) {
    let used = project
        .services
        .values()
        .any(|s: &Service| s.networks.contains_key("default"));
    if used && !project.networks.contains_key("default") {
        project.networks.insert(
            "default".into(),
            Network {
                name: Some(format!("{}_default", project.name)),
                ..Network::default()
            },
        );
    }
}
