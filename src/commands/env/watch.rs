//! Following a stack operation: new stack events go to stderr as they
//! appear, until the stack settles (no `*_IN_PROGRESS` status left), bounded.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::aws::AwsContext;
use crate::aws::cloudformation;
use crate::cloud::change_set::{self, Event, Settled};
use crate::error::{Error, Result};

/// How often the stack is asked while it moves.
const POLL: Duration = Duration::from_secs(3);

/// How an operation ended.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The final stack status (`DELETE_COMPLETE` once a deleted stack is gone).
    pub(crate) status: String,
    pub(crate) settled: Settled,
    /// The first resource that failed during this operation, if any.
    pub(crate) failure: Option<Event>,
    /// The stack's own status reason.
    pub(crate) reason: Option<String>,
}

/// The ids of the events the stack has now, so only newer ones are shown.
pub(crate) async fn seen(ctx: &AwsContext, stack_id: &str) -> Result<HashSet<String>> {
    Ok(cloudformation::events(ctx, stack_id)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect())
}

/// Streams events of `stack_id` not in `seen` until the stack settles, or
/// `timeout` (the pipeline's `--timeout`) has passed.
pub(crate) async fn until_settled(
    ctx: &AwsContext,
    stack_name: &str,
    stack_id: &str,
    mut seen: HashSet<String>,
    timeout: Duration,
) -> Result<Outcome> {
    let started = Instant::now();
    let mut this_run: Vec<Event> = Vec::new();
    loop {
        for event in cloudformation::events(ctx, stack_id).await? {
            if seen.insert(event.id.clone()) {
                eprintln!("{}", event.render());
                this_run.push(event);
            }
        }
        let stack = cloudformation::describe(ctx, stack_id).await?;
        let (status, reason) = match stack {
            Some(stack) => (stack.status, stack.reason),
            None => ("DELETE_COMPLETE".to_owned(), None),
        };
        let settled = change_set::settled(&status);
        if settled != Settled::Moving {
            return Ok(Outcome {
                failure: change_set::first_failure(&this_run, stack_name).cloned(),
                status,
                settled,
                reason,
            });
        }
        if started.elapsed() > timeout {
            return Err(Error::failed(format!(
                "{stack_name} is still {status} after {} s; parity stopped following it (the operation goes on)",
                timeout.as_secs()
            ))
            .with_help("follow it with `parity env show` or in the CloudFormation console; a longer --timeout waits longer"));
        }
        if let Err(signal) = crate::commands::ship::interrupt::sleep(POLL).await {
            return Err(crate::commands::ship::interrupt::stopped(
                signal,
                &format!("while following {stack_name}"),
            )
            .with_help(format!(
                "{stack_name} is {status}: CloudFormation carries the operation through (or rolls it back); parity did not cancel it"
            ))
            .with_help("follow it with `parity env show` or in the CloudFormation console"));
        }
    }
}

impl Outcome {
    /// The exit-1 error for an operation that did not succeed: the failed
    /// resource and CloudFormation's reason, and the state the stack was left in.
    pub(crate) fn error(&self, stack_name: &str, what: &str) -> Error {
        let cause = match &self.failure {
            Some(event) => format!(
                "{} ({}) failed: {}",
                event.logical_id,
                event.resource_type,
                event.reason.as_deref().unwrap_or("no reason given")
            ),
            None => self
                .reason
                .clone()
                .unwrap_or_else(|| "CloudFormation gave no reason".to_owned()),
        };
        Error::failed(format!("{what} of {stack_name} failed: {cause}")).with_help(format!(
            "the stack is {}{}",
            self.status,
            match self.status.as_str() {
                "ROLLBACK_COMPLETE" => ": it holds no resources; fix the cause and run `parity env apply` again (it replaces the empty stack)",
                "UPDATE_ROLLBACK_COMPLETE" => ": CloudFormation restored the previous state; fix the cause and run `parity env apply` again",
                _ => ": look at its events in the CloudFormation console before running `parity env apply` again",
            }
        ))
    }
}
