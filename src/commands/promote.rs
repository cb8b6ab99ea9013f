//! `parity promote [--from staging] [--to prod]`: deploys exactly the image
//! digests the source environment runs to the target, with the target's own
//! settings, secrets and release phase. No build. Refuses unless the source
//! completed and is pinned by digest and its compose hash matches the local
//! file (`--allow-config-drift` overrides the last). Copies images registry to
//! registry byte for byte when the registries differ, then verifies and prints
//! that the target runs the identical digests.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use indexmap::IndexMap;

use super::deploy::registry_for;
use super::ship::observe::{ServiceView, observe};
use super::ship::session::{Cloud, Inputs};
use super::ship::{lock, notify, rollout};
use crate::cli::{GlobalArgs, PromoteArgs};
use crate::cloud::image_ref::ImageRef;
use crate::cloud::plan::{ImageInput, ImageRefs, PlanInputs, plan};
use crate::cloud::promotion::{self, SourceService};
use crate::cloud::tags;
use crate::error::{Error, Result};
use crate::registry::copy::copy_image;

pub(crate) fn run(global: &GlobalArgs, args: &PromoteArgs) -> Result<ExitCode> {
    let inputs = Inputs::load(global)?;
    if args.from == args.to {
        return Err(Error::input(format!(
            "--from and --to are both `{}`",
            args.from
        )));
    }
    inputs.environment(&args.from)?;
    inputs.environment(&args.to)?;
    super::block_on(promote(args, &inputs))
}

async fn promote(args: &PromoteArgs, inputs: &Inputs) -> Result<ExitCode> {
    let started = Instant::now();
    let from_env = inputs.environment(&args.from)?;
    let to_env = inputs.environment(&args.to)?;
    let source = Cloud::connect(from_env).await?;
    let target = Cloud::connect(to_env).await?;
    let views = observe(&source.ctx, from_env, &inputs.project).await?;
    let sources: Vec<SourceService> = views.iter().filter_map(source_service).collect();
    let never: Vec<&str> = views
        .iter()
        .filter(|v| v.running.is_none())
        .map(|v| v.service.as_str())
        .collect();
    let checked = promotion::check(
        &args.from,
        &sources,
        &inputs.compose_hash,
        args.allow_config_drift,
    );
    let mut reasons = checked.as_ref().err().cloned().unwrap_or_default();
    for service in &never {
        reasons.push(format!("{}'s {service} was never deployed", args.from));
    }
    let promotion = match checked {
        Ok(p) if reasons.is_empty() => p,
        _ => {
            let drift = reasons.iter().any(|r| r.contains("compose hash"));
            let mut err = Error::failed(format!(
                "refusing to promote {} to {}:\n  {}",
                args.from,
                args.to,
                reasons.join("\n  ")
            ));
            if drift {
                err = err.with_help(format!(
                    "deploy the current compose file to {} first, or pass --allow-config-drift",
                    args.from
                ));
            }
            return Err(err);
        }
    };
    // Where the images go: the target's registry, copied there when it differs.
    let (client, to_registry, _) = registry_for(&target, to_env).await?;
    let (_, from_registry, _) = registry_for(&source, from_env).await?;
    let mut images = ImageRefs::new();
    let mut digests: IndexMap<String, ImageRef> = IndexMap::new();
    for (service, containers) in &promotion {
        // The service's own container carries its image; sidecars keep theirs.
        let Some(image) = containers
            .get(service)
            .or_else(|| containers.values().next())
        else {
            continue;
        };
        let digest = image
            .digest
            .clone()
            .ok_or_else(|| Error::failed(format!("{service}'s image lost its digest")))?;
        // Only images in the source environment's own registry are copied; a
        // published image (another registry) is already pullable by digest.
        let in_source_registry = image.registry.as_deref() == Some(from_registry.host.as_str());
        let reference = if !in_source_registry || from_registry.host == to_registry.host {
            image.pinned(&digest)
        } else {
            // The same repository name in both registries: named for the build.
            let repository = image.repository.clone();
            let copied = copy_image(
                &client,
                &from_registry,
                &image.repository,
                &to_registry,
                &repository,
                &digest,
                Some(&format!("promoted-{}", digest.short())),
            )
            .await?;
            eprintln!(
                "copied {}@{} to {}/{repository} ({} blobs, {} bytes; {} already there)",
                image.name(),
                digest.short(),
                to_registry.host,
                copied.blobs_copied,
                copied.bytes,
                copied.blobs_present
            );
            format!("{}/{repository}@{digest}", to_registry.host)
        };
        images.insert(
            service.clone(),
            ImageInput {
                reference,
                architecture: None,
                has_healthcheck: false,
            },
        );
        digests.insert(service.clone(), image.clone());
    }
    let commit = views
        .iter()
        .filter_map(|v| v.running.as_ref()?.tags.get(tags::COMMIT).cloned())
        .next();
    let plan_inputs = PlanInputs {
        account_id: target.account_id.clone(),
        images,
        compose_hash: inputs.compose_hash.clone(),
        git_commit: commit.clone(),
    };
    let plan = plan(&inputs.project, &inputs.settings, &args.to, &plan_inputs)?;
    let timeout = Duration::from_secs(
        args.timeout
            .unwrap_or_else(|| to_env.deploy().wait_timeout()),
    );
    let webhook = to_env
        .notify_webhook()
        .or(inputs.settings.notify_webhook.as_deref());
    let what = format!("promote {} -> {}", args.from, args.to);
    notify::notify(webhook, &format!("parity: {what} started")).await;
    let outcome = lock::with_lock(
        &target.ctx,
        inputs.settings.app(),
        &args.to,
        &what,
        args.break_lock,
        rollout::ship(&target.ctx, &plan, timeout),
    )
    .await;
    let report = match outcome {
        Ok(report) => report,
        Err(e) => {
            notify::notify(webhook, &format!("parity: {what} FAILED: {}", e.message())).await;
            log_calls(&source, &target);
            return Err(e);
        }
    };
    // Verify: read back what the target runs and compare digests.
    let after = observe(&target.ctx, to_env, &inputs.project).await?;
    let mut mismatches = Vec::new();
    outln!("promoted {} to {}", args.from, args.to);
    for (service, image) in &digests {
        let expected = image
            .digest
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default();
        let actual = after
            .iter()
            .find(|v| &v.service == service)
            .and_then(|v| v.running.as_ref())
            .and_then(|r| {
                r.images
                    .iter()
                    .find(|(c, _)| c == service)
                    .or(r.images.first())
            })
            .and_then(|(_, i)| ImageRef::parse(i).ok())
            .and_then(|i| i.digest)
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default();
        let same = actual == expected;
        outln!(
            "  {service}: {} {expected} {} {actual}",
            args.to,
            if same { "==" } else { "!=" }
        );
        if !same {
            mismatches.push(service.clone());
        }
    }
    notify::notify(webhook, &format!("parity: {what} completed")).await;
    let total = started.elapsed();
    eprintln!(
        "promote took {:.1}s ({:.1}s of it waiting on ECS: release task and rollout)",
        total.as_secs_f64(),
        report.waited.as_secs_f64()
    );
    log_calls(&source, &target);
    if mismatches.is_empty() {
        outln!("{} runs the identical digests {} runs", args.to, args.from);
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Error::failed(format!(
            "after the rollout {} does not run {}'s digests for: {}",
            args.to,
            args.from,
            mismatches.join(", ")
        )))
    }
}

fn source_service(view: &ServiceView) -> Option<SourceService> {
    let running = view.running.as_ref()?;
    Some(SourceService {
        service: view.service.clone(),
        rollout_states: running.rollout_states.clone(),
        images: running.images.iter().cloned().collect(),
        compose_hash: running.tags.get(tags::COMPOSE_HASH).cloned(),
    })
}

fn log_calls(source: &Cloud, target: &Cloud) {
    source.ctx.calls().log_summary();
    target.ctx.calls().log_summary();
}
