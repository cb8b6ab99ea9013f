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
            cluster_arn: format!(
                "arn:aws:ecs:{}:{account_id}:cluster/{}",
                environment.region(),
                environment.cluster()
            ),
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
