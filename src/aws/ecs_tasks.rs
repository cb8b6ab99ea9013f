//! ECS tasks one by one: list a cluster's tasks, describe them, stop one.
//! `parity ps --env` and `parity run --env` read and stop tasks through
//! here. Adapter only: SDK shapes in, plain records out.

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::cloud::task_view::{ContainerInfo, TaskInfo};
use crate::error::Result;

/// The ARNs of the cluster's tasks whose desired status is `desired`
/// (`RUNNING`, or `STOPPED`: those ECS still remembers, about an hour).
pub(crate) async fn list(ctx: &AwsContext, cluster: &str, desired: &str) -> Result<Vec<String>> {
    list_of(ctx, cluster, None, desired).await
}

/// The ARNs of one ECS service's tasks whose desired status is `desired`.
pub(crate) async fn list_for_service(
    ctx: &AwsContext,
    cluster: &str,
    service: &str,
    desired: &str,
) -> Result<Vec<String>> {
    list_of(ctx, cluster, Some(service), desired).await
}

/// ListTasks, every page; `service` narrows it to one ECS service.
async fn list_of(
    ctx: &AwsContext,
    cluster: &str,
    service: Option<&str>,
    desired: &str,
) -> Result<Vec<String>> {
    let mut arns = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = ctx
            .ecs()
            .list_tasks()
            .cluster(cluster)
            .set_service_name(service.map(str::to_owned))
            .desired_status(desired.into())
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| {
                let on = service.unwrap_or(cluster);
                ctx.explain(&Call::new(Service::Ecs, "ListTasks").on(on), &e)
            })?;
        arns.extend(out.task_arns().iter().cloned());
        match out.next_token() {
            Some(token) => next = Some(token.to_owned()),
            None => return Ok(arns),
        }
    }
}

/// The tasks, 100 per DescribeTasks call (the API's limit).
pub(crate) async fn describe(
    ctx: &AwsContext,
    cluster: &str,
    arns: &[String],
) -> Result<Vec<TaskInfo>> {
    let mut tasks = Vec::new();
    for chunk in arns.chunks(100) {
        let out = ctx
            .ecs()
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| ctx.explain(&Call::new(Service::Ecs, "DescribeTasks").on(cluster), &e))?;
        tasks.extend(out.tasks().iter().map(info));
    }
    Ok(tasks)
}

fn info(t: &aws_sdk_ecs::types::Task) -> TaskInfo {
    let text = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
    TaskInfo {
        arn: t.task_arn().unwrap_or_default().to_owned(),
        task_definition: t.task_definition_arn().unwrap_or_default().to_owned(),
        last_status: t.last_status().unwrap_or_default().to_owned(),
        health: t.health_status().map(|h| h.as_str().to_owned()),
        started_at: t.started_at().map(|d| d.secs()),
        stopped_at: t.stopped_at().map(|d| d.secs()),
        stopped_reason: text(t.stopped_reason()),
        started_by: text(t.started_by()),
        group: text(t.group()),
        exec_enabled: t.enable_execute_command(),
        containers: t
            .containers()
            .iter()
            .map(|c| ContainerInfo {
                name: c.name().unwrap_or_default().to_owned(),
                image: text(c.image()),
                image_digest: text(c.image_digest()),
                exit_code: c.exit_code(),
                reason: text(c.reason()),
                runtime_id: text(c.runtime_id()),
            })
            .collect(),
    }
}

/// Stops a task (ECS sends the containers SIGTERM, then SIGKILL after
/// their stop timeout); `reason` shows in the console and in `ps --env`.
pub(crate) async fn stop(ctx: &AwsContext, cluster: &str, task: &str, reason: &str) -> Result<()> {
    ctx.ecs()
        .stop_task()
        .cluster(cluster)
        .task(task)
        .reason(reason)
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Ecs, "StopTask").on(task), &e))?;
    Ok(())
}
