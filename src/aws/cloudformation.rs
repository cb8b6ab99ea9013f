//! CloudFormation: the environment stack's adapter. Reads a stack (status,
//! outputs, termination protection), makes, reads, executes and deletes
//! change sets, reads stack events, deletes stacks.
//!
//! Translates the SDK's shapes into `cloud::change_set`'s; decides nothing.
//! CloudFormation's own validation messages are shown (they explain a
//! template error), which is safe because an environment template never
//! holds a secret value, only SSM parameter ARNs.

use std::time::Duration;

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types::{Capability, ChangeSetStatus, ChangeSetType, Parameter, Tag};
use indexmap::IndexMap;

use super::config::{AwsContext, Service};
use super::explain::{Call, HttpStatus};
use crate::cloud::change_set::{Action, ChangeSet, Event, Kind, ResourceChange};
use crate::error::{Error, Result};

/// How often a change set being computed is asked about.
const CHANGE_SET_POLL: Duration = Duration::from_secs(2);
/// CloudFormation computes a change set in seconds; past this something is wrong.
const CHANGE_SET_TIMEOUT: Duration = Duration::from_secs(300);

/// A stack as DescribeStacks reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stack {
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) reason: Option<String>,
    /// Output key -> value, in the template's order.
    pub(crate) outputs: IndexMap<String, String>,
    pub(crate) protected: bool,
}

/// What computing a change set came to.
#[derive(Debug)]
pub(crate) enum Computed {
    /// Ready to execute.
    Ready(ChangeSet),
    /// The template and tags match the stack: nothing to do (the change set
    /// is FAILED with CloudFormation's "didn't contain changes" reason).
    NoChanges,
}

/// The error for a failed call; CloudFormation's message is added (see the module doc).
fn failed<E, R>(
    ctx: &AwsContext,
    operation: &'static str,
    stack: &str,
    err: &SdkError<E, R>,
) -> Error
where
    E: ProvideErrorMetadata,
    R: HttpStatus,
{
    let error = ctx.explain(
        &Call::new(Service::CloudFormation, operation).on(stack),
        err,
    );
    match err.message() {
        Some(message) => error.with_help(format!("CloudFormation said: {message}")),
        None => error,
    }
}

/// Whether an error is CloudFormation's "Stack with id X does not exist"
/// (a ValidationError, the only way the API says a stack is absent).
fn is_missing<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.code() == Some("ValidationError")
        && err.message().is_some_and(|m| m.contains("does not exist"))
}

/// The stack named `stack`, or `None` when there is none.
pub(crate) async fn describe(ctx: &AwsContext, stack: &str) -> Result<Option<Stack>> {
    let out = match ctx
        .cloudformation()
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
    {
        Ok(out) => out,
        Err(err) if is_missing(&err) => return Ok(None),
        Err(err) => return Err(failed(ctx, "DescribeStacks", stack, &err)),
    };
    let Some(found) = out.stacks().first() else {
        return Ok(None);
    };
    let status = found
        .stack_status()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    if status == "DELETE_COMPLETE" {
        return Ok(None);
    }
    Ok(Some(Stack {
        id: found.stack_id().unwrap_or(stack).to_owned(),
        status,
        reason: found.stack_status_reason().map(str::to_owned),
        outputs: found
            .outputs()
            .iter()
            .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
            .collect(),
        protected: found.enable_termination_protection().unwrap_or(false),
    }))
}

/// A change set just created: its ARN and the stack's id.
#[derive(Debug, Clone)]
pub(crate) struct Created {
    pub(crate) change_set: String,
    pub(crate) stack_id: String,
}

/// Starts a change set named `name` for `template`; `None` when CloudFormation
/// refuses it outright because nothing would change (its UpdateStack answer,
/// "No updates are to be performed", which some implementations also give here).
pub(crate) async fn create_change_set(
    ctx: &AwsContext,
    stack: &str,
    name: &str,
    kind: Kind,
    template: &str,
    parameters: &[(&str, &str)],
    tags: &[(&str, &str)],
) -> Result<Option<Created>> {
    let kind_api = match kind {
        Kind::Create => ChangeSetType::Create,
        Kind::Update => ChangeSetType::Update,
    };
    let tags = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
        .collect::<Vec<_>>();
    let parameters = parameters
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_key(*k)
                .parameter_value(*v)
                .build()
        })
        .collect::<Vec<_>>();
    let out = ctx
        .cloudformation()
        .create_change_set()
        .stack_name(stack)
        .change_set_name(name)
        .change_set_type(kind_api)
        .template_body(template)
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .set_tags(Some(tags))
        .set_parameters(Some(parameters))
        .description("parity env apply")
        // The repositories and log group an earlier `env destroy` retained
        // (named resources with DeletionPolicy: Retain) are adopted, not
        // re-created: re-creating a named resource that exists fails.
        .import_existing_resources(true)
        .send()
        .await;
    let out = match out {
        Ok(out) => out,
        Err(err)
            if err.code() == Some("ValidationError")
                && err
                    .message()
                    .is_some_and(|m| m.contains("No updates are to be performed")) =>
        {
            return Ok(None);
        }
        Err(err) => return Err(failed(ctx, "CreateChangeSet", stack, &err)),
    };
    match (out.id(), out.stack_id()) {
        (Some(id), Some(stack_id)) => Ok(Some(Created {
            change_set: id.to_owned(),
            stack_id: stack_id.to_owned(),
        })),
        _ => Err(Error::failed(format!(
            "CreateChangeSet on {stack} returned no change set or stack id"
        ))),
    }
}

/// Waits until the change set is computed and reads its changes (all pages).
pub(crate) async fn computed(
    ctx: &AwsContext,
    stack: &str,
    arn: &str,
    kind: Kind,
) -> Result<Computed> {
    let started = std::time::Instant::now();
    loop {
        let mut changes = Vec::new();
        let mut token: Option<String> = None;
        let mut status;
        let mut reason;
        loop {
            let out = ctx
                .cloudformation()
                .describe_change_set()
                .change_set_name(arn)
                .stack_name(stack)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| failed(ctx, "DescribeChangeSet", stack, &e))?;
            status = out.status().cloned();
            reason = out.status_reason().map(str::to_owned);
            for change in out.changes() {
                let Some(rc) = change.resource_change() else {
                    continue;
                };
                changes.push(ResourceChange {
                    logical_id: rc.logical_resource_id().unwrap_or_default().to_owned(),
                    resource_type: rc.resource_type().unwrap_or_default().to_owned(),
                    action: Action::parse(rc.action().map_or("", |a| a.as_str())),
                    replacement: rc
                        .replacement()
                        .is_some_and(|r| matches!(r.as_str(), "True" | "Conditional")),
                });
            }
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        match status {
            Some(ChangeSetStatus::CreateComplete) => {
                return Ok(Computed::Ready(ChangeSet {
                    stack: stack.to_owned(),
                    kind,
                    changes,
                }));
            }
            Some(ChangeSetStatus::Failed) => {
                let reason = reason.unwrap_or_default();
                // The documented reasons for an empty change set.
                if reason.contains("didn't contain changes")
                    || reason.contains("No updates are to be performed")
                {
                    return Ok(Computed::NoChanges);
                }
                return Err(Error::failed(format!(
                    "CloudFormation could not compute the change set for {stack}: {reason}"
                )));
            }
            _ if started.elapsed() > CHANGE_SET_TIMEOUT => {
                return Err(Error::failed(format!(
                    "the change set for {stack} was not computed within {} s",
                    CHANGE_SET_TIMEOUT.as_secs()
                ))
                .with_help(
                    "look at the stack in the CloudFormation console, then run the command again",
                ));
            }
            _ => tokio::time::sleep(CHANGE_SET_POLL).await,
        }
    }
}

/// Executes a computed change set.
pub(crate) async fn execute_change_set(ctx: &AwsContext, stack: &str, arn: &str) -> Result<()> {
    ctx.cloudformation()
        .execute_change_set()
        .change_set_name(arn)
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| failed(ctx, "ExecuteChangeSet", stack, &e))?;
    Ok(())
}

/// Deletes a change set that will not be executed.
pub(crate) async fn delete_change_set(ctx: &AwsContext, stack: &str, arn: &str) -> Result<()> {
    ctx.cloudformation()
        .delete_change_set()
        .change_set_name(arn)
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| failed(ctx, "DeleteChangeSet", stack, &e))?;
    Ok(())
}

/// The stack's most recent events (one page, up to 100), oldest first.
pub(crate) async fn events(ctx: &AwsContext, stack: &str) -> Result<Vec<Event>> {
    let out = ctx
        .cloudformation()
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| failed(ctx, "DescribeStackEvents", stack, &e))?;
    let mut events: Vec<Event> = out
        .stack_events()
        .iter()
        .map(|e| Event {
            id: e.event_id().unwrap_or_default().to_owned(),
            time: e
                .timestamp()
                .and_then(|t| t.fmt(aws_smithy_types_format()).ok())
                .unwrap_or_default(),
            logical_id: e.logical_resource_id().unwrap_or_default().to_owned(),
            resource_type: e.resource_type().unwrap_or_default().to_owned(),
            status: e
                .resource_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            reason: e.resource_status_reason().map(str::to_owned),
        })
        .collect();
    // The API lists newest first.
    events.reverse();
    Ok(events)
}

fn aws_smithy_types_format() -> aws_sdk_cloudformation::primitives::DateTimeFormat {
    aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime
}

/// Turns termination protection on or off.
pub(crate) async fn set_protection(ctx: &AwsContext, stack: &str, on: bool) -> Result<()> {
    ctx.cloudformation()
        .update_termination_protection()
        .stack_name(stack)
        .enable_termination_protection(on)
        .send()
        .await
        .map_err(|e| failed(ctx, "UpdateTerminationProtection", stack, &e))?;
    Ok(())
}

/// Starts deleting the stack (resources with `DeletionPolicy: Retain` stay).
pub(crate) async fn delete_stack(ctx: &AwsContext, stack: &str) -> Result<()> {
    ctx.cloudformation()
        .delete_stack()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| failed(ctx, "DeleteStack", stack, &e))?;
    Ok(())
}

/// One resource of a stack: logical id, type, physical id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resource {
    pub(crate) logical_id: String,
    pub(crate) resource_type: String,
    pub(crate) physical_id: String,
}

/// The stack's resources (DescribeStackResources: up to 100, the quota of an
/// environment stack is far below it).
pub(crate) async fn resources(ctx: &AwsContext, stack: &str) -> Result<Vec<Resource>> {
    let out = ctx
        .cloudformation()
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| failed(ctx, "DescribeStackResources", stack, &e))?;
    Ok(out
        .stack_resources()
        .iter()
        .map(|r| Resource {
            logical_id: r.logical_resource_id().unwrap_or_default().to_owned(),
            resource_type: r.resource_type().unwrap_or_default().to_owned(),
            physical_id: r.physical_resource_id().unwrap_or_default().to_owned(),
        })
        .collect())
}

/// The stack's current template body, as CloudFormation keeps it.
pub(crate) async fn template(ctx: &AwsContext, stack: &str) -> Result<String> {
    let out = ctx
        .cloudformation()
        .get_template()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| failed(ctx, "GetTemplate", stack, &e))?;
    Ok(out.template_body().unwrap_or_default().to_owned())
}
