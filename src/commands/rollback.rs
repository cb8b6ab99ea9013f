//! `parity rollback ENV [--to REVISION]`: each service back to the newest
//! revision older than the one it runs whose rollout completed (or revision
//! N of its family), under the deploy lock, with deploy's wait rules.

use std::process::ExitCode;
use std::time::Duration;

use super::ship::observe::observe;
use super::ship::session::{Cloud, Inputs};
use super::ship::wait::{Target, wait_for};
use super::ship::{lock, notify};
use crate::aws::{AwsContext, ecs};
use crate::cli::{GlobalArgs, RollbackArgs};
use crate::cloud::rollout::short_task_definition;
use crate::error::{Error, Result};

pub(crate) fn run(global: &GlobalArgs, args: &RollbackArgs) -> Result<ExitCode> {
    let inputs = Inputs::load(global)?;
    inputs.environment(&args.env)?;
    super::block_on(rollback(args, &inputs))
}

async fn rollback(args: &RollbackArgs, inputs: &Inputs) -> Result<ExitCode> {
    let environment = inputs.environment(&args.env)?;
    let cloud = Cloud::connect(environment).await?;
    let ctx = &cloud.ctx;
    let cluster = environment.cluster();
    let views = observe(ctx, environment, &inputs.project).await?;
    // Decide every service's destination before touching anything.
    let mut moves = Vec::new();
    for view in &views {
        let (Some(ecs_service), Some(running)) = (&view.ecs_service, &view.running) else {
            continue;
        };
        let destination = destination(ctx, &running.family, running.revision, args.to).await?;
        moves.push((
            ecs_service.clone(),
            running.task_definition.clone(),
            destination,
        ));
    }
    if moves.is_empty() {
        return Err(Error::failed(format!(
            "nothing to roll back: no service of {} is deployed",
            args.env
        )));
    }
    let timeout = Duration::from_secs(
        args.timeout
            .unwrap_or_else(|| environment.deploy().wait_timeout()),
    );
    let webhook = environment
        .notify_webhook()
        .or(inputs.settings.notify_webhook.as_deref());
    let what = format!("rollback {}", args.env);
    notify::notify(webhook, &format!("parity: {what} started")).await;
    let operation = async {
        let mut targets = Vec::new();
        for (service, from, to) in &moves {
            eprintln!(
                "{service}: {} -> {}",
                short_task_definition(from),
                short_task_definition(to)
            );
            let deployment = ecs::update_service(ctx, &cluster, service, to).await?;
            targets.push(Target {
                service: service.clone(),
                deployment,
            });
        }
        wait_for(ctx, &cluster, &targets, timeout).await
    };
    let outcome = lock::with_lock(
        ctx,
        inputs.settings.app(),
        &args.env,
        &what,
        false,
        operation,
    )
    .await;
    cloud.ctx.calls().log_summary();
    if let Err(e) = outcome {
        notify::notify(webhook, &format!("parity: {what} FAILED: {}", e.message())).await;
        return Err(e);
    }
    notify::notify(webhook, &format!("parity: {what} completed")).await;
    outln!("rolled back {}", args.env);
    for (service, _, to) in &moves {
        outln!("  {service}: {}", short_task_definition(to));
    }
    Ok(ExitCode::SUCCESS)
}

/// `family:N` when named (it must exist), else the newest older revision that completed.
async fn destination(
    ctx: &AwsContext,
    family: &str,
    current: i32,
    to: Option<u32>,
) -> Result<String> {
    let revisions = ecs::list_revisions(ctx, family).await?;
    let revision_of = |arn: &str| -> i32 {
        arn.rsplit(':')
            .next()
            .and_then(|r| r.parse().ok())
            .unwrap_or(0)
    };
    if let Some(n) = to {
        return revisions
            .iter()
            .find(|a| i64::from(revision_of(a)) == i64::from(n))
            .cloned()
            .ok_or_else(|| {
                Error::input(format!("{family} has no active revision {n}"))
                    .with_help("`parity status` shows the revisions that ran")
            });
    }
    for arn in revisions.iter().filter(|a| revision_of(a) < current) {
        let td = ecs::describe_task_definition(ctx, arn).await?;
        if td.tags.contains_key(crate::cloud::tags::COMPLETED) {
            return Ok(td.arn);
        }
    }
    Err(Error::failed(format!(
        "{family}: no earlier revision than {current} ever completed a rollout"
    ))
    .with_help("name one with --to REVISION"))
}
