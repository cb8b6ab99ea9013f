//! One merged, extended service node -> [`Service`] in long form.
//!
//! Every key is read by the field's rules (short syntax to long, durations,
//! byte sizes, paths made absolute); spec keys parity does not interpret are
//! carried in `other`, `x-*` keys in `extensions`, except `x-parity`, which is
//! read into its typed form (see `x_parity`). Env files are read here and
//! folded into `environment`.
//!
//! Owns: the service field dispatch. The multi-part syntaxes live in
//! `service_ports_volumes` and `service_blocks`.

use indexmap::IndexMap;

use super::model::{
    Build, Condition, Dependency, EnvFile, Service, ServiceFileRef, ServiceNetwork,
};
use super::spans::Spans;
use super::x_parity::{self, XParity};
use super::yaml::{Node, Pos, Value};
use super::{dotenv, keys, paths, read, service_blocks as blocks, service_ports_volumes as pv};
use crate::error::{Location, Result};

/// What service normalization needs from the project.
pub(crate) struct Context<'a> {
    /// Variables for interpolation and for `environment` entries without a value.
    pub(crate) env: &'a IndexMap<String, String>,
    /// Ports the services read so far hold, ranges expanded: every port of
    /// the project is made by one reader under this one count, so
    /// [`limits::MAX_EXPANDED_PORTS`] bounds them all.
    pub(crate) ports: std::cell::Cell<usize>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(env: &'a IndexMap<String, String>) -> Self {
        Self {
            env,
            ports: std::cell::Cell::new(0),
        }
    }
}

/// Declares secret every variable some service of `services` (the
/// `services:` node) names in `x-parity.secrets`, before any service is read:
/// a secret service B declares may be interpolated into a field of service A,
/// and an error about that field must name the variable, never the value,
/// even when A is read (and fails) first. Lenient: a malformed block is
/// reported when its own service is read.
pub(crate) fn declare_secrets(services: &Node) {
    let blocks = services
        .as_map()
        .into_iter()
        .flat_map(|map| map.values())
        .filter_map(|entry| entry.node.get(x_parity::KEY)?.get("secrets"));
    for secrets in blocks {
        let names: Vec<&str> = match (secrets.as_seq(), secrets.as_map()) {
            (Some(items), _) => items.iter().filter_map(Node::as_scalar).collect(),
            (_, Some(map)) => map.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        for name in names {
            crate::redact::declare_secret(name);
        }
    }
}

/// Normalizes one service, whose name is written at `at`.
pub(crate) fn service(name: &str, at: &Pos, node: &Node, ctx: &Context<'_>) -> Result<Service> {
    let map = read::mapping(node, &format!("services.{name}"))?;
    read::check_keys(map, keys::SERVICE, &format!("service `{name}`"))?;
    let mut service = Service {
        name: name.to_owned(),
        spans: Spans::record(at, node),
        ..Service::default()
    };
    // x-parity first: once its secrets are declared, an error about any other
    // field that interpolated one of them names the variable, never the value
    // (the project declared every service's secrets already: `declare_secrets`).
    service.x_parity = XParity::read(name, map.get(x_parity::KEY).map(|e| &e.node))?;
    for secret in service.x_parity.secrets.names() {
        crate::redact::declare_secret(secret);
    }
    let mut env_files: Vec<(EnvFile, Node)> = Vec::new();
    let mut label_files: Vec<(std::path::PathBuf, &Node)> = Vec::new();
    let mut environment = IndexMap::new();
    for (key, entry) in map {
        let value = &entry.node;
        let field = format!("services.{name}.{key}");
        let field = field.as_str();
        if key == x_parity::KEY {
            continue;
        }
        if key.starts_with("x-") {
            service.extensions.insert(key.clone(), read::json(value));
            continue;
        }
        // `command:` and a few others may be null ("not set"); any other key
        // needs a value (a `!reset` was applied by the merge already).
        if value.is_null() && keys::SERVICE_NULLABLE.contains(&key.as_str()) {
            continue;
        }
        read::not_null(value, field)?;
        match key.as_str() {
            "image" => service.image = Some(read::string(value, field)?),
            "build" => service.build = Some(build(value, field, ctx, &node.pos.source.base_dir)?),
            "command" => service.command = read::command(value, field)?,
            "entrypoint" => service.entrypoint = read::command(value, field)?,
            "environment" => environment = read::list_or_dict(value, field, '=')?,
            "env_file" => env_files = env_file_list(value, field, ctx)?,
            "ports" => {
                // A range item (`8000-8001:80`) is several ports: index by the model.
                service.spans.forget_under("ports");
                for (index, (port, pos)) in pv::ports(value, field, ctx)?.into_iter().enumerate() {
                    service.spans.set(format!("ports.{index}"), pos.location());
                    service.ports.push(port);
                }
            }
            "volumes" => service.volumes = pv::volumes(value, field, ctx)?,
            "depends_on" => service.depends_on = depends_on(value, field)?,
            "healthcheck" => service.healthcheck = Some(blocks::healthcheck(value, field)?),
            "deploy" => service.deploy = Some(blocks::deploy(value, field)?),
            "develop" => service.develop = Some(blocks::develop(value, field, ctx)?),
            "labels" => service.labels = read::labels(value, field)?,
            // Read once every key is: `labels` wins over the files.
            "label_file" => {
                for path in read::string_or_list(value, field)? {
                    let path = paths::absolute(&value.pos.source.base_dir, &path, ctx.env);
                    label_files.push((path, value));
                }
            }
            "networks" => service.networks = networks(value, field)?,
            "network_mode" => service.network_mode = Some(read::string(value, field)?),
            "profiles" => service.profiles = read::strings(value, field)?,
            "restart" => service.restart = Some(restart(value, field)?),
            "user" => service.user = Some(read::string(value, field)?),
            "working_dir" => service.working_dir = Some(read::string(value, field)?),
            "container_name" => service.container_name = Some(read::string(value, field)?),
            "hostname" => service.hostname = Some(read::string(value, field)?),
            "platform" => service.platform = Some(read::string(value, field)?),
            "stop_signal" => service.stop_signal = Some(read::string(value, field)?),
            // `if_not_present` is compose's older name for `missing`.
            "pull_policy" => {
                let policy = read::string(value, field)?;
                service.pull_policy = Some(match policy.as_str() {
                    "if_not_present" => "missing".into(),
                    _ => policy,
                });
            }
            "stop_grace_period" => {
                service.stop_grace_period = Some(blocks::duration(value, field)?)
            }
            "init" => service.init = Some(read::boolean(value, field)?),
            "read_only" => service.read_only = Some(read::boolean(value, field)?),
            "privileged" => service.privileged = Some(read::boolean(value, field)?),
            "tmpfs" => service.tmpfs = read::string_or_list(value, field)?,
            "extra_hosts" => service.extra_hosts = extra_hosts(value, field)?,
            "devices" => service.devices = devices(value, field)?,
            "cap_add" => service.cap_add = read::strings(value, field)?,
            "cap_drop" => service.cap_drop = read::strings(value, field)?,
            "ulimits" => service.ulimits = blocks::ulimits(value, field)?,
            "logging" => service.logging = Some(blocks::logging(value, field)?),
            "secrets" => service.secrets = secret_refs(value, field)?,
            "configs" => service.configs = file_refs(value, field)?,
            // Resolved before normalization; never printed.
            "extends" => {}
            // Empty entries (an unset variable) are dropped, and an empty list with them.
            "dns" | "dns_search" | "dns_opt" => {
                let entries: Vec<String> = read::string_or_list(value, field)?
                    .into_iter()
                    .filter(|entry| !entry.is_empty())
                    .collect();
                if !entries.is_empty() {
                    service.other.insert(key.clone(), entries.into());
                }
            }
            // `all` is every GPU; counts are numbers (-1 for all), as compose holds them.
            "gpus" => {
                let gpus = match value.as_scalar() {
                    Some("all") => serde_json::json!([{ "count": -1 }]),
                    _ => blocks::device_requests(value, field, false)?,
                };
                service.other.insert(key.clone(), gpus);
            }
            other => {
                service
                    .other
                    .insert(other.to_owned(), carried(other, value, field)?);
            }
        }
    }
    if !label_files.is_empty() {
        service.labels = with_label_files(&label_files, std::mem::take(&mut service.labels))?;
    }
    // Env files first, then `environment` wins; a name without a value takes
    // the project environment's value, as compose-go does.
    let mut combined: IndexMap<String, Option<String>> = IndexMap::new();
    for (file, node) in &env_files {
        for (key, (value, at)) in read_env_file(file, node, ctx)? {
            // `environment` wins, so it keeps its position too; a later file wins.
            if !environment.contains_key(&key) {
                service.spans.set(format!("environment.{key}"), at);
            }
            combined.insert(key, Some(value));
        }
    }
    for (key, value) in environment {
        let value = value.or_else(|| ctx.env.get(&key).cloned());
        combined.insert(key, value);
    }
    service.environment = combined;
    implicit_dependencies(&mut service);
    service.env_file = env_files.into_iter().map(|(file, _)| file).collect();
    for secret in service.x_parity.secrets.names() {
        if let Some(Some(value)) = service.environment.get(secret) {
            crate::redact::secret_value(secret, value);
        }
    }
    if let (Some(_), Some(networks)) = (&service.network_mode, map.get("networks"))
        && !service.networks.is_empty()
    {
        return Err(networks
            .key_pos
            .error(format!(
                "service `{name}` sets both `network_mode` and `networks`, which exclude each other"
            ))
            .with_help("keep `networks` to attach it to networks, or `network_mode` to share another's stack"));
    }
    unique_container_name(&service, map)?;
    if service.network_mode.is_none() && service.networks.is_empty() {
        service.networks.insert("default".into(), None);
    }
    Ok(service)
}

/// A `container_name` names one container: compose refuses it with a scale
/// (`scale`, else `deploy.replicas`) above 1.
fn unique_container_name(service: &Service, map: &super::yaml::Mapping) -> Result<()> {
    let (Some(_), Some(entry)) = (&service.container_name, map.get("container_name")) else {
        return Ok(());
    };
    let scale = match service.other.get("scale") {
        Some(scale) => scale.as_i64().map(|s| ("scale", s)),
        None => service
            .deploy
            .as_ref()
            .and_then(|d| d.replicas)
            .map(|r| ("deploy.replicas", i64::try_from(r).unwrap_or(i64::MAX))),
    };
    match scale {
        Some((key, count)) if count > 1 => Err(entry
            .key_pos
            .error(format!(
                "service `{}` sets `container_name` and `{key}: {count}`: a container name must be unique",
                service.name
            ))
            .with_help(format!("remove `container_name`, or set `{key}` to 1"))),
        _ => Ok(()),
    }
}

fn restart(node: &Node, field: &str) -> Result<String> {
    let text = read::string(node, field)?;
    let policy = text.split(':').next().unwrap_or_default();
    if !matches!(policy, "no" | "always" | "on-failure" | "unless-stopped") {
        return Err(node
            .pos
            .error(format!("invalid restart policy `{text}`"))
            .with_help("use no, always, on-failure[:N] or unless-stopped"));
    }
    Ok(text)
}

/// `service_dir`: the directory of the file that declares the service (for
/// a service that `extends` another, the extending one's), which a `build`
/// without `context` builds, as compose-go resolves the default context
/// after `extends`; a `context` written in the base file stays relative to it.
fn build(
    node: &Node,
    field: &str,
    ctx: &Context<'_>,
    service_dir: &std::path::Path,
) -> Result<Build> {
    let base = &node.pos.source.base_dir;
    let context_of = |text: &str| {
        if paths::is_remote(text) {
            text.to_owned()
        } else {
            paths::absolute_string(base, text, ctx.env)
        }
    };
    if let Value::Scalar(..) = node.value {
        return Ok(Build {
            context: context_of(&read::string(node, field)?),
            dockerfile: "Dockerfile".into(),
            ..Build::default()
        });
    }
    let mut build = Build {
        context: paths::absolute_string(service_dir, ".", ctx.env),
        dockerfile: "Dockerfile".into(),
        ..Build::default()
    };
    for (key, value, field) in read::block(node, field, keys::BUILD)? {
        let field = field.as_str();
        match key {
            "context" => build.context = context_of(&read::string(value, field)?),
            "dockerfile" => build.dockerfile = read::string(value, field)?,
            // A valueless arg takes the environment's value; unset, it is
            // dropped (compose-go does the same), so the Dockerfile default applies.
            "args" => {
                build.args = read::list_or_dict(value, field, '=')?
                    .into_iter()
                    .filter_map(|(k, v)| {
                        let v = v.or_else(|| ctx.env.get(&k).cloned())?;
                        Some((k, Some(v)))
                    })
                    .collect()
            }
            "target" => build.target = Some(read::string(value, field)?),
            "labels" => build.labels = read::labels(value, field)?,
            "platforms" => build.platforms = read::strings(value, field)?,
            "cache_from" => build.cache_from = read::strings(value, field)?,
            // compose-go at HEAD (newer than 2.26): one stage or a list, held as a list.
            "no_cache_filter" => {
                let stages = read::string_or_list(value, field)?;
                build.other.insert(key.to_owned(), stages.into());
            }
            // Byte sizes print as decimal strings, as compose prints them.
            "shm_size" => {
                let bytes = read::bytes(value, field)?;
                build.other.insert(key.to_owned(), bytes.to_string().into());
            }
            // A list of `id` or `id=path`, as compose prints it.
            "ssh" => {
                let keys: Vec<String> = read::list_or_dict(value, field, '=')?
                    .into_iter()
                    // A key's path is relative to the file, as compose-go resolves it.
                    .map(|(id, path)| match path {
                        Some(path) => {
                            format!("{id}={}", paths::absolute_string(base, &path, ctx.env))
                        }
                        None => id,
                    })
                    .collect();
                build.other.insert(key.to_owned(), keys.into());
            }
            // A context that is a local directory is made absolute; images
            // (`docker-image://`), URLs and `service:`/`target:` references are not.
            "additional_contexts" => {
                let map: IndexMap<String, Option<String>> = read::list_or_dict(value, field, '=')?
                    .into_iter()
                    .map(|(name, context)| {
                        let context = context.map(|c| {
                            let reference = paths::is_remote(&c)
                                || ["service:", "target:", "docker-image:", "oci-layout:"]
                                    .iter()
                                    .any(|prefix| c.starts_with(prefix));
                            if reference {
                                c
                            } else {
                                paths::absolute_string(&value.pos.source.base_dir, &c, ctx.env)
                            }
                        });
                        (name, context)
                    })
                    .collect();
                build.other.insert(
                    key.to_owned(),
                    serde_json::to_value(map).unwrap_or_default(),
                );
            }
            // Modes read as file modes (`0440` is octal), as for service secrets.
            "secrets" => {
                let refs = file_refs(value, field)?;
                build.other.insert(
                    key.to_owned(),
                    serde_json::to_value(refs).unwrap_or_default(),
                );
            }
            // compose-go holds it as an `omitempty` list: an empty one is not printed.
            "entitlements" if value.as_seq().is_some_and(<[Node]>::is_empty) => {}
            other => {
                build.other.insert(other.to_owned(), read::json(value));
            }
        }
    }
    if node.get("dockerfile_inline").is_some() && node.get("dockerfile").is_none() {
        build.dockerfile = String::new();
    }
    Ok(build)
}

fn env_file_list(node: &Node, field: &str, ctx: &Context<'_>) -> Result<Vec<(EnvFile, Node)>> {
    let items: Vec<Node> = match &node.value {
        Value::Seq(items) => items.clone(),
        _ => vec![node.clone()],
    };
    let mut out = Vec::new();
    for item in items {
        let (path_node, required) = match &item.value {
            Value::Map(map) => {
                read::check_keys(map, keys::ENV_FILE, &format!("`{field}`"))?;
                let path = item
                    .get("path")
                    .ok_or_else(|| item.pos.error(format!("`{field}` entries need a `path`")))?;
                let required = match item.get("required") {
                    Some(r) => read::boolean(r, &format!("{field}.required"))?,
                    None => true,
                };
                (path.clone(), required)
            }
            _ => (item.clone(), true),
        };
        let text = read::string(&path_node, field)?;
        let path = paths::absolute(&path_node.pos.source.base_dir, &text, ctx.env);
        out.push((EnvFile { path, required }, path_node));
    }
    Ok(out)
}

/// `labels` over the labels of its `label_file`s, read in order as dotenv
/// files (a later file wins; `${VAR}` refers to labels read before), as
/// compose-go resolves them. The files are folded in and not printed.
fn with_label_files(
    files: &[(std::path::PathBuf, &Node)],
    labels: IndexMap<String, String>,
) -> Result<IndexMap<String, String>> {
    let mut out: IndexMap<String, String> = IndexMap::new();
    for (path, node) in files {
        let text = super::limits::read_utf8(path).map_err(|err| {
            node.pos
                .error(format!(
                    "label file {} cannot be read: {err}",
                    path.display()
                ))
                .with_help("create the file, or remove it from `label_file`")
        })?;
        let read = dotenv::parse_with_lookup(&text, path, &|name| out.get(name).cloned())?;
        out.extend(read);
    }
    out.extend(labels);
    Ok(out)
}

/// Reads one `env_file`; a missing required file is an error at its mention.
/// The file's variables, each with where it is written.
fn read_env_file(
    file: &EnvFile,
    node: &Node,
    ctx: &Context<'_>,
) -> Result<IndexMap<String, (String, Location)>> {
    match super::limits::read_utf8(&file.path) {
        Ok(text) => dotenv::parse_located(&text, &file.path, &|name| ctx.env.get(name).cloned()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !file.required => {
            Ok(IndexMap::new())
        }
        Err(err) => Err(node
            .pos
            .error(format!(
                "env file {} cannot be read: {err}",
                file.path.display()
            ))
            .with_help("create the file, or mark it `required: false`")),
    }
}

/// What compose-go adds to `depends_on` because a service cannot start
/// without another: `links`, a `service:X` namespace (`network_mode`, `ipc`,
/// `pid`, `uts`, `cgroup`) — both restart with it — and `volumes_from`
/// (which does not). An explicit entry wins.
fn implicit_dependencies(service: &mut Service) {
    let strings = |key: &str| -> Vec<String> {
        match service.other.get(key) {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(serde_json::Value::String(text)) => vec![text.clone()],
            _ => Vec::new(),
        }
    };
    let mut implicit: Vec<(String, bool)> = strings("links")
        .iter()
        .map(|link| (link.split(':').next().unwrap_or(link).to_owned(), true))
        .collect();
    let namespaces = service.network_mode.iter().cloned().chain(
        ["ipc", "pid", "uts", "cgroup"]
            .iter()
            .flat_map(|key| strings(key)),
    );
    for namespace in namespaces {
        if let Some(shared) = namespace.strip_prefix("service:") {
            implicit.push((shared.to_owned(), true));
        }
    }
    for from in strings("volumes_from") {
        if !from.starts_with("container:") {
            implicit.push((from.split(':').next().unwrap_or(&from).to_owned(), false));
        }
    }
    for (name, restart) in implicit {
        service.depends_on.entry(name).or_insert(Dependency {
            condition: Condition::Started,
            restart,
            required: true,
        });
    }
}

fn depends_on(node: &Node, field: &str) -> Result<IndexMap<String, Dependency>> {
    let mut out = IndexMap::new();
    let default = Dependency {
        condition: Condition::Started,
        restart: false,
        required: true,
    };
    match &node.value {
        Value::Seq(items) => {
            for item in items {
                out.insert(read::string(item, field)?, default.clone());
            }
        }
        Value::Map(map) => {
            for (name, entry) in map {
                let mut dependency = default.clone();
                let field = format!("{field}.{name}");
                if !entry.node.is_null() {
                    let options = read::mapping(&entry.node, &field)?;
                    read::check_keys(options, keys::DEPENDS_ON, &format!("`{field}`"))?;
                    if let Some(condition) = entry.node.get("condition") {
                        dependency.condition = match read::string(condition, &field)?.as_str() {
                            "service_started" => Condition::Started,
                            "service_healthy" => Condition::Healthy,
                            "service_completed_successfully" => Condition::CompletedSuccessfully,
                            other => {
                                return Err(condition
                                    .pos
                                    .error(format!("unknown depends_on condition `{other}`"))
                                    .with_help("use service_started, service_healthy or service_completed_successfully"));
                            }
                        };
                    }
                    if let Some(restart) = entry.node.get("restart") {
                        dependency.restart = read::boolean(restart, &format!("{field}.restart"))?;
                    }
                    if let Some(required) = entry.node.get("required") {
                        dependency.required =
                            read::boolean(required, &format!("{field}.required"))?;
                    }
                }
                out.insert(name.clone(), dependency);
            }
        }
        _ => {
            return Err(node.pos.error(format!(
                "`{field}` must be a list or a mapping, found {}",
                node.kind()
            )));
        }
    }
    Ok(out)
}

fn networks(node: &Node, field: &str) -> Result<IndexMap<String, Option<ServiceNetwork>>> {
    let mut out = IndexMap::new();
    match &node.value {
        Value::Seq(items) => {
            for item in items {
                out.insert(read::string(item, field)?, None);
            }
        }
        Value::Map(map) => {
            for (name, entry) in map {
                if entry.node.is_null() {
                    out.insert(name.clone(), None);
                    continue;
                }
                let field = format!("{field}.{name}");
                let options = read::mapping(&entry.node, &field)?;
                read::check_keys(options, keys::SERVICE_NETWORK, &format!("`{field}`"))?;
                let mut network = ServiceNetwork::default();
                for (key, option) in options {
                    match key.as_str() {
                        "aliases" => network.aliases = read::strings(&option.node, &field)?,
                        "ipv4_address" => {
                            network.ipv4_address = read::opt_string(&option.node, &field)?
                        }
                        other => {
                            network
                                .other
                                .insert(other.to_owned(), read::json(&option.node));
                        }
                    }
                }
                out.insert(name.clone(), Some(network));
            }
        }
        _ => {
            return Err(node.pos.error(format!(
                "`{field}` must be a list or a mapping, found {}",
                node.kind()
            )));
        }
    }
    Ok(out)
}

/// `host:ip` entries, one per address: compose reads `host=ip1,ip2`, a
/// mapping value that is a list of addresses, and `host=ip` / `host:ip`.
fn extra_hosts(node: &Node, field: &str) -> Result<Vec<String>> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    match &node.value {
        Value::Map(map) => {
            for (host, entry) in map {
                let sub = format!("{field}.{host}");
                let addresses = match &entry.node.value {
                    Value::Seq(_) => read::strings(&entry.node, &sub)?,
                    _ => vec![read::opt_string(&entry.node, &sub)?.unwrap_or_default()],
                };
                pairs.extend(addresses.into_iter().map(|ip| (host.clone(), ip)));
            }
        }
        _ => {
            for entry in read::strings(node, field)? {
                let (host, ip) = entry
                    .split_once('=')
                    .or_else(|| entry.split_once(':'))
                    .unwrap_or((&entry, ""));
                pairs.push((host.to_owned(), ip.to_owned()));
            }
        }
    }
    Ok(pairs
        .into_iter()
        .flat_map(|(host, ips)| {
            ips.split(',')
                .map(|ip| format!("{host}:{}", ip.trim()))
                .collect::<Vec<_>>()
        })
        .collect())
}

fn devices(node: &Node, field: &str) -> Result<Vec<String>> {
    read::sequence(node, field)?
        .iter()
        .map(|item| match &item.value {
            Value::Map(_) => {
                let part = |key: &str| {
                    item.get(key)
                        .and_then(Node::as_scalar)
                        .unwrap_or_default()
                        .to_owned()
                };
                let mut text = format!("{}:{}", part("source"), part("target"));
                if item.get("permissions").is_some() {
                    text = format!("{text}:{}", part("permissions"));
                }
                Ok(text)
            }
            _ => read::string(item, field),
        })
        .collect()
}

fn file_refs(node: &Node, field: &str) -> Result<Vec<ServiceFileRef>> {
    read::sequence(node, field)?
        .iter()
        .map(|item| {
            if let Value::Scalar(..) = item.value {
                return Ok(ServiceFileRef {
                    source: read::string(item, field)?,
                    ..ServiceFileRef::default()
                });
            }
            let map = read::mapping(item, field)?;
            read::check_keys(map, keys::FILE_REF, &format!("`{field}`"))?;
            let source = item
                .get("source")
                .ok_or_else(|| item.pos.error(format!("`{field}` entries need a `source`")))?;
            let opt = |key: &str| {
                item.get(key)
                    .map(|n| read::opt_string(n, field))
                    .transpose()
                    .map(Option::flatten)
            };
            let mode = match item.get("mode") {
                Some(mode) if !mode.is_null() => Some(file_mode(mode, field)?),
                _ => None,
            };
            Ok(ServiceFileRef {
                source: read::string(source, field)?,
                target: opt("target")?,
                uid: opt("uid")?,
                gid: opt("gid")?,
                mode,
            })
        })
        .collect()
}

/// Service `secrets`: a secret without a `target` is mounted at
/// `/run/secrets/<source>`, which compose prints (configs keep no default).
fn secret_refs(node: &Node, field: &str) -> Result<Vec<ServiceFileRef>> {
    let mut refs = file_refs(node, field)?;
    for r in &mut refs {
        if r.target.is_none() {
            r.target = Some(format!("/run/secrets/{}", r.source));
        }
    }
    Ok(refs)
}

/// A file mode: `0440` (octal, as YAML 1.1 and compose read it), `0o440`, or decimal.
pub(super) fn file_mode(node: &Node, field: &str) -> Result<u32> {
    let text = read::string(node, field)?;
    let parsed = if let Some(octal) = text.strip_prefix("0o") {
        u32::from_str_radix(octal, 8).ok()
    } else if text.len() > 1 && text.starts_with('0') {
        u32::from_str_radix(&text[1..], 8).ok()
    } else {
        text.parse().ok()
    };
    parsed.ok_or_else(|| {
        node.pos.error(format!(
            "`{field}` mode `{text}` is not a file mode (e.g. 0440)"
        ))
    })
}

/// Spec keys parity carries without interpreting, with their short forms
/// expanded and sizes in bytes so the output matches `docker compose config`.
fn carried(key: &str, node: &Node, field: &str) -> Result<serde_json::Value> {
    Ok(match key {
        "mem_limit" | "mem_reservation" | "memswap_limit" | "shm_size" => {
            // Printed as decimal strings, as compose prints byte sizes.
            if node.as_scalar() == Some("-1") {
                serde_json::json!("-1")
            } else {
                serde_json::json!(read::bytes(node, field)?.to_string())
            }
        }
        "blkio_config" => blkio_config(node, field)?,
        "security_opt"
        | "links"
        | "external_links"
        | "volumes_from"
        | "group_add"
        | "device_cgroup_rules" => {
            serde_json::json!(read::string_or_list(node, field)?)
        }
        "expose" => serde_json::json!(
            read::sequence(node, field)?
                .iter()
                .map(|item| read::string(item, field))
                .collect::<Result<Vec<_>>>()?
        ),
        "sysctls" | "annotations" | "storage_opt" => serde_json::json!(read::labels(node, field)?),
        // A whole number prints as one (`1.0` is `1`), as compose prints it.
        "cpus" => {
            let cpus = read::number(node, field)?;
            if cpus.fract() == 0.0 && cpus.abs() < 1e15 {
                serde_json::json!(cpus as i64)
            } else {
                serde_json::json!(cpus)
            }
        }
        // Microseconds, whole: compose-go holds them as integers, so `2.5` is 2.
        "cpu_rt_period" | "cpu_rt_runtime" => match read::integer(node, field) {
            Ok(whole) => serde_json::json!(whole),
            Err(_) => serde_json::json!(read::number(node, field)?.trunc() as i64),
        },
        // compose-go 2.x holds mem_swappiness as a byte unit: a decimal string.
        "mem_swappiness" => serde_json::json!(read::integer(node, field)?.to_string()),
        "scale" | "cpu_shares" | "cpu_quota" | "cpu_period" | "pids_limit" | "oom_score_adj"
        | "cpu_count" | "cpu_percent" => {
            serde_json::json!(read::integer(node, field)?)
        }
        "tty" | "stdin_open" | "oom_kill_disable" | "attach" | "use_api_socket" => {
            serde_json::json!(read::boolean(node, field)?)
        }
        _ => read::json(node),
    })
}

/// `blkio_config` with every throttle `rate` as compose holds it: a byte
/// size (`1024k`) or an operation count, printed as a decimal string; every
/// `weight` a number (compose-go: a 16-bit integer, `"300"` is 300).
fn blkio_config(node: &Node, field: &str) -> Result<serde_json::Value> {
    let mut config = read::json(node);
    let weight = |node: &Node, field: &str| -> Result<serde_json::Value> {
        read::unsigned(node, field)
            .ok()
            .and_then(|w| u16::try_from(w).ok())
            .map(serde_json::Value::from)
            .ok_or_else(|| {
                node.pos
                    .error(format!("`{field}` must be a whole number from 0 to 65535"))
            })
    };
    if let (Some(value), Some(map)) = (node.get("weight"), config.as_object_mut()) {
        map.insert("weight".into(), weight(value, &format!("{field}.weight"))?);
    }
    if let (Some(devices), Some(Some(list))) = (
        node.get("weight_device").and_then(Node::as_seq),
        config.get_mut("weight_device").map(|l| l.as_array_mut()),
    ) {
        for (device, printed) in devices.iter().zip(list.iter_mut()) {
            if let (Some(value), Some(map)) = (device.get("weight"), printed.as_object_mut()) {
                map.insert(
                    "weight".into(),
                    weight(value, &format!("{field}.weight_device.weight"))?,
                );
            }
        }
    }
    for key in [
        "device_read_bps",
        "device_write_bps",
        "device_read_iops",
        "device_write_iops",
    ] {
        let (Some(devices), Some(list)) = (node.get(key), config.get_mut(key)) else {
            continue;
        };
        let sub = format!("{field}.{key}");
        for (device, printed) in read::sequence(devices, &sub)?
            .iter()
            .zip(list.as_array_mut().into_iter().flatten())
        {
            let (Some(rate), Some(map)) = (device.get("rate"), printed.as_object_mut()) else {
                continue;
            };
            let rate = if key.ends_with("bps") {
                read::bytes(rate, &format!("{sub}.rate"))?
            } else {
                read::unsigned(rate, &format!("{sub}.rate"))?
            };
            map.insert("rate".into(), rate.to_string().into());
        }
    }
    Ok(config)
}

/// An `include`/`extends` file path, made absolute against its node's file.
pub(crate) fn path_of(
    node: &Node,
    field: &str,
    env: &IndexMap<String, String>,
) -> Result<std::path::PathBuf> {
    let text = read::string(node, field)?;
    Ok(paths::absolute(&node.pos.source.base_dir, &text, env))
}
