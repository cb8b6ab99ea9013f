//! `parity run --env` (and `parity db`'s client task): the RunTask request
//! of a one-off task, and what its stopped task means for parity's exit code.
//!
//! Pure. The task runs the task definition revision the service runs now
//! (so the same image digest, variables and secrets), in the environment's
//! network, with the command and variables overridden for the service's own
//! container only. It is started by [`STARTED_BY`] and tagged, so `ps --env`
//! (and the AWS console) can tell it from the service's own tasks.

use serde_json::{Value, json};

use super::release::TaskState;
use super::tags;

/// `startedBy` of every one-off task parity starts.
pub(crate) const STARTED_BY: &str = "parity-run";

/// What is asked of the one-off task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OneOff<'a> {
    pub(crate) app: &'a str,
    pub(crate) environment: &'a str,
    pub(crate) cluster: &'a str,
    /// The compose service: its container is the one overridden.
    pub(crate) service: &'a str,
    /// The revision (ARN) the service runs now.
    pub(crate) task_definition: &'a str,
    /// Empty: the task definition's command.
    pub(crate) command: &'a [String],
    /// `-e KEY=VALUE`, in the order given (a later one wins in ECS too).
    pub(crate) variables: &'a [(String, String)],
    /// ECS Exec on the task (`parity db`'s client task opens a session in it).
    pub(crate) exec: bool,
}

/// The RunTask request (the API's JSON shape); `network` is the
/// environment's `networkConfiguration` as the plan builds it.
pub(crate) fn run_task_request(one_off: &OneOff<'_>, network: &Value) -> Value {
    let mut container = json!({ "name": one_off.service });
    if !one_off.command.is_empty() {
        container["command"] = json!(one_off.command);
    }
    if !one_off.variables.is_empty() {
        container["environment"] = Value::Array(
            one_off
                .variables
                .iter()
                .map(|(name, value)| json!({"name": name, "value": value}))
                .collect(),
        );
    }
    let mut request = json!({
        "cluster": one_off.cluster,
        "taskDefinition": one_off.task_definition,
        "count": 1,
        "launchType": "FARGATE",
        "networkConfiguration": network,
        "overrides": { "containerOverrides": [container] },
        "startedBy": STARTED_BY,
        "tags": [
            {"key": tags::APP, "value": one_off.app},
            {"key": tags::ENVIRONMENT, "value": one_off.environment},
            {"key": tags::SERVICE, "value": one_off.service},
            {"key": tags::RUN, "value": "true"},
        ],
    });
    if one_off.exec {
        request["enableExecuteCommand"] = json!(true);
    }
    request
}

/// Where a one-off task is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OneOffState {
    /// Not stopped yet (`PROVISIONING`, `PENDING`, `RUNNING`, ...).
    Running(String),
    /// The service's container exited with this code.
    Exited(i32),
    /// It stopped without the container exiting (it never started:
    /// `CannotPullContainerError`, ...); the text says why.
    NeverRan(String),
}

/// Reads the task: the service's own container decides, as it would in the
/// service (the others are sidecars).
pub(crate) fn state(task: &TaskState, container: &str) -> OneOffState {
    if task.last_status != "STOPPED" {
        return OneOffState::Running(task.last_status.clone());
    }
    let stopped = task
        .stopped_reason
        .as_deref()
        .filter(|r| !r.is_empty())
        .unwrap_or("the task stopped");
    match task.containers.iter().find(|c| c.name == container) {
        Some(c) => match c.exit_code {
            Some(code) => OneOffState::Exited(code),
            None => OneOffState::NeverRan(
                c.reason
                    .as_deref()
                    .filter(|r| !r.is_empty())
                    .unwrap_or(stopped)
                    .to_owned(),
            ),
        },
        None => OneOffState::NeverRan(format!("{stopped} (container {container} not reported)")),
    }
}

/// parity's exit status for a container's exit code: the code itself when
/// it fits a process status, else 1 (never 0 for a failure).
pub(crate) fn exit_status(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::release::ContainerState;

    fn one_off<'a>(command: &'a [String], variables: &'a [(String, String)]) -> OneOff<'a> {
        OneOff {
            app: "shop",
            environment: "staging",
            cluster: "shop-staging",
            service: "web",
            task_definition: "arn:aws:ecs:eu-west-1:1:task-definition/shop-staging-web:3",
            command,
            variables,
            exec: false,
        }
    }

    #[test]
    fn the_request_overrides_the_service_container_and_marks_the_task() {
        let command = vec!["python".to_owned(), "manage.py".into(), "migrate".into()];
        let variables = vec![("DEBUG".to_owned(), "1".to_owned())];
        let network = json!({"awsvpcConfiguration": {"subnets": ["subnet-1"]}});
        let request = run_task_request(&one_off(&command, &variables), &network);
        assert_eq!(
            request["overrides"],
            json!({"containerOverrides": [{"name": "web", "command": ["python", "manage.py", "migrate"], "environment": [{"name": "DEBUG", "value": "1"}]}]})
        );
        assert_eq!(request["startedBy"], "parity-run");
        assert_eq!(
            request["taskDefinition"],
            "arn:aws:ecs:eu-west-1:1:task-definition/shop-staging-web:3"
        );
        assert_eq!(request["networkConfiguration"], network);
        assert_eq!(
            request["tags"][3],
            json!({"key": "parity:run", "value": "true"})
        );
    }

    #[test]
    fn without_command_or_variables_only_the_name_is_overridden() {
        let request = run_task_request(&one_off(&[], &[]), &json!({}));
        assert_eq!(
            request["overrides"],
            json!({"containerOverrides": [{"name": "web"}]})
        );
        assert!(request.get("enableExecuteCommand").is_none());
        let exec = run_task_request(
            &OneOff {
                exec: true,
                ..one_off(&[], &[])
            },
            &json!({}),
        );
        assert_eq!(exec["enableExecuteCommand"], true);
    }

    fn task(status: &str, exit: Option<i32>, reason: Option<&str>) -> TaskState {
        TaskState {
            last_status: status.into(),
            stopped_reason: Some("Essential container in task exited".into()),
            containers: vec![ContainerState {
                name: "web".into(),
                exit_code: exit,
                reason: reason.map(Into::into),
            }],
        }
    }

    #[test]
    fn the_service_container_exit_code_decides() {
        assert_eq!(
            state(&task("RUNNING", None, None), "web"),
            OneOffState::Running("RUNNING".into())
        );
        assert_eq!(
            state(&task("STOPPED", Some(0), None), "web"),
            OneOffState::Exited(0)
        );
        assert_eq!(
            state(&task("STOPPED", Some(3), None), "web"),
            OneOffState::Exited(3)
        );
        assert_eq!(
            state(
                &task("STOPPED", None, Some("CannotPullContainerError: nope")),
                "web"
            ),
            OneOffState::NeverRan("CannotPullContainerError: nope".into())
        );
        assert!(matches!(
            state(&task("STOPPED", Some(0), None), "worker"),
            OneOffState::NeverRan(_)
        ));
    }

    #[test]
    fn exit_codes_outside_a_process_status_are_1() {
        assert_eq!(exit_status(0), 0);
        assert_eq!(exit_status(137), 137);
        assert_eq!(exit_status(-1), 1);
        assert_eq!(exit_status(300), 1);
    }
}
