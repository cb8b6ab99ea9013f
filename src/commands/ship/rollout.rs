//! Ships a plan whose images are pinned: registers its task definitions, runs
//! the release phase, creates (first deploy) or updates each service, waits on
//! the deployment ids and marks the revisions that completed (rollback's
//! candidates). The caller holds the deploy lock.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};

use super::wait::{self, Target};
use crate::aws::{AwsContext, ecs, logs};
use crate::cloud::plan::Plan;
use crate::cloud::tags;
use crate::error::{Error, Result};

/// What a shipped service runs now.
#[derive(Debug, Clone)]
pub(crate) struct Shipped {
    /// Compose service name.
    pub(crate) service: String,
    /// ECS service name.
    pub(crate) ecs_service: String,
    pub(crate) task_definition: String,
}

/// The outcome of a ship.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub(crate) shipped: Vec<Shipped>,
    /// Time spent waiting on ECS: the release task to stop and the rollout
    /// to complete (the part no tool can shorten).
    pub(crate) waited: Duration,
}

/// Registers, releases, rolls out and waits. Nothing is touched when the
/// release phase fails.
pub(crate) async fn ship(ctx: &AwsContext, plan: &Plan, timeout: Duration) -> Result<Report> {
    for group in log_groups(plan) {
        logs::ensure_group(ctx, &group).await?;
    }
    super::interrupt::check("before registering the task definitions; nothing changed")?;
    let deployed_at = super::now().to_string();
    let mut arns = Vec::new();
    for task in &plan.task_definitions {
        let mut request = task.request.clone();
        if let Some(tags) = request["tags"].as_array_mut() {
            tags.push(json!({"key": tags::DEPLOYED_AT, "value": deployed_at}));
        } else {
            request["tags"] = json!([{"key": tags::DEPLOYED_AT, "value": deployed_at}]);
        }
        let arn = ecs::register_task_definition(ctx, &request).await?;
        eprintln!(
            "registered {}",
            crate::cloud::rollout::short_task_definition(&arn)
        );
        arns.push((task.service.clone(), arn));
    }
    let arn_of = |service: &str| -> Result<&str> {
        arns.iter()
            .find(|(s, _)| s == service)
            .map(|(_, a)| a.as_str())
            .ok_or_else(|| {
                Error::failed(format!("no task definition was registered for {service}"))
            })
    };
    let mut waited = Duration::ZERO;
    if let Some(release) = &plan.release {
        let release_started = std::time::Instant::now();
        let task = plan
            .task_definition(&release.service)
            .ok_or_else(|| Error::failed("the plan's release service has no task definition"))?;
        let request = json!({
            "cluster": release.cluster,
            "launchType": "FARGATE",
            "networkConfiguration": release.network_configuration,
        });
        super::release::run(
            ctx,
            &request,
            arn_of(&release.service)?,
            &task.request,
            &release.service,
            timeout,
        )
        .await?;
        waited += release_started.elapsed();
    }
    let mut targets = Vec::new();
    let mut shipped = Vec::new();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    // Every service of a plan is in the environment's one cluster: which of
    // them exist already is one DescribeServices call (per 10), not one each.
    let cluster = plan
        .services
        .first()
        .map(|s| text(&s.request["cluster"]))
        .unwrap_or_default();
    let names: Vec<String> = plan
        .services
        .iter()
        .map(|s| text(&s.request["serviceName"]))
        .collect();
    let existing = if names.is_empty() {
        Vec::new()
    } else {
        ecs::describe_services(ctx, &cluster, &names).await?
    };
    super::interrupt::check(
        "before updating the services; task definitions registered, no service touched",
    )?;
    for (service, name) in plan.services.iter().zip(names) {
        let arn = arn_of(&service.service)?.to_owned();
        let deployment = if !existing.iter().any(|e| e.name == name) {
            let mut request = service.request.clone();
            request["taskDefinition"] = Value::String(arn.clone());
            eprintln!("creating service {name}");
            ecs::create_service(ctx, &request).await?
        } else {
            eprintln!("updating service {name}");
            let exec = service.request["enableExecuteCommand"].as_bool();
            let service_connect = service.request.get("serviceConnectConfiguration");
            ecs::update_service(
                ctx,
                &cluster,
                &name,
                &arn,
                Some(exec.unwrap_or(false)),
                service_connect,
            )
            .await?
        };
        targets.push(Target {
            service: name.clone(),
            deployment,
        });
        shipped.push(Shipped {
            service: service.service.clone(),
            ecs_service: name,
            task_definition: arn,
        });
    }
    let wait_started = std::time::Instant::now();
    if !targets.is_empty() {
        eprintln!("waiting for the rollout (at most {}s)", timeout.as_secs());
        wait::wait_for(ctx, &cluster, &targets, timeout).await?;
    }
    waited += wait_started.elapsed();
    // Every revision of this ship (the release's too) is now a known-good one.
    let stamp = super::now().to_string();
    for (_, arn) in &arns {
        ecs::tag(ctx, arn, &[(tags::COMPLETED, &stamp)]).await?;
    }
    super::jobs::after_rollout(ctx, plan, &arns).await?;
    Ok(Report { shipped, waited })
}

/// Every awslogs group the plan's containers write to.
fn log_groups(plan: &Plan) -> BTreeSet<String> {
    plan.task_definitions
        .iter()
        .flat_map(|t| {
            t.request["containerDefinitions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|c| {
            c["logConfiguration"]["options"]["awslogs-group"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}
