//! Review apps (`parity review`): what a review app is called and which
//! settings it runs with, derived from its base environment (staging).
//!
//! Pure. A review app is an environment-like target that shares the base's
//! cluster, network, roles, log group and load balancer and differs only in
//! names: its ECS services and task definition families are
//! `<app>-<name>-<service>`, its secrets live under
//! `<base ssm_prefix>review/<name>/` (inside the base's prefix, so the base's
//! execution role may read them and nothing else needs a new grant, and one
//! level below where `secrets sync`/`--prune` look, so the base never sees
//! them), each public service gets its own target group `<name>-<hash>`.
//! The derived [`crate::settings::Environment`] goes through the same `plan`
//! and the same ship pipeline as `deploy`; [`adapt_plan`] states the few
//! things a review plan does differently.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use toml::Spanned;

use super::plan::Plan;
use crate::compose::model::Project;
use crate::error::{Error, Result};
use crate::settings::{Environment, LoadBalancer, SecretsStore, ServiceSettings, Settings};

/// The longest review app name: the target group name `<name>-<8 hex>` must
/// fit ELB's 32 characters.
pub(crate) const MAX_NAME: usize = 23;
/// Hex digits of the hash that keeps target group names apart across apps and services.
const TARGET_GROUP_HASH: usize = 8;

/// A validated review app of `app`, derived from environment `base`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Review {
    pub(crate) app: String,
    pub(crate) name: String,
    pub(crate) base: String,
}

impl Review {
    /// Checks `name` (exit 2 naming what is wrong) against the rules names
    /// derived from it must meet, and against the environments of `settings`
    /// (whose families and services it could otherwise collide with).
    pub(crate) fn new(settings: &Settings, base: &str, name: &str) -> Result<Self> {
        check_name(name)?;
        for existing in settings.environments.keys() {
            let existing = existing.get_ref();
            if name == existing || name.starts_with(&format!("{existing}-")) {
                return Err(Error::input(format!(
                    "review app name `{name}` collides with environment `{existing}` of {}: its task definition families would be `{}-{existing}-…`",
                    settings.path.display(),
                    settings.app()
                ))
                .with_help("pick a name that is not an environment's name and does not start with one followed by `-` (e.g. pr-42)"));
            }
        }
        Ok(Self {
            app: settings.app().to_owned(),
            name: name.to_owned(),
            base: base.to_owned(),
        })
    }

    /// `<app>-<name>-<service>`: the ECS service and task definition family.
    pub(crate) fn service_name(&self, service: &str) -> String {
        format!("{}-{}-{service}", self.app, self.name)
    }

    /// `<name>-<8 hex>`: unique per app, base and service, at most 32 characters.
    pub(crate) fn target_group_name(&self, service: &str) -> String {
        let key = format!("{}/{}/{service}", self.app, self.base);
        let digest = super::image_ref::Digest::of(key.as_bytes());
        let hash = &digest.short()[..TARGET_GROUP_HASH];
        format!("{}-{hash}", self.name)
    }

    /// `<base ssm_prefix>review/<name>/`.
    pub(crate) fn ssm_prefix(&self, base: &Environment) -> String {
        format!("{}review/{}/", base.ssm_prefix(), self.name)
    }

    /// Where every review app of `base` keeps its secrets: `<base ssm_prefix>review/`.
    pub(crate) fn all_prefix(base: &Environment) -> String {
        format!("{}review/", base.ssm_prefix())
    }
}

/// The base environment when `--from` is not given: `staging` when
/// parity.toml has it, else the one environment another promotes from.
pub(crate) fn default_base(settings: &Settings) -> Result<String> {
    if settings.environment("staging").is_ok() {
        return Ok("staging".to_owned());
    }
    let mut sources: Vec<&str> = settings
        .environments
        .values()
        .filter_map(Environment::promotes_from)
        .collect();
    sources.sort_unstable();
    sources.dedup();
    match sources.as_slice() {
        [one] => Ok((*one).to_owned()),
        _ => Err(Error::input(format!(
            "{} has no `staging` environment and no single environment others promote from",
            settings.path.display()
        ))
        .with_help("name the base environment with --from ENV")),
    }
}

/// The name a base parameter `name` gets in the review app: the same path
/// below `review_prefix` as below `base_prefix`; `None` for parameters
/// outside the base's prefix or of review apps (`all_reviews`).
pub(crate) fn copied_name(
    name: &str,
    base_prefix: &str,
    all_reviews: &str,
    review_prefix: &str,
) -> Option<String> {
    if name.starts_with(all_reviews) {
        return None;
    }
    let relative = name.strip_prefix(base_prefix)?;
    Some(format!("{review_prefix}{relative}"))
}

/// A DNS label (it becomes a host name), lowercase, at most [`MAX_NAME`].
fn check_name(name: &str) -> Result<()> {
    let problem = if name.is_empty() {
        Some("is empty".to_owned())
    } else if name.len() > MAX_NAME {
        Some(format!(
            "is {} characters long; at most {MAX_NAME} (its target group name, `<name>-<8 hex>`, must fit ELB's 32)",
            name.len()
        ))
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Some("may hold only lowercase letters, digits and `-` (it becomes a host name)".to_owned())
    } else if name.starts_with('-') || name.ends_with('-') {
        Some("must start and end with a letter or digit (a DNS label)".to_owned())
    } else if name.starts_with("internal-") {
        Some("must not start with `internal-` (ELB refuses such target group names)".to_owned())
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(Error::input(format!("review app name `{name}` {problem}"))
            .with_help("use a short DNS label such as pr-42")),
    }
}

/// Review apps derive from an environment that takes changes directly
/// (staging); one fed by `promote` (prod) is refused, exit 2.
pub(crate) fn check_base(base: &Environment) -> Result<()> {
    if let Some(source) = base.promotes_from() {
        return Err(Error::input(format!(
            "review apps derive from an environment that is deployed to directly; `{}` promotes from `{source}`, so it never hosts review apps",
            base.name()
        ))
        .with_help(format!("use --from {source} (the default is staging)")));
    }
    if base.secrets_store() == SecretsStore::Secretsmanager {
        return Err(Error::input(format!(
            "environment `{}` keeps its secrets in Secrets Manager; review apps copy secrets from SSM Parameter Store only",
            base.name()
        ))
        .with_help("use a base environment whose secrets_store is ssm"));
    }
    Ok(())
}

/// The placeholder target group of a public service until `review deploy`
/// has made the real one ([`attach_target_groups`] replaces it).
const PENDING_TARGET_GROUP: &str = "pending-review-target-group";

/// `base` as review app `review` runs it: same cluster, network, roles, log
/// group, registry and managed services; its own secrets prefix, service
/// names and (placeholder) target groups; one task per service; no Service
/// Connect (the base's names would collide in its namespace), no promotion.
pub(crate) fn environment(review: &Review, base: &Environment, project: &Project) -> Environment {
    let mut derived = base.clone();
    derived.name.clone_from(&review.name);
    derived.cluster = Some(Spanned::new(0..0, base.cluster()));
    derived.ssm_prefix = Some(Spanned::new(0..0, review.ssm_prefix(base)));
    derived.log_group = Some(base.log_group());
    derived.service_connect_namespace = None;
    derived.promotes_from = None;
    derived.services.clear();
    for (name, service) in &project.services {
        let x = &service.x_parity;
        if !x.cloud || x.sidecar_of.is_some() {
            continue;
        }
        let base_settings = base.service(name).cloned().unwrap_or_default();
        let load_balancer = base.load_balancer(name).map(|lb| LoadBalancer {
            target_group_arn: PENDING_TARGET_GROUP.to_owned(),
            ..lb.clone()
        });
        derived.services.insert(
            Spanned::new(0..0, name.clone()),
            ServiceSettings {
                name: Some(Spanned::new(0..0, review.service_name(name))),
                desired_count: Some(1),
                variables: base_settings.variables,
                load_balancer,
            },
        );
    }
    derived
}

/// Tags every review app resource carries: what `review list`, `destroy`
/// and `prune` find them by (no local state).
pub(crate) mod tag {
    pub(crate) const REVIEW: &str = "parity:review";
    pub(crate) const REVIEW_OF: &str = "parity:review-of";
    pub(crate) const CREATED_AT: &str = "parity:created-at";
    pub(crate) const URL: &str = "parity:url";
}

/// The tags of review app `review`'s resources: app, name, base, commit,
/// URL, deploy time and (on creation) the creation time.
pub(crate) fn tags(
    review: &Review,
    url: &str,
    commit: Option<&str>,
    now: u64,
) -> Vec<(&'static str, String)> {
    let mut tags = vec![
        (super::tags::APP, review.app.clone()),
        (tag::REVIEW, review.name.clone()),
        (tag::REVIEW_OF, review.base.clone()),
        (tag::URL, url.to_owned()),
        (super::tags::DEPLOYED_AT, now.to_string()),
        (tag::CREATED_AT, now.to_string()),
    ];
    if let Some(commit) = commit {
        tags.push((super::tags::COMMIT, commit.to_owned()));
    }
    tags
}

/// Whether a resource with `tags` belongs to review app `name` of `app` on `base`.
pub(crate) fn belongs(tags: &BTreeMap<String, String>, app: &str, base: &str, name: &str) -> bool {
    let is = |key: &str, value: &str| tags.get(key).map(String::as_str) == Some(value);
    is(super::tags::APP, app) && is(tag::REVIEW_OF, base) && is(tag::REVIEW, name)
}

/// What a review plan does differently from the base's: no scheduled jobs
/// (their task definitions too) and no autoscaling (one task each); each
/// ECS service is created with the review app's `tags`.
pub(crate) fn adapt_plan(plan: &mut Plan, tags: &[(&str, String)]) {
    let jobs: Vec<String> = plan.jobs.iter().map(|j| j.service.clone()).collect();
    plan.task_definitions.retain(|t| !jobs.contains(&t.service));
    plan.jobs.clear();
    plan.scaling.clear();
    let tags: Vec<Value> = tags
        .iter()
        .map(|(key, value)| json!({"key": key, "value": value}))
        .collect();
    for service in &mut plan.services {
        service.request["tags"] = Value::Array(tags.clone());
    }
}

/// Points each public service of the plan at the target group `review
/// deploy` made for it (compose service -> ARN).
pub(crate) fn attach_target_groups(plan: &mut Plan, arns: &BTreeMap<String, String>) {
    for service in &mut plan.services {
        if let (Some(arn), Some(lbs)) = (
            arns.get(&service.service),
            service.request["loadBalancers"].as_array_mut(),
        ) {
            for lb in lbs {
                lb["targetGroupArn"] = json!(arn);
            }
        }
    }
}

#[cfg(test)]
#[path = "review_tests.rs"]
mod tests;
