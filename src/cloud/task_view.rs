//! `parity ps --env`: an environment's ECS tasks as people read them — per
//! compose service, which revision and image digest each task runs, its
//! health, when it started, who started it, and for a stopped task why it
//! stopped ("why does my service keep restarting").
//!
//! Pure. The adapter (`aws::ecs_tasks`) lists and describes the tasks into
//! [`TaskInfo`]; which service a task belongs to (its task definition's
//! family, `<app>-<env>-<service>`), how tasks are ordered and what each
//! column says is decided here.

use super::image_ref::{Digest, ImageRef};
use super::log_reader::short_task_id;
use super::one_off;
use super::rollout::short_task_definition;

/// One task as DescribeTasks reports it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskInfo {
    pub(crate) arn: String,
    pub(crate) task_definition: String,
    pub(crate) last_status: String,
    pub(crate) health: Option<String>,
    /// Seconds since the epoch.
    pub(crate) started_at: Option<i64>,
    pub(crate) stopped_at: Option<i64>,
    pub(crate) stopped_reason: Option<String>,
    pub(crate) started_by: Option<String>,
    /// `service:<name>` for a service's tasks, `family:<family>` for RunTask's.
    pub(crate) group: Option<String>,
    /// Started with ECS Exec on (`parity exec --env`).
    pub(crate) exec_enabled: bool,
    pub(crate) containers: Vec<ContainerInfo>,
}

/// One container of a task.
#[derive(Debug, Clone, Default)]
pub(crate) struct ContainerInfo {
    pub(crate) name: String,
    pub(crate) image: Option<String>,
    /// The digest ECS resolved the image to.
    pub(crate) image_digest: Option<String>,
    pub(crate) exit_code: Option<i32>,
    pub(crate) reason: Option<String>,
    /// The container's Docker id on its host (what an ECS Exec session targets).
    pub(crate) runtime_id: Option<String>,
}

/// Who started a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The ECS service's scheduler.
    Service,
    /// `parity run --env`.
    Run,
    /// The release phase of a deploy.
    Release,
    /// Anything else (the console, a schedule, another tool).
    Other,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Run => "parity run",
            Self::Release => "release",
            Self::Other => "other",
        }
    }
}

/// One line of `ps --env`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TaskRow {
    pub(crate) service: String,
    pub(crate) task_arn: String,
    pub(crate) revision: Option<i64>,
    pub(crate) task_definition: String,
    pub(crate) digest: Option<Digest>,
    /// `running`, `pending`, `stopped`, ... (ECS's lastStatus, lower case).
    pub(crate) status: String,
    pub(crate) health: Option<String>,
    pub(crate) started_at: Option<i64>,
    pub(crate) stopped_at: Option<i64>,
    /// The service container's exit code, once stopped.
    pub(crate) exit_code: Option<i32>,
    pub(crate) stopped_reason: Option<String>,
    pub(crate) kind: Kind,
}

impl TaskRow {
    pub(crate) fn short_id(&self) -> &str {
        short_task_id(&self.task_arn)
    }
}

/// The rows for `tasks`: only tasks of `services` (`(family, compose
/// service)` in the project's order), grouped by service in that order;
/// within a service running tasks first, newest first.
pub(crate) fn rows(tasks: &[TaskInfo], services: &[(String, String)]) -> Vec<TaskRow> {
    let mut rows: Vec<(usize, TaskRow)> = tasks
        .iter()
        .filter_map(|task| {
            let family = family_of(&task.task_definition);
            let place = services.iter().position(|(f, _)| f == family)?;
            Some((place, row(task, &services[place].1)))
        })
        .collect();
    rows.sort_by(|(a_place, a), (b_place, b)| {
        let stopped = |r: &TaskRow| r.status == "stopped";
        (
            a_place,
            stopped(a),
            std::cmp::Reverse(a.started_at),
            &a.task_arn,
        )
            .cmp(&(
                b_place,
                stopped(b),
                std::cmp::Reverse(b.started_at),
                &b.task_arn,
            ))
    });
    rows.into_iter().map(|(_, r)| r).collect()
}

fn row(task: &TaskInfo, service: &str) -> TaskRow {
    let container = task
        .containers
        .iter()
        .find(|c| c.name == service)
        .or_else(|| task.containers.first());
    let digest = container.and_then(|c| {
        c.image_digest
            .as_deref()
            .and_then(|d| Digest::parse(d).ok())
            .or_else(|| ImageRef::parse(c.image.as_deref()?).ok()?.digest)
    });
    let status = task.last_status.to_ascii_lowercase();
    let kind = match (task.started_by.as_deref(), task.group.as_deref()) {
        (Some(one_off::STARTED_BY), _) => Kind::Run,
        (Some(RELEASE_STARTED_BY), _) => Kind::Release,
        (_, Some(group)) if group.starts_with("service:") => Kind::Service,
        _ => Kind::Other,
    };
    TaskRow {
        service: service.to_owned(),
        task_arn: task.arn.clone(),
        revision: short_task_definition(&task.task_definition)
            .rsplit_once(':')
            .and_then(|(_, r)| r.parse().ok()),
        task_definition: task.task_definition.clone(),
        digest,
        exit_code: (status == "stopped")
            .then(|| container.and_then(|c| c.exit_code))
            .flatten(),
        stopped_reason: (status == "stopped")
            .then(|| {
                task.stopped_reason
                    .clone()
                    .or_else(|| container.and_then(|c| c.reason.clone()))
            })
            .flatten(),
        health: task
            .health
            .as_deref()
            .filter(|h| *h != "UNKNOWN")
            .map(str::to_ascii_lowercase),
        started_at: task.started_at,
        stopped_at: task.stopped_at,
        status,
        kind,
    }
}

/// `startedBy` of the release phase's task (`commands::ship::release`).
pub(crate) const RELEASE_STARTED_BY: &str = "parity-release";

/// `shop-staging-web` of `arn:...:task-definition/shop-staging-web:3`.
fn family_of(task_definition: &str) -> &str {
    let short = short_task_definition(task_definition);
    short.rsplit_once(':').map_or(short, |(family, _)| family)
}

/// The STATUS column: `running`, or `stopped (exit 1)`.
pub(crate) fn status_text(row: &TaskRow) -> String {
    match row.exit_code {
        Some(code) => format!("{} (exit {code})", row.status),
        None => row.status.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn task(id: &str, rev: u32, status: &str, started: i64) -> TaskInfo {
        TaskInfo {
            arn: format!("arn:aws:ecs:eu-west-1:1:task/shop-staging/{id}"),
            task_definition: format!(
                "arn:aws:ecs:eu-west-1:1:task-definition/shop-staging-web:{rev}"
            ),
            last_status: status.into(),
            health: Some("HEALTHY".into()),
            started_at: Some(started),
            group: Some("service:shop-web".into()),
            started_by: Some("ecs-svc/123".into()),
            containers: vec![ContainerInfo {
                name: "web".into(),
                image: Some(format!("127.0.0.1:5000/shop@{DIGEST}")),
                ..ContainerInfo::default()
            }],
            ..TaskInfo::default()
        }
    }

    fn services() -> Vec<(String, String)> {
        vec![
            ("shop-staging-web".into(), "web".into()),
            ("shop-staging-worker".into(), "worker".into()),
        ]
    }

    #[test]
    fn tasks_group_by_service_running_first_newest_first() {
        let mut worker = task("w1", 1, "RUNNING", 5);
        worker.task_definition =
            "arn:aws:ecs:eu-west-1:1:task-definition/shop-staging-worker:1".into();
        let mut other_app = task("x1", 1, "RUNNING", 9);
        other_app.task_definition =
            "arn:aws:ecs:eu-west-1:1:task-definition/blog-staging-web:1".into();
        let tasks = vec![
            worker,
            task("old", 2, "STOPPED", 1),
            task("new", 3, "RUNNING", 3),
            task("older", 3, "RUNNING", 2),
            other_app,
        ];
        let rows = rows(&tasks, &services());
        let ids: Vec<&str> = rows.iter().map(TaskRow::short_id).collect();
        assert_eq!(ids, ["new", "older", "old", "w1"]);
        assert_eq!(rows[0].revision, Some(3));
        assert_eq!(
            rows[0].digest.as_ref().map(Digest::short),
            Some("0123456789ab")
        );
        assert_eq!(rows[0].health.as_deref(), Some("healthy"));
        assert_eq!(rows[0].kind, Kind::Service);
    }

    #[test]
    fn a_stopped_task_says_why_and_with_which_exit_code() {
        let mut stopped = task("s", 2, "STOPPED", 1);
        stopped.stopped_reason = Some("Essential container in task exited".into());
        stopped.containers[0].exit_code = Some(137);
        let rows = rows(&[stopped], &services());
        assert_eq!(status_text(&rows[0]), "stopped (exit 137)");
        assert_eq!(
            rows[0].stopped_reason.as_deref(),
            Some("Essential container in task exited")
        );
    }

    #[test]
    fn one_off_and_release_tasks_are_told_apart() {
        let mut run = task("r", 3, "RUNNING", 1);
        run.started_by = Some("parity-run".into());
        run.group = Some("family:shop-staging-web".into());
        let mut release = task("m", 3, "STOPPED", 1);
        release.started_by = Some("parity-release".into());
        let kinds: Vec<Kind> = rows(&[run, release], &services())
            .iter()
            .map(|r| r.kind)
            .collect();
        assert_eq!(kinds, [Kind::Run, Kind::Release]);
    }

    #[test]
    fn the_digest_ecs_resolved_wins_over_the_reference() {
        let mut t = task("t", 1, "RUNNING", 1);
        let resolved = format!("sha256:{}", "f".repeat(64));
        t.containers[0].image = Some("nginx:1.27".into());
        t.containers[0].image_digest = Some(resolved.clone());
        let rows = rows(&[t], &services());
        assert_eq!(
            rows[0].digest.as_ref().map(Digest::as_str),
            Some(resolved.as_str())
        );
    }
}
