//! The `com.docker.compose.*` labels and names Compose gives what it creates,
//! so `docker ps`, `docker compose ls` and other tools see a normal compose
//! project, and the config hash that makes `parity up` idempotent.
//!
//! Pure: names and hashes only, no engine calls.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::compose::model::{Project, Service};

pub(crate) const PROJECT: &str = "com.docker.compose.project";
pub(crate) const SERVICE: &str = "com.docker.compose.service";
pub(crate) const CONTAINER_NUMBER: &str = "com.docker.compose.container-number";
pub(crate) const ONEOFF: &str = "com.docker.compose.oneoff";
pub(crate) const CONFIG_HASH: &str = "com.docker.compose.config-hash";
pub(crate) const VERSION: &str = "com.docker.compose.version";
pub(crate) const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
pub(crate) const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
pub(crate) const DEPENDS_ON: &str = "com.docker.compose.depends_on";
pub(crate) const IMAGE: &str = "com.docker.compose.image";
pub(crate) const NETWORK: &str = "com.docker.compose.network";
pub(crate) const VOLUME: &str = "com.docker.compose.volume";
/// parity's own: the service is the release phase (run to completion, not re-run unchanged).
pub(crate) const RELEASE: &str = "dev.parity.release";

/// The engine filter selecting every object of a project.
pub(crate) fn project_filter(project: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![format!("{PROJECT}={project}")])])
}

/// A service's container name: `container_name:` or `<project>-<service>-1`, as Compose v2 names it.
pub(crate) fn container_name(project: &Project, service: &Service) -> String {
    service
        .container_name
        .clone()
        .unwrap_or_else(|| format!("{}-{}-1", project.name, service.name))
}

/// The image a `build:` service runs: its `image:` when given, else `<project>-<service>`.
pub(crate) fn built_image_name(project: &Project, service: &Service) -> String {
    service
        .image
        .clone()
        .unwrap_or_else(|| format!("{}-{}", project.name, service.name))
}

/// The engine-level name of a top-level network key.
pub(crate) fn network_name(project: &Project, key: &str) -> String {
    match project.networks.get(key) {
        Some(net) if net.name.is_some() => net.name.clone().unwrap_or_default(),
        _ => format!("{}_{key}", project.name),
    }
}

/// The engine-level name of a top-level volume key.
pub(crate) fn volume_name(project: &Project, key: &str) -> String {
    match project.volumes.get(key) {
        Some(vol) if vol.name.is_some() => vol.name.clone().unwrap_or_default(),
        _ => format!("{}_{key}", project.name),
    }
}

/// The config hash: what the container would be created from. The service as
/// normalized, the values of variables resolved from the environment at run
/// time, and the image id (a rebuilt image recreates its containers).
pub(crate) fn config_hash(service: &Service, resolved_env: &[String], image_id: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(service).unwrap_or_default());
    for entry in resolved_env {
        hasher.update(entry.as_bytes());
        hasher.update([0]);
    }
    hasher.update(image_id.as_bytes());
    hex::encode(hasher.finalize())
}

/// Compose v2's `depends_on` label: `svc:condition:restart,...`.
pub(crate) fn depends_on_label(service: &Service) -> String {
    service
        .depends_on
        .iter()
        .map(|(name, dep)| {
            let condition = serde_json::to_value(dep.condition)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            format!("{name}:{condition}:{}", dep.restart)
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::model::{Condition, Dependency};

    fn service(name: &str) -> Service {
        Service {
            name: name.into(),
            image: Some("busybox".into()),
            ..Service::default()
        }
    }

    #[test]
    fn hash_changes_with_config_env_and_image() {
        let web = service("web");
        let base = config_hash(&web, &[], "sha256:1");
        assert_eq!(base, config_hash(&web, &[], "sha256:1"), "stable");
        let mut changed = web.clone();
        changed.command = Some(vec!["serve".into()]);
        assert_ne!(base, config_hash(&changed, &[], "sha256:1"));
        assert_ne!(base, config_hash(&web, &["A=1".into()], "sha256:1"));
        assert_ne!(base, config_hash(&web, &[], "sha256:2"));
    }

    #[test]
    fn names_follow_compose_v2() {
        let project = Project {
            name: "shop".into(),
            ..Project::default()
        };
        let mut web = service("web");
        assert_eq!(container_name(&project, &web), "shop-web-1");
        assert_eq!(built_image_name(&project, &web), "busybox");
        web.image = None;
        assert_eq!(built_image_name(&project, &web), "shop-web");
        web.container_name = Some("custom".into());
        assert_eq!(container_name(&project, &web), "custom");
        assert_eq!(network_name(&project, "default"), "shop_default");
        assert_eq!(volume_name(&project, "data"), "shop_data");
    }

    #[test]
    fn depends_on_label_lists_conditions() {
        let mut web = service("web");
        web.depends_on.insert(
            "db".into(),
            Dependency {
                condition: Condition::Healthy,
                restart: true,
                required: true,
            },
        );
        assert_eq!(depends_on_label(&web), "db:service_healthy:true");
    }
}
