//! The project's networks and named volumes: created when missing (labelled as
//! Compose labels them), removed by `down`. External ones are only checked.
//!
//! Engine calls for networks and volumes only.

use std::collections::{BTreeSet, HashMap};

use bollard::models::{NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{ListNetworksOptions, ListVolumesOptions};

use super::engine::{self, Engine};
use super::labels;
use super::progress::Progress;
use crate::compose::model::{Network, Project, Service};
use crate::error::Error;

/// Creates the networks and volumes the given services use, when missing.
pub(crate) async fn ensure(
    engine: &Engine,
    project: &Project,
    services: &[&Service],
    progress: &Progress,
) -> Result<(), Error> {
    let mut networks: BTreeSet<String> = BTreeSet::new();
    let mut volumes: BTreeSet<String> = BTreeSet::new();
    for service in services {
        if service.network_mode.is_none() {
            if service.networks.is_empty() {
                networks.insert("default".into());
            }
            networks.extend(service.networks.keys().cloned());
        }
        for mount in &service.volumes {
            if let (true, Some(source)) = (mount.kind == "volume", &mount.source)
                && project.volumes.contains_key(source)
            {
                volumes.insert(source.clone());
            }
        }
    }
    for key in networks {
        ensure_network(engine, project, &key, progress).await?;
    }
    for key in volumes {
        ensure_volume(engine, project, &key, progress).await?;
    }
    Ok(())
}

async fn ensure_network(
    engine: &Engine,
    project: &Project,
    key: &str,
    progress: &Progress,
) -> Result<(), Error> {
    let name = labels::network_name(project, key);
    let declared = project.networks.get(key).cloned().unwrap_or_default();
    match engine.docker.inspect_network(&name, None).await {
        Ok(_) => return Ok(()),
        Err(e) if engine::status_of(&e) == Some(404) => {}
        Err(e) => return Err(engine::failed(format!("inspecting network {name}"), &e)),
    }
    if declared.external {
        return Err(
            Error::failed(format!("external network `{name}` does not exist"))
                .with_help(format!("create it first: `docker network create {name}`")),
        );
    }
    let request = network_request(project, key, &name, &declared);
    match engine.docker.create_network(request).await {
        Ok(_) => {
            progress.done(&format!("network {name}"), "created");
            Ok(())
        }
        // Created concurrently by another run: fine.
        Err(e) if engine::status_of(&e) == Some(409) => Ok(()),
        Err(e) => Err(engine::failed(format!("creating network {name}"), &e)),
    }
}

/// A network's or volume's labels: the file's, plus the ones that say parity
/// made it, for which project, under which key (`kind`: the label and the key).
fn owned_labels(
    declared: &indexmap::IndexMap<String, String>,
    project: &Project,
    (kind, key): (&str, &str),
) -> HashMap<String, String> {
    let mut owned: HashMap<String, String> = declared.clone().into_iter().collect();
    owned.insert(labels::PROJECT.into(), project.name.clone());
    owned.insert(kind.into(), key.into());
    owned.insert(labels::VERSION.into(), env!("CARGO_PKG_VERSION").into());
    owned
}

/// `driver_opts` as Docker takes them: every value a string (`1000` too).
fn driver_opts(
    other: &indexmap::IndexMap<String, serde_json::Value>,
) -> Option<HashMap<String, String>> {
    let map = other.get("driver_opts")?.as_object()?;
    Some(
        map.iter()
            .map(|(k, v)| {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                (k.clone(), text)
            })
            .collect(),
    )
}

fn network_request(
    project: &Project,
    key: &str,
    name: &str,
    net: &Network,
) -> NetworkCreateRequest {
    let network_labels = owned_labels(&net.labels, project, (labels::NETWORK, key));
    let options = driver_opts(&net.other);
    NetworkCreateRequest {
        name: name.to_string(),
        driver: net.driver.clone(),
        internal: net.internal.then_some(true),
        attachable: net
            .other
            .get("attachable")
            .and_then(serde_json::Value::as_bool),
        enable_ipv6: net
            .other
            .get("enable_ipv6")
            .and_then(serde_json::Value::as_bool),
        options,
        labels: Some(network_labels),
        ..NetworkCreateRequest::default()
    }
}

async fn ensure_volume(
    engine: &Engine,
    project: &Project,
    key: &str,
    progress: &Progress,
) -> Result<(), Error> {
    let name = labels::volume_name(project, key);
    let declared = project.volumes.get(key).cloned().unwrap_or_default();
    match engine.docker.inspect_volume(&name).await {
        Ok(_) => return Ok(()),
        Err(e) if engine::status_of(&e) == Some(404) => {}
        Err(e) => return Err(engine::failed(format!("inspecting volume {name}"), &e)),
    }
    if declared.external {
        return Err(
            Error::failed(format!("external volume `{name}` does not exist"))
                .with_help(format!("create it first: `docker volume create {name}`")),
        );
    }
    let volume_labels = owned_labels(&declared.labels, project, (labels::VOLUME, key));
    let driver_opts = driver_opts(&declared.other);
    engine
        .docker
        .create_volume(VolumeCreateRequest {
            name: Some(name.clone()),
            driver: declared.driver.clone(),
            driver_opts,
            labels: Some(volume_labels),
            ..VolumeCreateRequest::default()
        })
        .await
        .map_err(|e| engine::failed(format!("creating volume {name}"), &e))?;
    progress.done(&format!("volume {name}"), "created");
    Ok(())
}

/// Removes the project's networks (and, with `volumes`, its volumes): everything
/// carrying the project label, so networks of services since removed go too.
pub(crate) async fn remove(
    engine: &Engine,
    project: &str,
    volumes: bool,
    progress: &Progress,
) -> Result<(), Error> {
    let filters = labels::project_filter(project);
    let networks = engine
        .docker
        .list_networks(Some(ListNetworksOptions {
            filters: Some(filters.clone()),
        }))
        .await
        .map_err(|e| engine::failed("listing networks", &e))?;
    for network in networks {
        let Some(name) = network.name else { continue };
        match engine.docker.remove_network(&name).await {
            Ok(()) => progress.done(&format!("network {name}"), "removed"),
            Err(e) if engine::status_of(&e) == Some(404) => {}
            Err(e) => return Err(engine::failed(format!("removing network {name}"), &e)),
        }
    }
    if volumes {
        let list = engine
            .docker
            .list_volumes(Some(ListVolumesOptions {
                filters: Some(filters),
            }))
            .await
            .map_err(|e| engine::failed("listing volumes", &e))?;
        for volume in list.volumes.unwrap_or_default() {
            let name = volume.name;
            match engine
                .docker
                .remove_volume(
                    &name,
                    None::<bollard::query_parameters::RemoveVolumeOptions>,
                )
                .await
            {
                Ok(()) => progress.done(&format!("volume {name}"), "removed"),
                Err(e) if engine::status_of(&e) == Some(404) => {}
                Err(e) => return Err(engine::failed(format!("removing volume {name}"), &e)),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_request_carries_the_files_labels_ours_and_string_driver_opts() {
        let project = Project {
            name: "shop".into(),
            ..Project::default()
        };
        let net = Network {
            labels: [("team".to_owned(), "web".to_owned())]
                .into_iter()
                .collect(),
            other: [(
                "driver_opts".to_owned(),
                serde_json::json!({"mtu": 1400, "name": "br0"}),
            )]
            .into_iter()
            .collect(),
            ..Network::default()
        };
        let request = network_request(&project, "back", "shop_back", &net);
        let labels = request.labels.unwrap();
        assert_eq!(labels["team"], "web");
        assert_eq!(labels[labels::PROJECT], "shop");
        assert_eq!(labels[labels::NETWORK], "back");
        assert_eq!(labels[labels::VERSION], env!("CARGO_PKG_VERSION"));
        let options = request.options.unwrap();
        assert_eq!(options["mtu"], "1400");
        assert_eq!(options["name"], "br0");
        assert!(driver_opts(&Network::default().other).is_none());
    }
}
