//! `parity ps`: the project's containers, as a table or JSON; with
//! `--env ENV` the environment's ECS tasks ([`cloud`]).

mod cloud;

use std::process::ExitCode;

use serde_json::json;

use crate::cli::{GlobalArgs, PsArgs, TableFormat};
use crate::error::Result;
use crate::local::containers::{self, Existing};
use crate::local::engine::Engine;
use crate::output::table;

/// Runs `parity ps`.
pub(crate) fn run(global: &GlobalArgs, args: &PsArgs) -> Result<ExitCode> {
    if let Some(env) = &args.env {
        return cloud::run(global, args, env);
    }
    let project = super::load_project(global, &[])?;
    let list = super::block_on(async {
        let engine = Engine::connect().await?;
        containers::list(&engine, &project.name).await
    })?;
    match args.format {
        TableFormat::Json => {
            let items: Vec<serde_json::Value> = list.iter().map(to_json).collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into())
            );
        }
        TableFormat::Table => {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|c| {
                    let urls = containers::published_urls(&c.ports);
                    vec![
                        c.name.clone(),
                        c.service.clone(),
                        state_text(c),
                        c.health.clone().unwrap_or_else(|| "-".into()),
                        if urls.is_empty() {
                            "-".into()
                        } else {
                            urls.join(" ")
                        },
                    ]
                })
                .collect();
            out!(
                "{}",
                table(&["NAME", "SERVICE", "STATE", "HEALTH", "URL"], &rows)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn state_text(c: &Existing) -> String {
    match (c.state.as_str(), c.exit_code) {
        ("exited", Some(0)) if c.release => "completed".into(),
        ("exited", Some(code)) => format!("exited ({code})"),
        (state, _) => state.to_string(),
    }
}

fn to_json(c: &Existing) -> serde_json::Value {
    json!({
        "id": c.id,
        "name": c.name,
        "service": c.service,
        "image": c.image,
        "state": c.state,
        "health": c.health,
        "exit_code": c.exit_code,
        "release": c.release,
        "status": c.status,
        "urls": containers::published_urls(&c.ports),
        "ports": c.ports.iter().map(|p| json!({
            "host_ip": p.ip,
            "published": p.public_port,
            "target": p.private_port,
            "protocol": p.typ.as_ref().map(ToString::to_string),
        })).collect::<Vec<_>>(),
    })
}
