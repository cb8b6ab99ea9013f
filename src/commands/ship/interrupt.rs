//! Ctrl-C (SIGINT) and SIGTERM during a change to a cloud environment: one
//! mechanism for every command the pipeline runs (`deploy`, `promote`,
//! `rollback`, `env apply`, `env destroy`, review apps).
//!
//! [`listen`] (called by the pipeline before anything else) takes both
//! signals over from their default, which would kill parity between two AWS
//! calls with the deploy lock held and a release task running. A signal only
//! sets a flag; the phases look at it at their safe points:
//!
//! - before anything changed (preflight: checks, build, push) the phase is
//!   simply abandoned ([`or_interrupt`]): nothing in the environment moved;
//! - between the steps of a change ([`check`]: before the release task,
//!   before each service update, before a change set is executed) the
//!   change stops there, and an AWS call already sent is let finish, so
//!   parity always knows what it started;
//! - while waiting on ECS or CloudFormation ([`sleep`] in every poll loop)
//!   the waiter stops, cleans up what it started itself (the release task is
//!   stopped; a change set not yet executed is deleted) and says what state
//!   each service or the stack is in — a rollout or a stack update already
//!   under way is left to ECS / CloudFormation, never cancelled half-way.
//!
//! The pipeline then releases the lock and exits 130 saying what to run
//! next. A second signal exits 130 at once, cleanup or not.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::error::{Error, Result};

/// Which signal stopped the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    fn describe(self) -> &'static str {
        match self {
            Self::Interrupt => "interrupted (Ctrl-C)",
            Self::Terminate => "terminated (SIGTERM)",
        }
    }
}

/// Set once, by the first signal.
fn channel() -> &'static watch::Sender<Option<Signal>> {
    static CHANNEL: OnceLock<watch::Sender<Option<Signal>>> = OnceLock::new();
    CHANNEL.get_or_init(|| watch::channel(None).0)
}

/// Takes SIGINT and SIGTERM over for the rest of the process. Idempotent;
/// must run inside the Tokio runtime.
pub(crate) fn listen() -> Result<()> {
    static LISTENING: OnceLock<()> = OnceLock::new();
    if LISTENING.get().is_some() {
        return Ok(());
    }
    let handle =
        |kind| signal(kind).map_err(|e| Error::failed(format!("cannot handle signals: {e}")));
    let (mut int, mut term) = (
        handle(SignalKind::interrupt())?,
        handle(SignalKind::terminate())?,
    );
    let _ = LISTENING.set(());
    tokio::spawn(async move {
        loop {
            let received = tokio::select! {
                _ = int.recv() => Signal::Interrupt,
                _ = term.recv() => Signal::Terminate,
            };
            if channel().borrow().is_some() {
                eprintln!("second signal: exiting now, without cleaning up");
                std::process::exit(130);
            }
            eprintln!(
                "{}: stopping at the next safe point (a second signal exits at once)",
                received.describe()
            );
            channel().send_replace(Some(received));
        }
    });
    Ok(())
}

/// The command as it was run, to be run again (`parity deploy staging`).
pub(crate) fn command_line() -> String {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    args.insert(0, "parity".to_owned());
    shell_words::join(args)
}

/// The signal received so far, if any.
pub(crate) fn received() -> Option<Signal> {
    *channel().borrow()
}

/// Resolves when a signal arrives (at once if one has).
pub(crate) async fn signalled() -> Signal {
    let mut receiver = channel().subscribe();
    loop {
        if let Some(signal) = *receiver.borrow_and_update() {
            return signal;
        }
        if receiver.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The error for a command stopped by `signal`, saying `where_` ("before
/// the release phase; ..."): exit 130.
pub(crate) fn stopped(signal: Signal, where_: &str) -> Error {
    Error::interrupted_with(format!("{}: stopped {where_}", signal.describe()))
}

/// `Err` when a signal arrived: the change stops here (`where_`).
pub(crate) fn check(where_: &str) -> Result<()> {
    match received() {
        Some(signal) => Err(stopped(signal, where_)),
        None => Ok(()),
    }
}

/// Sleeps between two polls; `Err(signal)` when one arrives first.
pub(crate) async fn sleep(duration: Duration) -> std::result::Result<(), Signal> {
    tokio::select! {
        () = tokio::time::sleep(duration) => Ok(()),
        signal = signalled() => Err(signal),
    }
}

/// Runs `work`, which changes nothing in the environment (checks, builds,
/// pushes), abandoning it when a signal arrives.
pub(crate) async fn or_interrupt<T>(
    where_: &str,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::select! {
        outcome = work => outcome,
        signal = signalled() => Err(stopped(signal, where_)),
    }
}
