//! ECS: the last run of a job, from the stopped tasks its schedule started
//! (their ECS task group is `cloud::schedule::task_group`). ECS lists a
//! stopped task for at least an hour after it stopped, so an older run is not
//! seen. Adapter only.

use aws_sdk_ecs::types::DesiredStatus;

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::error::Result;

/// One stopped task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoppedTask {
    /// The task id (the ARN's last part).
    pub(crate) task_id: String,
    /// When it stopped, seconds since the epoch.
    pub(crate) stopped_at: Option<i64>,
    /// The essential (first) container's exit code.
    pub(crate) exit_code: Option<i32>,
    pub(crate) stopped_reason: Option<String>,
}

/// The newest stopped task of `family` in `cluster` whose group is `group`.
pub(crate) async fn last_stopped(
    ctx: &AwsContext,
    cluster: &str,
    family: &str,
    group: &str,
) -> Result<Option<StoppedTask>> {
    let listed = ctx
        .ecs()
        .list_tasks()
        .cluster(cluster)
        .family(family)
        .desired_status(DesiredStatus::Stopped)
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Ecs, "ListTasks").on(family), &e))?;
    let arns = listed.task_arns().to_vec();
    if arns.is_empty() {
        return Ok(None);
    }
    let described = ctx
        .ecs()
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns))
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Ecs, "DescribeTasks").on(family), &e))?;
    Ok(described
        .tasks()
        .iter()
        .filter(|t| t.group() == Some(group))
        .map(|t| StoppedTask {
            task_id: t
                .task_arn()
                .and_then(|a| a.rsplit('/').next())
                .unwrap_or_default()
                .to_owned(),
            stopped_at: t.stopped_at().map(|d| d.secs()),
            exit_code: t.containers().first().and_then(|c| c.exit_code()),
            stopped_reason: t.stopped_reason().map(str::to_owned),
        })
        .max_by_key(|t| t.stopped_at))
}
