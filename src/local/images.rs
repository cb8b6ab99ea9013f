//! The images an `up` runs: built from `build:` (one build per distinct build
//! section, tagged for every service that shares it), or already present, or
//! pulled. Also reads whether an image declares a health check, for the
//! `service_healthy` preflight.
//!
//! Engine calls for images only; containers are elsewhere.

use std::collections::HashMap;
use std::path::Path;

use bollard::models::{HealthConfig, ImageInspect};
use bollard::query_parameters::{BuildImageOptions, CreateImageOptions, TagImageOptions};
use futures_util::StreamExt;
use futures_util::future::try_join_all;

use super::buildkit;
use super::context::tar_context;
use super::engine::{self, Engine};
use super::labels;
use super::progress::Progress;
use crate::compose::model::{Build, Project, Service};
use crate::error::Error;

/// The image a service runs.
#[derive(Debug, Clone)]
pub(crate) struct ServiceImage {
    /// Reference given to the engine at create.
    pub(crate) reference: String,
    pub(crate) id: String,
    /// The image itself declares a health check (`HEALTHCHECK` in its Dockerfile).
    pub(crate) healthcheck: bool,
    /// That check, which a container's own check falls back to field by field.
    pub(crate) health: Option<HealthConfig>,
    /// The image's `SHELL` (empty: the engine's `/bin/sh -c`), for `CMD-SHELL` checks.
    pub(crate) shell: Vec<String>,
}

/// Makes sure every service's image exists: builds what must be built (once per
/// distinct `build:`; all with `force_build`), pulls what is missing.
pub(crate) async fn ensure(
    engine: &Engine,
    project: &Project,
    services: &[&Service],
    force_build: bool,
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
    progress: &Progress,
) -> Result<HashMap<String, ServiceImage>, Error> {
    let mut builds: Vec<(&Build, Vec<&Service>)> = Vec::new();
    let mut plain: Vec<&Service> = Vec::new();
    for service in services {
        match &service.build {
            Some(build) => match builds.iter_mut().find(|(b, _)| *b == build) {
                Some((_, group)) => group.push(service),
                None => builds.push((build, vec![service])),
            },
            None => plain.push(service),
        }
    }
    let built = try_join_all(builds.into_iter().map(|(build, group)| async move {
        let names: Vec<String> = group
            .iter()
            .map(|s| labels::built_image_name(project, s))
            .collect();
        let mut existing = Vec::new();
        if !force_build {
            for name in &names {
                existing.push(inspect(engine, name).await?);
            }
        }
        let image = if !force_build && existing.iter().all(Option::is_some) {
            existing.into_iter().flatten().next()
        } else {
            None
        };
        let image = match image {
            Some(image) => image,
            None => build_image(engine, build, &names, group[0], lookup, progress).await?,
        };
        Ok::<_, Error>(
            group
                .iter()
                .zip(names)
                .map(|(s, reference)| (s.name.clone(), service_image(reference, &image)))
                .collect::<Vec<_>>(),
        )
    }))
    .await?;
    let pulled = try_join_all(plain.into_iter().map(|service| async move {
        let reference = service.image.clone().ok_or_else(|| {
            Error::input(format!(
                "service `{}` has neither `image` nor `build`",
                service.name
            ))
            .with_help("give it an `image:` to run or a `build:` context")
        })?;
        let image = match inspect(engine, &reference).await? {
            Some(image) => image,
            None => pull(engine, service, &reference, progress).await?,
        };
        Ok::<_, Error>((service.name.clone(), service_image(reference, &image)))
    }))
    .await?;
    Ok(built.into_iter().flatten().chain(pulled).collect())
}

fn service_image(reference: String, image: &ImageInspect) -> ServiceImage {
    let config = image.config.as_ref();
    let health = config.and_then(|c| c.healthcheck.clone());
    let healthcheck = health
        .as_ref()
        .and_then(|h| h.test.as_ref())
        .and_then(|t| t.first())
        .is_some_and(|t| t != "NONE");
    ServiceImage {
        reference,
        id: image.id.clone().unwrap_or_default(),
        healthcheck,
        health,
        shell: config.and_then(|c| c.shell.clone()).unwrap_or_default(),
    }
}

/// The image, or `None` when the engine does not have it.
async fn inspect(engine: &Engine, reference: &str) -> Result<Option<ImageInspect>, Error> {
    match engine.docker.inspect_image(reference).await {
        Ok(image) => Ok(Some(image)),
        Err(e) if engine::status_of(&e) == Some(404) => Ok(None),
        Err(e) => Err(engine::failed(format!("inspecting image {reference}"), &e)),
    }
}

/// Builds one `build:` section, tags it for every name, returns the image.
/// BuildKit first (see `buildkit`); the engine's classic builder only when
/// BuildKit is unavailable, and the output says which built it and why.
async fn build_image(
    engine: &Engine,
    build: &Build,
    names: &[String],
    first: &Service,
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
    progress: &Progress,
) -> Result<ImageInspect, Error> {
    let started = std::time::Instant::now();
    progress.working(&first.name, "building");
    let context_dir = Path::new(&build.context).to_path_buf();
    let dockerfile = if build.dockerfile.is_empty() {
        "Dockerfile".to_string()
    } else {
        build.dockerfile.clone()
    };
    let context = tokio::task::spawn_blocking(move || tar_context(&context_dir, &dockerfile))
        .await
        .map_err(|e| Error::failed(format!("packing the build context: {e}")))??;
    let buildargs: HashMap<String, String> = build
        .args
        .iter()
        .filter_map(|(k, v)| v.clone().or_else(|| lookup(k)).map(|v| (k.clone(), v)))
        .collect();
    let options = BuildImageOptions {
        dockerfile: context.dockerfile.clone(),
        t: Some(names[0].clone()),
        buildargs: (!buildargs.is_empty()).then_some(buildargs),
        labels: (!build.labels.is_empty()).then(|| build.labels.clone().into_iter().collect()),
        target: build.target.clone().unwrap_or_default(),
        cachefrom: (!build.cache_from.is_empty()).then(|| build.cache_from.clone()),
        platform: first.platform.clone().unwrap_or_default(),
        rm: true,
        ..BuildImageOptions::default()
    };
    let tar = bytes::Bytes::from(context.tar);
    let (builder, built) =
        match buildkit::build(engine, &buildkit_query(&options), tar.clone()).await {
            buildkit::Outcome::Built {
                image_id,
                steps,
                cached,
            } => (
                format!("with BuildKit, {cached} of {steps} steps cached"),
                image_id,
            ),
            buildkit::Outcome::Failed { message, output } => {
                return Err(build_failed(first, build, progress, &message, &output));
            }
            buildkit::Outcome::Unavailable(why) => {
                progress.warn(&format!(
                    "{}: building with the engine's classic builder, not BuildKit: {why}",
                    first.name
                ));
                classic(engine, options, tar)
                    .await
                    .map_err(|(message, output)| {
                        build_failed(first, build, progress, &message, &output)
                    })?;
                ("with the classic builder".to_string(), names[0].clone())
            }
        };
    for name in &names[1..] {
        let (repo, tag) = split_reference(name);
        engine
            .docker
            .tag_image(
                &names[0],
                Some(TagImageOptions {
                    repo: Some(repo),
                    tag,
                }),
            )
            .await
            .map_err(|e| engine::failed(format!("tagging {name}"), &e))?;
    }
    let image = inspect(engine, &built).await?.ok_or_else(|| {
        Error::failed(format!("the build for `{}` produced no image", first.name))
    })?;
    progress.done(
        &first.name,
        &format!(
            "built {} in {} ({builder})",
            names[0],
            super::progress::secs(started.elapsed())
        ),
    );
    Ok(image)
}

/// The `/build` query for BuildKit: the same parameters the classic build sends.
fn buildkit_query(options: &BuildImageOptions) -> Vec<(&'static str, String)> {
    let mut query = vec![("dockerfile", options.dockerfile.clone())];
    if let Some(tag) = &options.t {
        query.push(("t", tag.clone()));
    }
    if let Some(args) = &options.buildargs {
        query.push(("buildargs", json(args)));
    }
    if let Some(labels) = &options.labels {
        query.push(("labels", json(labels)));
    }
    if !options.target.is_empty() {
        query.push(("target", options.target.clone()));
    }
    if let Some(from) = &options.cachefrom {
        query.push(("cachefrom", json(from)));
    }
    if !options.platform.is_empty() {
        query.push(("platform", options.platform.clone()));
    }
    query
}

/// JSON text of a query value (maps and lists are JSON in `/build`'s query).
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The engine's classic builder; on failure its message and the last lines of its output.
async fn classic(
    engine: &Engine,
    options: BuildImageOptions,
    tar: bytes::Bytes,
) -> Result<(), (String, Vec<String>)> {
    let mut stream = engine
        .docker
        .build_image(options, None, Some(bollard::body_full(tar)));
    let mut output: Vec<String> = Vec::new();
    let mut failure: Option<String> = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(text) = info.stream {
                    output.extend(text.lines().map(str::to_string));
                }
                if let Some(detail) = info.error_detail {
                    failure = detail.message.or(Some("build failed".into()));
                }
            }
            Err(e) => failure = Some(engine::message_of(&e)),
        }
    }
    match failure {
        None => Ok(()),
        Some(message) => {
            let start = output.len().saturating_sub(40);
            let tail = output[start..]
                .iter()
                .filter(|l| !l.trim().is_empty())
                .cloned()
                .collect();
            Err((message, tail))
        }
    }
}

/// The error for a failed build, with the builder's own output.
fn build_failed(
    first: &Service,
    build: &Build,
    progress: &Progress,
    message: &str,
    output: &[String],
) -> Error {
    progress.failed(&first.name, "build failed");
    Error::failed(format!(
        "building the image for `{}` failed: {message}\n--- build output ---\n{}",
        first.name,
        output.join("\n")
    ))
    .with_help(format!(
        "fix the Dockerfile or context ({}), then run `parity up --build`",
        build.context
    ))
}

/// `repo[:tag]`, where a `:` inside a registry host's port is not a tag.
fn split_reference(reference: &str) -> (String, Option<String>) {
    match reference.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), Some(tag.to_string())),
        _ => (reference.to_string(), None),
    }
}

/// Pulls an image the engine lacks.
async fn pull(
    engine: &Engine,
    service: &Service,
    reference: &str,
    progress: &Progress,
) -> Result<ImageInspect, Error> {
    progress.working(&service.name, &format!("pulling {reference}"));
    let (repo, tag) = split_reference(reference);
    let options = CreateImageOptions {
        from_image: Some(repo),
        tag: Some(tag.unwrap_or_else(|| "latest".into())),
        platform: service.platform.clone().unwrap_or_default(),
        ..CreateImageOptions::default()
    };
    let mut stream = engine.docker.create_image(Some(options), None, None);
    while let Some(item) = stream.next().await {
        let failure = match item {
            Ok(info) => info.error_detail.and_then(|d| d.message),
            Err(e) => Some(engine::message_of(&e)),
        };
        if let Some(message) = failure {
            return Err(Error::failed(format!(
                "image `{reference}` for `{}` is not present and could not be pulled: {message}",
                service.name
            ))
            .with_help(
                "build it (give the service a `build:` section) or load it with `docker load`",
            ));
        }
    }
    inspect(engine, reference).await?.ok_or_else(|| {
        Error::failed(format!(
            "image `{reference}` is still missing after the pull"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_repo_and_tag() {
        assert_eq!(split_reference("web"), ("web".into(), None));
        assert_eq!(split_reference("web:1"), ("web".into(), Some("1".into())));
        assert_eq!(
            split_reference("127.0.0.1:5000/web"),
            ("127.0.0.1:5000/web".into(), None)
        );
    }
}
