//! `parity env apply ENV [--yes] [--dry-run] [--format text|json]`: the
//! environment stack through a change set — computed, printed, confirmed
//! when it removes or replaces something, executed, followed until the
//! stack settles. Nothing to change leaves no change set behind.
//!
//! It runs through the pipeline every change to a cloud environment takes
//! (`ship::pipeline`): the environment's deploy lock (`--break-lock`), the
//! webhook, `--timeout` (how long the stack is followed) and Ctrl-C (exit
//! 130, lock released). `preflight` only reads the stack; everything that
//! writes happens in `apply`, under the lock, in this order: an empty
//! rolled-back stack deleted, [`EnvApply::before_change_set`] (the
//! certificate and the managed databases' master passwords: what the
//! template's parameters and `{{resolve:...}}` references refer to), the
//! change set created, printed, confirmed, executed, followed, then
//! [`EnvApply::after_settled`] (the secrets composed for managed services,
//! `super::backing`).

use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};

use super::{certificate, confirm, watch};
use crate::aws::AwsContext;
use crate::aws::cloudformation::{self, Computed, Created, Stack};
use crate::cli::{EnvApplyArgs, GlobalArgs, PlanFormat};
use crate::cloud::change_set::{self, ChangeSet, Kind, Settled};
use crate::cloud::stack::{self, CERTIFICATE_PARAMETER, SERVICE_CONNECT_PARAMETER, StackData};
use crate::commands::ship::interrupt;
use crate::commands::ship::pipeline::{self, Change};
use crate::commands::ship::session::{Cloud, Inputs};
use crate::error::{Error, Result};

/// How long a stack operation is followed when `--timeout` is not given: an
/// environment stack settles in minutes (README: "Speed and cost"), a NAT
/// gateway and a load balancer being the slow parts.
pub(crate) const STACK_TIMEOUT_SECS: u64 = 3600;

pub(crate) fn run(global: &GlobalArgs, args: &EnvApplyArgs) -> Result<ExitCode> {
    let inputs = Inputs::load(global)?;
    inputs.environment(&args.env)?;
    // Bad input stops here, before any AWS call.
    let data = stack::stack_data(&inputs.project, &inputs.settings, &args.env)?;
    let body = stack::render(&data)?;
    stack::check_size(&data, &body)?;
    let mut apply = EnvApply {
        inputs: &inputs,
        args,
        data: &data,
        body: &body,
        existing: None,
    };
    crate::commands::block_on(pipeline::run(&inputs, &args.env, &args.change, &mut apply))
}

/// `env apply` as a change the pipeline runs.
struct EnvApply<'a> {
    inputs: &'a Inputs,
    args: &'a EnvApplyArgs,
    data: &'a StackData,
    /// The rendered template.
    body: &'a str,
    /// The stack as preflight found it.
    existing: Option<Stack>,
}

/// What `apply` came to, for the summary.
enum Applied {
    UpToDate(Value),
    DryRun(ChangeSet),
    Executed(ChangeSet, Value),
}

impl Change for EnvApply<'_> {
    type Done = Applied;

    /// Reads the stack: refuses a stack another operation is moving, and a
    /// dry run on a rolled-back creation (replacing it is a change).
    async fn preflight(&mut self, cloud: &Cloud) -> Result<()> {
        let stack = self.data.stack_name.as_str();
        let existing = cloudformation::describe(&cloud.ctx, stack).await?;
        if let Some(current) = &existing {
            if change_set::settled(&current.status) == Settled::Moving {
                return Err(Error::failed(format!(
                    "{stack} is busy ({}); another operation is under way",
                    current.status
                ))
                .with_help(
                    "wait for it to settle (`parity env show`), then run the command again",
                ));
            }
            if self.args.dry_run && recreate(current) {
                return Err(Error::failed(format!(
                    "{stack} is {} (its creation failed and was rolled back; it holds no resources)",
                    current.status
                ))
                .with_help("run `parity env apply` without --dry-run: it deletes the empty stack and creates it anew"));
            }
        }
        self.existing = existing;
        Ok(())
    }

    fn what(&self) -> String {
        format!("env apply {}", self.args.env)
    }

    fn detail(&self) -> String {
        if self.args.dry_run {
            " (dry run)".to_owned()
        } else {
            String::new()
        }
    }

    /// A dry run changes nothing: no webhook.
    fn announce(&self) -> bool {
        !self.args.dry_run
    }

    fn default_timeout(&self) -> Option<u64> {
        Some(STACK_TIMEOUT_SECS)
    }

    async fn apply(&self, cloud: &Cloud, timeout: Duration) -> Result<Applied> {
        let ctx = &cloud.ctx;
        let stack = self.data.stack_name.as_str();
        if let Some(current) = self.existing.as_ref().filter(|c| recreate(c)) {
            eprintln!(
                "{stack} is {} from a failed creation; deleting the empty stack before creating it anew",
                current.status
            );
            let seen = watch::seen(ctx, &current.id).await?;
            cloudformation::delete_stack(ctx, &current.id).await?;
            let outcome = watch::until_settled(ctx, stack, &current.id, seen, timeout).await?;
            if outcome.status != "DELETE_COMPLETE" {
                return Err(outcome.error(stack, "the deletion"));
            }
        }
        let kind = match &self.existing {
            Some(current) if !change_set::must_recreate(&current.status) => Kind::Update,
            _ => Kind::Create,
        };
        interrupt::check("before anything changed")?;
        let parameters = self.before_change_set(cloud).await?;
        interrupt::check("before the change set was made (the prerequisites are in place)")?;
        let parameters: Vec<(&str, &str)> =
            parameters.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let tags: Vec<(&str, &str)> = self
            .data
            .tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str()))
            .collect();
        let name = format!("parity-{}", crate::commands::ship::now());
        let Some(created) = cloudformation::create_change_set(
            ctx,
            stack,
            &name,
            kind,
            self.body,
            &parameters,
            &tags,
        )
        .await?
        else {
            return self.up_to_date(cloud).await;
        };
        let computed = match cloudformation::computed(ctx, stack, &created.change_set, kind)
            .await
            .and_then(|c| {
                interrupt::check("before the change set was executed: it was deleted unexecuted")
                    .map(|()| c)
            }) {
            Ok(computed) => computed,
            Err(err) => {
                discard(ctx, stack, &created, kind).await;
                return Err(err);
            }
        };
        let changes = match computed {
            Computed::NoChanges => {
                cloudformation::delete_change_set(ctx, stack, &created.change_set).await?;
                return self.up_to_date(cloud).await;
            }
            Computed::Ready(changes) => changes,
        };
        if self.args.format == PlanFormat::Text {
            super::print_stdout(&changes.render_text());
        }
        if self.args.dry_run {
            discard(ctx, stack, &created, kind).await;
            return Ok(Applied::DryRun(changes));
        }
        let consented = match consent(self.args, &changes).await {
            Ok(()) => {
                interrupt::check("before the change set was executed: it was deleted unexecuted")
            }
            Err(err) => Err(err),
        };
        if let Err(err) = consented {
            discard(ctx, stack, &created, kind).await;
            return Err(err);
        }
        let seen = watch::seen(ctx, &created.stack_id).await?;
        cloudformation::execute_change_set(ctx, stack, &created.change_set).await?;
        let outcome = watch::until_settled(ctx, stack, &created.stack_id, seen, timeout).await?;
        if outcome.settled != Settled::Done {
            let what = match kind {
                Kind::Create => "the creation",
                Kind::Update => "the update",
            };
            return Err(outcome.error(stack, what));
        }
        protect(ctx, self.data).await?;
        self.after_settled(cloud).await?;
        Ok(Applied::Executed(changes, state(ctx, stack).await?))
    }

    fn summary(&self, done: &Applied) {
        let stack = self.data.stack_name.as_str();
        match done {
            Applied::UpToDate(state) => report(self.args, stack, "up_to_date", None, state),
            Applied::DryRun(changes) => {
                if self.args.format == PlanFormat::Text {
                    eprintln!("dry run: the change set was deleted; nothing changed");
                }
                report(self.args, stack, "dry_run", Some(changes), &Value::Null);
            }
            Applied::Executed(changes, state) => {
                report(self.args, stack, "applied", Some(changes), state);
            }
        }
    }
}

impl EnvApply<'_> {
    /// What must exist before the change set is made, as the template's
    /// parameters: the environment's certificate (requested, validated).
    /// Whatever else a template parameter or `{{resolve:…}}` reference
    /// needs first is created here too: the managed databases' master
    /// passwords (not on a run that will not execute the change set).
    async fn before_change_set(&self, cloud: &Cloud) -> Result<Vec<(&'static str, String)>> {
        let environment = self.inputs.environment(&self.args.env)?;
        if !self.changes_nothing() {
            super::backing::before_change_set(&cloud.ctx, environment, self.data).await?;
        }
        let certificate = if self.data.needs_certificate() {
            certificate::ensure(&cloud.ctx, environment, &self.data.hosts()).await?
        } else {
            String::new()
        };
        Ok(vec![
            (CERTIFICATE_PARAMETER, certificate),
            (
                SERVICE_CONNECT_PARAMETER,
                service_connect(&cloud.ctx).to_owned(),
            ),
        ])
    }

    /// Nothing to change: protection still ensured, the composed secrets
    /// brought up to date, the stack's state reported.
    async fn up_to_date(&self, cloud: &Cloud) -> Result<Applied> {
        protect(&cloud.ctx, self.data).await?;
        self.after_settled(cloud).await?;
        Ok(Applied::UpToDate(
            state(&cloud.ctx, &self.data.stack_name).await?,
        ))
    }

    /// The stack settled (or was up to date): the secrets parity composes
    /// for managed services follow its endpoints and passwords.
    async fn after_settled(&self, cloud: &Cloud) -> Result<()> {
        if self.changes_nothing() || self.data.backing.is_empty() {
            return Ok(());
        }
        let environment = self.inputs.environment(&self.args.env)?;
        super::backing::after_settled(&cloud.ctx, &self.inputs.project, environment, self.data)
            .await
    }

    /// A dry run, or one that cannot be confirmed (no `--yes`, no terminal
    /// to ask on): it creates and writes nothing.
    fn changes_nothing(&self) -> bool {
        self.args.dry_run || !(self.args.yes || confirm::can_ask())
    }
}

/// A stack whose creation failed holds nothing and must be deleted before
/// it is created anew (a change set's own empty REVIEW_IN_PROGRESS stack
/// is reused as it is).
fn recreate(current: &Stack) -> bool {
    change_set::must_recreate(&current.status) && current.status != "REVIEW_IN_PROGRESS"
}

/// Any change needs `--yes` without a terminal; a removal or replacement
/// needs `--yes` or `yes` typed on one (Ctrl-C there interrupts at once:
/// the caller deletes the change set, the pipeline releases the lock).
async fn consent(args: &EnvApplyArgs, changes: &ChangeSet) -> Result<()> {
    if args.yes {
        return Ok(());
    }
    let destructive = changes.destructive().count();
    if !confirm::can_ask() {
        return Err(Error::input(format!(
            "{} has {} change{} to apply and stdin is not a terminal to confirm them",
            changes.stack,
            changes.changes.len(),
            if changes.changes.len() == 1 { "" } else { "s" }
        ))
        .with_help("review them with --dry-run, then run again with --yes"));
    }
    if destructive > 0 {
        let question = format!("{destructive} resource(s) above will be removed or replaced.");
        let typed = confirm::typed(
            &question,
            "yes",
            "at the confirmation prompt: the change set was deleted unexecuted; nothing changed",
        )
        .await?;
        if !typed {
            return Err(Error::failed("not confirmed; nothing changed"));
        }
    }
    Ok(())
}
/// Deletes a change set that will not run, and the empty stack a CREATE
/// change set made (REVIEW_IN_PROGRESS), so nothing is left behind.
/// Best effort: the error that led here is the one worth reporting.
async fn discard(ctx: &AwsContext, stack: &str, created: &Created, kind: Kind) {
    let _ = cloudformation::delete_change_set(ctx, stack, &created.change_set).await;
    if kind == Kind::Create {
        let _ = cloudformation::delete_stack(ctx, &created.stack_id).await;
    }
}

/// Termination protection on an environment that `promotes_from` another
/// (prod): turned on, never off (someone may have set it by hand).
async fn protect(ctx: &AwsContext, data: &StackData) -> Result<()> {
    if !data.termination_protection {
        return Ok(());
    }
    match cloudformation::describe(ctx, &data.stack_name).await? {
        Some(current) if !current.protected => {
            cloudformation::set_protection(ctx, &data.stack_name, true).await
        }
        _ => Ok(()),
    }
}

/// Service Connect needs Cloud Map, which emulators lack: a stack applied
/// through an endpoint override (parity.toml's `endpoint`, or
/// `AWS_ENDPOINT_URL[_CLOUDFORMATION]` as the quick start against the
/// emulator sets it) is made without it; on AWS it is always on.
fn service_connect(ctx: &AwsContext) -> &'static str {
    if ctx
        .endpoint(crate::aws::config::Service::CloudFormation)
        .configured
    {
        "disabled"
    } else {
        "enabled"
    }
}

/// The stack's status, protection and outputs, for the report.
async fn state(ctx: &AwsContext, stack: &str) -> Result<Value> {
    Ok(match cloudformation::describe(ctx, stack).await? {
        Some(current) => {
            json!({"status": current.status, "protected": current.protected, "outputs": current.outputs})
        }
        None => Value::Null,
    })
}

/// The result: a line on stderr in text mode (the change set is already on
/// stdout), one JSON document on stdout otherwise.
fn report(
    args: &EnvApplyArgs,
    stack: &str,
    result: &str,
    changes: Option<&ChangeSet>,
    state: &Value,
) {
    match args.format {
        PlanFormat::Text => match result {
            "up_to_date" => {
                super::print_stdout(&format!("{stack} is up to date; nothing to change"))
            }
            "applied" => eprintln!("{stack}: {}", state["status"].as_str().unwrap_or("applied")),
            _ => {}
        },
        PlanFormat::Json => {
            let document = json!({
                "stack": stack,
                "result": result,
                "kind": changes.map(|c| c.kind),
                "changes": changes.map(|c| c.changes.clone()).unwrap_or_default(),
                "status": state["status"],
                "protected": state["protected"],
                "outputs": state["outputs"],
            });
            super::print_stdout(&serde_json::to_string_pretty(&document).unwrap_or_default());
        }
    }
}
