//! Asking a person before a destructive change: only on a terminal, and only
//! by a typed word, never a default. Without a terminal nothing is asked and
//! the caller needs `--yes`.
//!
//! The answer is read on a thread of its own while the command waits for
//! it or for a signal, whichever comes first: a read from a terminal cannot
//! be cancelled, so waiting on the read alone made the first Ctrl-C only
//! set the interrupt flag (the read went on until Enter, and a second
//! Ctrl-C exited without cleaning up). A plain thread, not a Tokio blocking
//! task: the runtime's shutdown would wait for that one until a key press.

use std::io::{BufRead, IsTerminal, Write};

use crate::commands::ship::interrupt;
use crate::error::{Error, Result};

/// Whether a person can be asked (stdin is a terminal).
pub(crate) fn can_ask() -> bool {
    std::io::stdin().is_terminal()
}

/// Prints `question` on stderr and reads one line; true only when it is
/// exactly `expected`. Ctrl-C or SIGTERM at the prompt is an interruption
/// (exit 130) stopped `on_signal` ("at the confirmation prompt; nothing
/// changed"), at once: the caller cleans up and the pipeline releases the lock.
pub(crate) async fn typed(question: &str, expected: &str, on_signal: &str) -> Result<bool> {
    eprint!("{question} Type `{expected}` to continue: ");
    let _ = std::io::stderr().flush();
    let (answer, answered) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line).map(|_| line);
        let _ = answer.send(read);
    });
    tokio::select! {
        read = answered => {
            let line = read
                .map_err(|_| Error::failed("the confirmation prompt failed"))?
                .map_err(|e| {
                    Error::failed(format!("cannot read the confirmation from the terminal: {e}"))
                })?;
            Ok(line.trim() == expected)
        }
        signal = interrupt::signalled() => {
            // The prompt's line was left open.
            eprintln!();
            Err(interrupt::stopped(signal, on_signal))
        }
    }
}
