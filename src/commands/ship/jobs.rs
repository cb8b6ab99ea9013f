//! What a ship does once its rollout completed: each job's schedule is pointed
//! at the revision just registered (a failed rollout returns before this, so a
//! job never runs an image that failed to roll out), and each service with
//! `x-parity.scale` gets its scalable target and policies (the service exists
//! by now; its desired count is Application Auto Scaling's from then on).
//! Used by deploy and promote (through `rollout::ship`) and rollback.

use crate::aws::{AwsContext, autoscaling, scheduler};
use crate::cloud::plan::Plan;
use crate::cloud::rollout::short_task_definition;
use crate::cloud::scaling::stale_policies;
use crate::cloud::schedule::Job;
use crate::error::{Error, Result};

/// Points every job of `plan` at its registered revision and applies the scaling.
/// `arns`: compose service -> the task definition ARN registered for it.
pub(crate) async fn after_rollout(
    ctx: &AwsContext,
    plan: &Plan,
    arns: &[(String, String)],
) -> Result<()> {
    for scaling in &plan.scaling {
        autoscaling::apply(ctx, scaling).await?;
        eprintln!(
            "scaling {}: {}-{} tasks, {} polic{}",
            scaling.resource_id,
            scaling.min,
            scaling.max,
            scaling.policies.len(),
            if scaling.policies.len() == 1 {
                "y"
            } else {
                "ies"
            }
        );
    }
    for job in &plan.jobs {
        let arn = arns
            .iter()
            .find(|(s, _)| *s == job.service)
            .map(|(_, a)| a.as_str())
            .ok_or_else(|| {
                Error::failed(format!(
                    "no task definition was registered for job {}",
                    job.service
                ))
            })?;
        point(ctx, job, arn).await?;
    }
    remove_stale_scaling(ctx, plan).await?;
    remove_stale_schedules(ctx, plan).await
}

/// Deletes the scaling policies parity made for metrics the services'
/// `x-parity.scale` no longer names; a service whose whole block is gone loses
/// its scalable target too, unless someone else's policy is still on it.
async fn remove_stale_scaling(ctx: &AwsContext, plan: &Plan) -> Result<()> {
    for service in &plan.services {
        let resource_id = format!(
            "service/{}/{}",
            service.request["cluster"].as_str().unwrap_or_default(),
            service.request["serviceName"].as_str().unwrap_or_default()
        );
        let wanted = plan.scaling.iter().find(|s| s.resource_id == resource_id);
        let existing = autoscaling::policy_names(ctx, &resource_id).await?;
        let stale = stale_policies(&resource_id, &existing, wanted);
        if stale.is_empty() {
            continue;
        }
        if wanted.is_none() && stale.len() == existing.len() {
            autoscaling::deregister(ctx, &resource_id).await?;
            eprintln!(
                "scaling {resource_id}: removed (x-parity.scale is gone), with {}",
                stale.join(", ")
            );
            continue;
        }
        for name in &stale {
            autoscaling::delete_policy(ctx, &resource_id, name).await?;
            eprintln!("scaling {resource_id}: removed policy {name} (no longer in x-parity.scale)");
        }
    }
    Ok(())
}

/// Deletes the schedules parity made in this environment for jobs the
/// compose file no longer names (`cloud::schedule::Owner` says which are parity's).
async fn remove_stale_schedules(ctx: &AwsContext, plan: &Plan) -> Result<()> {
    let owner = &plan.schedules;
    for name in scheduler::names_with_prefix(ctx, &owner.prefix).await? {
        if plan.jobs.iter().any(|j| j.schedule_name == name) {
            continue;
        }
        let Some(current) = scheduler::get(ctx, &name).await? else {
            continue;
        };
        if owner.is_stale(&name, &plan.jobs, &current.target_arn, &current.role_arn) {
            scheduler::delete(ctx, &name).await?;
            eprintln!("schedule {name}: removed (its job is no longer in the compose file)");
        }
    }
    Ok(())
}

/// Creates or updates `job`'s schedule to run `task_definition`.
pub(crate) async fn point(ctx: &AwsContext, job: &Job, task_definition: &str) -> Result<()> {
    let exists = scheduler::get(ctx, &job.schedule_name).await?.is_some();
    scheduler::put(ctx, job, task_definition, exists).await?;
    eprintln!(
        "schedule {} ({}) runs {}",
        job.schedule_name,
        job.expression,
        short_task_definition(task_definition)
    );
    Ok(())
}

/// Before anything changes: a plan with jobs needs the scheduler's role.
pub(crate) fn preflight(plan: &Plan, env: &str) -> Result<()> {
    match plan.jobs.iter().find(|j| j.role_arn.is_none()) {
        None => Ok(()),
        Some(job) => Err(Error::failed(format!(
            "job `{}` needs the role EventBridge Scheduler runs it with, and {env} has none",
            job.service
        ))
        .with_help(format!(
            "run `parity env apply {env}` (the environment stack makes it), or set scheduler_role_arn for {env} in parity.toml"
        ))),
    }
}

/// The jobs of `project` in `environment`, as the plan would make them.
pub(crate) fn of_project(
    project: &crate::compose::model::Project,
    environment: &crate::settings::Environment,
    account_id: &str,
) -> Vec<Job> {
    project
        .services
        .iter()
        .filter(|(_, s)| s.x_parity.cloud)
        .filter_map(|(name, s)| {
            let expression = s.x_parity.schedule.as_deref()?;
            Some(Job::new(
                environment,
                account_id,
                name,
                &environment.family(name),
                expression,
            ))
        })
        .collect()
}

/// A job as `status` shows it.
#[derive(Debug, Clone)]
pub(crate) struct JobView {
    pub(crate) service: String,
    pub(crate) schedule_name: String,
    /// The expression in the compose file.
    pub(crate) expression: String,
    /// The schedule as EventBridge Scheduler has it (`None`: never deployed).
    pub(crate) current: Option<crate::aws::scheduler::Current>,
    /// The newest stopped task of the schedule's task group (ECS remembers
    /// stopped tasks for about an hour).
    pub(crate) last_run: Option<crate::cloud::task_view::TaskInfo>,
}

/// Every job of `project` in `environment`: its schedule and last run.
pub(crate) async fn observe(
    ctx: &AwsContext,
    project: &crate::compose::model::Project,
    environment: &crate::settings::Environment,
    account_id: &str,
) -> Result<Vec<JobView>> {
    let cluster = environment.cluster();
    let mut views = Vec::new();
    for job in of_project(project, environment, account_id) {
        let current = scheduler::get(ctx, &job.schedule_name).await?;
        views.push(JobView {
            service: job.service,
            schedule_name: job.schedule_name,
            expression: job.expression,
            current,
            last_run: None,
        });
    }
    if views.iter().all(|v| v.current.is_none()) {
        return Ok(views);
    }
    let arns = crate::aws::ecs_tasks::list(ctx, &cluster, "STOPPED").await?;
    let stopped = crate::aws::ecs_tasks::describe(ctx, &cluster, &arns).await?;
    for view in &mut views {
        let group = crate::cloud::schedule::task_group(&view.schedule_name);
        view.last_run = stopped
            .iter()
            .filter(|t| t.group.as_deref() == Some(group.as_str()))
            .max_by_key(|t| t.stopped_at)
            .cloned();
    }
    Ok(views)
}

/// The registered range of each service with `x-parity.scale`, by compose service.
pub(crate) async fn observe_scaling(
    ctx: &AwsContext,
    project: &crate::compose::model::Project,
    environment: &crate::settings::Environment,
) -> Result<Vec<(String, Option<(i32, i32)>)>> {
    let mut out = Vec::new();
    for (name, service) in &project.services {
        if service.x_parity.scale.is_none() || !service.x_parity.cloud {
            continue;
        }
        let id = crate::cloud::scaling::resource_id(environment, name);
        out.push((name.clone(), autoscaling::range(ctx, &id).await?));
    }
    Ok(out)
}
