//! What Fargate cannot express. Each finding names the service and the compose
//! field; it is an error unless the service lists the field in
//! `x-parity.cloud_ignore`, in which case the plan says it was left out.
//! Fields with no cloud meaning at all (build, restart, container_name, ...)
//! are not findings: the cloud has its own answer for each (see the README).

use crate::compose::model::Service;
use crate::compose::x_parity::XParity;
use crate::error::{Error, Result};

/// Compose keys carried in `Service::other` that mean nothing on Fargate but
/// change nothing either (the cloud's equivalent is implied).
const HARMLESS: &[&str] = &[
    "expose",
    "scale",
    "attach",
    "annotations",
    "stdin_open",
    "tty",
    "label_file",
    "models",
    "provider",
    "post_start",
    "pre_stop",
    "use_api_socket",
];

/// One thing Fargate cannot do.
struct Finding {
    field: &'static str,
    reason: String,
}

/// Checks one cloud service; returns the notes for ignored findings.
pub(crate) fn check(service: &Service, x: &XParity) -> Result<Vec<String>> {
    let name = &service.name;
    let mut findings: Vec<Finding> = Vec::new();
    let mut push = |field: &'static str, reason: String| findings.push(Finding { field, reason });
    for mount in &service.volumes {
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
        push("volumes", what);
    }
    if !service.tmpfs.is_empty() {
        push(
            "tmpfs",
            format!(
                "tmpfs at {}: Fargate does not support tmpfs",
                service.tmpfs.join(", ")
            ),
        );
    }
    if service.privileged == Some(true) {
        push(
            "privileged",
            "Fargate does not run privileged containers".into(),
        );
    }
    if !service.devices.is_empty() {
        push("devices", "Fargate gives containers no host devices".into());
    }
    if let Some(mode) = &service.network_mode {
        let shares_with_task = x
            .sidecar_of
            .as_ref()
            .is_some_and(|target| mode == &format!("service:{target}"));
        if !shares_with_task {
            push(
                "network_mode",
                format!("network_mode `{mode}`: Fargate tasks use awsvpc only"),
            );
        }
    }
    if !service.extra_hosts.is_empty() {
        push(
            "extra_hosts",
            "awsvpc tasks cannot add /etc/hosts entries".into(),
        );
    }
    if service.hostname.is_some() {
        push("hostname", "awsvpc tasks cannot set a hostname".into());
    }
    let refused_caps: Vec<&str> = service
        .cap_add
        .iter()
        .map(|c| c.trim_start_matches("CAP_"))
        .filter(|c| *c != "SYS_PTRACE")
        .collect();
    if !refused_caps.is_empty() {
        push(
            "cap_add",
            format!(
                "Fargate can only add SYS_PTRACE, not {}",
                refused_caps.join(", ")
            ),
        );
    }
    for port in &service.ports {
        match port.published.as_deref() {
            Some(published) if published != port.target.to_string() => push(
                "ports",
                format!(
                    "port {published}:{}: on awsvpc the host port must equal the container port",
                    port.target
                ),
            ),
            _ => {}
        }
    }
    if !service.configs.is_empty() {
        push(
            "configs",
            "parity has no Fargate mapping for compose configs (bake them into the image)".into(),
        );
    }
    if service.stop_signal.is_some() {
        push(
            "stop_signal",
            "ECS always stops containers with SIGTERM, then SIGKILL".into(),
        );
    }
    for key in service.other.keys() {
        if HARMLESS.contains(&key.as_str()) {
            continue;
        }
        if let Some(field) = crate::compose::x_parity::IGNORABLE
            .iter()
            .find(|f| **f == key.as_str())
        {
            push(field, format!("`{key}` has no Fargate equivalent"));
        }
    }
    let mut notes = Vec::new();
    for finding in findings {
        if x.cloud_ignore.iter().any(|f| f == finding.field) {
            notes.push(format!(
                "service `{name}`: {} left out (x-parity.cloud_ignore): {}",
                finding.field, finding.reason
            ));
        } else {
            return Err(Error::input(format!(
                "service `{name}`: {}: {}",
                finding.field, finding.reason
            ))
            .with_help(format!(
                "remove it for the cloud, or add `x-parity: {{ cloud_ignore: [{}] }}` to leave it out on purpose",
                finding.field
            )));
        }
    }
    Ok(notes)
}

/// `other` keys parity neither maps nor knows to be unsupported: left out, and said so.
pub(crate) fn unmapped(service: &Service) -> Vec<String> {
    service
        .other
        .keys()
        .filter(|k| {
            !HARMLESS.contains(&k.as_str())
                && !crate::compose::x_parity::IGNORABLE.contains(&k.as_str())
        })
        .map(|k| {
            format!(
                "service `{}`: `{k}` has no ECS mapping in parity; left out of the cloud",
                service.name
            )
        })
        .collect()
}
