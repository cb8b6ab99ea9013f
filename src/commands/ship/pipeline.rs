//! The one pipeline every command that changes a cloud environment runs
//! through: `deploy`, `promote`, `rollback`, `env apply` and `env destroy` today;
//! review apps and scheduled jobs next. A command states only what differs; the pipeline
//! owns the order and everything around the change, so commands cannot drift
//! apart (rollback once had no `--break-lock` although the lock's message
//! tells users to pass it).
//!
//! # Interface
//!
//! A command implements [`Change`] and calls [`run`] with the environment's
//! name and its flattened [`ChangeArgs`] (`--timeout`, `--break-lock`):
//!
//! ```text
//! preflight(&mut self, &Cloud)      check and prepare; nothing in the environment
//!                                   has changed yet (bad input: exit 2; a refusal
//!                                   such as "never deployed": exit 1)
//! what(&self)        -> String      "deploy staging": the lock record's operation
//!                                   and the webhook's subject
//! detail(&self)      -> String      optional, e.g. " of 3f2a9c1e7b4d" in webhook lines
//! announce(&self)    -> bool        optional: false keeps the webhook quiet (a dry run)
//! default_timeout(&self) -> Option  optional: seconds when --timeout is not given
//!                                   (else the environment's deploy.wait_timeout)
//! apply(&self, &Cloud, Duration)    the change, under the lock, waiting on the pure
//!                   -> Result<Done> verdicts of src/cloud (rollout, release, stack)
//!                                   within the timeout it is given
//! summary(&self, &Done)             the result on stdout
//! finish(&self)                     optional: after success or failure (e.g. the
//!                                   call count of a second AWS connection)
//! ```
//!
//! [`run`], in order: connect to the environment (region, endpoint, account:
//! [`Cloud`]); `preflight`; webhook "parity: <what> started"; take the
//! environment's deploy lock (`--break-lock` first removes a stale one);
//! `apply` with `--timeout` or the environment's `deploy.wait_timeout`;
//! Ctrl-C or SIGTERM stops the change at its next safe point (`interrupt`),
//! releases the lock and exits 130 saying what to run next; release the lock;
//! webhook "completed" or "FAILED: <reason>"; `summary`; `finish`; the AWS
//! API call count (`-v`).

use std::process::ExitCode;
use std::time::Duration;

use super::interrupt;
use super::lock::with_lock;
use super::notify::notify;
use super::session::{Cloud, Inputs};
use crate::cli::ChangeArgs;
use crate::error::Result;

/// What a command that changes a cloud environment says; see the module doc.
pub(crate) trait Change {
    /// What `apply` produced, for the summary.
    type Done;

    /// Checks and prepares; changes nothing in the environment.
    async fn preflight(&mut self, cloud: &Cloud) -> Result<()>;

    /// `deploy staging`: names the change in the lock and the webhook.
    fn what(&self) -> String;

    /// Appended to the webhook's lines, e.g. ` of <tag>`.
    fn detail(&self) -> String {
        String::new()
    }

    /// Whether the webhook hears of it (false: a dry run, nothing to do).
    fn announce(&self) -> bool {
        true
    }

    /// Seconds `apply` is given when `--timeout` is not: `None` takes the
    /// environment's `deploy.wait_timeout` (a rollout's bound); a stack
    /// operation takes longer.
    fn default_timeout(&self) -> Option<u64> {
        None
    }

    /// The change itself, under the lock, within `timeout`.
    async fn apply(&self, cloud: &Cloud, timeout: Duration) -> Result<Self::Done>;

    /// Prints the result (stdout).
    fn summary(&self, done: &Self::Done);

    /// Runs last, whatever happened.
    fn finish(&self) {}

    /// The command that finishes the change after an interrupt: by default
    /// the same command line; one that would not do the same thing twice
    /// (rollback goes one revision further back each time) says what would.
    fn rerun(&self) -> String {
        interrupt::command_line()
    }
}

/// Runs `change` against environment `env` of `inputs`.
pub(crate) async fn run<C: Change>(
    inputs: &Inputs,
    env: &str,
    options: &ChangeArgs,
    change: &mut C,
) -> Result<ExitCode> {
    interrupt::listen()?;
    let environment = inputs.environment(env)?;
    let cloud = interrupt::or_interrupt(
        "while connecting to AWS; nothing changed",
        Cloud::connect(environment),
    )
    .await?;
    let mut locked = false;
    let outcome = pipeline(inputs, env, options, change, &cloud, &mut locked).await;
    change.finish();
    cloud.ctx.calls().log_summary();
    outcome
        .map(|()| ExitCode::SUCCESS)
        .map_err(|e| match interrupt::received() {
            Some(_) if e.exit_code() == 130 && locked => e.with_help(format!(
                "the {env} deploy lock is released; to finish, run `{}` (no --break-lock needed)",
                change.rerun()
            )),
            Some(_) if e.exit_code() == 130 => e.with_help(format!(
                "no deploy lock was taken; to start again, run `{}`",
                change.rerun()
            )),
            _ => e,
        })
}

/// Everything after connecting, in the module doc's order.
async fn pipeline<C: Change>(
    inputs: &Inputs,
    env: &str,
    options: &ChangeArgs,
    change: &mut C,
    cloud: &Cloud,
    locked: &mut bool,
) -> Result<()> {
    let environment = inputs.environment(env)?;
    interrupt::or_interrupt(
        "before anything in the environment changed (checks, build, push)",
        change.preflight(cloud),
    )
    .await?;
    let timeout = Duration::from_secs(
        options
            .timeout
            .or_else(|| change.default_timeout())
            .unwrap_or_else(|| environment.deploy().wait_timeout()),
    );
    let webhook = environment
        .notify_webhook()
        .or(inputs.settings.notify_webhook.as_deref())
        .filter(|_| change.announce());
    let what = change.what();
    let detail = change.detail();
    notify(webhook, &format!("parity: {what}{detail} started")).await;
    // From here an interruption's help speaks of the lock (taken, then released).
    *locked = true;
    let outcome = with_lock(
        &cloud.ctx,
        inputs.settings.app(),
        env,
        &what,
        options.break_lock,
        change.apply(cloud, timeout),
    )
    .await;
    match outcome {
        Ok(done) => {
            notify(webhook, &format!("parity: {what}{detail} completed")).await;
            change.summary(&done);
            Ok(())
        }
        Err(e) => {
            notify(
                webhook,
                &format!("parity: {what}{detail} FAILED: {}", e.message()),
            )
            .await;
            Err(e)
        }
    }
}

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;
