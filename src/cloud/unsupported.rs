//! What Fargate cannot express, and what the cloud leaves out. Each finding
//! names the service and the compose field; a refused field is an error
//! unless the service lists it in `x-parity.cloud_ignore`, in which case the
//! plan says it was left out (and the translation leaves it out of the
//! request). Fields whose fate is "noted" (`fields.rs`) always give a note.
//! The reasons come from the field inventory, so the plan, the README and
//! the errors say the same thing.

use indexmap::IndexMap;
use serde_json::Value;

use super::fields::{self, Fate};
use crate::compose::model::{Service, VolumeMount};
use crate::compose::x_parity::XParity;
use crate::error::Result;

/// Port protocols an ECS port mapping takes.
pub(crate) const PORT_PROTOCOLS: &[&str] = &["tcp", "udp"];

/// The capability Fargate lets a container add.
const FARGATE_CAPABILITY: &str = "SYS_PTRACE";

/// One thing Fargate cannot do.
struct Finding {
    field: String,
    /// Where in the service it is written (`ports.1`), for the error's location.
    at: String,
    reason: String,
}

/// The inventory's reason for `path` (refused and noted fields have one).
fn reason(path: &str) -> String {
    match fields::fate(path) {
        Some(Fate::Refused(why) | Fate::Noted(why) | Fate::Ecs(why) | Fate::Local(why)) => {
            why.to_owned()
        }
        Some(Fate::Parts) | None => format!("`{path}` has no ECS mapping in parity"),
    }
}

/// Checks one cloud service; returns the plan's notes for what is left out.
pub(crate) fn check(service: &Service, x: &XParity) -> Result<Vec<String>> {
    let name = &service.name;
    let mut findings: Vec<Finding> = Vec::new();
    let mut notes = Vec::new();
    let mut push = |field: &str, at: String, reason: String| {
        findings.push(Finding {
            field: field.to_owned(),
            at,
            reason,
        });
    };
    for (index, mount) in service.volumes.iter().enumerate() {
        if is_anonymous_volume(mount) {
            continue;
        }
        let what = match mount.kind.as_str() {
            "bind" => format!(
                "bind mount of `{}` at `{}`: Fargate tasks have no host paths",
                mount.source.as_deref().unwrap_or("?"),
                mount.target
            ),
            "tmpfs" => format!(
                "tmpfs mount at `{}`: Fargate does not support tmpfs",
                mount.target
            ),
            "volume" => format!(
                "volume `{}` at `{}`: parity maps no persistent storage to Fargate (use EFS or a managed service)",
                mount.source.as_deref().unwrap_or("(anonymous)"),
                mount.target
            ),
            other => format!(
                "`{other}` mount at `{}` is not available on Fargate",
                mount.target
            ),
        };
        push("volumes", format!("volumes.{index}"), what);
    }
    if !service.tmpfs.is_empty() {
        push(
            "tmpfs",
            "tmpfs".into(),
            format!("tmpfs at {}: {}", service.tmpfs.join(", "), reason("tmpfs")),
        );
    }
    for (set, field) in [
        (service.privileged == Some(true), "privileged"),
        (!service.devices.is_empty(), "devices"),
        (!service.extra_hosts.is_empty(), "extra_hosts"),
        (service.hostname.is_some(), "hostname"),
        (!service.configs.is_empty(), "configs"),
        (service.stop_signal.is_some(), "stop_signal"),
    ] {
        if set {
            push(field, field.into(), reason(field));
        }
    }
    if let Some(mode) = &service.network_mode {
        let shares_with_task = x
            .sidecar_of
            .as_ref()
            .is_some_and(|target| mode == &format!("service:{target}"));
        if !shares_with_task {
            push(
                "network_mode",
                "network_mode".into(),
                format!("network_mode `{mode}`: Fargate tasks use awsvpc only"),
            );
        }
    }
    let refused_caps: Vec<(usize, &str)> = service
        .cap_add
        .iter()
        .map(|c| c.trim_start_matches("CAP_"))
        .enumerate()
        .filter(|(_, c)| *c != FARGATE_CAPABILITY)
        .collect();
    if let Some((first, _)) = refused_caps.first() {
        let refused_caps: Vec<&str> = refused_caps.iter().map(|(_, c)| *c).collect();
        push(
            "cap_add",
            format!("cap_add.{first}"),
            format!(
                "Fargate can only add {FARGATE_CAPABILITY}, not {}",
                refused_caps.join(", ")
            ),
        );
    }
    for (index, port) in service.ports.iter().enumerate() {
        if !PORT_PROTOCOLS.contains(&port.protocol.as_str()) {
            push(
                "ports",
                format!("ports.{index}"),
                format!(
                    "port {}/{}: ECS port mappings are tcp or udp",
                    port.target, port.protocol
                ),
            );
        }
    }
    let refused_sysctls: Vec<String> = sysctls(service)
        .into_keys()
        .filter(|k| !fargate_sysctl(k))
        .collect();
    if let Some(first) = refused_sysctls.first() {
        push(
            "sysctls",
            format!("sysctls.{first}"),
            format!(
                "Fargate sets only net.* kernel parameters, not {}",
                refused_sysctls.join(", ")
            ),
        );
    }
    if service.logging.is_some() {
        notes.push(format!(
            "service `{name}`: logging left out: {}",
            reason("logging")
        ));
    }
    deploy_findings(service, &mut push, &mut notes);
    for key in service.other.keys() {
        match fields::fate(key) {
            Some(Fate::Refused(why)) => push(key, key.clone(), why.to_owned()),
            Some(Fate::Noted(why)) => {
                notes.push(format!("service `{name}`: {key} left out: {why}"))
            }
            Some(Fate::Ecs(_) | Fate::Local(_) | Fate::Parts) => {}
            None => notes.push(format!(
                "service `{name}`: {key} left out: it has no ECS mapping in parity"
            )),
        }
    }
    for finding in findings {
        if x.cloud_ignore.contains(&finding.field) {
            notes.push(format!(
                "service `{name}`: {} left out (x-parity.cloud_ignore): {}",
                finding.field, finding.reason
            ));
        } else {
            return Err(service
                .error_at(
                    &finding.at,
                    format!("service `{name}`: {}: {}", finding.field, finding.reason),
                )
            .with_help(format!(
                "remove it for the cloud, or add `x-parity: {{ cloud_ignore: [{}] }}` to leave it out on purpose",
                finding.field
            )));
        }
    }
    Ok(notes)
}

/// `deploy.*`: a global service is refused; Swarm-only settings are noted.
fn deploy_findings(
    service: &Service,
    push: &mut impl FnMut(&str, String, String),
    notes: &mut Vec<String>,
) {
    let Some(deploy) = &service.deploy else {
        return;
    };
    let name = &service.name;
    let mut note = |path: &str| {
        notes.push(format!(
            "service `{name}`: {path} left out: {}",
            reason(path)
        ));
    };
    for (key, value) in &deploy.other {
        let path = format!("deploy.{key}");
        match (key.as_str(), fields::fate(&path)) {
            ("mode", _) if value.as_str() == Some("global") => push(
                "deploy.mode",
                path.clone(),
                "mode global: Fargate has no DAEMON services (one task per host)".into(),
            ),
            (_, Some(Fate::Noted(_)) | None) => note(&path),
            _ => {}
        }
    }
    let Some(resources) = &deploy.resources else {
        return;
    };
    if resources.limits.as_ref().is_some_and(|l| l.pids.is_some()) {
        note("deploy.resources.limits.pids");
    }
    if let Some(reservations) = &resources.reservations {
        for key in reservations.other.keys() {
            let path = format!("deploy.resources.reservations.{key}");
            push(&path, path.clone(), reason(&path));
        }
    }
}

/// `- /data`: a volume with no name, which ECS can give as task storage.
pub(crate) fn is_anonymous_volume(mount: &VolumeMount) -> bool {
    mount.kind == "volume" && mount.source.is_none()
}

/// The service's `sysctls`, by name.
fn sysctls(service: &Service) -> IndexMap<String, String> {
    let Some(Value::Object(map)) = service.other.get("sysctls") else {
        return IndexMap::new();
    };
    map.iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), value)
        })
        .collect()
}

/// Fargate takes the network namespace's kernel parameters only.
fn fargate_sysctl(name: &str) -> bool {
    name.starts_with("net.")
}

/// The sysctls that become `systemControls`, sorted by name (the refused
/// ones were refused or left out by [`check`]).
pub(crate) fn allowed_sysctls(service: &Service) -> Vec<(String, String)> {
    let mut allowed: Vec<(String, String)> = sysctls(service)
        .into_iter()
        .filter(|(k, _)| fargate_sysctl(k))
        .collect();
    allowed.sort();
    allowed
}
