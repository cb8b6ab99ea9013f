//! A service of the model as the engine's container-create request: image,
//! command, environment, ports, mounts, health check, limits, networks, labels.
//!
//! Pure: the process environment is passed in (variables declared without a
//! value are resolved from it), the engine's API version decides which newer
//! fields may be sent. No engine calls here.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, DeviceMapping, EndpointIpamConfig, EndpointSettings, HealthConfig,
    HostConfig, HostConfigLogConfig, Mount, MountTmpfsOptions, MountType, NetworkingConfig,
    PortBinding, ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum,
};
use serde_json::Value;

use super::labels;
use crate::compose::model::{Healthcheck, Project, Service, ServiceNetwork, VolumeMount};

/// Everything that goes into creating one service's container.
#[derive(Debug, Clone)]
pub(crate) struct ContainerSpec {
    pub(crate) name: String,
    pub(crate) body: ContainerCreateBody,
    /// Networks joined after create (API < 1.44 accepts one endpoint at create).
    pub(crate) extra_networks: Vec<(String, EndpointSettings)>,
    pub(crate) config_hash: String,
    pub(crate) platform: Option<String>,
}

/// What the spec depends on besides the service.
pub(crate) struct SpecInput<'a> {
    pub(crate) project: &'a Project,
    pub(crate) service: &'a Service,
    /// Image reference to run (a tag parity built, or the service's `image:`).
    pub(crate) image: &'a str,
    /// The image's id, part of the config hash.
    pub(crate) image_id: &'a str,
    pub(crate) release: bool,
    /// Whether the engine knows `start_interval` (API 1.44+).
    pub(crate) start_interval: bool,
    /// Looks up variables declared without a value (`- FOO`).
    pub(crate) lookup: &'a dyn Fn(&str) -> Option<String>,
}

/// Builds the create request and its config hash.
pub(crate) fn container_spec(input: &SpecInput<'_>) -> ContainerSpec {
    let SpecInput {
        project, service, ..
    } = input;
    let env = resolve_env(service, input.lookup);
    let config_hash = labels::config_hash(service, &env, input.image_id);
    let (network_mode, endpoints) = networking(project, service);
    let mut endpoints = endpoints.into_iter();
    let first = endpoints.next();
    let extra_networks: Vec<_> = endpoints.collect();
    let (exposed, bindings) = ports(service);
    let (binds, mounts) = mounts(project, &service.volumes);
    let host_config = HostConfig {
        binds: non_empty(binds),
        mounts: non_empty(mounts),
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        network_mode: Some(network_mode),
        restart_policy: service.restart.as_deref().map(restart_policy),
        init: service.init,
        readonly_rootfs: service.read_only,
        privileged: service.privileged,
        cap_add: non_empty(service.cap_add.clone()),
        cap_drop: non_empty(service.cap_drop.clone()),
        extra_hosts: non_empty(service.extra_hosts.iter().map(|h| extra_host(h)).collect()),
        tmpfs: non_empty_map(
            service
                .tmpfs
                .iter()
                .map(|t| match t.split_once(':') {
                    Some((path, opts)) => (path.to_string(), opts.to_string()),
                    None => (t.clone(), String::new()),
                })
                .collect(),
        ),
        ulimits: non_empty(
            service
                .ulimits
                .iter()
                .map(|(name, u)| ResourcesUlimits {
                    name: Some(name.clone()),
                    soft: Some(u.soft),
                    hard: Some(u.hard),
                })
                .collect(),
        ),
        devices: non_empty(service.devices.iter().map(|d| device(d)).collect()),
        log_config: service.logging.as_ref().map(|l| HostConfigLogConfig {
            typ: l.driver.clone(),
            config: non_empty_map(l.options.clone().into_iter().collect()),
        }),
        ..resources(service)
    };
    let mut host_config = host_config;
    carried_fields(service, &mut host_config);
    let mut container_labels: HashMap<String, String> =
        service.labels.clone().into_iter().collect();
    container_labels.extend([
        (labels::PROJECT.into(), project.name.clone()),
        (labels::SERVICE.into(), service.name.clone()),
        (labels::CONTAINER_NUMBER.into(), "1".into()),
        (labels::ONEOFF.into(), "False".into()),
        (labels::CONFIG_HASH.into(), config_hash.clone()),
        (labels::VERSION.into(), env!("CARGO_PKG_VERSION").into()),
        (
            labels::WORKING_DIR.into(),
            project.working_dir.display().to_string(),
        ),
        (
            labels::CONFIG_FILES.into(),
            project
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(","),
        ),
        (labels::DEPENDS_ON.into(), labels::depends_on_label(service)),
        (labels::IMAGE.into(), input.image_id.to_string()),
    ]);
    if input.release {
        container_labels.insert(labels::RELEASE.into(), "true".into());
    }
    let body = ContainerCreateBody {
        image: Some(input.image.to_string()),
        cmd: service.command.clone(),
        entrypoint: service.entrypoint.clone(),
        env: non_empty(env),
        user: service.user.clone(),
        working_dir: service.working_dir.clone(),
        hostname: service.hostname.clone(),
        exposed_ports: non_empty(exposed),
        healthcheck: service
            .healthcheck
            .as_ref()
            .map(|h| health_config(h, input.start_interval)),
        labels: Some(container_labels),
        stop_signal: service.stop_signal.clone(),
        stop_timeout: service
            .stop_grace_period
            .map(|d| i64::try_from(d.as_secs_ceil()).unwrap_or(i64::MAX)),
        host_config: Some(host_config),
        networking_config: first.map(|(name, endpoint)| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(name, endpoint)])),
        }),
        ..ContainerCreateBody::default()
    };
    ContainerSpec {
        name: labels::container_name(project, service),
        body,
        extra_networks,
        config_hash,
        platform: service.platform.clone(),
    }
}

/// `KEY=value` entries; a variable declared without a value takes the process
/// environment's value, and is left out when that is unset (as Compose does).
pub(crate) fn resolve_env(
    service: &Service,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Vec<String> {
    service
        .environment
        .iter()
        .filter_map(|(key, value)| match value {
            Some(v) => Some(format!("{key}={v}")),
            None => lookup(key).map(|v| format!("{key}={v}")),
        })
        .collect()
}

/// The health check in the engine's nanoseconds. `disable`/`NONE` turns the image's off.
fn health_config(check: &Healthcheck, start_interval: bool) -> HealthConfig {
    if check.disable || check.test.first().is_some_and(|t| t == "NONE") {
        return HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..HealthConfig::default()
        };
    }
    let nanos = |d: Option<crate::compose::model::Duration>| {
        d.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 1_000_000) * 1_000_000)
    };
    HealthConfig {
        test: non_empty(check.test.clone()),
        interval: nanos(check.interval),
        timeout: nanos(check.timeout),
        retries: check.retries.map(|r| i64::try_from(r).unwrap_or(i64::MAX)),
        start_period: nanos(check.start_period),
        start_interval: if start_interval {
            nanos(check.start_interval)
        } else {
            None
        },
    }
}

/// Whether the service's own health check (not the image's) is set and enabled.
/// `None`: the compose file says nothing, the image decides.
pub(crate) fn declares_healthcheck(service: &Service) -> Option<bool> {
    let check = service.healthcheck.as_ref()?;
    if check.disable || check.test.first().is_some_and(|t| t == "NONE") {
        return Some(false);
    }
    if check.test.is_empty() {
        return None;
    }
    Some(true)
}

/// `network_mode` and the endpoints to join, first one at create.
fn networking(project: &Project, service: &Service) -> (String, Vec<(String, EndpointSettings)>) {
    if let Some(mode) = &service.network_mode {
        let mode = match mode.strip_prefix("service:") {
            Some(other) => match project.services.get(other) {
                Some(s) => format!("container:{}", labels::container_name(project, s)),
                None => mode.clone(),
            },
            None => mode.clone(),
        };
        return (mode, Vec::new());
    }
    let default = [("default".to_string(), None::<ServiceNetwork>)];
    let attached: Vec<(String, Option<ServiceNetwork>)> = if service.networks.is_empty() {
        default.into_iter().collect()
    } else {
        service
            .networks
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let endpoints: Vec<(String, EndpointSettings)> = attached
        .into_iter()
        .map(|(key, net)| {
            let mut aliases = vec![service.name.clone()];
            let mut ipam = None;
            if let Some(net) = net {
                aliases.extend(net.aliases.iter().cloned());
                if let Some(ip) = net.ipv4_address {
                    ipam = Some(EndpointIpamConfig {
                        ipv4_address: Some(ip),
                        ..EndpointIpamConfig::default()
                    });
                }
            }
            let settings = EndpointSettings {
                aliases: Some(aliases),
                ipam_config: ipam,
                ..EndpointSettings::default()
            };
            (labels::network_name(project, &key), settings)
        })
        .collect();
    let mode = endpoints
        .first()
        .map_or_else(|| "default".to_string(), |(name, _)| name.clone());
    (mode, endpoints)
}

/// Exposed ports and host bindings.
pub(crate) fn ports(service: &Service) -> (Vec<String>, HashMap<String, Option<Vec<PortBinding>>>) {
    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for port in &service.ports {
        let protocol = if port.protocol.is_empty() {
            "tcp"
        } else {
            &port.protocol
        };
        let key = format!("{}/{protocol}", port.target);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: port.host_ip.clone(),
                host_port: Some(port.published.clone().unwrap_or_default()),
            });
    }
    (exposed, bindings)
}

/// Bind mounts as `Binds` (the engine creates a missing host path, as Compose's
/// short syntax does), named/anonymous volumes and tmpfs as `Mounts`.
fn mounts(project: &Project, volumes: &[VolumeMount]) -> (Vec<String>, Vec<Mount>) {
    let mut binds = Vec::new();
    let mut mounts = Vec::new();
    for mount in volumes {
        match mount.kind.as_str() {
            "bind" => {
                let source = mount.source.clone().unwrap_or_default();
                let mut bind = format!("{source}:{}", mount.target);
                let mut options = Vec::new();
                if mount.read_only {
                    options.push("ro".to_string());
                }
                if let Some(p) = value_str(mount.bind.as_ref(), "propagation") {
                    options.push(p);
                }
                if let Some(s) = value_str(mount.bind.as_ref(), "selinux") {
                    options.push(s);
                }
                if !options.is_empty() {
                    bind = format!("{bind}:{}", options.join(","));
                }
                binds.push(bind);
            }
            "volume" => mounts.push(Mount {
                typ: Some(MountType::VOLUME),
                source: mount.source.as_ref().map(|s| {
                    if project.volumes.contains_key(s) {
                        labels::volume_name(project, s)
                    } else {
                        s.clone()
                    }
                }),
                target: Some(mount.target.clone()),
                read_only: Some(mount.read_only),
                ..Mount::default()
            }),
            "tmpfs" => mounts.push(Mount {
                typ: Some(MountType::TMPFS),
                target: Some(mount.target.clone()),
                tmpfs_options: mount.tmpfs.as_ref().map(|t| MountTmpfsOptions {
                    size_bytes: t.get("size").and_then(byte_size),
                    mode: t.get("mode").and_then(Value::as_i64),
                    ..MountTmpfsOptions::default()
                }),
                ..Mount::default()
            }),
            _ => mounts.push(Mount {
                typ: serde_json::from_value(Value::String(mount.kind.clone())).ok(),
                source: mount.source.clone(),
                target: Some(mount.target.clone()),
                read_only: Some(mount.read_only),
                ..Mount::default()
            }),
        }
    }
    (binds, mounts)
}

fn value_str(value: Option<&Value>, key: &str) -> Option<String> {
    value?.get(key)?.as_str().map(str::to_string)
}

/// `no`, `always`, `unless-stopped`, `on-failure[:N]`.
fn restart_policy(text: &str) -> RestartPolicy {
    let (name, count) = match text.split_once(':') {
        Some((name, count)) => (name, count.parse().ok()),
        None => (text, None),
    };
    let name = match name {
        "always" => RestartPolicyNameEnum::ALWAYS,
        "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        _ => RestartPolicyNameEnum::NO,
    };
    RestartPolicy {
        name: Some(name),
        maximum_retry_count: count,
    }
}

/// `host=ip` (Compose's newer form) or `host:ip`, as the engine's `host:ip`.
fn extra_host(entry: &str) -> String {
    match entry.split_once('=') {
        Some((host, ip)) => format!("{host}:{ip}"),
        None => entry.to_string(),
    }
}

/// `/dev/x[:/dev/y[:rwm]]`.
fn device(entry: &str) -> DeviceMapping {
    let mut parts = entry.splitn(3, ':');
    let host = parts.next().unwrap_or_default().to_string();
    let container = parts.next().map_or_else(|| host.clone(), str::to_string);
    DeviceMapping {
        path_on_host: Some(host),
        path_in_container: Some(container),
        cgroup_permissions: Some(parts.next().unwrap_or("rwm").to_string()),
    }
}

/// `deploy.resources` limits and reservations.
fn resources(service: &Service) -> HostConfig {
    let Some(resources) = service.deploy.as_ref().and_then(|d| d.resources.as_ref()) else {
        return HostConfig::default();
    };
    let limits = resources.limits.as_ref();
    let reservations = resources.reservations.as_ref();
    HostConfig {
        memory: limits
            .and_then(|l| l.memory)
            .and_then(|m| i64::try_from(m).ok()),
        nano_cpus: limits
            .and_then(|l| l.cpus.as_deref())
            .and_then(|c| c.parse::<f64>().ok())
            .map(|c| {
                #[allow(clippy::cast_possible_truncation)]
                let nanos = (c * 1e9).round() as i64;
                nanos
            }),
        pids_limit: limits.and_then(|l| l.pids),
        memory_reservation: reservations
            .and_then(|r| r.memory)
            .and_then(|m| i64::try_from(m).ok()),
        ..HostConfig::default()
    }
}

/// Spec-valid fields the model carries verbatim in `other` that map directly.
fn carried_fields(service: &Service, host: &mut HostConfig) {
    let strings = |key: &str| -> Option<Vec<String>> {
        match service.other.get(key)? {
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
            ),
            _ => None,
        }
    };
    host.dns = strings("dns");
    host.dns_search = strings("dns_search");
    host.dns_options = strings("dns_opt");
    host.security_opt = strings("security_opt");
    host.group_add = strings("group_add");
    host.ipc_mode = service
        .other
        .get("ipc")
        .and_then(|v| v.as_str().map(str::to_string));
    host.pid_mode = service
        .other
        .get("pid")
        .and_then(|v| v.as_str().map(str::to_string));
    host.cgroup_parent = service
        .other
        .get("cgroup_parent")
        .and_then(|v| v.as_str().map(str::to_string));
    host.shm_size = service.other.get("shm_size").and_then(byte_size);
    if let Some(Value::Object(map)) = service.other.get("sysctls") {
        host.sysctls = Some(
            map.iter()
                .map(|(k, v)| {
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    (k.clone(), v)
                })
                .collect(),
        );
    }
}

fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

fn non_empty_map(map: HashMap<String, String>) -> Option<HashMap<String, String>> {
    (!map.is_empty()).then_some(map)
}

/// A byte size from the model: compose prints sizes as decimal strings.
fn byte_size(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::model::{Duration, Port, Ulimit};

    fn input<'a>(project: &'a Project, service: &'a Service) -> SpecInput<'a> {
        SpecInput {
            project,
            service,
            image: "shop-web",
            image_id: "sha256:abc",
            release: false,
            start_interval: false,
            lookup: &|k| (k == "FROM_SHELL").then(|| "yes".to_string()),
        }
    }

    fn web() -> (Project, Service) {
        let mut service = Service {
            name: "web".into(),
            command: Some(vec!["/app".into(), "web".into()]),
            ports: vec![Port {
                mode: "ingress".into(),
                target: 8080,
                published: Some("3000".into()),
                protocol: "tcp".into(),
                ..Port::default()
            }],
            healthcheck: Some(Healthcheck {
                test: vec!["CMD".into(), "/app".into(), "health".into()],
                interval: Some(Duration(500)),
                start_interval: Some(Duration(100)),
                retries: Some(3),
                ..Healthcheck::default()
            }),
            stop_grace_period: Some(Duration(1500)),
            ..Service::default()
        };
        service.environment.insert("A".into(), Some("1".into()));
        service.environment.insert("FROM_SHELL".into(), None);
        service.environment.insert("UNSET".into(), None);
        service
            .ulimits
            .insert("nofile".into(), Ulimit { soft: 1, hard: 2 });
        service.tmpfs.push("/run:size=64k".into());
        let mut project = Project {
            name: "shop".into(),
            ..Project::default()
        };
        project.services.insert("web".into(), service.clone());
        (project, service)
    }

    #[test]
    fn carries_the_model_into_the_create_request() {
        let (project, service) = web();
        let spec = container_spec(&input(&project, &service));
        assert_eq!(spec.name, "shop-web-1");
        let body = &spec.body;
        assert_eq!(
            body.env.as_deref(),
            Some(&["A=1".to_string(), "FROM_SHELL=yes".to_string()][..])
        );
        assert_eq!(
            body.exposed_ports.as_deref(),
            Some(&["8080/tcp".to_string()][..])
        );
        assert_eq!(body.stop_timeout, Some(2));
        let health = body.healthcheck.as_ref().unwrap();
        assert_eq!(health.interval, Some(500_000_000));
        assert_eq!(
            health.start_interval, None,
            "API 1.41 has no start_interval"
        );
        let host = body.host_config.as_ref().unwrap();
        let binding = &host.port_bindings.as_ref().unwrap()["8080/tcp"]
            .as_ref()
            .unwrap()[0];
        assert_eq!(binding.host_port.as_deref(), Some("3000"));
        assert_eq!(host.network_mode.as_deref(), Some("shop_default"));
        assert_eq!(host.tmpfs.as_ref().unwrap()["/run"], "size=64k");
        assert_eq!(host.ulimits.as_ref().unwrap()[0].hard, Some(2));
        let labels = body.labels.as_ref().unwrap();
        assert_eq!(labels[labels::PROJECT], "shop");
        assert_eq!(labels[labels::SERVICE], "web");
        assert_eq!(labels[labels::CONFIG_HASH], spec.config_hash);
        let endpoints = body
            .networking_config
            .as_ref()
            .unwrap()
            .endpoints_config
            .as_ref()
            .unwrap();
        assert_eq!(
            endpoints["shop_default"].aliases.as_deref(),
            Some(&["web".to_string()][..])
        );
    }

    #[test]
    fn start_interval_only_where_the_engine_has_it() {
        let (project, service) = web();
        let mut newer = input(&project, &service);
        newer.start_interval = true;
        let spec = container_spec(&newer);
        assert_eq!(
            spec.body.healthcheck.unwrap().start_interval,
            Some(100_000_000)
        );
    }

    #[test]
    fn disabled_healthcheck_turns_the_images_off() {
        let check = Healthcheck {
            disable: true,
            ..Healthcheck::default()
        };
        assert_eq!(
            health_config(&check, false).test,
            Some(vec!["NONE".to_string()])
        );
    }

    #[test]
    fn restart_policies_parse() {
        let p = restart_policy("on-failure:3");
        assert_eq!(p.name, Some(RestartPolicyNameEnum::ON_FAILURE));
        assert_eq!(p.maximum_retry_count, Some(3));
        assert_eq!(
            restart_policy("always").name,
            Some(RestartPolicyNameEnum::ALWAYS)
        );
    }
}
