//! An attached session with a process in a container (`parity run`, `parity
//! exec`): parity's stdin goes to the process, its output comes back to
//! parity's stdout and stderr (one stream when a TTY is allocated), and the
//! terminal is in raw mode while a TTY is, so keys such as Ctrl-C reach the
//! process instead of parity.
//!
//! Raw mode is set with the `stty` program on parity's own stdin rather than
//! through a terminal crate: parity denies `unsafe` and has no such dependency,
//! and `stty` is part of every Unix base system.

use std::io::{IsTerminal, Read, Write};
use std::pin::Pin;
use std::process::{Command, Stdio};

use bollard::container::LogOutput;
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::error::Error;

/// The two halves of an attached engine connection.
pub(crate) struct Attached {
    pub(crate) output:
        Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>,
    pub(crate) input: Pin<Box<dyn AsyncWrite + Send>>,
}

/// Whether parity's stdin is a terminal: `run` and `exec` then allocate a TTY.
pub(crate) fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Copies parity's stdin to the process (when `forward_stdin`; its end closes
/// the process's stdin) and the process's output to parity's stdout/stderr,
/// until the output ends, which is when the process has exited.
pub(crate) async fn pump(attached: Attached, forward_stdin: bool) -> Result<(), Error> {
    let Attached { mut output, input } = attached;
    let stdin_task = forward_stdin.then(|| tokio::spawn(forward(input)));
    let mut stderr = std::io::stderr();
    let mut result = Ok(());
    while let Some(chunk) = output.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                result = Err(Error::failed(format!(
                    "the connection to the container broke: {e}"
                )));
                break;
            }
        };
        // A closed stdout (`parity run ... | head`) ends nothing: the process runs on.
        match chunk {
            LogOutput::StdErr { message } => {
                let _ = stderr.write_all(&message).and_then(|()| stderr.flush());
            }
            LogOutput::StdOut { message } | LogOutput::Console { message } => {
                crate::output::write_stdout(&message);
            }
            LogOutput::StdIn { .. } => {}
        }
    }
    if let Some(task) = stdin_task {
        task.abort();
    }
    result
}

/// Sends parity's stdin to the process and closes the process's stdin at its
/// end. The blocking reads happen on a thread of their own: a read from a
/// terminal cannot be cancelled, and a Tokio blocking task would hold up the
/// runtime's shutdown until the next key press.
async fn forward(mut input: Pin<Box<dyn AsyncWrite + Send>>) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buffer = vec![0u8; 8192];
        loop {
            match stdin.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.blocking_send(buffer[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    while let Some(chunk) = rx.recv().await {
        if input.write_all(&chunk).await.is_err() || input.flush().await.is_err() {
            return;
        }
    }
    let _ = input.shutdown().await;
}

/// The terminal in raw mode until dropped (then as it was).
pub(crate) struct RawMode {
    saved: Option<String>,
}

impl RawMode {
    /// Raw mode when `tty` (a TTY is allocated for the process); a no-op otherwise.
    pub(crate) fn enter(tty: bool) -> Self {
        if !tty {
            return Self { saved: None };
        }
        let saved = stty(&["-g"]).map(|s| s.trim().to_owned());
        if saved.is_some() {
            let _ = stty(&["raw", "-echo"]);
        }
        Self { saved }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = stty(&[saved]);
        }
    }
}

/// Follows the terminal's size while a TTY session runs, as `docker exec -it`
/// does: `resize` gets (rows, columns) now and again on every SIGWINCH (the
/// terminal emulator changed size). Abort the returned task when the session
/// ends. When the signal cannot be watched, only the initial size is sent.
pub(crate) fn follow_resizes<F, Fut>(resize: F) -> tokio::task::JoinHandle<()>
where
    F: Fn(u16, u16) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    use tokio::signal::unix::{SignalKind, signal};
    let winch = signal(SignalKind::window_change()).ok();
    tokio::spawn(async move {
        let Some(mut winch) = winch else {
            if let Some((rows, columns)) = terminal_size() {
                resize(rows, columns).await;
            }
            return;
        };
        loop {
            if let Some((rows, columns)) = terminal_size() {
                resize(rows, columns).await;
            }
            if winch.recv().await.is_none() {
                return;
            }
        }
    })
}

/// The terminal's size as (rows, columns), when stdin is one.
pub(crate) fn terminal_size() -> Option<(u16, u16)> {
    let text = stty(&["size"])?;
    let mut parts = text.split_whitespace().map(str::parse::<u16>);
    match (parts.next(), parts.next()) {
        (Some(Ok(rows)), Some(Ok(columns))) if rows > 0 && columns > 0 => Some((rows, columns)),
        _ => None,
    }
}

/// Runs `stty ARGS` on parity's stdin; its stdout when it succeeded.
fn stty(args: &[&str]) -> Option<String> {
    let output = Command::new("stty")
        .args(args)
        .stdin(Stdio::inherit())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The exit code parity passes on for a process's: 0-255 as is; anything the
/// engine reports outside that range (it should not) as 1, the generic failure.
pub(crate) fn exit_code(code: i64) -> u8 {
    u8::try_from(code).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_pass_through_and_odd_ones_are_a_failure() {
        assert_eq!(exit_code(0), 0);
        assert_eq!(exit_code(3), 3);
        assert_eq!(exit_code(255), 255);
        assert_eq!(exit_code(-1), 1);
        assert_eq!(exit_code(256), 1);
    }
}
