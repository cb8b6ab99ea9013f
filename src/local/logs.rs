//! Container logs for people: each line prefixed with its service's name in the
//! service's colour, lines of several containers interleaved as they arrive.
//! Used by attached `up` and by `parity logs`.
//!
//! Writes log lines to stdout (they are the command's output); nothing else.

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures_util::StreamExt;

use super::engine::Engine;
use super::progress::service_style;

/// How one container's log is prefixed.
#[derive(Debug, Clone)]
pub(crate) struct Prefix {
    text: String,
}

impl Prefix {
    /// `service  | `, padded to `width`, coloured by the service's `index` when stdout allows.
    pub(crate) fn new(service: &str, index: usize, width: usize) -> Self {
        let label = format!("{service:<width$} | ");
        let text = if crate::output::stdout_color() {
            let style = service_style(index);
            format!("{style}{label}{style:#}")
        } else {
            label
        };
        Self { text }
    }
}

/// Where a log stream begins.
#[derive(Debug, Clone, Copy)]
pub(crate) enum From {
    /// The whole log (containers this run created).
    Start,
    /// The last N lines.
    Tail(u64),
}

/// Streams one container's log to stdout until it ends (or forever with `follow`).
pub(crate) async fn stream(engine: Engine, id: String, prefix: Prefix, from: From, follow: bool) {
    let tail = match from {
        From::Start => "all".to_string(),
        From::Tail(n) => n.to_string(),
    };
    let options = LogsOptions {
        follow,
        stdout: true,
        stderr: true,
        tail,
        ..LogsOptions::default()
    };
    let mut logs = engine.docker.logs(&id, Some(options));
    let mut pending: Vec<u8> = Vec::new();
    while let Some(Ok(chunk)) = logs.next().await {
        let bytes = match &chunk {
            LogOutput::StdOut { message }
            | LogOutput::StdErr { message }
            | LogOutput::Console { message }
            | LogOutput::StdIn { message } => message,
        };
        pending.extend_from_slice(bytes);
        if !print_lines(&prefix, &mut pending, false) {
            return;
        }
    }
    print_lines(&prefix, &mut pending, true);
}

/// Prints each complete line of `pending` (and the rest when `flush`);
/// `false` once stdout is closed (the reader has gone; stop streaming).
fn print_lines(prefix: &Prefix, pending: &mut Vec<u8>, flush: bool) -> bool {
    let mut out = Vec::new();
    while let Some(end) = pending.iter().position(|b| *b == b'\n') {
        let line: Vec<u8> = pending.drain(..=end).collect();
        out.extend_from_slice(prefix.text.as_bytes());
        out.extend_from_slice(&line);
    }
    if flush && !pending.is_empty() {
        out.extend_from_slice(prefix.text.as_bytes());
        out.append(pending);
        out.push(b'\n');
    }
    out.is_empty() || crate::output::write_stdout(&out)
}

/// The last `lines` lines of a container's log, for failure reports.
pub(crate) async fn last_lines(engine: &Engine, id: &str, lines: u64) -> Vec<String> {
    let options = LogsOptions {
        follow: false,
        stdout: true,
        stderr: true,
        tail: lines.to_string(),
        ..LogsOptions::default()
    };
    let mut logs = engine.docker.logs(id, Some(options));
    let mut text = Vec::new();
    while let Some(Ok(chunk)) = logs.next().await {
        text.extend_from_slice(chunk.as_ref());
    }
    String::from_utf8_lossy(&text)
        .lines()
        .map(str::to_string)
        .collect()
}
