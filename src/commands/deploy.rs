//! `parity deploy ENV`: preflight (nothing changes on failure), build each
//! distinct image once, push, pin by digest, then ship under the deploy lock:
//! task definitions, release phase, services, wait on the deployment ids.

use std::process::ExitCode;
use std::time::Duration;

use super::ship::build::build_and_push;
use super::ship::session::{Cloud, Inputs};
use super::ship::{lock, notify, rollout};
use crate::aws::{ecr, ecs, parameters};
use crate::cli::{DeployArgs, GlobalArgs};
use crate::cloud::image_build::image_builds;
use crate::cloud::plan::{PlanInputs, plan};
use crate::compose::x_parity;
use crate::error::{Error, Result};
use crate::registry::client::{Registry, RegistryClient};
use crate::registry::push::PushCredentials;
use crate::settings::Environment;

pub(crate) fn run(global: &GlobalArgs, args: &DeployArgs) -> Result<ExitCode> {
    let inputs = Inputs::load(global)?;
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
    super::block_on(deploy(global, args, &inputs, environment))
}

async fn deploy(
    global: &GlobalArgs,
    args: &DeployArgs,
    inputs: &Inputs,
    environment: &Environment,
) -> Result<ExitCode> {
    let cloud = Cloud::connect(environment).await?;
    let ctx = &cloud.ctx;
    // Preflight: everything is checked before anything changes.
    let xs = x_parity::by_service(&inputs.project);
    let cloud_services: Vec<_> = inputs
        .project
        .services
        .values()
        .filter(|s| xs.get(&s.name).is_some_and(|x| x.cloud))
        .collect();
    let cluster = environment.cluster();
    if !ecs::cluster_active(ctx, &cluster).await? {
        return Err(Error::failed(format!(
            "the ECS cluster `{cluster}` of {} does not exist (or is not ACTIVE)",
            args.env
        ))
        .with_help("create the cluster, or set `cluster` for this environment in parity.toml"));
    }
    check_secrets(&cloud, environment, &xs).await?;
    let (client, registry, credentials) = registry_for(&cloud, environment).await?;
    client.ping(&registry).await?;
    // Validate the plan once with placeholder images: bad input stops here.
    let mut plan_inputs = PlanInputs {
        account_id: cloud.account_id.clone(),
        images: Default::default(),
        compose_hash: inputs.compose_hash.clone(),
        git_commit: super::ship::source::git_commit(&inputs.project.working_dir),
    };
    plan(&inputs.project, &inputs.settings, &args.env, &plan_inputs)?;
    let tag = args
        .tag
        .clone()
        .or_else(|| plan_inputs.git_commit.clone())
        .unwrap_or_else(|| format!("parity-{}", super::ship::now()));

    let names: Vec<&str> = cloud_services.iter().map(|s| s.name.as_str()).collect();
    let builds = image_builds(&inputs.project, inputs.settings.app(), &names);
    plan_inputs.images = build_and_push(
        &inputs.project,
        &builds,
        &cloud_services,
        &tag,
        &client,
        &registry,
        &credentials,
    )
    .await?;
    let plan = plan(&inputs.project, &inputs.settings, &args.env, &plan_inputs)?;
    let timeout = Duration::from_secs(
        args.timeout
            .unwrap_or_else(|| environment.deploy().wait_timeout()),
    );
    let webhook = environment
        .notify_webhook()
        .or(inputs.settings.notify_webhook.as_deref());
    let what = format!("deploy {}", args.env);
    notify::notify(webhook, &format!("parity: {what} of {tag} started")).await;
    let outcome = lock::with_lock(
        ctx,
        inputs.settings.app(),
        &args.env,
        &what,
        args.break_lock,
        rollout::ship(ctx, &plan, timeout),
    )
    .await;
    let report = match outcome {
        Ok(report) => report,
        Err(e) => {
            notify::notify(
                webhook,
                &format!("parity: {what} of {tag} FAILED: {}", e.message()),
            )
            .await;
            cloud.ctx.calls().log_summary();
            return Err(e);
        }
    };
    notify::notify(webhook, &format!("parity: {what} of {tag} completed")).await;
    outln!("deployed {tag} to {}", args.env);
    for s in &report.shipped {
        let image = plan_inputs
            .images
            .get(&s.service)
            .map_or("", |i| i.reference.as_str());
        outln!(
            "  {}: {} {}",
            s.ecs_service,
            crate::cloud::rollout::short_task_definition(&s.task_definition),
            image
        );
    }
    let _ = global;
    cloud.ctx.calls().log_summary();
    Ok(ExitCode::SUCCESS)
}

/// Every secret the cloud services declare must exist under the environment's SSM prefix.
async fn check_secrets(
    cloud: &Cloud,
    environment: &Environment,
    xs: &x_parity::XParityMap,
) -> Result<()> {
    let mut names: Vec<String> = xs
        .values()
        .filter(|x| x.cloud)
        .flat_map(|x| x.secrets.iter())
        .map(|v| environment.ssm_parameter_name(v))
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Ok(());
    }
    let existing = parameters::existing(&cloud.ctx, &names).await?;
    let missing: Vec<&String> = names.iter().filter(|n| !existing.contains(*n)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::failed(format!(
        "{} declared secret(s) missing in SSM for {}: {}",
        missing.len(),
        environment.name(),
        missing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .with_help(format!("run `parity secrets sync {}`", environment.name())))
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
