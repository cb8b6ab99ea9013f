//! The ECS calls behind `parity exec --env` (and `parity db`'s session): the service's running tasks
//! (ListTasks and DescribeTasks through `ecs_tasks`) and ExecuteCommand, which returns the Session
//! Manager session the plugin connects to.

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::cloud::exec::{ServiceTask, Session};
use crate::error::{Error, Result};

/// The service's tasks ECS wants running, as DescribeTasks reports them.
pub(crate) async fn service_tasks(
    ctx: &AwsContext,
    cluster: &str,
    service: &str,
) -> Result<Vec<ServiceTask>> {
    let arns = super::ecs_tasks::list_for_service(ctx, cluster, service, "RUNNING").await?;
    tasks(ctx, cluster, &arns).await
}

/// The tasks `arns`, with what a session needs (`parity db`'s one-off task).
pub(crate) async fn tasks(
    ctx: &AwsContext,
    cluster: &str,
    arns: &[String],
) -> Result<Vec<ServiceTask>> {
    let tasks = super::ecs_tasks::describe(ctx, cluster, arns).await?;
    Ok(tasks
        .into_iter()
        .map(|t| ServiceTask {
            health: t.health.unwrap_or_else(|| "UNKNOWN".to_owned()),
            arn: t.arn,
            last_status: t.last_status,
            started_at: t.started_at,
            exec_enabled: t.exec_enabled,
            containers: t
                .containers
                .into_iter()
                .map(|c| (c.name, c.runtime_id))
                .collect(),
        })
        .collect())
}

/// ExecuteCommand, interactive (the only mode ECS offers): `command` in
/// `container` of `task`. Returns the session for the plugin.
pub(crate) async fn execute_command(
    ctx: &AwsContext,
    cluster: &str,
    task: &str,
    container: &str,
    command: &str,
) -> Result<Session> {
    let out = ctx
        .ecs()
        .execute_command()
        .cluster(cluster)
        .task(task)
        .container(container)
        .command(command)
        .interactive(true)
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Ecs, "ExecuteCommand").on(task), &e))?;
    let session = out
        .session()
        .ok_or_else(|| Error::failed("ExecuteCommand returned no session"))?;
    Ok(Session {
        session_id: session.session_id().unwrap_or_default().to_owned(),
        stream_url: session.stream_url().unwrap_or_default().to_owned(),
        token_value: session.token_value().unwrap_or_default().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::aws::request_shapes::sent;

    const TASK: &str = "arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/0123abcd";

    #[test]
    fn execute_command_asks_for_an_interactive_session_in_the_container() {
        let response = json!({
            "clusterArn": "arn:aws:ecs:eu-west-1:123456789012:cluster/shop-staging",
            "containerArn": "arn:aws:ecs:eu-west-1:123456789012:container/shop-staging/0123abcd/c1",
            "containerName": "web",
            "interactive": true,
            "session": {
                "sessionId": "ecs-execute-command-0a1b2c",
                "streamUrl": "wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/ecs-execute-command-0a1b2c",
                "tokenValue": "opaque-token"
            },
            "taskArn": TASK
        });
        let (session, requests) = sent(&[response], async |ctx| {
            execute_command(ctx, "shop-staging", TASK, "web", "rails console").await
        });
        assert_eq!(
            requests,
            [(
                "AmazonEC2ContainerServiceV20141113.ExecuteCommand".to_owned(),
                json!({
                    "cluster": "shop-staging",
                    "task": TASK,
                    "container": "web",
                    "command": "rails console",
                    "interactive": true
                })
            )]
        );
        assert_eq!(
            session,
            Session {
                session_id: "ecs-execute-command-0a1b2c".into(),
                stream_url: "wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/ecs-execute-command-0a1b2c".into(),
                token_value: "opaque-token".into(),
            }
        );
    }

    #[test]
    fn the_services_tasks_are_listed_then_described_with_what_exec_needs() {
        let listed = json!({"taskArns": [TASK]});
        let described = json!({"tasks": [{
            "taskArn": TASK,
            "lastStatus": "RUNNING",
            "healthStatus": "HEALTHY",
            "startedAt": 1_700_000_000.5,
            "enableExecuteCommand": true,
            "containers": [{"name": "web", "runtimeId": "0123abcd-2531612879"}]
        }], "failures": []});
        let (tasks, requests) = sent(&[listed, described], async |ctx| {
            service_tasks(ctx, "shop-staging", "shop-web").await
        });
        assert_eq!(
            requests,
            [
                (
                    "AmazonEC2ContainerServiceV20141113.ListTasks".to_owned(),
                    json!({"cluster": "shop-staging", "serviceName": "shop-web", "desiredStatus": "RUNNING"})
                ),
                (
                    "AmazonEC2ContainerServiceV20141113.DescribeTasks".to_owned(),
                    json!({"cluster": "shop-staging", "tasks": [TASK]})
                )
            ]
        );
        assert_eq!(
            tasks,
            [ServiceTask {
                arn: TASK.into(),
                last_status: "RUNNING".into(),
                health: "HEALTHY".into(),
                started_at: Some(1_700_000_000),
                exec_enabled: true,
                containers: vec![("web".into(), Some("0123abcd-2531612879".into()))],
            }]
        );
    }
}
