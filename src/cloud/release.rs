//! What a stopped (or still running) release task means.
//!
//! Pure. The release phase (migrations) runs as a one-off ECS task and must
//! exit 0 before any service is touched. ECS reports a task's `lastStatus`, its
//! `stoppedReason` (e.g. `Essential container in task exited`,
//! `CannotPullContainerError: ...`) and per container an `exitCode` that is
//! absent when the container never ran. Owns nothing but that reading.

/// One container of the task, as DescribeTasks reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerState {
    pub(crate) name: String,
    pub(crate) exit_code: Option<i32>,
    pub(crate) reason: Option<String>,
}

/// The release task at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TaskState {
    pub(crate) last_status: String,
    pub(crate) stopped_reason: Option<String>,
    pub(crate) containers: Vec<ContainerState>,
}

/// The release phase's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReleaseOutcome {
    /// Not stopped yet (`PROVISIONING`, `PENDING`, `RUNNING`, ...).
    Running(String),
    /// The release container exited 0.
    Succeeded,
    /// It stopped any other way; the text says how.
    Failed(String),
}

/// Reads the task: the container named `container` (the release service) decides.
pub(crate) fn outcome(task: &TaskState, container: &str) -> ReleaseOutcome {
    if task.last_status != "STOPPED" {
        return ReleaseOutcome::Running(task.last_status.clone());
    }
    let stopped = task
        .stopped_reason
        .as_deref()
        .filter(|r| !r.is_empty())
        .unwrap_or("the task stopped");
    let Some(state) = task.containers.iter().find(|c| c.name == container) else {
        return ReleaseOutcome::Failed(format!("{stopped} (container {container} not reported)"));
    };
    match state.exit_code {
        Some(0) => ReleaseOutcome::Succeeded,
        Some(code) => ReleaseOutcome::Failed(format!("{container} exited with code {code}")),
        None => {
            let why = state
                .reason
                .as_deref()
                .filter(|r| !r.is_empty())
                .unwrap_or(stopped);
            ReleaseOutcome::Failed(format!("{container} never exited normally: {why}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(status: &str, exit: Option<i32>, reason: Option<&str>) -> TaskState {
        TaskState {
            last_status: status.into(),
            stopped_reason: Some("Essential container in task exited".into()),
            containers: vec![ContainerState {
                name: "migrate".into(),
                exit_code: exit,
                reason: reason.map(Into::into),
            }],
        }
    }

    #[test]
    fn running_task_is_not_decided() {
        assert_eq!(
            outcome(&task("RUNNING", None, None), "migrate"),
            ReleaseOutcome::Running("RUNNING".into())
        );
    }

    #[test]
    fn exit_zero_succeeds() {
        assert_eq!(
            outcome(&task("STOPPED", Some(0), None), "migrate"),
            ReleaseOutcome::Succeeded
        );
    }

    #[test]
    fn nonzero_exit_fails_with_the_code() {
        assert_eq!(
            outcome(&task("STOPPED", Some(1), None), "migrate"),
            ReleaseOutcome::Failed("migrate exited with code 1".into())
        );
    }

    #[test]
    fn no_exit_code_fails_with_the_container_reason() {
        assert_eq!(
            outcome(
                &task("STOPPED", None, Some("CannotPullContainerError: not found")),
                "migrate"
            ),
            ReleaseOutcome::Failed(
                "migrate never exited normally: CannotPullContainerError: not found".into()
            )
        );
    }

    #[test]
    fn no_exit_code_and_no_reason_uses_the_stopped_reason() {
        assert_eq!(
            outcome(&task("STOPPED", None, None), "migrate"),
            ReleaseOutcome::Failed(
                "migrate never exited normally: Essential container in task exited".into()
            )
        );
    }

    #[test]
    fn missing_container_fails() {
        assert!(matches!(
            outcome(&task("STOPPED", Some(0), None), "other"),
            ReleaseOutcome::Failed(m) if m.contains("other not reported")
        ));
    }
}
