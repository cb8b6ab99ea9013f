//! `parity plan ENV [--format text|json] [--offline]`: the task definitions and
//! ECS services the environment should run, and — online — how they differ,
//! field by field, from what each service runs now.
//!
//! Orchestration only: the translation is `cloud::plan`, the diff `cloud::diff`,
//! the AWS reads `aws::ecs` / `aws::ecs_describe`. `--offline` never builds an
//! AWS client; `--format json` makes no ECS calls (it prints the requests only).

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::Value;

use crate::aws::AwsContext;
use crate::cli::{GlobalArgs, PlanArgs, PlanFormat};
use crate::cloud::diff::{self, Change};
use crate::cloud::{Plan, PlanInputs};
use crate::error::Result;
use crate::settings::{Environment, Settings};

/// The account `plan --offline` shows in ARNs when parity.toml names none.
const OFFLINE_ACCOUNT: &str = "000000000000";

pub(crate) fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<ExitCode> {
    let project = super::load_project(global, &[])?;
    let mut settings = super::load_settings(global, &project)?;
    if !args.offline {
        super::env::resolve(&mut settings, &project, &[&args.env], true)?;
    }
    let environment = settings.environment(&args.env)?;
    let mut inputs = PlanInputs {
        account_id: String::new(),
        images: crate::cloud::ImageRefs::new(),
        compose_hash: crate::cloud::tags::compose_hash(&project),
        git_commit: super::ship::source::git_commit(&project.working_dir),
    };
    if args.offline {
        // Offline there is no STS to ask: without an account_id the ARNs show
        // a placeholder account, and everything else (what Fargate cannot
        // run, above all) is checked as online. CI plans pull requests so.
        let account = environment.account_id().unwrap_or_else(|| {
            eprintln!(
                "note: environment `{}` has no account_id in {}; the ARNs below show the placeholder account {OFFLINE_ACCOUNT}",
                args.env,
                settings.path.display()
            );
            OFFLINE_ACCOUNT
        });
        account.clone_into(&mut inputs.account_id);
        let plan = crate::cloud::plan(&project, &settings, &args.env, &inputs)?;
        print(&plan, &settings, environment, args.format, None);
        return Ok(ExitCode::SUCCESS);
    }
    // With the account known, bad input is reported before any AWS call.
    if let Some(account) = environment.account_id() {
        account.clone_into(&mut inputs.account_id);
        crate::cloud::plan(&project, &settings, &args.env, &inputs)?;
    }
    super::block_on(async {
        let cloud = super::ship::session::Cloud::connect(environment).await?;
        let ctx = &cloud.ctx;
        inputs.account_id = cloud.account_id.clone();
        let plan = crate::cloud::plan(&project, &settings, &args.env, &inputs)?;
        let running = match args.format {
            PlanFormat::Json => None,
            PlanFormat::Text => Some(running(ctx, environment, &plan).await?),
        };
        print(
            &plan,
            &settings,
            environment,
            args.format,
            running.as_deref(),
        );
        ctx.calls().log_summary();
        Ok(ExitCode::SUCCESS)
    })
}

/// What one planned task definition is compared against.
struct Running {
    family: String,
    /// `family:revision` running now, and its differences from the plan.
    current: Option<(String, Vec<Change>)>,
    /// The ECS service that runs it, when it is a service (not the release task).
    service_name: Option<String>,
}

/// For each planned task definition: the revision in use and the differences.
/// Services run what DescribeServices says; the release task is compared with
/// the family's latest active revision.
async fn running(ctx: &AwsContext, environment: &Environment, plan: &Plan) -> Result<Vec<Running>> {
    let names: Vec<String> = plan
        .services
        .iter()
        .filter_map(|s| s.request["serviceName"].as_str().map(str::to_owned))
        .collect();
    let described = crate::aws::ecs::describe_services(ctx, &environment.cluster(), &names).await?;
    let mut out = Vec::new();
    for task in &plan.task_definitions {
        let service = plan.services.iter().find(|s| s.service == task.service);
        let service_name =
            service.and_then(|s| s.request["serviceName"].as_str().map(str::to_owned));
        let arn = match &service_name {
            Some(name) => described
                .iter()
                .find(|d| &d.name == name)
                .map(|d| d.task_definition.clone()),
            None => crate::aws::ecs::list_revisions(ctx, &task.family)
                .await?
                .into_iter()
                .next(),
        };
        let current = match arn {
            Some(arn) => {
                let json = crate::aws::ecs_describe::task_definition_json(ctx, &arn).await?;
                let changes = diff::task_definition(&json, &task.request);
                Some((
                    crate::cloud::rollout::short_task_definition(&arn).to_owned(),
                    changes,
                ))
            }
            None => None,
        };
        out.push(Running {
            family: task.family.clone(),
            current,
            service_name,
        });
    }
    Ok(out)
}

fn print(
    plan: &Plan,
    settings: &Settings,
    environment: &Environment,
    format: PlanFormat,
    running: Option<&[Running]>,
) {
    for warning in &plan.warnings {
        eprintln!("warning: {warning}");
    }
    match format {
        PlanFormat::Json => {
            for note in &plan.notes {
                eprintln!("note: {note}");
            }
            let text = serde_json::to_string_pretty(&plan.to_json()).unwrap_or_default();
            outln!("{text}");
        }
        PlanFormat::Text => out!("{}", text(plan, settings, environment, running)),
    }
}

/// The human summary.
fn text(
    plan: &Plan,
    settings: &Settings,
    environment: &Environment,
    running: Option<&[Running]>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "plan for {} of {}: cluster {}, region {}{}",
        environment.name(),
        settings.app(),
        environment.cluster(),
        environment.region(),
        environment
            .endpoint()
            .map(|e| format!(", endpoint {e}"))
            .unwrap_or_default()
    );
    for task in &plan.task_definitions {
        let request = &task.request;
        let kind = if plan
            .release
            .as_ref()
            .is_some_and(|r| r.family == task.family)
        {
            "release task (runs once before the rollout)".to_owned()
        } else if let Some(job) = plan.jobs.iter().find(|j| j.service == task.service) {
            format!("job on {} (schedule {})", job.expression, job.schedule_name)
        } else {
            let service = plan.services.iter().find(|s| s.service == task.service);
            let scaling = plan.scaling.iter().find(|s| s.service == task.service);
            service.map_or_else(String::new, |s| {
                format!(
                    "service {} x{}{}",
                    s.request["serviceName"].as_str().unwrap_or_default(),
                    s.request["desiredCount"],
                    scaling.map(scaling_text).unwrap_or_default()
                )
            })
        };
        let _ = writeln!(
            out,
            "\n{}  {}  cpu {} / memory {} MiB, {}",
            task.family,
            kind,
            request["cpu"].as_str().unwrap_or_default(),
            request["memory"].as_str().unwrap_or_default(),
            request["runtimePlatform"]["cpuArchitecture"]
                .as_str()
                .unwrap_or_default()
        );
        if let Some(config) = plan
            .services
            .iter()
            .find(|s| s.service == task.service)
            .and_then(|s| s.request.get("serviceConnectConfiguration"))
        {
            let aliases = crate::cloud::service_connect::aliases(config);
            let _ = writeln!(
                out,
                "  service connect: {} (namespace {})",
                if aliases.is_empty() {
                    "reaches the others, publishes no port".to_owned()
                } else {
                    format!("reachable as {}", aliases.join(", "))
                },
                config["namespace"].as_str().unwrap_or_default()
            );
        }
        for (index, container) in request["containerDefinitions"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let _ = writeln!(
                out,
                "  {}{}: {}",
                container["name"].as_str().unwrap_or_default(),
                match (index, &container["essential"]) {
                    (0, _) => "",
                    (_, Value::Bool(false)) => " (sidecar)",
                    _ => " (sidecar, essential)",
                },
                container["image"].as_str().unwrap_or_default()
            );
            let names = |key: &str| -> Vec<String> {
                container[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v["name"].as_str().map(str::to_owned))
                    .collect()
            };
            let env = names("environment");
            if !env.is_empty() {
                let _ = writeln!(out, "    variables: {}", env.join(", "));
            }
            for secret in container["secrets"].as_array().into_iter().flatten() {
                let _ = writeln!(
                    out,
                    "    secret {} <- {}",
                    secret["name"].as_str().unwrap_or_default(),
                    secret["valueFrom"].as_str().unwrap_or_default()
                );
            }
            let ports: Vec<String> = container["portMappings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    format!(
                        "{}/{}",
                        p["containerPort"],
                        p["protocol"].as_str().unwrap_or("tcp")
                    )
                })
                .collect();
            if !ports.is_empty() {
                let _ = writeln!(out, "    ports: {}", ports.join(", "));
            }
            if let Some(check) = container.get("healthCheck") {
                let _ = writeln!(
                    out,
                    "    health check every {}s, timeout {}s, {} retries, start period {}s",
                    check["interval"], check["timeout"], check["retries"], check["startPeriod"]
                );
            }
        }
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(out, "\nnotes:");
        for note in &plan.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    match running {
        None => {
            let _ = writeln!(out, "\n(offline: not compared with what runs now)");
        }
        Some(running) => {
            let _ = writeln!(out, "\nchanges against what runs now:");
            for item in running {
                let kind = if plan.jobs.iter().any(|j| j.family == item.family) {
                    "job"
                } else {
                    "release"
                };
                let subject = item.service_name.as_deref().map_or_else(
                    || format!("{kind} {}", item.family),
                    |s| format!("service {s}"),
                );
                match &item.current {
                    None if item.service_name.is_some() => {
                        let _ = writeln!(out, "  {subject}: new (not running yet)");
                    }
                    None => {
                        let _ = writeln!(out, "  {subject}: new (never registered)");
                    }
                    Some((revision, changes)) if changes.is_empty() => {
                        let _ = writeln!(out, "  {subject}: no changes (runs {revision})");
                    }
                    Some((revision, changes)) => {
                        let _ = writeln!(
                            out,
                            "  {subject}: {} change(s) from {revision}",
                            changes.len()
                        );
                        for change in changes {
                            let _ = writeln!(out, "    {change}");
                        }
                    }
                }
            }
        }
    }
    out
}

/// `, scales 2-10 on cpu 60%, requests 1000`: the range and what moves it.
fn scaling_text(scaling: &crate::cloud::scaling::Scaling) -> String {
    let metrics: Vec<String> = scaling
        .policies
        .iter()
        .map(|p| match p.metric {
            "ECSServiceAverageCPUUtilization" => format!("cpu {}%", p.target),
            "ECSServiceAverageMemoryUtilization" => format!("memory {}%", p.target),
            _ => format!("{} requests per task", p.target),
        })
        .collect();
    format!(
        ", scales {}-{} on {}",
        scaling.min,
        scaling.max,
        metrics.join(", ")
    )
}
