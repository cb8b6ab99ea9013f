//! The release phase: the release service's new task definition as a one-off
//! task, waited on until it stops; exit code 0 is required. On failure the
//! task's last CloudWatch log lines are shown and no service is touched.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::aws::{AwsContext, ecs, ecs_tasks, logs};
use crate::cloud::release::{self, ReleaseOutcome};
use crate::error::{Error, Result};

/// How many log lines are read to find the part that explains a failed release.
const LOG_LINES: i32 = crate::log_tail::AT_MOST as i32;

/// Runs the release task (`task_definition` is the registered ARN) and waits for it.
pub(crate) async fn run(
    ctx: &AwsContext,
    release_request: &Value,
    task_definition: &str,
    task_request: &Value,
    container: &str,
    timeout: Duration,
) -> Result<()> {
    let mut request = release_request.clone();
    request["taskDefinition"] = json!(task_definition);
    request["count"] = json!(1);
    request["startedBy"] = json!(crate::cloud::task_view::RELEASE_STARTED_BY);
    let cluster = request["cluster"].as_str().unwrap_or_default().to_owned();
    super::interrupt::check(
        "before the release phase; task definitions registered, no service touched",
    )?;
    eprintln!("release: running {container} as a one-off task");
    let task = ecs::run_task(ctx, &request, "the release task").await?;
    let started = Instant::now();
    let mut last = String::new();
    loop {
        let state = ecs::describe_task(ctx, &cluster, &task).await?;
        match release::outcome(&state, container) {
            ReleaseOutcome::Running(status) => {
                if status != last {
                    eprintln!("release: {container} {status}");
                    last = status;
                }
                if started.elapsed() >= timeout {
                    let error = Error::failed(format!(
                        "the release task {container} did not stop within {}s; no service was touched",
                        timeout.as_secs()
                    ));
                    return Err(stop(ctx, &cluster, &task, error, "timed out").await);
                }
            }
            ReleaseOutcome::Succeeded => {
                eprintln!("release: {container} exited 0");
                return Ok(());
            }
            ReleaseOutcome::Failed(reason) => {
                let read = task_log(ctx, task_request, container, &task).await;
                let lines = crate::log_tail::explaining(&read);
                let mut message =
                    format!("the release phase failed: {reason}; no service was touched");
                if lines.is_empty() {
                    message.push_str("\n(no log lines in CloudWatch Logs)");
                } else {
                    message.push_str(&format!("\nlast log lines of {container}:"));
                    for line in lines {
                        message.push_str("\n  ");
                        message.push_str(line);
                    }
                }
                return Err(Error::failed(message));
            }
        }
        if let Err(signal) = super::interrupt::sleep(super::POLL_INTERVAL).await {
            let error = super::interrupt::stopped(
                signal,
                "while the release task ran; no service was touched",
            );
            return Err(stop(ctx, &cluster, &task, error, "interrupted").await);
        }
    }
}

/// Stops the release task parity started and could not wait out, saying so
/// in `error` (a task left running would migrate a database nobody watches).
async fn stop(ctx: &AwsContext, cluster: &str, task: &str, error: Error, why: &str) -> Error {
    let id = task.rsplit('/').next().unwrap_or(task);
    match ecs_tasks::stop(ctx, cluster, task, &format!("parity: release phase {why}")).await {
        Ok(()) => error.with_help(format!("the release task {id} was stopped (StopTask)")),
        Err(e) => error.with_help(format!(
            "the release task {id} could not be stopped ({}): stop it in the ECS console",
            e.message()
        )),
    }
}

/// The task's awslogs stream (`prefix/container/task-id`) as the task definition configures it.
async fn task_log(
    ctx: &AwsContext,
    task_request: &Value,
    container: &str,
    task: &str,
) -> Vec<String> {
    let definition = task_request["containerDefinitions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == container));
    let options = definition.map(|d| &d["logConfiguration"]["options"]);
    let (Some(group), prefix) = (
        options.and_then(|o| o["awslogs-group"].as_str()),
        options
            .and_then(|o| o["awslogs-stream-prefix"].as_str())
            .unwrap_or("ecs"),
    ) else {
        return Vec::new();
    };
    let task_id = task.rsplit('/').next().unwrap_or(task);
    let stream = format!("{prefix}/{container}/{task_id}");
    logs::last_lines(ctx, group, &stream, LOG_LINES)
        .await
        .unwrap_or_default()
}
