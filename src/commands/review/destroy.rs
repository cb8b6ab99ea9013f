//! `parity review destroy NAME`: finds everything `review deploy NAME` made
//! by its tags and names (listener rules forwarding to its target groups,
//! its ECS services, target groups, task definition families, parameters
//! below its prefix) and removes exactly that, under the review app's lock.
//! Nothing of the base is in the list: each item is the review app's by tag
//! (`cloud::review::belongs`) or lies below its own prefix.

use std::process::ExitCode;
use std::time::Duration;

use super::{base_load_balancer, base_of, load_base, review_listener, with_review};
use crate::aws::ssm::ParameterStore;
use crate::aws::{AwsContext, ecs, ecs_review, ecs_teardown, elbv2};
use crate::cli::{ChangeArgs, GlobalArgs, ReviewDestroyArgs};
use crate::cloud::review::{self, Review};
use crate::cloud::tags;
use crate::commands::ship::pipeline::{self, Change};
use crate::commands::ship::session::{Cloud, Inputs};
use crate::error::Result;

pub(crate) fn run(global: &GlobalArgs, args: &ReviewDestroyArgs) -> Result<ExitCode> {
    let (mut inputs, base) = load_base(global, &args.base, Some(&args.name))?;
    let review = with_review(&mut inputs, &base, &args.name)?;
    super::super::block_on(destroy(&inputs, &review, &args.change))
}

/// Destroys review app `review` through the pipeline (also `review prune`'s).
pub(super) async fn destroy(
    inputs: &Inputs,
    review: &Review,
    change: &ChangeArgs,
) -> Result<ExitCode> {
    let mut destroy = ReviewDestroy {
        inputs,
        review,
        found: Found::default(),
    };
    pipeline::run(inputs, &review.name, change, &mut destroy).await
}

/// What belongs to the review app, found in preflight.
#[derive(Debug, Default)]
struct Found {
    rules: Vec<String>,
    /// ECS service names.
    services: Vec<String>,
    target_groups: Vec<String>,
    /// Task definition revisions (ARNs).
    revisions: Vec<String>,
    parameters: Vec<String>,
}

impl Found {
    fn is_empty(&self) -> bool {
        self.rules.is_empty()
            && self.services.is_empty()
            && self.target_groups.is_empty()
            && self.revisions.is_empty()
            && self.parameters.is_empty()
    }
}

struct ReviewDestroy<'a> {
    inputs: &'a Inputs,
    review: &'a Review,
    found: Found,
}

impl Change for ReviewDestroy<'_> {
    type Done = ();

    async fn preflight(&mut self, cloud: &Cloud) -> Result<()> {
        let ctx = &cloud.ctx;
        let review = self.review;
        let base = base_of(self.inputs, review)?;
        let cluster = base.cluster();
        let belongs = |t: &std::collections::BTreeMap<String, String>| {
            review::belongs(t, &review.app, &review.base, &review.name)
        };
        self.found.services = ecs_review::tagged_services(ctx, &cluster)
            .await?
            .into_iter()
            .filter(|s| belongs(&s.tags))
            .map(|s| s.name)
            .collect();
        let all = elbv2::all_target_groups(ctx).await?;
        self.found.target_groups = elbv2::tags_of(ctx, &all)
            .await?
            .into_iter()
            .filter(|(_, t)| belongs(t))
            .map(|(arn, _)| arn)
            .collect();
        if !self.found.target_groups.is_empty()
            && let Some(lb) = base_load_balancer(ctx, self.inputs, &review.base).await?
        {
            let https = base.domain().is_some();
            let listener = review_listener(ctx, &lb, https).await?;
            self.found.rules = elbv2::rules(ctx, &listener)
                .await?
                .into_iter()
                .filter(|r| {
                    r.target_groups
                        .iter()
                        .any(|t| self.found.target_groups.contains(t))
                })
                .map(|r| r.arn)
                .collect();
        }
        self.found.revisions = revisions(ctx, review).await?;
        let prefix = Review::ssm_prefix(review, base);
        self.found.parameters = ParameterStore::new(ctx)
            .values_below(&prefix)
            .await?
            .into_keys()
            .collect();
        Ok(())
    }

    fn what(&self) -> String {
        format!(
            "review destroy {} (of {})",
            self.review.name, self.review.base
        )
    }

    fn announce(&self) -> bool {
        !self.found.is_empty()
    }

    async fn apply(&self, cloud: &Cloud, _timeout: Duration) -> Result<()> {
        let ctx = &cloud.ctx;
        let found = &self.found;
        for rule in &found.rules {
            elbv2::delete_rule(ctx, rule).await?;
        }
        let cluster = base_of(self.inputs, self.review)?.cluster();
        for service in &found.services {
            eprintln!("deleting service {service}");
            ecs_teardown::delete_service(ctx, &cluster, service).await?;
        }
        for target_group in &found.target_groups {
            elbv2::delete_target_group(ctx, target_group).await?;
        }
        ecs_review::remove_revisions(ctx, &found.revisions).await?;
        if !found.parameters.is_empty() {
            ParameterStore::new(ctx)
                .delete(&found.parameters)
                .await
                .map_err(|(_, e)| e)?;
        }
        Ok(())
    }

    fn summary(&self, (): &()) {
        let f = &self.found;
        if f.is_empty() {
            outln!(
                "no review app {} of {}: nothing to remove",
                self.review.name,
                self.review.base
            );
            return;
        }
        outln!(
            "destroyed review app {} of {}: {} service(s), {} target group(s), {} listener rule(s), {} task definition revision(s), {} parameter(s)",
            self.review.name,
            self.review.base,
            f.services.len(),
            f.target_groups.len(),
            f.rules.len(),
            f.revisions.len(),
            f.parameters.len()
        );
    }
}

/// The ACTIVE revisions of the review app's families: `<app>-<name>-*`
/// whose task definitions are tagged with its name as their environment
/// (another review app's name may extend this one's: `pr-1` and `pr-1-b`).
async fn revisions(ctx: &AwsContext, review: &Review) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for family in ecs_review::families(ctx, &review.service_name("")).await? {
        let arns = ecs::list_revisions(ctx, &family).await?;
        let Some(newest) = arns.first() else { continue };
        let info = ecs::describe_task_definition(ctx, newest).await?;
        let tagged = |key: &str, value: &str| info.tags.get(key).map(String::as_str) == Some(value);
        if tagged(tags::APP, &review.app) && tagged(tags::ENVIRONMENT, &review.name) {
            found.extend(arns);
        }
    }
    Ok(found)
}
