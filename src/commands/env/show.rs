//! `parity env show ENV [--format text|json]`: the stack's status, its
//! outputs, the load balancer's URL and how each cloud service is reached
//! (publicly through the load balancer, or by its compose name inside the
//! environment).

use std::process::ExitCode;

use serde_json::json;

use crate::aws::{AwsContext, AwsTarget, cloudformation};
use crate::cli::{EnvShowArgs, GlobalArgs, PlanFormat};
use crate::cloud::stack;
use crate::cloud::stack_outputs::keys;
use crate::commands::ship::session::Inputs;
use crate::error::{Error, Result};

pub(crate) fn run(global: &GlobalArgs, args: &EnvShowArgs) -> Result<ExitCode> {
    let inputs = Inputs::load(global)?;
    let environment = inputs.environment(&args.env)?;
    let data = stack::stack_data(&inputs.project, &inputs.settings, &args.env)?;
    let stack = data.stack_name.clone();
    let services = super::cloud_services(&inputs.project);
    crate::commands::block_on(async {
        let ctx = AwsContext::connect(&AwsTarget::for_environment(environment)).await?;
        let Some(found) = cloudformation::describe(&ctx, &stack).await? else {
            return Err(Error::failed(format!(
                "environment `{}` has no stack {stack} yet",
                args.env
            ))
            .with_help(format!("create it with `parity env apply {}`", args.env)));
        };
        let base_url = found.outputs.get(keys::LOAD_BALANCER_URL).cloned();
        // A public service answers on its own host names, else on the load balancer's URL.
        let public: Vec<(&str, Option<String>)> = data
            .load_balancer
            .iter()
            .flat_map(|lb| lb.services.iter().map(move |s| (lb, s)))
            .filter(|(_, s)| found.outputs.contains_key(&s.target_group))
            .map(|(lb, s)| {
                let scheme = if lb.https { "https" } else { "http" };
                let url = s
                    .hosts
                    .first()
                    .map(|h| format!("{scheme}://{}", h.name))
                    .or_else(|| base_url.clone());
                (s.service.as_str(), url)
            })
            .collect();
        let reach: Vec<(String, String)> = services
            .iter()
            .map(|name| {
                let url = public
                    .iter()
                    .find(|(s, _)| s == name)
                    .and_then(|(_, u)| u.clone());
                let how = match url {
                    Some(url) => format!("public: {url}"),
                    None => {
                        let port = inputs.project.services[name]
                            .ports
                            .first()
                            .map(|p| format!(":{}", p.target))
                            .unwrap_or_default();
                        format!("inside the environment: http://{name}{port}")
                    }
                };
                (name.clone(), how)
            })
            .collect();
        let text = match args.format {
            PlanFormat::Json => serde_json::to_string_pretty(&json!({
                "stack": stack,
                "status": found.status,
                "reason": found.reason,
                "protected": found.protected,
                "url": base_url,
                "outputs": found.outputs,
                "services": reach.iter().map(|(n, h)| (n.clone(), serde_json::Value::from(h.as_str()))).collect::<serde_json::Map<_, _>>(),
            }))
            .unwrap_or_default(),
            PlanFormat::Text => {
                let mut out = format!("stack      {stack}\nstatus     {}", found.status);
                if let Some(reason) = &found.reason {
                    out.push_str(&format!(" ({reason})"));
                }
                out.push_str(&format!(
                    "\nprotected  {}\n",
                    if found.protected { "yes (termination protection)" } else { "no" }
                ));
                if let Some(url) = &base_url {
                    out.push_str(&format!("url        {url}\n"));
                }
                out.push_str("\nservices:\n");
                for (name, how) in &reach {
                    out.push_str(&format!("  {name:<20} {how}\n"));
                }
                out.push_str("\noutputs:\n");
                let width = found.outputs.keys().map(String::len).max().unwrap_or(0);
                for (key, value) in &found.outputs {
                    out.push_str(&format!("  {key:<width$}  {value}\n"));
                }
                out
            }
        };
        super::print_stdout(&text);
        Ok(ExitCode::SUCCESS)
    })
}
