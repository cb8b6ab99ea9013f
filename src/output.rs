//! Terminal output policy: colour, verbosity (`tracing`), and the single error renderer.
//!
//! Progress and diagnostics go to stderr, results to stdout. `NO_COLOR` or a
//! non-terminal stderr turns colour off.

use std::io::IsTerminal;

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
        "{level},parity={level},aws_smithy_runtime=warn,aws_config=warn,hyper=warn,hyper_util=warn,h2=warn,rustls=warn"
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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(stderr_color())
        .without_time()
        .with_target(global.verbose > 1)
        .try_init();
}

/// Prints an error for people: message, `file:line:col` with a source snippet
/// when known, and `help:` lines saying what to do.
pub(crate) fn report(err: &Error) {
    eprint!("{}", render(err, stderr_color()));
}

/// Renders an error the one way parity shows errors (miette's graphical report).
pub(crate) fn render(err: &Error, color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, err).is_err() {
        out = format!("error: {err}\n");
    }
    out
}
