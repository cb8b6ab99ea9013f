//! `parity env apply ENV [--yes] [--dry-run] [--format text|json]`: the
//! environment stack through a change set — computed, printed, confirmed
//! when it removes or replaces something, executed, followed until the
//! stack settles. Nothing to change leaves no change set behind.

use std::process::ExitCode;

use serde_json::{Value, json};

use super::{certificate, confirm, watch};
use crate::aws::cloudformation::{self, Computed, Created};
use crate::aws::{AwsContext, AwsTarget};
use crate::cli::{EnvApplyArgs, GlobalArgs, PlanFormat};
use crate::cloud::change_set::{self, ChangeSet, Kind, Settled};
use crate::cloud::stack::{self, CERTIFICATE_PARAMETER, SERVICE_CONNECT_PARAMETER, StackData};
use crate::commands::ship::session::Inputs;
use crate::error::{Error, Result};
use crate::settings::Environment;

pub(crate) fn run(global: &GlobalArgs, args: &EnvApplyArgs) -> Result<ExitCode> {
    let inputs = Inputs::load(global)?;
    let environment = inputs.environment(&args.env)?;
    // Bad input stops here, before any AWS call.
    let data = stack::stack_data(&inputs.project, &inputs.settings, &args.env)?;
    let body = stack::render(&data)?;
    crate::commands::block_on(super::backing::around_apply(
        &inputs.project,
        environment,
        &data,
        args,
        apply(args, environment, &data, &body),
    ))
}

async fn apply(
    args: &EnvApplyArgs,
    environment: &Environment,
    data: &StackData,
    body: &str,
) -> Result<ExitCode> {
    let stack = data.stack_name.as_str();
    let ctx = &AwsContext::connect(&AwsTarget::for_environment(environment)).await?;
    let existing = cloudformation::describe(ctx, stack).await?;
    if let Some(current) = &existing {
        if change_set::settled(&current.status) == Settled::Moving {
            return Err(Error::failed(format!(
                "{stack} is busy ({}); another operation is under way",
                current.status
            ))
            .with_help("wait for it to settle (`parity env show`), then run the command again"));
        }
        if change_set::must_recreate(&current.status) && current.status != "REVIEW_IN_PROGRESS" {
            if args.dry_run {
                return Err(Error::failed(format!(
                    "{stack} is {} (its creation failed and was rolled back; it holds no resources)",
                    current.status
                ))
                .with_help("run `parity env apply` without --dry-run: it deletes the empty stack and creates it anew"));
            }
            eprintln!(
                "{stack} is {} from a failed creation; deleting the empty stack before creating it anew",
                current.status
            );
            let seen = watch::seen(ctx, &current.id).await?;
            cloudformation::delete_stack(ctx, &current.id).await?;
            let outcome = watch::until_settled(ctx, stack, &current.id, seen).await?;
            if outcome.status != "DELETE_COMPLETE" {
                return Err(outcome.error(stack, "the deletion"));
            }
        }
    }
    let kind = match &existing {
        Some(current) if !change_set::must_recreate(&current.status) => Kind::Update,
        _ => Kind::Create,
    };
    let certificate = if data.needs_certificate() {
        certificate::ensure(ctx, environment, &data.hosts()).await?
    } else {
        String::new()
    };
    let parameters = [
        (CERTIFICATE_PARAMETER, certificate.as_str()),
        (SERVICE_CONNECT_PARAMETER, service_connect(environment)),
    ];
    let tags: Vec<(&str, &str)> = data
        .tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    let name = format!("parity-{}", crate::commands::ship::now());
    let Some(created) =
        cloudformation::create_change_set(ctx, stack, &name, kind, body, &parameters, &tags)
            .await?
    else {
        protect(ctx, data).await?;
        report(
            args,
            stack,
            "up_to_date",
            None,
            &existing_outputs(ctx, stack).await?,
        );
        return Ok(ExitCode::SUCCESS);
    };
    let computed = match cloudformation::computed(ctx, stack, &created.change_set, kind).await {
        Ok(computed) => computed,
        Err(err) => {
            discard(ctx, stack, &created, kind).await;
            return Err(err);
        }
    };
    let changes = match computed {
        Computed::NoChanges => {
            cloudformation::delete_change_set(ctx, stack, &created.change_set).await?;
            protect(ctx, data).await?;
            report(
                args,
                stack,
                "up_to_date",
                None,
                &existing_outputs(ctx, stack).await?,
            );
            return Ok(ExitCode::SUCCESS);
        }
        Computed::Ready(changes) => changes,
    };
    if args.format == PlanFormat::Text {
        super::print_stdout(&changes.render_text());
    }
    if args.dry_run {
        discard(ctx, stack, &created, kind).await;
        if args.format == PlanFormat::Text {
            eprintln!("dry run: the change set was deleted; nothing changed");
        }
        report(args, stack, "dry_run", Some(&changes), &Value::Null);
        return Ok(ExitCode::SUCCESS);
    }
    if let Err(err) = consent(args, &changes) {
        discard(ctx, stack, &created, kind).await;
        return Err(err);
    }
    let seen = watch::seen(ctx, &created.stack_id).await?;
    cloudformation::execute_change_set(ctx, stack, &created.change_set).await?;
    let outcome = watch::until_settled(ctx, stack, &created.stack_id, seen).await?;
    if outcome.settled != Settled::Done {
        let what = match kind {
            Kind::Create => "the creation",
            Kind::Update => "the update",
        };
        return Err(outcome.error(stack, what));
    }
    protect(ctx, data).await?;
    ctx.calls().log_summary();
    report(
        args,
        stack,
        "applied",
        Some(&changes),
        &existing_outputs(ctx, stack).await?,
    );
    Ok(ExitCode::SUCCESS)
}

/// Any change needs `--yes` without a terminal; a removal or replacement
/// needs `--yes` or `yes` typed on one.
fn consent(args: &EnvApplyArgs, changes: &ChangeSet) -> Result<()> {
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
    if destructive > 0
        && !confirm::typed(
            &format!("{destructive} resource(s) above will be removed or replaced."),
            "yes",
        )?
    {
        return Err(Error::failed("not confirmed; nothing changed"));
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

/// Service Connect needs Cloud Map, which emulators lack: an environment
/// whose every API goes to one `endpoint` (an emulator) gets the stack
/// without it; on AWS it is always on.
fn service_connect(environment: &Environment) -> &'static str {
    if environment.endpoint().is_some() {
        "disabled"
    } else {
        "enabled"
    }
}

async fn existing_outputs(ctx: &AwsContext, stack: &str) -> Result<Value> {
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
