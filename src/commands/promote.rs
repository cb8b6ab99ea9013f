//! `parity promote [--from staging] [--to prod]`: deploys exactly the image
//! digests the source environment runs to the target, with the target's own
//! settings, secrets and release phase. No build. Refuses unless the source
//! completed and is pinned by digest and its compose hash matches the local
//! file (`--allow-config-drift` overrides the last). Copies images registry to
//! registry byte for byte when the registries differ, then — through the
//! pipeline (`ship::pipeline`) — ships and verifies that the target runs the
//! identical digests. The rules are `cloud::promotion`'s.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::deploy::registry_for;
use super::ship::observe::{ServiceView, digests, observe};
use super::ship::pipeline::{self, Change};
use super::ship::rollout::{self, Report};
use super::ship::session::{Cloud, Inputs};
use crate::cli::{GlobalArgs, PromoteArgs};
use crate::cloud::image_ref::Digest;
use crate::cloud::plan::{ImageInput, ImageRefs, Plan, PlanInputs, plan};
use crate::cloud::promotion::{self, Refusal, RunningDigests, SourceService};
use crate::cloud::tags;
use crate::error::{Error, Result};
use crate::registry::copy::copy_image;

pub(crate) fn run(global: &GlobalArgs, args: &PromoteArgs) -> Result<ExitCode> {
    let inputs = Inputs::load_for(global, &[&args.from, &args.to])?;
    if args.from == args.to {
        return Err(Error::input(format!(
            "--from and --to are both `{}`",
            args.from
        )));
    }
    inputs.environment(&args.from)?;
    inputs.environment(&args.to)?;
    let mut promote = Promote {
        inputs: &inputs,
        args,
        started: Instant::now(),
        source: None,
        promoted: RunningDigests::new(),
        plan: None,
    };
    super::block_on(pipeline::run(&inputs, &args.to, &args.change, &mut promote))
}

/// A promotion: what differs from the other changes the pipeline runs.
struct Promote<'a> {
    inputs: &'a Inputs,
    args: &'a PromoteArgs,
    started: Instant,
    /// The source environment's connection, once preflight made it.
    source: Option<Cloud>,
    /// The digest each promoted service runs in the source.
    promoted: RunningDigests,
    /// The target's plan with the source's digests, once preflight made it.
    plan: Option<Plan>,
}

/// What the target runs after the rollout.
struct Promoted {
    report: Report,
    after: RunningDigests,
}

impl Change for Promote<'_> {
    type Done = Promoted;

    /// Reads what the source runs, refuses unless `promotion::check` agrees,
    /// copies the images into the target's registry and plans the target.
    async fn preflight(&mut self, target: &Cloud) -> Result<()> {
        let (args, inputs) = (self.args, self.inputs);
        let from_env = inputs.environment(&args.from)?;
        let to_env = inputs.environment(&args.to)?;
        let source = Cloud::connect(from_env).await?;
        let views = observe(&source.ctx, from_env, &inputs.project).await?;
        let sources: Vec<SourceService> = views.iter().filter_map(source_service).collect();
        let never: Vec<String> = views
            .iter()
            .filter(|v| v.running.is_none())
            .map(|v| v.service.clone())
            .collect();
        let promotion = promotion::check(
            &sources,
            &never,
            &inputs.compose_hash,
            args.allow_config_drift,
        )
        .map_err(|reasons| refused(args, &reasons))?;
        // Where the images go: the target's registry, copied there when it differs.
        let (client, to_registry, _) = registry_for(target, to_env).await?;
        let (_, from_registry, _) = registry_for(&source, from_env).await?;
        let mut images = ImageRefs::new();
        // Services that share an image share one copy.
        let mut copied: HashMap<(String, Digest), String> = HashMap::new();
        for (service, containers) in &promotion {
            let containers = containers.iter().map(|(c, i)| (c.as_str(), i));
            let Some(image) = promotion::service_image(containers, service) else {
                continue;
            };
            let digest = image
                .digest
                .clone()
                .ok_or_else(|| Error::failed(format!("{service}'s image lost its digest")))?;
            // Only images in the source environment's own registry are copied; a
            // published image (another registry) is already pullable by digest.
            let in_source_registry = image.registry.as_deref() == Some(from_registry.host.as_str());
            let key = (image.repository.clone(), digest.clone());
            let reference = if !in_source_registry || from_registry.host == to_registry.host {
                image.pinned(&digest)
            } else if let Some(reference) = copied.get(&key) {
                reference.clone()
            } else {
                // The same repository name in both registries: named for the build.
                let repository = &image.repository;
                let stats = copy_image(
                    &client,
                    &from_registry,
                    repository,
                    &to_registry,
                    repository,
                    &digest,
                    Some(&format!("promoted-{}", digest.short())),
                )
                .await?;
                eprintln!(
                    "copied {}@{} to {}/{repository} ({} blobs, {} bytes; {} already there)",
                    image.name(),
                    digest.short(),
                    to_registry.host,
                    stats.blobs_copied,
                    stats.bytes,
                    stats.blobs_present
                );
                let reference = format!("{}/{repository}@{digest}", to_registry.host);
                copied.insert(key, reference.clone());
                reference
            };
            images.insert(
                service.clone(),
                ImageInput {
                    reference,
                    architecture: None,
                    has_healthcheck: false,
                },
            );
            self.promoted.push((service.clone(), Some(digest)));
        }
        let commit = views
            .iter()
            .filter_map(|v| v.running.as_ref()?.tags.get(tags::COMMIT).cloned())
            .next();
        let plan_inputs = PlanInputs {
            account_id: target.account_id.clone(),
            images,
            compose_hash: inputs.compose_hash.clone(),
            git_commit: commit,
        };
        let planned = plan(&inputs.project, &inputs.settings, &args.to, &plan_inputs)?;
        super::ship::jobs::preflight(&planned, &args.to)?;
        self.plan = Some(planned);
        self.source = Some(source);
        Ok(())
    }

    fn what(&self) -> String {
        format!("promote {} -> {}", self.args.from, self.args.to)
    }

    /// Ships, then reads back what the target runs: it must be the source's digests.
    async fn apply(&self, target: &Cloud, timeout: Duration) -> Result<Promoted> {
        let (args, inputs) = (self.args, self.inputs);
        let plan = self
            .plan
            .as_ref()
            .ok_or_else(|| Error::failed("promote: no plan after preflight"))?;
        let report = rollout::ship(&target.ctx, plan, timeout).await?;
        let to_env = inputs.environment(&args.to)?;
        let after: RunningDigests = digests(&observe(&target.ctx, to_env, &inputs.project).await?)
            .into_iter()
            .filter(|(s, _)| self.promoted.iter().any(|(p, _)| p == s))
            .collect();
        let differing = promotion::differing(&self.promoted, &after);
        if !differing.is_empty() {
            return Err(Error::failed(format!(
                "after the rollout {} does not run {}'s digests for: {}",
                args.to,
                args.from,
                differing.join(", ")
            )));
        }
        Ok(Promoted { report, after })
    }

    fn summary(&self, done: &Promoted) {
        let args = self.args;
        outln!("promoted {} to {}", args.from, args.to);
        let text = |d: Option<&Digest>| d.map(|d| d.as_str().to_owned()).unwrap_or_default();
        for (service, expected) in &self.promoted {
            let actual = done
                .after
                .iter()
                .find(|(s, _)| s == service)
                .and_then(|(_, d)| d.as_ref());
            outln!(
                "  {service}: {} {} == {}",
                args.to,
                text(expected.as_ref()),
                text(actual)
            );
        }
        eprintln!(
            "promote took {:.1}s ({:.1}s of it waiting on ECS: release task and rollout)",
            self.started.elapsed().as_secs_f64(),
            done.report.waited.as_secs_f64()
        );
        outln!("{} runs the identical digests {} runs", args.to, args.from);
    }

    fn finish(&self) {
        if let Some(source) = &self.source {
            source.ctx.calls().log_summary();
        }
    }
}

/// Every reason at once; config drift says how to accept it.
fn refused(args: &PromoteArgs, reasons: &[Refusal]) -> Error {
    let lines: Vec<String> = reasons.iter().map(|r| r.describe(&args.from)).collect();
    let err = Error::failed(format!(
        "refusing to promote {} to {}:\n  {}",
        args.from,
        args.to,
        lines.join("\n  ")
    ));
    if reasons.iter().any(Refusal::is_config_drift) {
        err.with_help(format!(
            "deploy the current compose file to {} first, or pass --allow-config-drift",
            args.from
        ))
    } else {
        err
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
