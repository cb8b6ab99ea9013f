//! Taking and releasing the per-environment deploy lock around an operation,
//! including on failure and Ctrl-C.

use std::future::Future;

use super::interrupt;
use crate::aws::AwsContext;
use crate::aws::deploy_lock as store;
use crate::cloud::deploy_lock::{LockRecord, parameter_name};
use crate::error::{Error, Result};

/// A lock older than this is called stale in the message (the deploy wait's
/// default is 10 minutes; an hour means its holder is gone).
const STALE_AFTER_SECS: u64 = 3600;

/// How long a signalled operation may take to reach a safe point (an AWS
/// call in flight finishing: its own timeout is 30 s per attempt).
const GRACE: std::time::Duration = std::time::Duration::from_secs(45);

/// Runs `operation` while holding `env`'s deploy lock. The lock is released
/// afterwards whatever happened. A signal stops the operation at its next
/// safe point (`super::interrupt`); one that has none within [`GRACE`] is
/// dropped where it stands, so the lock is still released (exit 130).
pub(crate) async fn with_lock<T>(
    ctx: &AwsContext,
    app: &str,
    env: &str,
    what: &str,
    break_lock: bool,
    operation: impl Future<Output = Result<T>>,
) -> Result<T> {
    let name = parameter_name(app, env);
    let record = LockRecord {
        holder: holder_name(),
        operation: what.to_owned(),
        since: super::now(),
        token: token(),
    };
    if break_lock {
        let previous = store::holder(ctx, &name).await.ok();
        store::remove(ctx, &name).await?;
        if let Some(previous) = previous {
            eprintln!(
                "broke the {env} deploy lock held by {} ({}) since {}",
                previous.holder,
                previous.operation,
                crate::cloud::deploy_lock::utc_timestamp(previous.since)
            );
        }
    }
    if let Err(holder) = store::acquire(ctx, &name, &record).await? {
        let now = super::now();
        let mut err = Error::failed(holder.describe(env, now));
        if holder.is_stale(now, STALE_AFTER_SECS) {
            err = err.with_help(format!(
                "the lock looks stale; if no deploy to {env} is running, rerun with --break-lock"
            ));
        } else {
            err = err.with_help(
                "wait for that deploy to finish; if it died, rerun with --break-lock".to_owned(),
            );
        }
        return Err(err);
    }
    let outcome = match interrupt::check("right after taking the lock; nothing changed") {
        Err(e) => Err(e),
        Ok(()) => {
            tokio::pin!(operation);
            tokio::select! {
                outcome = &mut operation => outcome,
                signal = async {
                    let signal = interrupt::signalled().await;
                    tokio::time::sleep(GRACE).await;
                    signal
                } => Err(interrupt::stopped(signal, "where it stood (it reached no safe point in time)")),
            }
        }
    };
    if let Err(e) = store::release(ctx, &name, &record.token).await {
        eprintln!("warning: could not release the {env} deploy lock: {e}");
    }
    outcome
}

/// `user@host`, from the environment (`USER`, `HOSTNAME`) or `/etc/hostname`.
fn holder_name() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "someone".to_owned());
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown-host".to_owned());
    format!("{user}@{host} (pid {})", std::process::id())
}

/// A token unique enough to tell our lock from one someone else took after breaking ours.
fn token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    crate::cloud::image_ref::Digest::of(format!("{nanos}-{}", std::process::id()).as_bytes())
        .short()
        .to_owned()
}
