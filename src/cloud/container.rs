//! One compose service -> one ECS container definition (the JSON the ECS API
//! takes, keys in the API reference's order).

use serde_json::{Map, Value, json};

use super::resources::{self, Asks};
use super::{healthcheck, unsupported, variables};
use crate::compose::model::Service;
use crate::compose::x_parity::XParity;
use crate::error::{Error, Result};
use crate::settings::Environment;

/// Fargate's ceiling for `stopTimeout`.
const FARGATE_MAX_STOP_TIMEOUT: u64 = 120;

/// Ulimit names the ECS API accepts.
const ULIMITS: &[&str] = &[
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// ECS `appProtocol` values.
const APP_PROTOCOLS: &[&str] = &["http", "http2", "grpc"];

/// What translating one container gave besides its JSON.
pub(crate) struct Container {
    pub(crate) definition: Map<String, Value>,
    /// Container ports and protocols (one task shares them).
    pub(crate) ports: Vec<(u16, String)>,
    /// CPU and memory the container asks for (the task size covers them all).
    pub(crate) asks: Asks,
    /// Whether the definition carries a healthCheck (for HEALTHY dependencies).
    pub(crate) has_health_check: bool,
    /// Plain compose values that reach the cloud (local-only reference check).
    pub(crate) compose_values: indexmap::IndexMap<String, String>,
    pub(crate) notes: Vec<String>,
    pub(crate) warnings: Vec<String>,
}

/// Everything one container's translation reads.
pub(crate) struct Input<'a> {
    pub(crate) service: &'a Service,
    pub(crate) x: &'a XParity,
    pub(crate) environment: &'a Environment,
    pub(crate) account_id: &'a str,
    pub(crate) app: &'a str,
    pub(crate) image: String,
    pub(crate) essential: bool,
    /// The image's own HEALTHCHECK is known to exist.
    pub(crate) image_has_healthcheck: bool,
    /// Variables rewritten for managed services (`cloud::backing::wiring`).
    pub(crate) wired: &'a crate::cloud::backing::WiredMap,
}

pub(crate) fn translate(input: &Input<'_>) -> Result<Container> {
    let service = input.service;
    let name = &service.name;
    let mut notes = unsupported::check(service, input.x)?;
    let mut warnings = Vec::new();
    let mut def = Map::new();
    def.insert("name".into(), json!(name));
    def.insert("image".into(), json!(input.image));
    let asks = resources::of(name, service)?;
    if let Some(shares) = asks.shares {
        def.insert("cpu".into(), json!(shares));
    }
    if let Some(memory) = asks.memory {
        def.insert("memory".into(), json!(memory));
    }
    if let Some(reservation) = asks.reservation {
        def.insert("memoryReservation".into(), json!(reservation));
    }
    let mut ports = Vec::new();
    let mut mappings = Vec::new();
    for (index, port) in service.ports.iter().enumerate() {
        let at = format!("ports.{index}");
        if !unsupported::PORT_PROTOCOLS.contains(&port.protocol.as_str()) {
            continue; // refused, or left out on purpose: see unsupported::check
        }
        let key = (port.target, port.protocol.clone());
        if ports.contains(&key) {
            continue;
        }
        ports.push(key);
        if let Some(published) = port
            .published
            .as_deref()
            .filter(|p| *p != port.target.to_string())
        {
            notes.push(format!(
                "service `{name}`: ports: published port {published} is a local choice; in the cloud the container port {} is what exists (awsvpc) and a load balancer owns the public port",
                port.target
            ));
        }
        let mut mapping = Map::new();
        mapping.insert("containerPort".into(), json!(port.target));
        mapping.insert("hostPort".into(), json!(port.target));
        mapping.insert("protocol".into(), json!(port.protocol));
        if let Some(port_name) = &port.name {
            super::names::port_name(service, &at, port_name)?;
            mapping.insert("name".into(), json!(port_name));
        }
        if let Some(protocol) = &port.app_protocol {
            if !APP_PROTOCOLS.contains(&protocol.as_str()) {
                return Err(service.error_at(&format!("{at}.app_protocol"), format!(
                    "service `{name}`: ports.app_protocol `{protocol}`: ECS accepts http, http2 or grpc"
                )));
            }
            mapping.insert("appProtocol".into(), json!(protocol));
        }
        if let Some(ip) = &port.host_ip {
            warnings.push(format!(
                "service `{name}`: ports: host_ip {ip} of port {} is local only; in the cloud the port is reachable as the security groups allow",
                port.target
            ));
        }
        mappings.push(Value::Object(mapping));
    }
    if !mappings.is_empty() {
        def.insert("portMappings".into(), Value::Array(mappings));
    }
    def.insert("essential".into(), json!(input.essential));
    if let Some(entrypoint) = &service.entrypoint {
        def.insert("entryPoint".into(), json!(entrypoint));
    }
    if let Some(command) = &service.command {
        def.insert("command".into(), json!(command));
    }
    let vars = variables::translate(
        service,
        input.x,
        input.environment,
        input.account_id,
        input.app,
        input.wired,
    )?;
    notes.extend(vars.notes);
    warnings.extend(vars.warnings);
    if !vars.environment.is_empty() {
        def.insert("environment".into(), Value::Array(vars.environment));
    }
    let mounts = anonymous_volumes(service);
    if !mounts.is_empty() {
        let points: Vec<Value> = mounts
            .iter()
            .map(|(volume, path, read_only)| {
                notes.push(format!(
                    "service `{name}`: volumes: the anonymous volume at `{path}` is the task's ephemeral storage `{volume}` (it lives as long as the task)"
                ));
                json!({"sourceVolume": volume, "containerPath": path, "readOnly": read_only})
            })
            .collect();
        def.insert("mountPoints".into(), Value::Array(points));
    }
    if let Some(params) = linux_parameters(service) {
        def.insert("linuxParameters".into(), params);
    }
    if !vars.secrets.is_empty() {
        def.insert("secrets".into(), Value::Array(vars.secrets));
    }
    // dependsOn is filled in by the task definition, which knows its containers.
    if let Some(start) = input.environment.deploy().start_timeout() {
        def.insert("startTimeout".into(), json!(start));
    }
    let stop = match service.stop_grace_period {
        Some(grace) => {
            if !grace.as_millis().is_multiple_of(1000) {
                return Err(service.error_at("stop_grace_period", format!(
                    "service `{name}`: stop_grace_period is {grace}; ECS's stopTimeout takes whole seconds"
                )));
            }
            Some(grace.as_millis() / 1000)
        }
        None => input.environment.deploy().stop_timeout(),
    };
    if let Some(stop) = stop {
        if stop > FARGATE_MAX_STOP_TIMEOUT {
            let message = format!(
                "service `{name}`: stop_grace_period is {stop}s; Fargate allows at most {FARGATE_MAX_STOP_TIMEOUT} s"
            );
            return Err(match service.stop_grace_period {
                Some(_) => service.error_at("stop_grace_period", message),
                None => Error::input(message),
            });
        }
        def.insert("stopTimeout".into(), json!(stop));
    }
    if let Some(user) = &service.user {
        def.insert("user".into(), json!(user));
    }
    if let Some(dir) = &service.working_dir {
        def.insert("workingDirectory".into(), json!(dir));
    }
    if service.read_only == Some(true) {
        def.insert("readonlyRootFilesystem".into(), json!(true));
    }
    if service.other.get("stdin_open").and_then(Value::as_bool) == Some(true) {
        def.insert("interactive".into(), json!(true));
    }
    if service.other.get("tty").and_then(Value::as_bool) == Some(true) {
        def.insert("pseudoTerminal".into(), json!(true));
    }
    if !service.labels.is_empty() {
        let mut labels = service.labels.clone();
        labels.sort_keys();
        def.insert("dockerLabels".into(), json!(labels));
    }
    if !service.ulimits.is_empty() {
        let mut limits = Vec::new();
        let mut sorted: Vec<_> = service.ulimits.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        for (limit, value) in sorted {
            if !ULIMITS.contains(&limit.as_str()) {
                return Err(service.error_at(&format!("ulimits.{limit}"), format!(
                    "service `{name}`: ulimits.{limit}: ECS knows no such ulimit (it accepts {})",
                    ULIMITS.join(", ")
                )));
            }
            limits.push(json!({"name": limit, "softLimit": value.soft, "hardLimit": value.hard}));
        }
        def.insert("ulimits".into(), Value::Array(limits));
    }
    def.insert(
        "logConfiguration".into(),
        json!({
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": input.environment.log_group(),
                "awslogs-region": input.environment.region(),
                "awslogs-stream-prefix": name,
            }
        }),
    );
    let health = healthcheck::translate(service, input.x.healthcheck.as_ref())?;
    notes.extend(health.notes);
    if health.relies_on_image && input.image_has_healthcheck {
        warnings.push(format!(
            "service `{name}`: relies on its image's HEALTHCHECK, which ECS ignores; add a compose healthcheck"
        ));
    }
    let has_health_check = health.check.is_some();
    if let Some(check) = health.check {
        def.insert("healthCheck".into(), check);
    }
    let controls = unsupported::allowed_sysctls(service);
    if !controls.is_empty() {
        let controls: Vec<Value> = controls
            .into_iter()
            .map(|(namespace, value)| json!({"namespace": namespace, "value": value}))
            .collect();
        def.insert("systemControls".into(), Value::Array(controls));
    }
    Ok(Container {
        definition: def,
        ports,
        asks,
        has_health_check,
        compose_values: vars.compose_values,
        notes,
        warnings,
    })
}

/// Anonymous volumes (`- /data`): compose gives each container a fresh one,
/// which is what a Fargate task's ephemeral storage is. Named ones and binds
/// are refused in `unsupported` (they promise persistence or a host path).
/// (task volume name, container path, read only), in file order.
pub(crate) fn anonymous_volumes(service: &Service) -> Vec<(String, String, bool)> {
    service
        .volumes
        .iter()
        .filter(|m| unsupported::is_anonymous_volume(m))
        .enumerate()
        .map(|(index, m)| {
            (
                format!("{}-anonymous-{}", service.name, index + 1),
                m.target.clone(),
                m.read_only,
            )
        })
        .collect()
}

/// `init`, `cap_add`/`cap_drop` -> `linuxParameters`.
fn linux_parameters(service: &Service) -> Option<Value> {
    let mut params = Map::new();
    let strip = |caps: &[String]| -> Vec<String> {
        caps.iter()
            .map(|c| c.trim_start_matches("CAP_").to_owned())
            .collect()
    };
    let add: Vec<String> = strip(&service.cap_add)
        .into_iter()
        .filter(|c| c == "SYS_PTRACE")
        .collect();
    let drop = strip(&service.cap_drop);
    if !add.is_empty() || !drop.is_empty() {
        let mut caps = Map::new();
        if !add.is_empty() {
            caps.insert("add".into(), json!(add));
        }
        if !drop.is_empty() {
            caps.insert("drop".into(), json!(drop));
        }
        params.insert("capabilities".into(), Value::Object(caps));
    }
    if service.init == Some(true) {
        params.insert("initProcessEnabled".into(), json!(true));
    }
    (!params.is_empty()).then_some(Value::Object(params))
}
