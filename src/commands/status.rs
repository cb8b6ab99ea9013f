//! `parity status [ENV] [--format table|json]`: the pipeline at a glance —
//! per environment and service: revision, image digest, git commit, rollout
//! state, running/desired, when deployed; and whether each environment runs
//! what the one it is promoted from runs.

use std::process::ExitCode;

use serde_json::{Value, json};

use super::ship::jobs;
use super::ship::observe::{ServiceView, digests, observe};
use super::ship::session::{Cloud, Inputs};
use crate::cli::{GlobalArgs, StatusArgs, TableFormat};
use crate::cloud::deploy_lock::utc_timestamp;
use crate::cloud::promotion;
use crate::cloud::rollout::short_task_definition;
use crate::cloud::tags;
use crate::error::Result;

pub(crate) fn run(global: &GlobalArgs, args: &StatusArgs) -> Result<ExitCode> {
    let mut inputs = Inputs::load(global)?;
    let names: Vec<String> = match &args.env {
        Some(env) => {
            inputs.environment(env)?;
            vec![env.clone()]
        }
        None => inputs
            .settings
            .pipeline()
            .iter()
            .map(|e| e.name().to_owned())
            .collect(),
    };
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    super::env::resolve(&mut inputs.settings, &inputs.project, &refs, false)?;
    super::block_on(status(args, &inputs, &names))
}

async fn status(args: &StatusArgs, inputs: &Inputs, names: &[String]) -> Result<ExitCode> {
    let mut environments = Vec::new();
    let mut extras = Vec::new();
    for name in names {
        let environment = inputs.environment(name)?;
        let cloud = Cloud::connect(environment).await?;
        let views = observe(&cloud.ctx, environment, &inputs.project).await?;
        let jobs =
            jobs::observe(&cloud.ctx, &inputs.project, environment, &cloud.account_id).await?;
        let scaling = jobs::observe_scaling(&cloud.ctx, &inputs.project, environment).await?;
        cloud.ctx.calls().log_summary();
        environments.push((
            name.clone(),
            environment.promotes_from().map(str::to_owned),
            views,
        ));
        extras.push((jobs, scaling));
    }
    let mut out = Vec::new();
    for ((name, from, views), (jobs, scaling)) in environments.iter().zip(&extras) {
        let source = from
            .as_ref()
            .and_then(|f| environments.iter().find(|(n, _, _)| n == f));
        let in_sync = source.map(|(_, _, source_views)| same_digests(views, source_views));
        let services: Vec<Value> = views
            .iter()
            .filter(|v| !jobs.iter().any(|j| j.service == v.service))
            .map(|v| {
                let mut json = service_json(v);
                if let Some((_, range)) = scaling.iter().find(|(s, _)| *s == v.service) {
                    json["scale"] = json!(range.map(|(min, max)| json!({"min": min, "max": max})));
                }
                json
            })
            .collect();
        out.push(json!({
            "environment": name,
            "promotes_from": from,
            "runs_same_as_source": in_sync,
            "services": services,
            "jobs": jobs.iter().map(job_json).collect::<Vec<_>>(),
        }));
    }
    match args.format {
        TableFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&json!({ "environments": out })).unwrap_or_default()
        ),
        TableFormat::Table => print_table(&out),
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether every service of `views` runs exactly the digest it runs in `source`.
fn same_digests(views: &[ServiceView], source: &[ServiceView]) -> bool {
    promotion::differing(&digests(source), &digests(views)).is_empty()
}

fn service_json(view: &ServiceView) -> Value {
    let Some(running) = &view.running else {
        return json!({"service": view.service, "ecs_service": view.ecs_service, "deployed": false});
    };
    let deployed_at = running
        .tags
        .get(tags::DEPLOYED_AT)
        .and_then(|s| s.parse::<u64>().ok())
        .map(utc_timestamp);
    json!({
        "service": view.service,
        "ecs_service": view.ecs_service,
        "deployed": true,
        "release": view.ecs_service.is_none(),
        "revision": format!("{}:{}", running.family, running.revision),
        "image": view.image(),
        "digest": view.digest().map(|d| d.as_str().to_owned()),
        "commit": running.tags.get(tags::COMMIT),
        "rollout": running.rollout_states.join(","),
        "running": running.running,
        "desired": running.desired,
        "deployed_at": deployed_at,
    })
}

fn job_json(job: &jobs::JobView) -> Value {
    let Some(current) = &job.current else {
        return json!({"service": job.service, "schedule": job.schedule_name, "expression": job.expression, "deployed": false});
    };
    json!({
        "service": job.service,
        "schedule": job.schedule_name,
        "expression": current.expression,
        "state": current.state,
        "deployed": true,
        "revision": short_task_definition(&current.task_definition),
        "last_run": job.last_run.as_ref().map(|run| json!({
            "task": run.arn.rsplit('/').next(),
            "stopped_at": run.stopped_at.and_then(|s| u64::try_from(s).ok()).map(utc_timestamp),
            "exit_code": run.containers.first().and_then(|c| c.exit_code),
            "stopped_reason": run.stopped_reason,
        })),
    })
}

/// `JOB SCHEDULE REVISION LAST RUN EXIT` under the services' table.
fn print_jobs(environments: &[Value]) {
    let text = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for env in environments {
        for job in env["jobs"].as_array().into_iter().flatten() {
            let run = &job["last_run"];
            rows.push(vec![
                text(&env["environment"]),
                text(&job["service"]),
                text(&job["expression"]),
                if job["deployed"] == json!(true) {
                    text(&job["revision"])
                } else {
                    "not deployed".to_owned()
                },
                if run.is_null() {
                    "none seen".to_owned()
                } else {
                    text(&run["stopped_at"])
                },
                run["exit_code"]
                    .as_i64()
                    .map_or_else(|| "-".to_owned(), |c| c.to_string()),
            ]);
        }
    }
    if rows.is_empty() {
        return;
    }
    let header = ["ENV", "JOB", "SCHEDULE", "REVISION", "LAST RUN", "EXIT"];
    outln!("");
    out!("{}", crate::output::table(&header, &rows));
}

fn print_table(environments: &[Value]) {
    let header = [
        "ENV", "SERVICE", "REVISION", "DIGEST", "COMMIT", "ROLLOUT", "RUNNING", "DEPLOYED",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    let text = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    for env in environments {
        for s in env["services"].as_array().into_iter().flatten() {
            let deployed = s["deployed"].as_bool().unwrap_or(false);
            let digest = s["digest"].as_str().map_or("-".to_owned(), |d| {
                d.trim_start_matches("sha256:").chars().take(12).collect()
            });
            rows.push(vec![
                text(&env["environment"]),
                text(&s["service"]),
                if deployed {
                    text(&s["revision"])
                } else {
                    "not deployed".to_owned()
                },
                digest,
                text(&s["commit"]),
                if s["release"].as_bool() == Some(true) {
                    "release".to_owned()
                } else {
                    text(&s["rollout"])
                },
                if deployed && s["release"].as_bool() != Some(true) {
                    match s["scale"].as_object() {
                        Some(range) => format!(
                            "{}/{} ({}-{})",
                            s["running"], s["desired"], range["min"], range["max"]
                        ),
                        None => format!("{}/{}", s["running"], s["desired"]),
                    }
                } else {
                    "-".to_owned()
                },
                text(&s["deployed_at"]),
            ]);
        }
    }
    out!("{}", crate::output::table(&header, &rows));
    print_jobs(environments);
    for env in environments {
        if let (Some(from), Some(same)) = (
            env["promotes_from"].as_str(),
            env["runs_same_as_source"].as_bool(),
        ) {
            outln!(
                "{} {} what {from} runs",
                text(&env["environment"]),
                if same { "runs exactly" } else { "does NOT run" }
            );
        }
    }
}
