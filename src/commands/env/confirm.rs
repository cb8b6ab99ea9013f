//! Asking a person before a destructive change: only on a terminal, and only
//! by a typed word, never a default. Without a terminal nothing is asked and
//! the caller needs `--yes`.

use std::io::{BufRead, IsTerminal, Write};

use crate::error::{Error, Result};

/// Whether a person can be asked (stdin is a terminal).
pub(crate) fn can_ask() -> bool {
    std::io::stdin().is_terminal()
}

/// Prints `question` on stderr and reads one line; true only when it is exactly `expected`.
pub(crate) fn typed(question: &str, expected: &str) -> Result<bool> {
    eprint!("{question} Type `{expected}` to continue: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        Error::failed(format!(
            "cannot read the confirmation from the terminal: {e}"
        ))
    })?;
    Ok(line.trim() == expected)
}
