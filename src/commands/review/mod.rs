//! `parity review deploy|destroy|list|prune`: review apps, an ephemeral
//! environment per pull request derived from a base environment (staging)
//! and sharing its cluster, network and load balancer. The names and rules
//! are `cloud::review*`'s; deploy and destroy change the cloud through the
//! ship pipeline (lock, webhook, timeout, Ctrl-C) like every other change,
//! under the review app's own lock, so review apps deploy in parallel with
//! each other and with the base.

mod deploy;
mod destroy;
mod list;

use std::process::ExitCode;

use toml::Spanned;

use super::ship::session::{Cloud, Inputs};
use crate::aws::{AwsContext, cloudformation, elbv2};
use crate::cli::{GlobalArgs, ReviewArgs, ReviewBase, ReviewCommand};
use crate::cloud::review::{self, Review};
use crate::cloud::stack_outputs::keys;
use crate::error::{Error, Result};
use crate::settings::Environment;

pub(crate) fn run(global: &GlobalArgs, args: &ReviewArgs) -> Result<ExitCode> {
    match &args.command {
        ReviewCommand::Deploy(args) => deploy::run(global, args),
        ReviewCommand::Destroy(args) => destroy::run(global, args),
        ReviewCommand::List(args) => list::run(global, args),
        ReviewCommand::Prune(args) => list::prune(global, args),
    }
}

/// The inputs with the base environment completed from its stack, and the
/// base's name: `--from`, else `review::default_base`. A base that
/// promotes from another, or a bad review app `name`, is refused (exit 2)
/// before any AWS call.
fn load_base(
    global: &GlobalArgs,
    base: &ReviewBase,
    name: Option<&str>,
) -> Result<(Inputs, String)> {
    let settings_only = Inputs::load(global)?;
    let base = match &base.from {
        Some(base) => base.clone(),
        None => review::default_base(&settings_only.settings)?,
    };
    review::check_base(settings_only.environment(&base)?)?;
    if let Some(name) = name {
        Review::new(&settings_only.settings, &base, name)?;
    }
    drop(settings_only);
    let inputs = Inputs::load_for(global, &[&base])?;
    Ok((inputs, base))
}

/// Review app `name` of the base: validated, and its derived environment
/// added to the inputs' settings under its name (so `plan` and the
/// pipeline find it like any environment).
fn with_review(inputs: &mut Inputs, base: &str, name: &str) -> Result<Review> {
    let review = Review::new(&inputs.settings, base, name)?;
    let derived = review::environment(&review, inputs.environment(base)?, &inputs.project);
    inputs
        .settings
        .environments
        .insert(Spanned::new(0..0, name.to_owned()), derived);
    Ok(review)
}

/// The base's load balancer as its stack reports it: ARN and address;
/// `None` when the stack has none (no public service).
pub(super) struct BaseLoadBalancer {
    pub(super) arn: String,
    pub(super) url: String,
}

/// Reads the base stack's load balancer outputs.
async fn base_load_balancer(
    ctx: &AwsContext,
    inputs: &Inputs,
    base: &str,
) -> Result<Option<BaseLoadBalancer>> {
    let data = crate::cloud::stack::stack_data(&inputs.project, &inputs.settings, base)?;
    let outputs = cloudformation::describe(ctx, &data.stack_name)
        .await?
        .map(|s| s.outputs)
        .unwrap_or_default();
    Ok(outputs
        .get(keys::LOAD_BALANCER_ARN)
        .filter(|a| !a.is_empty())
        .map(|arn| BaseLoadBalancer {
            arn: arn.clone(),
            url: outputs
                .get(keys::LOAD_BALANCER_URL)
                .cloned()
                .unwrap_or_default(),
        }))
}

/// The listener review rules go on: HTTPS (443) when the base has a domain, else HTTP (80).
async fn review_listener(ctx: &AwsContext, lb: &BaseLoadBalancer, https: bool) -> Result<String> {
    let port = if https { 443 } else { 80 };
    elbv2::listeners(ctx, &lb.arn)
        .await?
        .into_iter()
        .find(|l| l.port == port)
        .map(|l| l.arn)
        .ok_or_else(|| {
            Error::failed(format!(
                "the load balancer {} has no listener on port {port}",
                lb.arn
            ))
            .with_help("run `parity env apply` for the base environment")
        })
}

/// The base environment of `inputs` (after [`with_review`] added the review app's).
fn base_of<'i>(inputs: &'i Inputs, review: &Review) -> Result<&'i Environment> {
    inputs.environment(&review.base)
}

/// Connects to the base's account and region.
async fn connect(environment: &Environment) -> Result<Cloud> {
    Cloud::connect(environment).await
}
