//! `parity review deploy NAME`: `deploy`'s preflight (images built once and
//! pushed, the plan validated) for the environment derived from the base,
//! then under the review app's lock: its secrets seeded from the base's
//! (and `.env.review`), its target groups and listener rules, and the ship
//! (task definitions, release phase, services, wait) of the review plan.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::time::Duration;

use indexmap::IndexMap;

use super::{
    BaseLoadBalancer, base_load_balancer, base_of, load_base, review_listener, with_review,
};
use crate::aws::ecs_review::{self, TaggedService};
use crate::aws::elbv2;
use crate::aws::ssm::{ParameterStore, SecretValue, Write, ownership_tags};
use crate::cli::{DeployArgs, GlobalArgs, ReviewDeployArgs};
use crate::cloud::review::{self, Review, tag};
use crate::cloud::review_routes::{self, Route};
use crate::cloud::secrets_plan::tier_for;
use crate::commands::deploy::{Deploy, check_secrets, cloud_services};
use crate::commands::ship::pipeline::{self, Change};
use crate::commands::ship::rollout::{self, Report};
use crate::commands::ship::session::Cloud;
use crate::error::{Error, Result};
use crate::settings::Environment;

/// The file whose values override the base's secrets in every review app.
const DOTENV: &str = ".env.review";

pub(crate) fn run(global: &GlobalArgs, args: &ReviewDeployArgs) -> Result<ExitCode> {
    let (mut inputs, base) = load_base(global, &args.base, Some(&args.name))?;
    let review = with_review(&mut inputs, &base, &args.name)?;
    let dotenv_path = inputs.project.working_dir.join(DOTENV);
    let dotenv = if dotenv_path.is_file() {
        Some(crate::commands::secrets::read_dotenv(
            &dotenv_path,
            &args.name,
        )?)
    } else {
        None
    };
    let deploy_args = DeployArgs {
        env: args.name.clone(),
        tag: args.tag.clone(),
        direct: true,
        change: crate::cli::ChangeArgs {
            timeout: args.change.timeout,
            break_lock: args.change.break_lock,
        },
    };
    let inputs = &inputs;
    let base_env = base_of(inputs, &review)?;
    let mut deploy = Deploy::new(inputs, inputs.environment(&args.name)?, &deploy_args);
    deploy.secrets_of = if dotenv.is_some() {
        None
    } else {
        Some(base_env)
    };
    let mut change = ReviewDeploy {
        deploy,
        review: &review,
        base: base_env,
        dotenv,
        routes: Vec::new(),
        listener: None,
        vpc: None,
        existing: Vec::new(),
        url: String::new(),
    };
    super::super::block_on(pipeline::run(inputs, &args.name, &args.change, &mut change))
}

/// A review deploy: a [`Deploy`] of the derived environment plus what a
/// review app has of its own.
struct ReviewDeploy<'a> {
    deploy: Deploy<'a>,
    review: &'a Review,
    base: &'a Environment,
    /// `.env.review`'s values, when the file exists.
    dotenv: Option<IndexMap<String, SecretValue>>,
    /// One per public service (none without a load balancer).
    routes: Vec<Route>,
    /// The base listener the rules go on.
    listener: Option<String>,
    /// The VPC of the base's target groups.
    vpc: Option<String>,
    /// The review app's services from an earlier deploy (kept creation time).
    existing: Vec<TaggedService>,
    url: String,
}

impl Change for ReviewDeploy<'_> {
    type Done = Report;

    async fn preflight(&mut self, cloud: &Cloud) -> Result<()> {
        let inputs = self.deploy.inputs;
        let review = self.review;
        let ctx = &cloud.ctx;
        let data =
            crate::cloud::stack::stack_data(&inputs.project, &inputs.settings, &review.base)?;
        if let Some(lb) = &data.load_balancer {
            let Some(BaseLoadBalancer { arn, url }) =
                base_load_balancer(ctx, inputs, &review.base).await?
            else {
                return Err(Error::input(format!(
                    "review apps are reached through the load balancer of `{}`'s stack, and it has none",
                    review.base
                ))
                .with_help(format!("run `parity env apply {}` first", review.base)));
            };
            self.routes = review_routes::routes(review, lb, self.base.domain(), &url)?;
            self.listener =
                Some(review_listener(ctx, &BaseLoadBalancer { arn, url }, lb.https).await?);
            let first = self.routes.first().map(|r| r.service.clone());
            if let Some(target_group) = first
                .as_deref()
                .and_then(|s| self.base.load_balancer(s))
                .map(|lb| lb.target_group_arn.clone())
            {
                self.vpc = Some(elbv2::vpc_of(ctx, &target_group).await?);
            }
        }
        self.url = review_routes::url(&self.routes).map_or_else(|| "-".to_owned(), str::to_owned);
        self.existing = ecs_review::tagged_services(ctx, &self.base.cluster())
            .await?
            .into_iter()
            .filter(|s| review::belongs(&s.tags, &review.app, &review.base, &review.name))
            .collect();
        self.deploy.preflight(cloud).await?;
        let commit = super::super::ship::source::git_commit(&inputs.project.working_dir);
        let mut tags = review::tags(
            review,
            &self.url,
            commit.as_deref(),
            super::super::ship::now(),
        );
        if let Some(created) = self.created_at() {
            set(&mut tags, tag::CREATED_AT, created);
        }
        if let Some(plan) = self.deploy.plan.as_mut() {
            review::adapt_plan(plan, &tags);
        }
        Ok(())
    }

    fn what(&self) -> String {
        format!(
            "review deploy {} (of {})",
            self.review.name, self.review.base
        )
    }

    fn detail(&self) -> String {
        self.deploy.detail()
    }

    async fn apply(&self, cloud: &Cloud, timeout: Duration) -> Result<Report> {
        let ctx = &cloud.ctx;
        let seeded = self.seed_secrets(ctx).await?;
        eprintln!(
            "secrets: {seeded} parameter(s) written under {}",
            self.deploy.environment.ssm_prefix()
        );
        let inputs = self.deploy.inputs;
        let cloud_services = cloud_services(&inputs.project);
        check_secrets(
            cloud,
            self.deploy.environment,
            &inputs.project,
            &cloud_services,
        )
        .await?;
        let mut plan = self
            .deploy
            .plan
            .clone()
            .ok_or_else(|| Error::failed("review deploy: no plan after preflight"))?;
        let target_groups = self.route(ctx).await?;
        review::attach_target_groups(&mut plan, &target_groups);
        let report = rollout::ship(ctx, &plan, timeout).await?;
        // Services made now carry the tags from their creation; earlier ones get the new commit.
        let now = self.tags();
        let updated: Vec<(&str, String)> = now
            .iter()
            .filter(|(k, _)| *k != tag::CREATED_AT)
            .cloned()
            .collect();
        for service in &self.existing {
            ecs_review::tag(ctx, &service.arn, &updated).await?;
        }
        for arn in target_groups.values() {
            elbv2::tag(ctx, arn, &updated).await?;
        }
        Ok(report)
    }

    fn summary(&self, report: &Report) {
        self.deploy.summary(report);
        outln!(
            "review app {} of {}: {}",
            self.review.name,
            self.review.base,
            self.url
        );
    }
}

impl ReviewDeploy<'_> {
    /// The creation time an earlier deploy recorded, if any.
    fn created_at(&self) -> Option<String> {
        self.existing
            .iter()
            .filter_map(|s| s.tags.get(tag::CREATED_AT)?.parse::<u64>().ok())
            .min()
            .map(|t| t.to_string())
    }

    /// The tags the plan's services were given in preflight.
    fn tags(&self) -> Vec<(&'static str, String)> {
        let commit =
            super::super::ship::source::git_commit(&self.deploy.inputs.project.working_dir);
        let mut tags = review::tags(
            self.review,
            &self.url,
            commit.as_deref(),
            super::super::ship::now(),
        );
        if let Some(created) = self.created_at() {
            set(&mut tags, tag::CREATED_AT, created);
        }
        tags
    }

    /// Copies the base's parameters (its own and those parity composes)
    /// below the review prefix, then `.env.review`'s values over them;
    /// unchanged values are not rewritten. Returns how many were written.
    async fn seed_secrets(&self, ctx: &crate::aws::AwsContext) -> Result<usize> {
        let store = ParameterStore::new(ctx);
        let base_prefix = self.base.ssm_prefix();
        let all_reviews = Review::all_prefix(self.base);
        let prefix = self.deploy.environment.ssm_prefix();
        let mut wanted: BTreeMap<String, SecretValue> = BTreeMap::new();
        for (name, value) in store.values_below(&base_prefix).await? {
            if let Some(copy) = review::copied_name(&name, &base_prefix, &all_reviews, &prefix) {
                wanted.insert(copy, value);
            }
        }
        for (name, value) in self.dotenv.iter().flatten() {
            wanted.insert(
                crate::settings::parameter_name(&prefix, name),
                value.clone(),
            );
        }
        let existing = store.values_below(&prefix).await?;
        let review = self.review;
        let mut owned = ownership_tags(&review.app, &review.name).to_vec();
        owned.push((tag::REVIEW, &review.name));
        owned.push((tag::REVIEW_OF, &review.base));
        let mut written = 0;
        for (name, value) in &wanted {
            let current = existing.get(name);
            if current == Some(value) {
                continue;
            }
            store
                .put(&Write {
                    name,
                    value,
                    key_id: self.base.kms_key_id(),
                    tier: tier_for(value.expose().len(), None),
                    overwrite: current.is_some(),
                    tags: &owned,
                })
                .await?;
            written += 1;
        }
        Ok(written)
    }

    /// Each route's target group (found by name, else made) and listener
    /// rule (found by its target group, else made on the highest free
    /// priority). Returns compose service -> target group ARN.
    async fn route(&self, ctx: &crate::aws::AwsContext) -> Result<BTreeMap<String, String>> {
        let mut arns = BTreeMap::new();
        let (Some(listener), Some(vpc)) = (&self.listener, &self.vpc) else {
            return Ok(arns);
        };
        let tags = self.tags();
        let mut rules = elbv2::rules(ctx, listener).await?;
        for route in &self.routes {
            let arn = match elbv2::target_group_named(ctx, &route.target_group_name).await? {
                Some(arn) => arn,
                None => {
                    eprintln!("creating target group {}", route.target_group_name);
                    elbv2::create_target_group(ctx, route, vpc, &tags).await?
                }
            };
            if !rules.iter().any(|r| r.target_groups.contains(&arn)) {
                let rule = create_rule(ctx, listener, &mut rules, route, &arn, &tags).await?;
                rules.push(rule);
            }
            arns.insert(route.service.clone(), arn);
        }
        Ok(arns)
    }
}

/// A listener rule for `route` on the highest free priority. Another review
/// app deployed at the same instant may take that priority first (each
/// holds only its own lock): then the listener's rules are read again and
/// the next free one is tried, up to [`review_routes::PRIORITY_ATTEMPTS`].
async fn create_rule(
    ctx: &crate::aws::AwsContext,
    listener: &str,
    rules: &mut Vec<elbv2::Rule>,
    route: &Route,
    target_group: &str,
    tags: &[(&str, String)],
) -> Result<elbv2::Rule> {
    for attempt in 1..=review_routes::PRIORITY_ATTEMPTS {
        if attempt > 1 {
            *rules = elbv2::rules(ctx, listener).await?;
        }
        let taken: BTreeSet<u32> = rules.iter().filter_map(|r| r.priority).collect();
        let priority = review_routes::free_priority(&taken).ok_or_else(|| {
            Error::failed(format!("the listener {listener} has no free rule priority"))
        })?;
        eprintln!(
            "creating listener rule for {} (priority {priority})",
            route.url
        );
        match elbv2::create_rule(ctx, listener, priority, route, target_group, tags).await? {
            Some(arn) => {
                return Ok(elbv2::Rule {
                    arn,
                    priority: Some(priority),
                    target_groups: vec![target_group.to_owned()],
                });
            }
            None => eprintln!("priority {priority} was taken meanwhile; reading the rules again"),
        }
    }
    Err(Error::failed(format!(
        "the listener {listener}: every free rule priority tried was taken by another \
         rule at the same time ({} attempts); run the review deploy again",
        review_routes::PRIORITY_ATTEMPTS
    )))
}

/// Replaces the value of `key` in `tags`.
fn set(tags: &mut [(&'static str, String)], key: &str, value: String) {
    for (k, v) in tags.iter_mut() {
        if *k == key {
            *v = value.clone();
        }
    }
}
