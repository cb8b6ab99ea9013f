//! A job (`x-parity.schedule`) in the cloud: its own task definition (made by
//! the plan like any other) and an EventBridge Scheduler schedule
//! `parity-<app>-<env>-<service>` that runs it as a Fargate task in the
//! environment's network. The schedule's target points at a task definition
//! revision; deploy moves it only after the rollout completed
//! ([`Job::target`] with the new revision), promote does the same on the
//! target environment, rollback moves it back.
//!
//! Pure: the schedule's shape; `aws::scheduler` sends it.

use serde_json::{Value, json};

use crate::settings::Environment;

/// How often EventBridge Scheduler retries a RunTask that failed (throttling,
/// no capacity), and for how long: a nightly job may start late, not twice a day.
pub(crate) const RETRY_ATTEMPTS: i32 = 3;
pub(crate) const RETRY_MAX_AGE_SECONDS: i32 = 3600;

/// The ECS task group of the tasks a schedule starts (`status` finds the last
/// run by it); ECS services' tasks are `service:<name>`, one-off runs the family.
pub(crate) fn task_group(schedule_name: &str) -> String {
    format!("schedule:{schedule_name}")
}

/// One job of a plan.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Job {
    /// Compose service name.
    pub(crate) service: String,
    pub(crate) family: String,
    /// `parity-<app>-<env>-<service>`.
    pub(crate) schedule_name: String,
    /// `rate(...)` or `cron(...)`, as written (checked by the compose loader).
    pub(crate) expression: String,
    /// `arn:aws:ecs:<region>:<account>:cluster/<cluster>`: the schedule's target.
    pub(crate) cluster_arn: String,
    pub(crate) subnets: Vec<String>,
    pub(crate) security_groups: Vec<String>,
    pub(crate) assign_public_ip: bool,
    /// The role the scheduler runs the task with (`None`: not known yet).
    pub(crate) role_arn: Option<String>,
}

/// The schedule name of `service` in `environment`.
pub(crate) fn schedule_name(environment: &Environment, service: &str) -> String {
    format!(
        "parity-{}-{}-{service}",
        environment.app,
        environment.name()
    )
}

/// `arn:aws:ecs:<region>:<account>:cluster/<cluster>`: every schedule's target.
fn cluster_arn(environment: &Environment, account_id: &str) -> String {
    format!(
        "arn:aws:ecs:{}:{account_id}:cluster/{}",
        environment.region(),
        environment.cluster()
    )
}

/// How deploy recognises the schedules parity made in an environment, so it
/// can delete those of jobs the compose file no longer names and nothing else.
/// EventBridge Scheduler keeps no tags on a schedule, so the mark is the name
/// (`parity-<app>-<env>-`) together with the target: this environment's
/// cluster, run with this environment's scheduler role (a name alone could
/// belong to an environment whose name extends this one's, `staging-eu`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Owner {
    /// `parity-<app>-<env>-`.
    pub(crate) prefix: String,
    pub(crate) cluster_arn: String,
    pub(crate) role_arn: Option<String>,
}

impl Owner {
    pub(crate) fn new(environment: &Environment, account_id: &str) -> Self {
        Self {
            prefix: schedule_name(environment, ""),
            cluster_arn: cluster_arn(environment, account_id),
            role_arn: environment.scheduler_role_arn.clone(),
        }
    }

    /// Whether the schedule `name`, whose target runs on `target_arn` with
    /// `role_arn`, is one parity made here for a job that `jobs` no longer has.
    pub(crate) fn is_stale(
        &self,
        name: &str,
        jobs: &[Job],
        target_arn: &str,
        role_arn: &str,
    ) -> bool {
        name.strip_prefix(&self.prefix)
            .is_some_and(|s| !s.is_empty())
            && !jobs.iter().any(|j| j.schedule_name == name)
            && target_arn == self.cluster_arn
            && self.role_arn.as_deref().is_none_or(|r| r == role_arn)
    }
}

/// The longest schedule name EventBridge Scheduler accepts.
pub(crate) const MAX_NAME: usize = 64;

/// Why EventBridge Scheduler would refuse `name` (`[0-9a-zA-Z-_.]`, 1 to
/// [`MAX_NAME`] characters), if it would.
fn name_refusal(name: &str) -> Option<String> {
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if name.is_empty() || !chars_ok {
        Some(format!(
            "the schedule name would be `{name}`, and EventBridge Scheduler allows only letters, digits, `-`, `_` and `.`"
        ))
    } else if name.len() > MAX_NAME {
        Some(format!(
            "the schedule name would be `{name}`, {} characters, and EventBridge Scheduler allows at most {MAX_NAME}",
            name.len()
        ))
    } else {
        None
    }
}

/// Every job of `project` has a schedule name EventBridge Scheduler accepts in
/// `environment`: refused before any AWS call, at the job's `schedule` key
/// (the name is `parity-<app>-<env>-<service>`, so only a shorter name fixes it).
pub(crate) fn check_names(
    project: &crate::compose::model::Project,
    environment: &Environment,
) -> crate::error::Result<()> {
    for (service, definition) in &project.services {
        let x = &definition.x_parity;
        if x.schedule.is_none() || !x.cloud {
            continue;
        }
        if let Some(why) = name_refusal(&schedule_name(environment, service)) {
            return Err(x.error("schedule", format!("in environment `{}`: {why}", environment.name()))
                .with_help(format!(
                    "the name is parity-<app>-<environment>-<service>: rename the compose service `{service}` (or shorten the app or environment name) so that it fits"
                )));
        }
    }
    Ok(())
}

impl Job {
    pub(crate) fn new(
        environment: &Environment,
        account_id: &str,
        service: &str,
        family: &str,
        expression: &str,
    ) -> Self {
        Self {
            service: service.to_owned(),
            family: family.to_owned(),
            schedule_name: schedule_name(environment, service),
            expression: expression.to_owned(),
            cluster_arn: cluster_arn(environment, account_id),
            subnets: environment.subnets.clone(),
            security_groups: environment.security_groups.clone(),
            assign_public_ip: environment.assign_public_ip,
            role_arn: environment.scheduler_role_arn.clone(),
        }
    }

    /// The CreateSchedule request (the API's JSON) with the target on
    /// `task_definition` (a family in `plan`, a revision's ARN in deploy).
    pub(crate) fn request(&self, task_definition: &str) -> Value {
        json!({
            "Name": self.schedule_name,
            "ScheduleExpression": self.expression,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": self.cluster_arn,
                "RoleArn": self.role_arn.as_deref().unwrap_or("<the environment stack's SchedulerRoleArn>"),
                "EcsParameters": {
                    "TaskDefinitionArn": task_definition,
                    "TaskCount": 1,
                    "LaunchType": "FARGATE",
                    "NetworkConfiguration": {"awsvpcConfiguration": {
                        "Subnets": self.subnets,
                        "SecurityGroups": self.security_groups,
                        "AssignPublicIp": if self.assign_public_ip { "ENABLED" } else { "DISABLED" },
                    }},
                    "Group": task_group(&self.schedule_name),
                    "PropagateTags": "TASK_DEFINITION",
                },
                "RetryPolicy": {
                    "MaximumEventAgeInSeconds": RETRY_MAX_AGE_SECONDS,
                    "MaximumRetryAttempts": RETRY_ATTEMPTS,
                },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_environments_schedules_of_removed_jobs_are_stale() {
        let owner = Owner {
            prefix: "parity-shop-staging-".into(),
            cluster_arn: "arn:aws:ecs:eu-west-1:1:cluster/shop-staging".into(),
            role_arn: Some("arn:aws:iam::1:role/s".into()),
        };
        let kept = Job {
            service: "nightly".into(),
            family: "shop-staging-nightly".into(),
            schedule_name: "parity-shop-staging-nightly".into(),
            expression: "rate(1 day)".into(),
            cluster_arn: owner.cluster_arn.clone(),
            subnets: vec![],
            security_groups: vec![],
            assign_public_ip: false,
            role_arn: owner.role_arn.clone(),
        };
        let jobs = [kept];
        let (cluster, role) = (
            "arn:aws:ecs:eu-west-1:1:cluster/shop-staging",
            "arn:aws:iam::1:role/s",
        );
        assert!(owner.is_stale("parity-shop-staging-weekly", &jobs, cluster, role));
        assert!(!owner.is_stale("parity-shop-staging-nightly", &jobs, cluster, role));
        assert!(!owner.is_stale("parity-shop-staging-", &jobs, cluster, role));
        assert!(!owner.is_stale("parity-shop-prod-weekly", &jobs, cluster, role));
        // `staging-eu`'s schedule shares the prefix, not the cluster or the role.
        assert!(!owner.is_stale(
            "parity-shop-staging-eu-weekly",
            &jobs,
            "arn:aws:ecs:eu-west-1:1:cluster/shop-staging-eu",
            role
        ));
        assert!(!owner.is_stale(
            "parity-shop-staging-weekly",
            &jobs,
            cluster,
            "arn:aws:iam::1:role/other"
        ));
    }

    #[test]
    fn a_schedule_name_is_at_most_64_letters_digits_dashes_underscores_and_dots() {
        assert_eq!(name_refusal("parity-shop-staging-nightly"), None);
        assert_eq!(name_refusal(&format!("parity-{}", "a".repeat(57))), None);
        let long = format!("parity-{}", "a".repeat(58));
        assert!(
            name_refusal(&long).is_some_and(|why| why.contains("65 characters")),
            "{long}"
        );
        assert!(name_refusal("parity-shop-staging-web api").is_some());
        assert!(name_refusal("").is_some());
    }

    #[test]
    fn the_request_runs_one_fargate_task_in_the_network_with_retries_and_no_window() {
        let job = Job {
            service: "nightly".into(),
            family: "shop-staging-nightly".into(),
            schedule_name: "parity-shop-staging-nightly".into(),
            expression: "cron(0 3 * * ? *)".into(),
            cluster_arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/shop-staging".into(),
            subnets: vec!["subnet-1".into()],
            security_groups: vec!["sg-1".into()],
            assign_public_ip: false,
            role_arn: Some("arn:aws:iam::123456789012:role/s".into()),
        };
        let r = job
            .request("arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-staging-nightly:3");
        assert_eq!(r["FlexibleTimeWindow"], json!({"Mode": "OFF"}));
        assert_eq!(r["Target"]["EcsParameters"]["LaunchType"], "FARGATE");
        assert_eq!(
            r["Target"]["EcsParameters"]["NetworkConfiguration"]["awsvpcConfiguration"]["Subnets"],
            json!(["subnet-1"])
        );
        assert_eq!(r["Target"]["RetryPolicy"]["MaximumRetryAttempts"], 3);
        assert_eq!(
            r["Target"]["EcsParameters"]["Group"],
            "schedule:parity-shop-staging-nightly"
        );
    }
}
