//! ECS: task definitions, services, one-off tasks. A thin adapter: it turns
//! SDK shapes into the pure core's observations (`cloud::rollout`,
//! `cloud::release`) and parity's specs into SDK calls. No deploy rules here.
//!
//! RegisterTaskDefinition sends the plan's JSON request body unchanged (see
//! [`ReplaceBody`]): what `parity plan --format json` prints is byte for byte
//! what ECS receives, with no hand-written conversion that could drift.

use std::collections::BTreeMap;

use aws_sdk_ecs::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_ecs::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ecs::error::BoxError;
use aws_sdk_ecs::types::{ContainerDefinition, SortOrder, TaskDefinitionStatus};

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::cloud::release::{ContainerState, TaskState};
use crate::cloud::rollout::{Deployment, Event, Observation};
use crate::error::{Error, Result};

/// A service as it runs now.
#[derive(Debug, Clone)]
pub(crate) struct RunningService {
    pub(crate) name: String,
    pub(crate) task_definition: String,
    pub(crate) desired: i32,
    pub(crate) running: i32,
    pub(crate) observation: Observation,
}

/// A registered task definition's identity, images and parity's tags.
#[derive(Debug, Clone)]
pub(crate) struct TaskDefinitionInfo {
    pub(crate) arn: String,
    pub(crate) family: String,
    pub(crate) revision: i32,
    /// Container name -> image.
    pub(crate) images: Vec<(String, String)>,
    pub(crate) tags: BTreeMap<String, String>,
}

/// Whether the cluster exists and is ACTIVE.
pub(crate) async fn cluster_active(ctx: &AwsContext, cluster: &str) -> Result<bool> {
    let out = ctx
        .ecs()
        .describe_clusters()
        .clusters(cluster)
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Ecs, "DescribeClusters").on(cluster), &e))?;
    Ok(out.clusters().iter().any(|c| c.status() == Some("ACTIVE")))
}

/// Registers a task definition from its RegisterTaskDefinition JSON request;
/// returns its ARN.
pub(crate) async fn register_task_definition(
    ctx: &AwsContext,
    request: &serde_json::Value,
) -> Result<String> {
    let family = request["family"].as_str().unwrap_or_default().to_owned();
    let body = request.to_string();
    // A minimal valid input so the SDK builds the request; its body is then
    // replaced by the plan's JSON before signing.
    let out = ctx
        .ecs()
        .register_task_definition()
        .family(&family)
        .container_definitions(ContainerDefinition::builder().name("placeholder").build())
        .customize()
        .interceptor(ReplaceBody(body))
        .send()
        .await
        .map_err(|e| {
            ctx.explain(
                &Call::new(Service::Ecs, "RegisterTaskDefinition").on(&family),
                &e,
            )
        })?;
    out.task_definition()
        .and_then(|t| t.task_definition_arn())
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::failed(format!(
                "RegisterTaskDefinition for {family} returned no ARN"
            ))
        })
}

/// Swaps the serialized request body for the given JSON, before signing (so
/// the signature covers what is sent).
#[derive(Debug)]
struct ReplaceBody(String);

impl Intercept for ReplaceBody {
    fn name(&self) -> &'static str {
        "parity.ReplaceBody"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        *request.body_mut() = self.0.clone().into();
        request
            .headers_mut()
            .insert("content-length", self.0.len().to_string());
        Ok(())
    }
}

/// A task definition by ARN (or family:revision), with its tags: read from
/// the same DescribeTaskDefinition call `plan`'s diff makes
/// ([`super::ecs_describe::task_definition_json`]), so there is one.
pub(crate) async fn describe_task_definition(
    ctx: &AwsContext,
    task_definition: &str,
) -> Result<TaskDefinitionInfo> {
    let td = super::ecs_describe::task_definition_json(ctx, task_definition).await?;
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let list = |key: &str| td[key].as_array().cloned().unwrap_or_default();
    Ok(TaskDefinitionInfo {
        arn: text(&td["taskDefinitionArn"]),
        family: text(&td["family"]),
        revision: td["revision"]
            .as_i64()
            .and_then(|r| i32::try_from(r).ok())
            .unwrap_or_default(),
        images: list("containerDefinitions")
            .iter()
            .map(|c| (text(&c["name"]), text(&c["image"])))
            .collect(),
        tags: list("tags")
            .iter()
            .map(|t| (text(&t["key"]), text(&t["value"])))
            .collect(),
    })
}

/// Adds tags to a task definition (e.g. that its rollout completed).
pub(crate) async fn tag(ctx: &AwsContext, arn: &str, tags: &[(&str, &str)]) -> Result<()> {
    let mut call = ctx.ecs().tag_resource().resource_arn(arn);
    for (key, value) in tags {
        call = call.tags(
            aws_sdk_ecs::types::Tag::builder()
                .key(*key)
                .value(*value)
                .build(),
        );
    }
    call.send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Ecs, "TagResource").on(arn), &e))?;
    Ok(())
}

/// A family's ACTIVE revisions, newest first.
pub(crate) async fn list_revisions(ctx: &AwsContext, family: &str) -> Result<Vec<String>> {
    let mut arns = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = ctx
            .ecs()
            .list_task_definitions()
            .family_prefix(family)
            .status(TaskDefinitionStatus::Active)
            .sort(SortOrder::Desc)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| {
                ctx.explain(
                    &Call::new(Service::Ecs, "ListTaskDefinitions").on(family),
                    &e,
                )
            })?;
        arns.extend(
            out.task_definition_arns()
                .iter()
                .filter(|a| {
                    crate::cloud::rollout::short_task_definition(a)
                        .rsplit_once(':')
                        .map(|(f, _)| f)
                        == Some(family)
                })
                .cloned(),
        );
        match out.next_token() {
            Some(token) => next = Some(token.to_owned()),
            None => return Ok(arns),
        }
    }
}

/// The named services that exist (ACTIVE), as observations for the rollout core.
pub(crate) async fn describe_services(
    ctx: &AwsContext,
    cluster: &str,
    names: &[String],
) -> Result<Vec<RunningService>> {
    let mut found = Vec::new();
    for s in &describe_service_records(ctx, cluster, names).await? {
        if s.status() != Some("ACTIVE") {
            continue;
        }
        let name = s.service_name().unwrap_or_default().to_owned();
        found.push(RunningService {
            task_definition: s.task_definition().unwrap_or_default().to_owned(),
            desired: s.desired_count(),
            running: s.running_count(),
            observation: Observation {
                service: name.clone(),
                deployments: s.deployments().iter().map(deployment).collect(),
                events: s
                    .events()
                    .iter()
                    .take(20)
                    .map(|e| Event {
                        id: e.id().unwrap_or_default().to_owned(),
                        message: e.message().unwrap_or_default().to_owned(),
                    })
                    .collect(),
            },
            name,
        });
    }
    Ok(found)
}

/// ECS's own records of the named services, ten names per DescribeServices
/// call (the API's limit); services ECS does not know are simply absent.
pub(crate) async fn describe_service_records(
    ctx: &AwsContext,
    cluster: &str,
    names: &[String],
) -> Result<Vec<aws_sdk_ecs::types::Service>> {
    let mut records = Vec::new();
    for chunk in names.chunks(10) {
        let out = ctx
            .ecs()
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| {
                ctx.explain(&Call::new(Service::Ecs, "DescribeServices").on(cluster), &e)
            })?;
        records.extend(out.services().iter().cloned());
    }
    Ok(records)
}

fn deployment(d: &aws_sdk_ecs::types::Deployment) -> Deployment {
    Deployment {
        id: d.id().unwrap_or_default().to_owned(),
        status: d.status().unwrap_or_default().to_owned(),
        rollout_state: d.rollout_state().map(|s| s.as_str().to_owned()),
        rollout_state_reason: d.rollout_state_reason().map(str::to_owned),
        task_definition: d.task_definition().unwrap_or_default().to_owned(),
        desired: d.desired_count(),
        running: d.running_count(),
        pending: d.pending_count(),
        failed_tasks: d.failed_tasks(),
    }
}

fn primary_deployment(service: Option<&aws_sdk_ecs::types::Service>, what: &str) -> Result<String> {
    service
        .and_then(|s| {
            s.deployments()
                .iter()
                .find(|d| d.status() == Some("PRIMARY"))
        })
        .and_then(|d| d.id())
        .map(str::to_owned)
        .ok_or_else(|| Error::failed(format!("{what} returned no PRIMARY deployment to wait on")))
}

/// Creates a service on its first deploy from the plan's CreateService JSON
/// request (network, no public IP unless asked, target group and grace period,
/// circuit breaker with rollback, min/max percent, desired count — set only
/// here, so later deploys never fight autoscaling). Returns the deployment id.
pub(crate) async fn create_service(
    ctx: &AwsContext,
    request: &serde_json::Value,
) -> Result<String> {
    let name = request["serviceName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let out = ctx
        .ecs()
        .create_service()
        .service_name(&name)
        .customize()
        .interceptor(ReplaceBody(request.to_string()))
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Ecs, "CreateService").on(&name), &e))?;
    primary_deployment(out.service(), "CreateService")
}

/// Points a service at a task definition; returns the new deployment's id.
/// The desired count is left alone (autoscaling may own it). `exec`: turn ECS
/// Exec on or off (deploy says what the compose file says; rollback leaves it).
/// With `service_connect` (the plan's `serviceConnectConfiguration`) the
/// service also gets that configuration, so one made before the environment
/// had Service Connect joins it on its next deploy.
pub(crate) async fn update_service(
    ctx: &AwsContext,
    cluster: &str,
    service: &str,
    task_definition: &str,
    exec: Option<bool>,
    service_connect: Option<&serde_json::Value>,
) -> Result<String> {
    let call = ctx
        .ecs()
        .update_service()
        .cluster(cluster)
        .service(service)
        .task_definition(task_definition)
        .set_enable_execute_command(exec);
    let out = match service_connect {
        None => call.send().await,
        Some(config) => {
            let mut body = serde_json::json!({
                "cluster": cluster,
                "service": service,
                "taskDefinition": task_definition,
                "serviceConnectConfiguration": config,
            });
            if let Some(exec) = exec {
                body["enableExecuteCommand"] = serde_json::Value::Bool(exec);
            }
            call.customize()
                .interceptor(ReplaceBody(body.to_string()))
                .send()
                .await
        }
    }
    .map_err(|e| ctx.explain(&Call::new(Service::Ecs, "UpdateService").on(service), &e))?;
    primary_deployment(out.service(), "UpdateService")
}

/// Starts a one-off Fargate task (the release phase, `parity run --env`)
/// from a RunTask JSON request; returns its ARN. `what` names the task in
/// the error when ECS cannot start it.
pub(crate) async fn run_task(
    ctx: &AwsContext,
    request: &serde_json::Value,
    what: &str,
) -> Result<String> {
    let family = request["taskDefinition"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let out = ctx
        .ecs()
        .run_task()
        .task_definition(&family)
        .customize()
        .interceptor(ReplaceBody(request.to_string()))
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Ecs, "RunTask").on(&family), &e))?;
    if let Some(failure) = out.failures().first() {
        return Err(Error::failed(format!(
            "{what} could not start: {}",
            failure.reason().unwrap_or("no reason given")
        )));
    }
    out.tasks()
        .first()
        .and_then(|t| t.task_arn())
        .map(str::to_owned)
        .ok_or_else(|| Error::failed("RunTask started no task"))
}

/// A task's state for the release decision.
pub(crate) async fn describe_task(
    ctx: &AwsContext,
    cluster: &str,
    task: &str,
) -> Result<TaskState> {
    let out = ctx
        .ecs()
        .describe_tasks()
        .cluster(cluster)
        .tasks(task)
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Ecs, "DescribeTasks").on(task), &e))?;
    let t = out
        .tasks()
        .first()
        .ok_or_else(|| Error::failed(format!("task {task} is not known to ECS")))?;
    Ok(TaskState {
        last_status: t.last_status().unwrap_or_default().to_owned(),
        stopped_reason: t.stopped_reason().map(str::to_owned),
        containers: t
            .containers()
            .iter()
            .map(|c| ContainerState {
                name: c.name().unwrap_or_default().to_owned(),
                exit_code: c.exit_code(),
                reason: c.reason().map(str::to_owned),
            })
            .collect(),
    })
}
