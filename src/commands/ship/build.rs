//! Deploy's images: each distinct `build:` built once on the Docker Engine
//! (the local runner's build), pushed once to the environment's registry, and
//! from then on referred to only as `registry/repository@sha256:...`. Services
//! that run a published `image:` are pinned too, to the registry digest the
//! engine pulled, so no mutable tag ever reaches a task definition.

use crate::cloud::image_build::ImageBuild;
use crate::cloud::image_ref::{Digest, ImageRef};
use crate::cloud::plan::{ImageInput, ImageRefs};
use crate::compose::model::{Project, Service};
use crate::error::{Error, Result};
use crate::local::engine::Engine;
use crate::registry::client::{Registry, RegistryClient};
use crate::registry::push::{PushCredentials, push};

/// Builds and pushes every built cloud service's image; returns the pinned refs.
pub(crate) async fn build_and_push(
    project: &Project,
    builds: &[ImageBuild],
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
    let published: Vec<&Service> = services
        .iter()
        .copied()
        .filter(|s| s.build.is_none() && s.image.is_some())
        .collect();
    let mut refs = ImageRefs::new();
    if built.is_empty() && published.is_empty() {
        return Ok(refs);
    }
    let engine = Engine::connect().await?;
    let width = services.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let progress = crate::local::progress::Progress::new(width);
    let lookup = |name: &str| std::env::var(name).ok();
    if !published.is_empty() {
        let pulled =
            crate::local::images::ensure(&engine, project, &published, false, &lookup, &progress)
                .await?;
        for service in &published {
            let Some(image) = pulled.get(&service.name) else {
                continue;
            };
            refs.insert(
                service.name.clone(),
                ImageInput {
                    reference: pin_published(&engine, &image.reference).await?,
                    architecture: None,
                    has_healthcheck: image.healthcheck,
                },
            );
        }
    }
    if built.is_empty() {
        return Ok(refs);
    }
    let images =
        crate::local::images::ensure(&engine, project, &built, true, &lookup, &progress).await?;
    // Services that share a build share one image: pushed once, to the
    // repository named for the build.
    for build in builds {
        let Some(first) = build.services.first() else {
            continue;
        };
        let image = images
            .get(first)
            .ok_or_else(|| Error::failed(format!("no image was built for {first}")))?;
        let repository = &build.repository;
        eprintln!("pushing {}/{repository}:{tag}", registry.host);
        let digest: Digest = push(
            &engine.docker,
            client,
            registry,
            credentials,
            &image.id,
            repository,
            tag,
        )
        .await?;
        let pinned = format!("{}/{repository}@{digest}", registry.host);
        eprintln!("pushed {pinned}");
        for service in &build.services {
            let has_healthcheck = images.get(service).is_some_and(|i| i.healthcheck);
            refs.insert(
                service.clone(),
                ImageInput {
                    reference: pinned.clone(),
                    architecture: None,
                    has_healthcheck,
                },
            );
        }
    }
    Ok(refs)
}

/// `name@sha256:...` for a published image, from the registry digest the engine
/// recorded when it pulled it (`RepoDigests`).
async fn pin_published(engine: &Engine, reference: &str) -> Result<String> {
    let wanted = ImageRef::parse(reference)
        .map_err(|e| Error::input(format!("image `{reference}`: {e}")))?;
    if let Some(digest) = &wanted.digest {
        return Ok(wanted.pinned(digest));
    }
    let inspect = engine
        .docker
        .inspect_image(reference)
        .await
        .map_err(|e| Error::failed(format!("inspecting image {reference}: {e}")))?;
    let name = wanted.canonical_name();
    inspect
        .repo_digests
        .unwrap_or_default()
        .iter()
        .filter_map(|d| ImageRef::parse(d).ok())
        .find(|d| d.canonical_name() == name && d.digest.is_some())
        .and_then(|d| d.digest.map(|digest| wanted.pinned(&digest)))
        .ok_or_else(|| {
            Error::failed(format!(
                "image `{reference}` has no registry digest (it was never pulled from or pushed to a registry), so it cannot be deployed by digest"
            ))
            .with_help("push it to a registry, or give the service a `build:` so parity pushes it")
        })
}
