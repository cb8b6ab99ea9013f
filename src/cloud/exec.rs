//! ECS Exec (`parity exec --env`): whether a service has it, which task to
//! open a session in, and the command line the Session Manager plugin takes
//! for the session ExecuteCommand returned.
//!
//! Pure: the tasks and the session come in as data; the adapter
//! (`crate::aws::ecs_exec`) and the command (`commands::exec`) do the I/O.

use serde_json::{Value, json};

use crate::compose::model::Service;
use crate::error::{Error, Result};
use crate::settings::Environment;

/// The program ECS Exec sessions run through, as the AWS CLI calls it.
pub(crate) const PLUGIN: &str = "session-manager-plugin";

/// Where the Session Manager plugin comes from.
pub(crate) const PLUGIN_INSTALL: &str = "install the Session Manager plugin: \
    https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html \
    (Debian/Ubuntu: `curl -fsSLo session-manager-plugin.deb \
    https://s3.amazonaws.com/session-manager-downloads/plugin/latest/ubuntu_64bit/session-manager-plugin.deb \
    && sudo dpkg -i session-manager-plugin.deb`; macOS: `brew install --cask session-manager-plugin`), \
    then check that `session-manager-plugin` is on your PATH";

/// Whether deploy turns ECS Exec on for a service: `x-parity: { exec: true }`
/// on the service, or `exec = true` for the whole environment in parity.toml.
pub(crate) fn enabled(environment: &Environment, service: &Service) -> bool {
    environment.exec || service.x_parity.exec
}

/// The error for a service deployed without ECS Exec: which setting turns it on.
pub(crate) fn not_enabled(environment: &Environment, service: &str, ecs_service: &str) -> Error {
    let env = environment.name();
    Error::failed(format!(
        "ECS Exec is not enabled on service `{ecs_service}` in `{env}`: it was deployed without enableExecuteCommand"
    ))
    .with_help(format!(
        "turn it on for `{service}` with `x-parity: {{ exec: true }}` in the compose file, or for every \
         service of `{env}` with `exec = true` under [environments.{env}] in parity.toml"
    ))
    .with_help(format!(
        "then `parity env apply {env}` (the task role gets the ssmmessages permissions ECS Exec needs) \
         and `parity deploy {env}` (the service gets enableExecuteCommand and new tasks)"
    ))
}

/// One task of the service, as DescribeTasks reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceTask {
    pub(crate) arn: String,
    /// `RUNNING`, `PENDING`, ...
    pub(crate) last_status: String,
    /// `HEALTHY`, `UNHEALTHY` or `UNKNOWN` (no health check).
    pub(crate) health: String,
    /// When it started (Unix seconds); `None` before it has.
    pub(crate) started_at: Option<i64>,
    /// The task was started with ECS Exec on.
    pub(crate) exec_enabled: bool,
    /// Each container's name and runtime id (the Docker id SSM targets).
    pub(crate) containers: Vec<(String, Option<String>)>,
}

impl ServiceTask {
    /// The id: the last part of the ARN.
    pub(crate) fn id(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or(&self.arn)
    }
}

/// The task to open the session in: `wanted` (an id, a unique prefix of one,
/// or an ARN) when given; else the newest healthy running task, or the newest
/// running one without a health check. Never an unhealthy one unless asked for.
pub(crate) fn pick_task<'a>(
    tasks: &'a [ServiceTask],
    wanted: Option<&str>,
    ecs_service: &str,
) -> Result<&'a ServiceTask> {
    let listing = || {
        tasks
            .iter()
            .map(|t| format!("{} ({}, {})", t.id(), t.last_status, t.health))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(wanted) = wanted {
        let matches: Vec<&ServiceTask> = tasks
            .iter()
            .filter(|t| t.arn == wanted || t.id().starts_with(wanted))
            .collect();
        return match matches.as_slice() {
            [one] => Ok(one),
            [] => Err(Error::failed(format!(
                "service `{ecs_service}` has no running task `{wanted}`"
            ))
            .with_help(if tasks.is_empty() {
                "it has no running task at all".to_owned()
            } else {
                format!("its tasks: {}", listing())
            })),
            _ => Err(Error::input(format!(
                "--task {wanted}: more than one task of `{ecs_service}` starts so: {}",
                listing()
            ))
            .with_help("give more of the id")),
        };
    }
    let running = tasks.iter().filter(|t| t.last_status == "RUNNING");
    let newest = |health: &str| {
        running
            .clone()
            .filter(|t| t.health == health)
            .max_by_key(|t| t.started_at)
    };
    newest("HEALTHY")
        .or_else(|| newest("UNKNOWN"))
        .ok_or_else(|| {
            let error = Error::failed(format!(
                "service `{ecs_service}` has no healthy running task to open a session in"
            ));
            if tasks.is_empty() {
                error
                    .with_help("see `parity status` and `parity ps --env ENV` for why no task runs")
            } else {
                error.with_help(format!(
                    "its tasks: {}; choose one with --task ID",
                    listing()
                ))
            }
        })
}

/// The SSM target of a session in `container` of `task`:
/// `ecs:<cluster>_<task id>_<container runtime id>`, as the AWS CLI builds it.
/// Errors when the task was started without ECS Exec or the container is not running.
pub(crate) fn session_target(task: &ServiceTask, cluster: &str, container: &str) -> Result<String> {
    if !task.exec_enabled {
        return Err(Error::failed(format!(
            "task {} was started before ECS Exec was turned on for its service",
            task.id()
        ))
        .with_help(
            "wait until the deploy that turned it on has replaced the task, or choose a newer task with --task ID",
        ));
    }
    let runtime = task
        .containers
        .iter()
        .find(|(name, _)| name == container)
        .and_then(|(_, runtime)| runtime.as_deref())
        .ok_or_else(|| {
            Error::failed(format!(
                "task {} has no running container `{container}`",
                task.id()
            ))
        })?;
    let cluster = cluster.rsplit('/').next().unwrap_or(cluster);
    Ok(format!("ecs:{cluster}_{}_{runtime}", task.id()))
}

/// The session ExecuteCommand returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) session_id: String,
    pub(crate) stream_url: String,
    pub(crate) token_value: String,
}

/// The plugin's arguments, in the AWS CLI's form (`aws ecs execute-command`):
/// the session as JSON, the region, `StartSession`, the profile (or empty),
/// the request parameters `{"Target": ...}` as JSON, and the ECS endpoint.
pub(crate) fn plugin_args(
    session: &Session,
    region: &str,
    profile: &str,
    target: &str,
    endpoint: &str,
) -> Vec<String> {
    let session: Value = json!({
        "sessionId": session.session_id,
        "streamUrl": session.stream_url,
        "tokenValue": session.token_value,
    });
    vec![
        session.to_string(),
        region.to_owned(),
        "StartSession".to_owned(),
        profile.to_owned(),
        json!({ "Target": target }).to_string(),
        endpoint.to_owned(),
    ]
}

/// The command ExecuteCommand runs: the words joined as one string, quoted
/// where needed; a shell when none is given.
pub(crate) fn command_line(words: &[String]) -> String {
    if words.is_empty() {
        return "/bin/sh".to_owned();
    }
    shell_words::join(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, status: &str, health: &str, started: i64) -> ServiceTask {
        ServiceTask {
            arn: format!("arn:aws:ecs:eu-west-1:123456789012:task/shop-staging/{id}"),
            last_status: status.into(),
            health: health.into(),
            started_at: Some(started),
            exec_enabled: true,
            containers: vec![("web".into(), Some(format!("{id}-1234")))],
        }
    }

    #[test]
    fn the_newest_healthy_task_is_picked_never_an_unhealthy_one() {
        let tasks = [
            task("aaa", "RUNNING", "HEALTHY", 10),
            task("bbb", "RUNNING", "HEALTHY", 30),
            task("ccc", "RUNNING", "UNHEALTHY", 50),
            task("ddd", "PENDING", "UNKNOWN", 60),
            task("eee", "RUNNING", "UNKNOWN", 40),
        ];
        assert_eq!(pick_task(&tasks, None, "shop-web").unwrap().id(), "bbb");
        let no_check = [
            task("eee", "RUNNING", "UNKNOWN", 40),
            task("fff", "RUNNING", "UNKNOWN", 41),
        ];
        assert_eq!(pick_task(&no_check, None, "shop-web").unwrap().id(), "fff");
        let err = pick_task(&tasks[2..3], None, "shop-web").unwrap_err();
        assert_eq!(err.exit_code(), 1);
        assert!(
            err.message().contains("no healthy running task"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn a_task_is_chosen_by_id_prefix_or_arn() {
        let tasks = [
            task("abc123", "RUNNING", "UNHEALTHY", 1),
            task("abd456", "RUNNING", "HEALTHY", 2),
        ];
        assert_eq!(pick_task(&tasks, Some("abc"), "s").unwrap().id(), "abc123");
        assert_eq!(
            pick_task(&tasks, Some(&tasks[1].arn), "s").unwrap().id(),
            "abd456"
        );
        assert_eq!(
            pick_task(&tasks, Some("ab"), "s").unwrap_err().exit_code(),
            2
        );
        let err = pick_task(&tasks, Some("zzz"), "s").unwrap_err();
        assert!(
            err.message().contains("no running task `zzz`"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn the_target_is_the_aws_clis() {
        let t = task("abc123", "RUNNING", "HEALTHY", 1);
        assert_eq!(
            session_target(
                &t,
                "arn:aws:ecs:eu-west-1:123456789012:cluster/shop-staging",
                "web"
            )
            .unwrap(),
            "ecs:shop-staging_abc123_abc123-1234"
        );
        assert!(session_target(&t, "shop-staging", "worker").is_err());
        let old = ServiceTask {
            exec_enabled: false,
            ..t
        };
        let err = session_target(&old, "shop-staging", "web").unwrap_err();
        assert!(
            err.message().contains("before ECS Exec was turned on"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn plugin_arguments_follow_the_aws_cli() {
        let session = Session {
            session_id: "ecs-execute-command-0123".into(),
            stream_url: "wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/x".into(),
            token_value: "token".into(),
        };
        let args = plugin_args(
            &session,
            "eu-west-1",
            "",
            "ecs:shop-staging_abc_def",
            "https://ecs.eu-west-1.amazonaws.com",
        );
        assert_eq!(args.len(), 6);
        let parsed: Value = serde_json::from_str(&args[0]).unwrap();
        assert_eq!(parsed["sessionId"], "ecs-execute-command-0123");
        assert_eq!(parsed["tokenValue"], "token");
        assert_eq!(args[1..4], ["eu-west-1", "StartSession", ""]);
        assert_eq!(args[4], r#"{"Target":"ecs:shop-staging_abc_def"}"#);
        assert_eq!(args[5], "https://ecs.eu-west-1.amazonaws.com");
    }

    #[test]
    fn the_command_is_one_quoted_string_and_a_shell_by_default() {
        assert_eq!(command_line(&[]), "/bin/sh");
        let words = ["rails".to_owned(), "runner".into(), "puts 1".into()];
        assert_eq!(command_line(&words), "rails runner 'puts 1'");
    }
}
