//! CloudWatch Logs: the environment's log group, the last lines of a
//! task's stream (shown when the release phase fails), and FilterLogEvents
//! reads for `parity logs --env` and `parity run --env`. Adapter only: what
//! is new and in what order is `cloud::log_reader`'s decision.

use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::cloud::log_reader::LogEvent;
use crate::error::Result;

/// Creates the log group unless it exists.
pub(crate) async fn ensure_group(ctx: &AwsContext, group: &str) -> Result<()> {
    match ctx
        .logs()
        .create_log_group()
        .log_group_name(group)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("ResourceAlreadyExistsException") => Ok(()),
        Err(e) => Err(ctx.explain(&Call::new(Service::Logs, "CreateLogGroup").on(group), &e)),
    }
}

/// The last `limit` lines of a stream, oldest first; empty when the stream
/// does not exist (the task never started logging).
pub(crate) async fn last_lines(
    ctx: &AwsContext,
    group: &str,
    stream: &str,
    limit: i32,
) -> Result<Vec<String>> {
    match ctx
        .logs()
        .get_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .start_from_head(false)
        .limit(limit)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .events()
            .iter()
            .filter_map(|e| e.message().map(str::to_owned))
            .collect()),
        Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(Vec::new()),
        Err(e) => Err(ctx.explain(&Call::new(Service::Logs, "GetLogEvents").on(stream), &e)),
    }
}

/// Every event of the group from `start` (ms since the epoch) on, following
/// nextToken through all pages; `streams` (at most 100) limits the read to
/// those streams (one task's), empty reads the whole group. A group or
/// stream that does not exist yet reads as no events: nothing was logged.
pub(crate) async fn filter(
    ctx: &AwsContext,
    group: &str,
    start: i64,
    streams: &[String],
) -> Result<Vec<LogEvent>> {
    let mut events = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = ctx
            .logs()
            .filter_log_events()
            .log_group_name(group)
            .start_time(start)
            .set_log_stream_names((!streams.is_empty()).then(|| streams.to_vec()))
            .set_next_token(next.take())
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(events),
            Err(e) => {
                return Err(ctx.explain(&Call::new(Service::Logs, "FilterLogEvents").on(group), &e));
            }
        };
        events.extend(out.events().iter().map(|e| LogEvent {
            timestamp: e.timestamp().unwrap_or_default(),
            event_id: e.event_id().unwrap_or_default().to_owned(),
            stream: e.log_stream_name().unwrap_or_default().to_owned(),
            message: e.message().unwrap_or_default().to_owned(),
        }));
        match out.next_token() {
            Some(token) if !token.is_empty() => next = Some(token.to_owned()),
            _ => return Ok(events),
        }
    }
}
