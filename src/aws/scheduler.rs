//! EventBridge Scheduler: the jobs' schedules (`cloud::schedule`). Adapter
//! only: reads which revision a schedule runs, and creates or updates it to run
//! a given revision.

use aws_sdk_scheduler::error::ProvideErrorMetadata;
use aws_sdk_scheduler::types::{
    AssignPublicIp, AwsVpcConfiguration, EcsParameters, FlexibleTimeWindow, FlexibleTimeWindowMode,
    LaunchType, NetworkConfiguration, PropagateTags, RetryPolicy, Target,
};

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::cloud::schedule::{self, Job};
use crate::error::{Error, Result};

/// What a schedule is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Current {
    pub(crate) expression: String,
    /// The task definition (revision ARN) its target runs.
    pub(crate) task_definition: String,
    pub(crate) state: String,
    /// The target's ARN (a job's: its cluster) and the role it runs with.
    pub(crate) target_arn: String,
    pub(crate) role_arn: String,
}

/// The schedule `name` (`None`: it does not exist).
pub(crate) async fn get(ctx: &AwsContext, name: &str) -> Result<Option<Current>> {
    match ctx.scheduler().get_schedule().name(name).send().await {
        Ok(out) => Ok(Some(Current {
            expression: out.schedule_expression().unwrap_or_default().to_owned(),
            task_definition: out
                .target()
                .and_then(|t| t.ecs_parameters())
                .map(|e| e.task_definition_arn().to_owned())
                .unwrap_or_default(),
            state: out
                .state()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            target_arn: out.target().map(|t| t.arn().to_owned()).unwrap_or_default(),
            role_arn: out
                .target()
                .map(|t| t.role_arn().to_owned())
                .unwrap_or_default(),
        })),
        Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(ctx.explain(&Call::new(Service::Scheduler, "GetSchedule").on(name), &e)),
    }
}

/// Creates or updates `job`'s schedule so that it runs `task_definition` (an
/// ARN with its revision). `exists`: what [`get`] said.
pub(crate) async fn put(
    ctx: &AwsContext,
    job: &Job,
    task_definition: &str,
    exists: bool,
) -> Result<()> {
    let name = job.schedule_name.as_str();
    let role = job.role_arn.as_deref().ok_or_else(|| {
        Error::failed(format!(
            "the schedule {name} needs the environment's scheduler role, and it is not known"
        ))
        .with_help("run `parity env apply ENV` (the stack makes it), or set scheduler_role_arn for the environment in parity.toml")
    })?;
    let built = |what: &str, e: aws_sdk_scheduler::error::BuildError| {
        Error::failed(format!("schedule {name}: {what}: {e}"))
    };
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(job.subnets.clone()))
        .set_security_groups(Some(job.security_groups.clone()))
        .assign_public_ip(if job.assign_public_ip {
            AssignPublicIp::Enabled
        } else {
            AssignPublicIp::Disabled
        })
        .build()
        .map_err(|e| built("network", e))?;
    let ecs = EcsParameters::builder()
        .task_definition_arn(task_definition)
        .task_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(vpc)
                .build(),
        )
        .group(schedule::task_group(name))
        .propagate_tags(PropagateTags::TaskDefinition)
        .build()
        .map_err(|e| built("ECS parameters", e))?;
    let target = Target::builder()
        .arn(&job.cluster_arn)
        .role_arn(role)
        .ecs_parameters(ecs)
        .retry_policy(
            RetryPolicy::builder()
                .maximum_event_age_in_seconds(schedule::RETRY_MAX_AGE_SECONDS)
                .maximum_retry_attempts(schedule::RETRY_ATTEMPTS)
                .build(),
        )
        .build()
        .map_err(|e| built("target", e))?;
    let window = FlexibleTimeWindow::builder()
        .mode(FlexibleTimeWindowMode::Off)
        .build()
        .map_err(|e| built("flexible time window", e))?;
    // CreateSchedule and UpdateSchedule take the same fields through two SDK
    // builder types with no shared trait: one macro states them once.
    macro_rules! put_schedule {
        ($call:ident, $operation:literal) => {
            ctx.scheduler()
                .$call()
                .name(name)
                .schedule_expression(&job.expression)
                .flexible_time_window(window)
                .target(target)
                .send()
                .await
                .map(drop)
                .map_err(|e| ctx.explain(&Call::new(Service::Scheduler, $operation).on(name), &e))
        };
    }
    if exists {
        put_schedule!(update_schedule, "UpdateSchedule")?;
    } else {
        put_schedule!(create_schedule, "CreateSchedule")?;
    }
    Ok(())
}

/// The names of every schedule whose name starts with `prefix` (all pages).
pub(crate) async fn names_with_prefix(ctx: &AwsContext, prefix: &str) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let out = ctx
            .scheduler()
            .list_schedules()
            .name_prefix(prefix)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                ctx.explain(
                    &Call::new(Service::Scheduler, "ListSchedules").on(prefix),
                    &e,
                )
            })?;
        names.extend(
            out.schedules()
                .iter()
                .filter_map(|s| s.name().map(str::to_owned)),
        );
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(names);
        }
    }
}

/// Deletes the schedule `name` (gone already is fine).
pub(crate) async fn delete(ctx: &AwsContext, name: &str) -> Result<()> {
    match ctx.scheduler().delete_schedule().name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(()),
        Err(e) => Err(ctx.explain(
            &Call::new(Service::Scheduler, "DeleteSchedule").on(name),
            &e,
        )),
    }
}
