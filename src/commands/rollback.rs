//! `parity rollback ENV [--to REVISION]`: each service back to the newest
//! revision older than the one it runs whose rollout completed (or revision
//! N of its family), through the pipeline (`ship::pipeline`: lock with
//! `--break-lock`, webhook, timeout) with deploy's wait rules. Which revision
//! and when to refuse is `cloud::rollback`'s; this file reads and moves.

use std::process::ExitCode;
use std::time::Duration;

use super::ship::jobs;
use super::ship::observe::observe;
use super::ship::pipeline::{self, Change};
use super::ship::session::{Cloud, Inputs};
use super::ship::wait::{Target, wait_for};
use crate::aws::{AwsContext, ecs, scheduler};
use crate::cli::{GlobalArgs, RollbackArgs};
use crate::cloud::rollback::{self, Refusal, Revision, Step};
use crate::cloud::rollout::short_task_definition;
use crate::cloud::schedule::Job;
use crate::cloud::tags;
use crate::error::{Error, Result};

pub(crate) fn run(global: &GlobalArgs, args: &RollbackArgs) -> Result<ExitCode> {
    let inputs = Inputs::load_for(global, &[&args.env])?;
    inputs.environment(&args.env)?;
    let mut rollback = Rollback {
        inputs: &inputs,
        args,
        moves: Vec::new(),
        jobs: Vec::new(),
    };
    super::block_on(pipeline::run(
        &inputs,
        &args.env,
        &args.change,
        &mut rollback,
    ))
}

/// One ECS service's way back.
struct Move {
    ecs_service: String,
    from: String,
    to: String,
}

/// A rollback: what differs from the other changes the pipeline runs.
struct Rollback<'a> {
    inputs: &'a Inputs,
    args: &'a RollbackArgs,
    /// Decided in preflight, before anything moves.
    moves: Vec<Move>,
    /// Each job's schedule and the revision it goes back to (after the services).
    jobs: Vec<(Job, Move)>,
}

impl Change for Rollback<'_> {
    type Done = ();

    /// Decides every service's destination before touching anything.
    async fn preflight(&mut self, cloud: &Cloud) -> Result<()> {
        let environment = self.inputs.environment(&self.args.env)?;
        let views = observe(&cloud.ctx, environment, &self.inputs.project).await?;
        let services = views.iter().map(|v| match (&v.ecs_service, &v.running) {
            (Some(ecs_service), Some(running)) => Some((ecs_service, running)),
            _ => None,
        });
        let deployed = rollback::deployed(&self.args.env, services).map_err(refused)?;
        for (ecs_service, running) in deployed {
            let to =
                destination(&cloud.ctx, &running.family, running.revision, self.args.to).await?;
            self.moves.push(Move {
                ecs_service: ecs_service.clone(),
                from: running.task_definition.clone(),
                to,
            });
        }
        for job in jobs::of_project(&self.inputs.project, environment, &cloud.account_id) {
            let Some(current) = scheduler::get(&cloud.ctx, &job.schedule_name).await? else {
                continue;
            };
            let Some(revision) = short_task_definition(&current.task_definition)
                .rsplit_once(':')
                .and_then(|(_, r)| r.parse::<i32>().ok())
            else {
                continue;
            };
            let to = destination(&cloud.ctx, &job.family, revision, self.args.to).await?;
            let step = Move {
                ecs_service: job.schedule_name.clone(),
                from: current.task_definition,
                to,
            };
            self.jobs.push((job, step));
        }
        Ok(())
    }

    /// Once the services were moved, `rollback` again would go one revision
    /// further back: `--to` the revision they are moving to finishes this one.
    fn rerun(&self) -> String {
        let mut revisions = self
            .moves
            .iter()
            .map(|m| crate::cloud::rollback::revision_number(&m.to));
        match revisions.next() {
            Some(first) if revisions.all(|r| r == first) && self.args.to.is_none() => {
                format!("parity rollback {} --to {first}", self.args.env)
            }
            _ => super::ship::interrupt::command_line(),
        }
    }

    fn what(&self) -> String {
        format!("rollback {}", self.args.env)
    }

    async fn apply(&self, cloud: &Cloud, timeout: Duration) -> Result<()> {
        let cluster = self.inputs.environment(&self.args.env)?.cluster();
        let mut targets = Vec::new();
        for step in &self.moves {
            eprintln!(
                "{}: {} -> {}",
                step.ecs_service,
                short_task_definition(&step.from),
                short_task_definition(&step.to)
            );
            let deployment = ecs::update_service(
                &cloud.ctx,
                &cluster,
                &step.ecs_service,
                &step.to,
                None,
                None,
            )
            .await?;
            targets.push(Target {
                service: step.ecs_service.clone(),
                deployment,
            });
        }
        wait_for(&cloud.ctx, &cluster, &targets, timeout).await?;
        for (job, step) in &self.jobs {
            jobs::point(&cloud.ctx, job, &step.to).await?;
        }
        Ok(())
    }

    fn summary(&self, (): &()) {
        outln!("rolled back {}", self.args.env);
        for step in self.moves.iter().chain(self.jobs.iter().map(|(_, s)| s)) {
            outln!(
                "  {}: {}",
                step.ecs_service,
                short_task_definition(&step.to)
            );
        }
    }
}

/// Asks `cloud::rollback` where to go, reading each revision's tags only when it asks.
async fn destination(
    ctx: &AwsContext,
    family: &str,
    current: i32,
    to: Option<u32>,
) -> Result<String> {
    let mut revisions: Vec<Revision> = ecs::list_revisions(ctx, family)
        .await?
        .into_iter()
        .map(|arn| Revision {
            arn,
            completed: None,
        })
        .collect();
    loop {
        match rollback::next_step(family, current, to, &revisions).map_err(refused)? {
            Step::ReturnTo(arn) => return Ok(arn),
            Step::Inspect(arn) => {
                let td = ecs::describe_task_definition(ctx, &arn).await?;
                let completed = td.tags.contains_key(tags::COMPLETED);
                for revision in revisions.iter_mut().filter(|r| r.arn == arn) {
                    revision.completed = Some(completed);
                }
            }
        }
    }
}

fn refused(refusal: Refusal) -> Error {
    let message = refusal.to_string();
    let err = if refusal.is_bad_input() {
        Error::input(message)
    } else {
        Error::failed(message)
    };
    err.with_help(refusal.help())
}
