//! `parity deploy ENV`: preflight (nothing changes on failure), build each
//! distinct image once, push, pin by digest, then ship through the pipeline
//! (`ship::pipeline`): task definitions, release phase, services, wait on the
//! deployment ids.

use std::process::ExitCode;
use std::time::Duration;

use super::ship::build::build_and_push;
use super::ship::pipeline::{self, Change};
use super::ship::rollout::{self, Report};
use super::ship::session::{Cloud, Inputs};
use crate::aws::{ecr, ecs};
use crate::cli::{DeployArgs, GlobalArgs};
use crate::cloud::backing;
use crate::cloud::image_build::image_builds;
use crate::cloud::plan::{ImageRefs, Plan, PlanInputs, plan};
use crate::cloud::rollout::short_task_definition;
use crate::commands::secrets::Composed;
use crate::compose::model::{Project, Service};
use crate::error::{Error, Result};
use crate::registry::client::{Registry, RegistryClient};
use crate::registry::push::PushCredentials;
use crate::settings::Environment;

pub(crate) fn run(global: &GlobalArgs, args: &DeployArgs) -> Result<ExitCode> {
    let inputs = Inputs::load_for(global, &[&args.env])?;
    let environment = inputs.environment(&args.env)?;
    if let (Some(source), false) = (environment.promotes_from(), args.direct) {
        return Err(Error::input(format!(
            "`{}` is fed by `parity promote` from `{source}`: it runs only images verified there",
            args.env
        ))
        .with_help(format!(
            "run `parity promote --from {source} --to {}`, or deploy straight to it with --direct",
            args.env
        )));
    }
    let mut deploy = Deploy::new(&inputs, environment, args);
    super::block_on(pipeline::run(&inputs, &args.env, &args.change, &mut deploy))
}

/// A deploy: what differs from the other changes the pipeline runs. A
/// review app (`parity review deploy`) is a deploy of an environment derived
/// from its base, whose secrets preflight checks in the base (they are
/// copied from there when it applies).
pub(crate) struct Deploy<'a> {
    pub(crate) inputs: &'a Inputs,
    pub(crate) environment: &'a Environment,
    /// The environment whose secrets preflight checks: `environment` itself;
    /// `None` for a review app seeded from a file (it checks after seeding).
    pub(crate) secrets_of: Option<&'a Environment>,
    pub(crate) args: &'a DeployArgs,
    /// The image tag: `--tag`, else the commit, else a timestamp.
    pub(crate) tag: String,
    /// What preflight built and pushed, by compose service.
    pub(crate) images: ImageRefs,
    /// The plan with pinned images, once preflight made it.
    pub(crate) plan: Option<Plan>,
}

impl<'a> Deploy<'a> {
    pub(crate) fn new(
        inputs: &'a Inputs,
        environment: &'a Environment,
        args: &'a DeployArgs,
    ) -> Self {
        Self {
            inputs,
            environment,
            secrets_of: Some(environment),
            args,
            tag: String::new(),
            images: ImageRefs::new(),
            plan: None,
        }
    }
}

impl Change for Deploy<'_> {
    type Done = Report;

    /// Cluster, secrets and registry checked, the plan validated, then each
    /// distinct image built once and pushed: nothing in the environment changed.
    async fn preflight(&mut self, cloud: &Cloud) -> Result<()> {
        let (inputs, environment) = (self.inputs, self.environment);
        let ctx = &cloud.ctx;
        let cloud_services = cloud_services(&inputs.project);
        let cluster = environment.cluster();
        if !ecs::cluster_active(ctx, &cluster).await? {
            return Err(Error::failed(format!(
                "the ECS cluster `{cluster}` of {} does not exist (or is not ACTIVE)",
                self.args.env
            ))
            .with_help(
                "create the cluster, or set `cluster` for this environment in parity.toml",
            ));
        }
        if let Some(secrets_of) = self.secrets_of {
            check_secrets(cloud, secrets_of, &inputs.project, &cloud_services).await?;
        }
        let (client, registry, credentials) = registry_for(cloud, environment).await?;
        client.ping(&registry).await?;
        // Validate the plan once with placeholder images: bad input stops here.
        let mut plan_inputs = PlanInputs {
            account_id: cloud.account_id.clone(),
            images: ImageRefs::new(),
            compose_hash: inputs.compose_hash.clone(),
            git_commit: super::ship::source::git_commit(&inputs.project.working_dir),
        };
        let placeholder = plan(
            &inputs.project,
            &inputs.settings,
            &self.args.env,
            &plan_inputs,
        )?;
        super::ship::jobs::preflight(&placeholder, &self.args.env)?;
        self.tag = self
            .args
            .tag
            .clone()
            .or_else(|| plan_inputs.git_commit.clone())
            .unwrap_or_else(|| format!("parity-{}", super::ship::now()));
        let builds = image_builds(&inputs.project, inputs.settings.app());
        plan_inputs.images = build_and_push(
            &inputs.project,
            &builds,
            &cloud_services,
            &self.tag,
            &client,
            &registry,
            &credentials,
        )
        .await?;
        self.plan = Some(plan(
            &inputs.project,
            &inputs.settings,
            &self.args.env,
            &plan_inputs,
        )?);
        self.images = plan_inputs.images;
        Ok(())
    }

    fn what(&self) -> String {
        format!("deploy {}", self.args.env)
    }

    fn detail(&self) -> String {
        format!(" of {}", self.tag)
    }

    async fn apply(&self, cloud: &Cloud, timeout: Duration) -> Result<Report> {
        let plan = self
            .plan
            .as_ref()
            .ok_or_else(|| Error::failed("deploy: no plan after preflight"))?;
        rollout::ship(&cloud.ctx, plan, timeout).await
    }

    fn summary(&self, report: &Report) {
        outln!("deployed {} to {}", self.tag, self.args.env);
        for s in &report.shipped {
            let image = self
                .images
                .get(&s.service)
                .map_or("", |i| i.reference.as_str());
            outln!(
                "  {}: {} {}",
                s.ecs_service,
                short_task_definition(&s.task_definition),
                image
            );
        }
    }
}

/// The services that run in the cloud (`x-parity.cloud`).
pub(crate) fn cloud_services(project: &Project) -> Vec<&Service> {
    project
        .services
        .values()
        .filter(|s| s.x_parity.cloud)
        .collect()
}

/// Every secret the cloud services declare must exist: parity's own in the
/// environment's store, references where they point, and those parity
/// composes for managed services (`env apply` writes them). Names only
/// (DescribeParameters, DescribeSecret): no value is read.
pub(crate) async fn check_secrets(
    cloud: &Cloud,
    environment: &Environment,
    project: &Project,
    cloud_services: &[&Service],
) -> Result<()> {
    let survey = crate::commands::secrets::survey(
        &cloud.ctx,
        environment,
        cloud_services.iter().map(|s| &s.x_parity.secrets),
        &composed_secrets(project, environment)?,
    )
    .await?;
    for reference in &survey.foreign_keys {
        eprintln!(
            "warning: {reference}; the execution role may decrypt only with {}, so that key's policy must allow it kms:Decrypt (see README, \"Secrets under your own KMS key\")",
            environment.kms_key_id().map_or_else(
                || "the AWS-managed keys".to_owned(),
                |k| format!("the AWS-managed keys and {k}")
            )
        );
    }
    if !survey.missing_composed.is_empty() {
        return Err(Error::failed(format!(
            "{} secret(s) parity composes for managed services missing for {}: {}. Nothing was changed.",
            survey.missing_composed.len(),
            environment.name(),
            survey.missing_composed.join(", ")
        ))
        .with_help(format!(
            "run `parity env apply {}`: it creates the managed services and writes these secrets",
            environment.name()
        )));
    }
    let missing = survey.missing;
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::failed(format!(
        "{} declared secret(s) missing for {}: {}. Nothing was changed.",
        missing.len(),
        environment.name(),
        missing.join(", ")
    ))
    .with_help(format!(
        "run `parity secrets sync {}` for parity's own secrets; create a referenced secret where it points, or fix the reference in x-parity.secrets",
        environment.name()
    )))
}

/// The secrets `env apply` composes for the environment's managed services
/// (a `DATABASE_URL` carrying the master password), by name.
fn composed_secrets(project: &Project, environment: &Environment) -> Result<Vec<Composed>> {
    let backing = backing::backing_services(project, environment)?;
    let wiring = backing::wiring::wiring(project, environment, &backing)?;
    Ok(wiring
        .rewrites
        .iter()
        .filter_map(|r| {
            let id = r.parameter.clone()?;
            Some(Composed {
                shown: format!("{} of `{}` ({id})", r.variable, r.service),
                id,
            })
        })
        .collect())
}

/// The environment's registry with credentials: ECR through GetAuthorizationToken, else anonymous.
pub(crate) async fn registry_for(
    cloud: &Cloud,
    environment: &Environment,
) -> Result<(RegistryClient, Registry, PushCredentials)> {
    let host = environment.registry(&cloud.account_id);
    let client = RegistryClient::new()?;
    if ecr::is_ecr(&host) {
        let login = ecr::login(&cloud.ctx).await?;
        let registry = Registry {
            host,
            basic_auth: Some(login.basic_auth()),
        };
        let credentials = PushCredentials {
            username: Some(login.username),
            password: Some(login.password),
        };
        Ok((client, registry, credentials))
    } else {
        Ok((
            client,
            Registry::anonymous(&host),
            PushCredentials::default(),
        ))
    }
}
