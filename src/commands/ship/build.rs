//! Deploy's images: each distinct `build:` built once on the Docker Engine
//! (the local runner's build), pushed once to the environment's registry, and
//! from then on referred to only as `registry/repository@sha256:...`.

use std::collections::HashMap;

use crate::cloud::image_ref::Digest;
use crate::cloud::plan::{ImageInput, ImageRefs};
use crate::compose::model::{Project, Service};
use crate::error::{Error, Result};
use crate::registry::client::{Registry, RegistryClient};
use crate::registry::push::{PushCredentials, push};
use crate::settings::Environment;

/// Builds and pushes every built cloud service's image; returns the pinned refs.
pub(crate) async fn build_and_push(
    project: &Project,
    environment: &Environment,
    services: &[&Service],
    tag: &str,
    client: &RegistryClient,
    registry: &Registry,
    credentials: &PushCredentials,
) -> Result<ImageRefs> {
    let built: Vec<&Service> = services
        .iter()
        .copied()
        .filter(|s| s.build.is_some())
        .collect();
    let mut refs = ImageRefs::new();
    if built.is_empty() {
        return Ok(refs);
    }
    let docker = bollard::Docker::connect_with_defaults()
        .map_err(|e| Error::failed(format!("the Docker Engine is not reachable: {e}")))?;
    let mut images: HashMap<String, Built> = HashMap::new();
    for service in &built {
        let image = build_image(&docker, project, service).await?;
        images.insert(service.name.clone(), image);
    }
    // Services that share a build share the image id: push it once.
    let mut pushed: HashMap<String, String> = HashMap::new();
    for service in &built {
        let image = images
            .get(&service.name)
            .ok_or_else(|| Error::failed(format!("no image was built for {}", service.name)))?;
        let pinned = match pushed.get(&image.id) {
            Some(pinned) => pinned.clone(),
            None => {
                let repository = environment.repository(&service.name);
                eprintln!("pushing {}/{repository}:{tag}", registry.host);
                let digest: Digest = push(
                    &docker,
                    client,
                    registry,
                    credentials,
                    &image.id,
                    &repository,
                    tag,
                )
                .await?;
                let pinned = format!("{}/{repository}@{digest}", registry.host);
                eprintln!("pushed {pinned}");
                pushed.insert(image.id.clone(), pinned.clone());
                pinned
            }
        };
        refs.insert(
            service.name.clone(),
            ImageInput {
                reference: pinned,
                architecture: None,
                has_healthcheck: image.healthcheck,
            },
        );
    }
    Ok(refs)
}

/// `--tag`, else the git commit (short), with `-dirty` when the tree has changes.
pub(crate) fn default_tag(dir: &std::path::Path) -> Option<String> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    Some(if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    })
}

/// A built image (interim until the local runner's build lands on main).
struct Built {
    id: String,
    healthcheck: bool,
}

/// Interim build: the context directory as a tar, built by the engine.
async fn build_image(
    docker: &bollard::Docker,
    project: &Project,
    service: &Service,
) -> Result<Built> {
    use bollard::query_parameters::BuildImageOptions;
    use futures_util::StreamExt;
    let Some(build) = &service.build else {
        return Err(Error::failed(format!("{} has no build", service.name)));
    };
    let mut archive = tar::Builder::new(Vec::new());
    archive
        .append_dir_all(".", &build.context)
        .map_err(|e| Error::failed(format!("packing the build context {}: {e}", build.context)))?;
    let tar = archive
        .into_inner()
        .map_err(|e| Error::failed(format!("packing the build context: {e}")))?;
    let name = format!("{}-{}:parity-deploy", project.name, service.name);
    let options = BuildImageOptions {
        dockerfile: if build.dockerfile.is_empty() {
            "Dockerfile".into()
        } else {
            build.dockerfile.clone()
        },
        t: Some(name.clone()),
        rm: true,
        ..BuildImageOptions::default()
    };
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(tar.into())));
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| Error::failed(format!("building {}: {e}", service.name)))?;
        if let Some(detail) = info.error_detail {
            return Err(Error::failed(format!(
                "building {}: {}",
                service.name,
                detail.message.unwrap_or_default()
            )));
        }
    }
    let inspect = docker
        .inspect_image(&name)
        .await
        .map_err(|e| Error::failed(format!("inspecting {name}: {e}")))?;
    Ok(Built {
        id: inspect.id.unwrap_or_default(),
        healthcheck: inspect
            .config
            .and_then(|c| c.healthcheck)
            .and_then(|h| h.test)
            .and_then(|t| t.first().cloned())
            .is_some_and(|t| t != "NONE"),
    })
}
