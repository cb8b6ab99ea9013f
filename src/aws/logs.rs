//! CloudWatch Logs: the environment's log group, and the last lines of a
//! task's stream (shown when the release phase fails). Adapter only.

use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;

use super::config::{AwsContext, Service};
use super::explain::Call;
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
