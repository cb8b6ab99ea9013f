//! `parity ps --env ENV`: per compose service, each task ECS runs or
//! stopped recently (ECS remembers stopped tasks for about an hour), with
//! its revision, image digest, health, start time and, when stopped, its
//! exit code and ECS's reason. What each column says is
//! `cloud::task_view`'s decision.

use std::process::ExitCode;

use serde_json::json;

use crate::aws::{AwsContext, AwsTarget, ecs, ecs_tasks};
use crate::cli::{GlobalArgs, PsArgs, TableFormat};
use crate::cloud::deploy_lock::utc_timestamp;
use crate::cloud::task_view::{self, TaskRow};
use crate::commands::ship::observe::cloud_services;
use crate::commands::ship::session::Inputs;
use crate::error::Result;
use crate::output::table;

/// Runs `parity ps --env ENV`.
pub(crate) fn run(global: &GlobalArgs, args: &PsArgs, env: &str) -> Result<ExitCode> {
    let mut inputs = Inputs::load(global)?;
    inputs.environment(env)?;
    crate::commands::env::resolve(&mut inputs.settings, &inputs.project, &[env], false)?;
    let environment = inputs.environment(env)?;
    let services: Vec<(String, String)> = cloud_services(&inputs.project)
        .into_iter()
        .map(|(service, _)| (environment.family(&service), service))
        .collect();
    let cluster = environment.cluster();
    let target = AwsTarget::for_environment(environment);
    let rows = crate::commands::block_on(async {
        let ctx = AwsContext::connect(&target).await?;
        if !ecs::cluster_active(&ctx, &cluster).await? {
            eprintln!("cluster {cluster} does not exist (yet): nothing runs in {env}");
            return Ok(Vec::new());
        }
        let mut arns = ecs_tasks::list(&ctx, &cluster, "RUNNING").await?;
        arns.extend(ecs_tasks::list(&ctx, &cluster, "STOPPED").await?);
        arns.sort();
        arns.dedup();
        let tasks = ecs_tasks::describe(&ctx, &cluster, &arns).await?;
        ctx.calls().log_summary();
        Ok::<_, crate::error::Error>(task_view::rows(&tasks, &services))
    })?;
    match args.format {
        TableFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&rows.iter().map(to_json).collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".into())
        ),
        TableFormat::Table => print_table(&rows),
    }
    Ok(ExitCode::SUCCESS)
}

fn time(secs: Option<i64>) -> Option<String> {
    secs.and_then(|s| u64::try_from(s).ok()).map(utc_timestamp)
}

fn to_json(row: &TaskRow) -> serde_json::Value {
    json!({
        "service": row.service,
        "task": row.task_arn,
        "id": row.short_id(),
        "task_definition": row.task_definition,
        "revision": row.revision,
        "digest": row.digest.as_ref().map(|d| d.as_str().to_owned()),
        "status": row.status,
        "health": row.health,
        "started_at": time(row.started_at),
        "stopped_at": time(row.stopped_at),
        "exit_code": row.exit_code,
        "stopped_reason": row.stopped_reason,
        "started_by": row.kind.as_str(),
    })
}

fn print_table(rows: &[TaskRow]) {
    let dash = || "-".to_owned();
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.service.clone(),
                r.short_id().to_owned(),
                r.revision.map_or_else(dash, |n| n.to_string()),
                r.digest
                    .as_ref()
                    .map_or_else(dash, |d| d.short().to_owned()),
                task_view::status_text(r),
                r.health.clone().unwrap_or_else(dash),
                time(r.started_at).unwrap_or_else(dash),
                r.kind.as_str().to_owned(),
                r.stopped_reason.clone().unwrap_or_else(dash),
            ]
        })
        .collect();
    out!(
        "{}",
        table(
            &[
                "SERVICE",
                "TASK",
                "REVISION",
                "DIGEST",
                "STATUS",
                "HEALTH",
                "STARTED",
                "BY",
                "STOPPED REASON"
            ],
            &lines
        )
    );
}
