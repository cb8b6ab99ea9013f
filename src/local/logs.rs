//! Container logs for people: each line prefixed with its service's name in the
//! service's colour, lines of several containers interleaved as they arrive.
//! Used by attached `up` and by `parity logs`; the prefix and its colours are
//! also those of `parity logs --env` (CloudWatch Logs), so a service looks
//! the same in both places.
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

    /// The prefix as printed (with its colour codes, when on).
    pub(crate) fn text(&self) -> &str {
        &self.text
    }
}

/// Which lines a read shows: `parity logs --since/--grep`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    /// Seconds since the epoch (the engine's granularity).
    pub(crate) since: Option<i64>,
    /// Lines containing this text (`cloud::log_reader::matches`).
    pub(crate) grep: Option<String>,
    /// `--format json`: each line as `{"service", "message"}` of this service.
    pub(crate) json_service: Option<String>,
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
    stream_filtered(engine, id, prefix, from, follow, Filter::default()).await;
}

/// [`stream`], showing only the lines `filter` lets through.
pub(crate) async fn stream_filtered(
    engine: Engine,
    id: String,
    prefix: Prefix,
    from: From,
    follow: bool,
    filter: Filter,
) {
    let tail = match from {
        From::Start => "all".to_string(),
        From::Tail(n) => n.to_string(),
    };
    let options = LogsOptions {
        follow,
        stdout: true,
        stderr: true,
        tail,
        since: filter
            .since
            .map_or(0, |s| i32::try_from(s).unwrap_or(i32::MAX)),
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
        if !print_lines(&prefix, &mut pending, false, &filter) {
            return;
        }
    }
    print_lines(&prefix, &mut pending, true, &filter);
}

/// Prints each complete line of `pending` (and the rest when `flush`) that
/// `filter` lets through; `false` once stdout is closed (the reader has
/// gone; stop streaming).
fn print_lines(prefix: &Prefix, pending: &mut Vec<u8>, flush: bool, filter: &Filter) -> bool {
    let mut out = Vec::new();
    let emit = |line: &[u8], out: &mut Vec<u8>| {
        let text = String::from_utf8_lossy(line);
        if !crate::cloud::log_reader::matches(&text, filter.grep.as_deref()) {
            return;
        }
        if let Some(service) = &filter.json_service {
            let message = text.strip_suffix('\n').unwrap_or(&text);
            let message = message.strip_suffix('\r').unwrap_or(message);
            let object = serde_json::json!({"service": service, "message": message});
            out.extend_from_slice(object.to_string().as_bytes());
            out.push(b'\n');
        } else {
            out.extend_from_slice(prefix.text.as_bytes());
            out.extend_from_slice(line);
        }
    };
    while let Some(end) = pending.iter().position(|b| *b == b'\n') {
        let line: Vec<u8> = pending.drain(..=end).collect();
        emit(&line, &mut out);
    }
    if flush && !pending.is_empty() {
        let mut line = std::mem::take(pending);
        line.push(b'\n');
        emit(&line, &mut out);
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
