//! `parity build [SERVICE...]`: builds the services' images as `docker compose
//! build` does — every service with a `build:` section (or the ones named),
//! one build per distinct section — through the same build path `up --build`
//! and `deploy` use (BuildKit, the classic builder only as a named fallback).

use std::process::ExitCode;

use crate::cli::{BuildArgs, GlobalArgs};
use crate::compose::model::Service;
use crate::error::Result;
use crate::local::engine::Engine;
use crate::local::images;
use crate::local::progress::Progress;

/// Runs `parity build`.
pub(crate) fn run(global: &GlobalArgs, args: &BuildArgs) -> Result<ExitCode> {
    let project = super::load_project(global, &args.services)?;
    if let Some(name) = args
        .services
        .iter()
        .find(|name| !project.services.contains_key(*name))
    {
        return Err(crate::compose::unknown_service(&project, name));
    }
    let width = project.services.keys().map(String::len).max().unwrap_or(0);
    let progress = Progress::new(width.max(8));
    let named = |name: &str| args.services.is_empty() || args.services.iter().any(|s| s == name);
    let (built, plain): (Vec<&Service>, Vec<&Service>) = project
        .services
        .values()
        .filter(|s| named(&s.name))
        .partition(|s| s.build.is_some());
    // Named services that run a ready-made image: said, as nothing is built for them.
    for service in plain.iter().filter(|_| !args.services.is_empty()) {
        progress.done(
            &service.name,
            &format!(
                "nothing to build (it runs the image `{}`)",
                service.image.as_deref().unwrap_or("")
            ),
        );
    }
    if built.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    super::block_on(async {
        let engine = Engine::connect().await?;
        let lookup = |key: &str| std::env::var(key).ok();
        images::ensure(&engine, &project, &built, true, &lookup, &progress).await?;
        Ok(ExitCode::SUCCESS)
    })
}
