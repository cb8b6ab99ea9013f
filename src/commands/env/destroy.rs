//! `parity env destroy ENV [--yes]`: the environment's ECS services first
//! (scaled to zero, deleted, waited on until drained: CloudFormation cannot
//! delete a cluster or target group still in use), then the stack. Says what
//! was retained (`DeletionPolicy: Retain`: the image repositories, and
//! whatever else the template keeps), and deletes the secrets parity made for
//! managed services (`super::backing::after_destroy`), saying which. A
//! protected environment (prod) needs `--yes` and its name typed on a terminal.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::backing::Cleaned;
use super::{confirm, watch};
use crate::aws::cloudformation::{self, Resource, Stack};
use crate::aws::{AwsContext, ecs_teardown};
use crate::cli::{EnvDestroyArgs, GlobalArgs};
use crate::cloud::stack::{self, StackData};
use crate::cloud::stack_outputs::keys;
use crate::commands::ship::pipeline::{self, Change};
use crate::commands::ship::session::{Cloud, Inputs};
use crate::error::{Error, Result};

const DRAIN_POLL: Duration = Duration::from_secs(3);

pub(crate) fn run(global: &GlobalArgs, args: &EnvDestroyArgs) -> Result<ExitCode> {
    let inputs = Inputs::load(global)?;
    inputs.environment(&args.env)?;
    let data = stack::stack_data(&inputs.project, &inputs.settings, &args.env)?;
    let mut destroy = EnvDestroy {
        inputs: &inputs,
        args,
        stack: data.stack_name.clone(),
        data: &data,
        found: None,
    };
    crate::commands::block_on(pipeline::run(
        &inputs,
        &args.env,
        &args.change,
        &mut destroy,
    ))
}

/// `env destroy` as a change the pipeline runs (lock, webhook, `--timeout`
/// for the drain and the deletion together, Ctrl-C).
struct EnvDestroy<'a> {
    inputs: &'a Inputs,
    args: &'a EnvDestroyArgs,
    stack: String,
    data: &'a StackData,
    /// The stack as preflight found it; `None`: nothing to destroy.
    found: Option<Stack>,
}

impl Change for EnvDestroy<'_> {
    /// The resources kept (`None`: there was no stack) and the secrets cleaned up.
    type Done = (Option<Vec<Resource>>, Cleaned);

    /// Reads the stack and asks for consent; nothing is deleted yet.
    async fn preflight(&mut self, cloud: &Cloud) -> Result<()> {
        self.found = cloudformation::describe(&cloud.ctx, &self.stack).await?;
        if let Some(found) = &self.found {
            consent(self.args, &self.stack, found.protected).await?;
        }
        Ok(())
    }

    fn what(&self) -> String {
        format!("env destroy {}", self.args.env)
    }

    fn announce(&self) -> bool {
        self.found.is_some()
    }

    fn default_timeout(&self) -> Option<u64> {
        Some(super::apply::STACK_TIMEOUT_SECS)
    }

    async fn apply(&self, cloud: &Cloud, timeout: Duration) -> Result<Self::Done> {
        let ctx = &cloud.ctx;
        let Some(found) = &self.found else {
            // A stack deleted another way (or a destroy interrupted after the
            // deletion) can leave parity's own secrets behind: they go too.
            return Ok((None, self.clean_up(ctx).await?));
        };
        let stack = self.stack.as_str();
        let started = Instant::now();
        let cluster = found
            .outputs
            .get(keys::CLUSTER)
            .cloned()
            .unwrap_or_else(|| {
                self.inputs
                    .environment(&self.args.env)
                    .map(|e| e.cluster())
                    .unwrap_or_default()
            });
        drain(ctx, &cluster, timeout).await?;
        let resources = cloudformation::resources(ctx, stack).await?;
        let template = cloudformation::template(ctx, stack).await?;
        if found.protected {
            cloudformation::set_protection(ctx, stack, false).await?;
        }
        let seen = watch::seen(ctx, &found.id).await?;
        cloudformation::delete_stack(ctx, &found.id).await?;
        let left = timeout.saturating_sub(started.elapsed());
        let outcome = watch::until_settled(ctx, stack, &found.id, seen, left).await?;
        if outcome.status != "DELETE_COMPLETE" {
            return Err(outcome.error(stack, "the deletion"));
        }
        let cleaned = self.clean_up(ctx).await?;
        let kept = retained(&template, &resources)
            .into_iter()
            .cloned()
            .collect();
        Ok((Some(kept), cleaned))
    }

    fn summary(&self, done: &Self::Done) {
        let stack = &self.stack;
        let (kept, cleaned) = done;
        let mut text = String::new();
        match kept {
            None if cleaned.deleted.is_empty() && cleaned.kept.is_empty() => {
                eprintln!(
                    "environment `{}` has no stack {stack}; nothing to destroy",
                    self.args.env
                );
                return;
            }
            None => eprintln!(
                "environment `{}` has no stack {stack}; deleting the secrets parity left behind for it",
                self.args.env
            ),
            Some(kept) => text.push_str(&stack_deleted(stack, kept)),
        }
        let store = cleaned.store;
        for name in &cleaned.deleted {
            text.push_str(&format!(
                "deleted {store} {name} (made by parity for a managed service)\n"
            ));
        }
        for name in &cleaned.kept {
            text.push_str(&format!(
                "kept {store} {name}: the master password of a database whose final snapshot remains\n"
            ));
        }
        super::print_stdout(&text);
    }
}

impl EnvDestroy<'_> {
    /// Deletes the secrets parity made for the environment's managed services
    /// (tag-scoped: only those it created for this environment).
    async fn clean_up(&self, ctx: &AwsContext) -> Result<Cleaned> {
        let environment = self.inputs.environment(&self.args.env)?;
        super::backing::after_destroy(ctx, &self.inputs.project, environment, self.data).await
    }
}

/// `STACK deleted`, with what the template kept (`DeletionPolicy: Retain`).
fn stack_deleted(stack: &str, kept: &[Resource]) -> String {
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
    text
}

/// Destroying needs `--yes` or the environment's name typed on a terminal;
/// a protected one needs both.
async fn consent(args: &EnvDestroyArgs, stack: &str, protected: bool) -> Result<()> {
    let question = format!("This deletes {stack} and every service of `{}`.", args.env);
    let ask = || {
        confirm::typed(
            &question,
            &args.env,
            "at the confirmation prompt; nothing changed",
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
        return if ask().await? {
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
    if ask().await? {
        Ok(())
    } else {
        Err(Error::failed("not confirmed; nothing changed"))
    }
}

/// Deletes every service of the cluster and waits, up to `timeout`, until
/// ECS reports them INACTIVE.
async fn drain(ctx: &AwsContext, cluster: &str, timeout: Duration) -> Result<()> {
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
        if started.elapsed() > timeout {
            return Err(Error::failed(format!(
                "services still draining after {} s: {}; the stack was not deleted",
                timeout.as_secs(),
                left.join(", ")
            ))
            .with_help("run `parity env destroy` again once they are gone"));
        }
        eprintln!("waiting for {} to drain", left.join(", "));
        if let Err(signal) = crate::commands::ship::interrupt::sleep(DRAIN_POLL).await {
            return Err(crate::commands::ship::interrupt::stopped(
                signal,
                "while waiting for the services to drain; the stack was not deleted",
            )
            .with_help(format!("still draining: {}", left.join(", "))));
        }
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
