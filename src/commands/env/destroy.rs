//! `parity env destroy ENV [--yes]`: the environment's ECS services first
//! (scaled to zero, deleted, waited on until drained: CloudFormation cannot
//! delete a cluster or target group still in use), then the stack. Says what
//! was retained (`DeletionPolicy: Retain`: the image repositories, and
//! whatever else the template keeps). A protected environment (prod) needs
//! `--yes` and its name typed on a terminal.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::{confirm, watch};
use crate::aws::cloudformation::{self, Resource};
use crate::aws::{AwsContext, AwsTarget, ecs_teardown};
use crate::cli::{EnvDestroyArgs, GlobalArgs};
use crate::cloud::stack;
use crate::cloud::stack_outputs::keys;
use crate::commands::ship::session::Inputs;
use crate::error::{Error, Result};

/// How long deleted services may take to drain.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(900);
const DRAIN_POLL: Duration = Duration::from_secs(3);

pub(crate) fn run(global: &GlobalArgs, args: &EnvDestroyArgs) -> Result<ExitCode> {
    let inputs = Inputs::load(global)?;
    let environment = inputs.environment(&args.env)?;
    let stack = stack::stack_data(&inputs.project, &inputs.settings, &args.env)?.stack_name;
    crate::commands::block_on(async {
        let ctx = &AwsContext::connect(&AwsTarget::for_environment(environment)).await?;
        let Some(found) = cloudformation::describe(ctx, &stack).await? else {
            eprintln!(
                "environment `{}` has no stack {stack}; nothing to destroy",
                args.env
            );
            return Ok(ExitCode::SUCCESS);
        };
        consent(args, &stack, found.protected)?;
        let cluster = found
            .outputs
            .get(keys::CLUSTER)
            .cloned()
            .unwrap_or_else(|| environment.cluster());
        drain(ctx, &cluster).await?;
        let resources = cloudformation::resources(ctx, &stack).await?;
        let template = cloudformation::template(ctx, &stack).await?;
        if found.protected {
            cloudformation::set_protection(ctx, &stack, false).await?;
        }
        let seen = watch::seen(ctx, &found.id).await?;
        cloudformation::delete_stack(ctx, &found.id).await?;
        let outcome = watch::until_settled(ctx, &stack, &found.id, seen).await?;
        if outcome.status != "DELETE_COMPLETE" {
            return Err(outcome.error(&stack, "the deletion"));
        }
        let kept = retained(&template, &resources);
        let mut text = format!("{stack} deleted");
        if kept.is_empty() {
            text.push('\n');
        } else {
            text.push_str("; kept (DeletionPolicy: Retain):\n");
            for resource in kept {
                text.push_str(&format!(
                    "  {:<28} {}\n",
                    resource.resource_type, resource.physical_id
                ));
            }
        }
        super::print_stdout(&text);
        Ok(ExitCode::SUCCESS)
    })
}

/// Destroying needs `--yes` or the environment's name typed on a terminal;
/// a protected one needs both.
fn consent(args: &EnvDestroyArgs, stack: &str, protected: bool) -> Result<()> {
    let ask = || {
        confirm::typed(
            &format!("This deletes {stack} and every service of `{}`.", args.env),
            &args.env,
        )
    };
    if protected {
        if !args.yes || !confirm::can_ask() {
            return Err(Error::input(format!(
                "{stack} is protected (termination protection: it is promoted to from another environment)"
            ))
            .with_help(format!(
                "run `parity env destroy {} --yes` on a terminal and type the environment's name",
                args.env
            )));
        }
        return if ask()? {
            Ok(())
        } else {
            Err(Error::failed("not confirmed; nothing changed"))
        };
    }
    if args.yes {
        return Ok(());
    }
    if !confirm::can_ask() {
        return Err(Error::input(format!(
            "destroying {stack} needs confirmation and stdin is not a terminal"
        ))
        .with_help(format!("run `parity env destroy {} --yes`", args.env)));
    }
    if ask()? {
        Ok(())
    } else {
        Err(Error::failed("not confirmed; nothing changed"))
    }
}

/// Deletes every service of the cluster and waits until ECS reports them INACTIVE.
async fn drain(ctx: &AwsContext, cluster: &str) -> Result<()> {
    let services = ecs_teardown::list_services(ctx, cluster).await?;
    if services.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = services
        .iter()
        .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned())
        .collect();
    for name in &names {
        eprintln!("deleting ECS service {name} (scaled to 0)");
        ecs_teardown::delete_service(ctx, cluster, name).await?;
    }
    let started = Instant::now();
    loop {
        let left = ecs_teardown::still_draining(ctx, cluster, &names).await?;
        if left.is_empty() {
            eprintln!("services drained");
            return Ok(());
        }
        if started.elapsed() > DRAIN_TIMEOUT {
            return Err(Error::failed(format!(
                "services still draining after {} s: {}; the stack was not deleted",
                DRAIN_TIMEOUT.as_secs(),
                left.join(", ")
            ))
            .with_help("run `parity env destroy` again once they are gone"));
        }
        eprintln!("waiting for {} to drain", left.join(", "));
        tokio::time::sleep(DRAIN_POLL).await;
    }
}

/// The resources the template marks `DeletionPolicy: Retain`. A YAML
/// template (parity's own) is not parsed: its repositories and log group,
/// which it always retains (`cloud::stack`), are reported.
fn retained<'a>(template: &str, resources: &'a [Resource]) -> Vec<&'a Resource> {
    let parsed: Option<serde_json::Value> = serde_json::from_str(template).ok();
    resources
        .iter()
        .filter(|r| match &parsed {
            Some(t) => t["Resources"][&r.logical_id]["DeletionPolicy"] == "Retain",
            None => matches!(
                r.resource_type.as_str(),
                "AWS::ECR::Repository" | "AWS::Logs::LogGroup"
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retained_resources_follow_the_deletion_policy() {
        let resources = vec![
            Resource {
                logical_id: "WebRepository".into(),
                resource_type: "AWS::ECR::Repository".into(),
                physical_id: "shop/web".into(),
            },
            Resource {
                logical_id: "LogGroup".into(),
                resource_type: "AWS::Logs::LogGroup".into(),
                physical_id: "/shop/staging".into(),
            },
        ];
        let json =
            r#"{"Resources": {"WebRepository": {"DeletionPolicy": "Retain"}, "LogGroup": {}}}"#;
        let kept: Vec<_> = retained(json, &resources)
            .iter()
            .map(|r| r.physical_id.as_str())
            .collect();
        assert_eq!(kept, ["shop/web"]);
        let kept: Vec<_> = retained("Resources:\n", &resources)
            .iter()
            .map(|r| r.physical_id.as_str())
            .collect();
        assert_eq!(kept, ["shop/web", "/shop/staging"]);
    }
}
