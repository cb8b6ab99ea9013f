//! `parity logs --env ENV`: the environment's CloudWatch Logs, read with
//! FilterLogEvents, each line prefixed with its service and short task id
//! in the service's colour (the local prefix, `local::logs::Prefix`).
//! [`Reader`] is also how `parity run --env` streams its task's lines.
//!
//! What is new, in what order, and where a follow read goes next is
//! `cloud::log_reader`'s decision; this module reads, selects and prints.

use std::collections::HashMap;
use std::process::ExitCode;

use serde_json::json;

use crate::aws::{AwsContext, AwsTarget, logs};
use crate::cli::{GlobalArgs, LogFormat, LogsArgs};
use crate::cloud::deploy_lock::utc_timestamp;
use crate::cloud::log_reader::{self, Backoff, LogEvent, Window};
use crate::commands::ship::session::Inputs;
use crate::compose::model::Project;
use crate::compose::unknown_service;
use crate::error::{Error, Result};
use crate::local::logs::Prefix;

/// Runs `parity logs --env ENV`; `start` is `--since` (ms since the epoch).
pub(crate) fn run(global: &GlobalArgs, args: &LogsArgs, env: &str, start: i64) -> Result<ExitCode> {
    let mut inputs = Inputs::load(global)?;
    inputs.environment(env)?;
    crate::commands::env::resolve(&mut inputs.settings, &inputs.project, &[env], false)?;
    let environment = inputs.environment(env)?;
    let sources = Sources::of(&inputs.project);
    for name in &args.services {
        if !inputs.project.services.contains_key(name) {
            return Err(unknown_service(&inputs.project, name));
        }
        if !sources.is_cloud(name) {
            return Err(Error::input(format!(
                "service `{name}` does not run in the cloud (x-parity cloud: false): it has no logs in {env}"
            )));
        }
    }
    let selection = Selection {
        services: args.services.clone(),
        task: args.task.clone(),
        grep: args.grep.clone(),
    };
    let mut reader = Reader::new(
        environment.log_group(),
        Vec::new(),
        start,
        Printer::new(sources, &selection.services, args.format),
        selection,
    );
    let target = AwsTarget::for_environment(environment);
    let tail = args.tail.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let follow = args.follow;
    crate::commands::block_on(async move {
        let ctx = AwsContext::connect(&target).await?;
        tokio::select! {
            result = read(&ctx, &mut reader, tail, follow) => result,
            _ = tokio::signal::ctrl_c() => Err(Error::interrupted()),
        }
    })
}

/// One read (the last `tail` lines of each service), then, with `follow`,
/// a read after each [`Backoff`] wait until Ctrl-C or a closed stdout.
async fn read(
    ctx: &AwsContext,
    reader: &mut Reader,
    tail: Option<usize>,
    follow: bool,
) -> Result<ExitCode> {
    let mut shown = reader.read_tail(ctx, tail).await?;
    let mut backoff = Backoff::default();
    while follow && !reader.closed() {
        tokio::time::sleep(backoff.next(shown)).await;
        shown = reader.read(ctx).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Which compose service each container's lines belong to, and its colour.
pub(crate) struct Sources {
    /// Container name -> (service, its colour index: its place in the project).
    owners: HashMap<String, (String, usize)>,
}

impl Sources {
    /// The cloud services' containers (a sidecar's lines are its parent's).
    pub(crate) fn of(project: &Project) -> Self {
        let owners = project
            .services
            .iter()
            .filter(|(_, s)| s.x_parity.cloud)
            .map(|(name, s)| {
                let owner = s
                    .x_parity
                    .sidecar_of
                    .clone()
                    .unwrap_or_else(|| name.clone());
                let colour = project.services.get_index_of(&owner).unwrap_or(0);
                (name.clone(), (owner, colour))
            })
            .collect();
        Self { owners }
    }

    fn is_cloud(&self, service: &str) -> bool {
        self.owners.contains_key(service)
    }

    /// `(service, colour)` of a stream, or `None` for streams parity's task
    /// definitions did not write.
    fn owner(&self, stream: &str) -> Option<&(String, usize)> {
        self.owners
            .get(log_reader::stream_source(stream)?.container)
    }
}

/// What a read shows.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    /// Services (empty: all).
    pub(crate) services: Vec<String>,
    /// A task id or its prefix.
    pub(crate) task: Option<String>,
    pub(crate) grep: Option<String>,
}

/// Prints events as prefixed lines or JSON objects.
pub(crate) struct Printer {
    sources: Sources,
    format: LogFormat,
    /// The longest service name shown: services line up, then task ids.
    service_width: usize,
    prefixes: HashMap<String, Prefix>,
    closed: bool,
}

impl Printer {
    /// `services`: those named on the command line (the prefix width).
    pub(crate) fn new(sources: Sources, services: &[String], format: LogFormat) -> Self {
        let longest = if services.is_empty() {
            sources.owners.values().map(|(s, _)| s.len()).max()
        } else {
            services.iter().map(String::len).max()
        };
        Self {
            service_width: longest.unwrap_or(0),
            sources,
            format,
            prefixes: HashMap::new(),
            closed: false,
        }
    }

    /// Prints `events` (already ordered); `false` once stdout is closed.
    fn print(&mut self, events: &[LogEvent]) -> bool {
        let mut out = String::new();
        for event in events {
            let message = event.message.trim_end_matches(['\n', '\r']);
            let task = log_reader::stream_source(&event.stream).map_or("", |s| s.task_id);
            let (service, colour) = self
                .sources
                .owner(&event.stream)
                .map_or((event.stream.as_str(), usize::MAX), |(s, c)| {
                    (s.as_str(), *c)
                });
            match self.format {
                LogFormat::Json => {
                    let object = json!({
                        "timestamp": iso_ms(event.timestamp),
                        "service": service,
                        "task": task,
                        "stream": event.stream,
                        "message": message,
                    });
                    out.push_str(&object.to_string());
                }
                LogFormat::Text => {
                    let width = self.service_width;
                    let prefix = self
                        .prefixes
                        .entry(event.stream.clone())
                        .or_insert_with(|| {
                            let short = log_reader::short_task_id(task);
                            let label = format!("{service:<width$} {short}");
                            // Short ids are 8 characters: pad to that for shorter ones.
                            Prefix::new(&label, colour, width + 9)
                        });
                    out.push_str(prefix.text());
                    out.push_str(message);
                }
            }
            out.push('\n');
        }
        if !out.is_empty() && !crate::output::write_stdout(out.as_bytes()) {
            self.closed = true;
        }
        !self.closed
    }
}

/// `2026-11-27T15:00:00.250Z`.
fn iso_ms(ms: i64) -> String {
    let secs = u64::try_from(ms.div_euclid(1000)).unwrap_or(0);
    let text = utc_timestamp(secs);
    format!("{}.{:03}Z", text.trim_end_matches('Z'), ms.rem_euclid(1000))
}

/// A log group read that remembers where it is (`cloud::log_reader::Window`).
pub(crate) struct Reader {
    group: String,
    /// Streams to read (one task's); empty: the whole group.
    streams: Vec<String>,
    window: Window,
    selection: Selection,
    printer: Printer,
}

impl Reader {
    pub(crate) fn new(
        group: String,
        streams: Vec<String>,
        start: i64,
        printer: Printer,
        selection: Selection,
    ) -> Self {
        Self {
            group,
            streams,
            window: Window::new(start),
            selection,
            printer,
        }
    }

    /// Whether stdout closed (the reader has gone: stop).
    pub(crate) fn closed(&self) -> bool {
        self.printer.closed
    }

    /// Reads what is new and prints what the selection shows; returns how
    /// many new events the read found (shown or not), for the backoff.
    pub(crate) async fn read(&mut self, ctx: &AwsContext) -> Result<usize> {
        self.read_tail(ctx, None).await
    }

    /// [`Self::read`], showing only the last `tail` lines of each service.
    async fn read_tail(&mut self, ctx: &AwsContext, tail: Option<usize>) -> Result<usize> {
        let events = logs::filter(ctx, &self.group, self.window.start(), &self.streams).await?;
        let new = self.window.take(events);
        let found = new.len();
        let mut shown: Vec<LogEvent> = new.into_iter().filter(|e| self.shows(e)).collect();
        if let Some(n) = tail {
            let sources = &self.printer.sources;
            shown = log_reader::tail(shown, n, |e| {
                sources.owner(&e.stream).map(|(s, _)| s.clone())
            });
        }
        self.printer.print(&shown);
        Ok(found)
    }

    fn shows(&self, event: &LogEvent) -> bool {
        let selection = &self.selection;
        if !log_reader::matches(&event.message, selection.grep.as_deref()) {
            return false;
        }
        let task = log_reader::stream_source(&event.stream).map(|s| s.task_id);
        if let Some(wanted) = &selection.task
            && !task.is_some_and(|t| t.starts_with(wanted.as_str()))
        {
            return false;
        }
        selection.services.is_empty()
            || self
                .printer
                .sources
                .owner(&event.stream)
                .is_some_and(|(s, _)| selection.services.contains(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_timestamps_keep_milliseconds() {
        assert_eq!(iso_ms(1_795_791_600_250), "2026-11-27T15:00:00.250Z");
        assert_eq!(iso_ms(0), "1970-01-01T00:00:00.000Z");
    }
}
