//! Terminal output policy: colour, verbosity (`tracing`), and where errors are printed.
//!
//! Progress and diagnostics go to stderr, results to stdout. `NO_COLOR` or a
//! non-terminal stderr turns colour off.
//!
//! Results go through [`out!`]/[`outln!`] (or [`write_stdout`]), never
//! `print!`: a closed stdout (`parity ps | head -1`) is how a reader says it
//! has read enough, so it is neither a panic nor an error; the command
//! finishes and exits 0, and streams (`logs --follow`) stop.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// `print!` for a command's results: a closed stdout is not an error.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::print(&format!($($arg)*))
    };
}

/// `println!` for a command's results: a closed stdout is not an error.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::print(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// Set once a write to stdout failed: whoever read it has gone.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// What [`out!`] and [`outln!`] call: `text` to stdout, a closed stdout ignored.
pub(crate) fn print(text: &str) {
    write_stdout(text.as_bytes());
}

/// Writes `bytes` to stdout and flushes. Returns `false` (now and from then
/// on) once stdout is closed, so a stream knows to stop; never panics.
pub(crate) fn write_stdout(bytes: &[u8]) -> bool {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return false;
    }
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_all(bytes).and_then(|()| stdout.flush());
    if written.is_err() {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
    written.is_ok()
}

use crate::cli::GlobalArgs;
use crate::error::Error;

/// Whether stderr may carry ANSI colour.
pub(crate) fn stderr_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// Whether stdout may carry ANSI colour.
pub(crate) fn stdout_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// The one table renderer (`ps`, the `up` summary, `status`, `secrets list`):
/// left-aligned columns separated by three spaces, header first, no trailing blanks.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| (*h).to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        out.push_str(cells.join("   ").trim_end());
        out.push('\n');
    }
    out
}

/// Installs the `tracing` subscriber: `-v` shows info, `-vv` debug, `-vvv` trace.
/// `PARITY_LOG` (an `EnvFilter` directive) overrides. AWS SDK and hyper internals
/// stay at warn unless asked for explicitly, so `-v` is readable.
pub(crate) fn init(global: &GlobalArgs) {
    use tracing_subscriber::EnvFilter;
    let level = match global.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let default = format!(
        "{level},parity={level},aws_smithy=warn,aws_smithy_runtime=warn,aws_runtime=warn,aws_config=warn,hyper=warn,hyper_util=warn,h2=warn,rustls=warn"
    );
    let filter = std::env::var("PARITY_LOG")
        .ok()
        .and_then(|d| EnvFilter::try_new(d).ok())
        .unwrap_or_else(|| EnvFilter::new(default))
        // aws-sigv4 logs each signed request at trace, body included when the
        // user's environment sets LOG_SIGNABLE_BODY=true: a PutParameter body
        // holds a secret value. Its debug level carries nothing of the kind.
        // Added last so that no verbosity and no PARITY_LOG can lift it.
        .add_directive(
            "aws_sigv4=debug"
                .parse()
                .unwrap_or_else(|_| unreachable!("a valid static directive")),
        );
    // The SDK's runtime and HTTP stack log request and response bodies at
    // trace (a PutSecretValue body, a GetParametersByPath response). The
    // default filter keeps them at warn; a PARITY_LOG that names them is
    // capped at debug (a same-target directive added last replaces the user's).
    let filter = if std::env::var_os("PARITY_LOG").is_some() {
        [
            "aws_smithy=debug",
            "aws_smithy_runtime=debug",
            "aws_smithy_runtime_api=debug",
            "aws_smithy_http_client=debug",
            "aws_smithy_http=debug",
            "aws_runtime=debug",
            "hyper=debug",
            "hyper_util=debug",
            "h2=debug",
        ]
        .iter()
        .fold(filter, |filter, directive| {
            filter.add_directive(
                directive
                    .parse()
                    .unwrap_or_else(|_| unreachable!("a valid static directive")),
            )
        })
    } else {
        filter
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Every event is scrubbed of known secret values on its way out.
        .with_writer(|| crate::redact::ScrubbingStderr)
        .with_ansi(stderr_color())
        .without_time()
        .with_target(global.verbose > 1)
        .try_init();
}

/// Prints an error for people: message, `file:line:col` with a source snippet
/// when known, and `help:` lines saying what to do.
pub(crate) fn report(err: &Error) {
    eprint!("{}", crate::redact::scrub(&err.render(stderr_color())));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_lines_are_never_wrapped() {
        let code = format!("    result = compute({})", "argument, ".repeat(12));
        let marker = format!("             {}", "^".repeat(100));
        let err = Error::failed(format!("`web` exited (1)\n{code}\n{marker}"));
        let out = err.render(false);
        let line_of = |text: &str| {
            out.lines()
                .find(|l| l.ends_with(text.trim_end()))
                .unwrap_or_else(|| panic!("{text:?} is not one whole line in:\n{out}"))
        };
        let (code_line, marker_line) = (line_of(&code), line_of(&marker));
        assert_eq!(
            code_line.chars().count() - code.chars().count(),
            marker_line.chars().count() - marker.chars().count(),
            "both lines carry the same prefix, so the markers stay under their code:\n{out}"
        );
    }
}
