//! Counts the AWS API calls a command makes, so `-v` can say how many and
//! which (calls per deploy is a figure users care about).
//!
//! An SDK interceptor attached to every client that [`super::AwsContext`]
//! builds. It reads only the operation's name, from the metadata the SDK
//! puts in every request's config bag (so the query protocols of
//! CloudFormation, STS and IAM are named as well as the JSON ones), never a
//! request body, so it cannot see a secret.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_ssm::config::interceptors::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_ssm::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ssm::error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// Shared tally of calls (operations) and HTTP attempts (including retries).
#[derive(Debug, Clone, Default)]
pub(crate) struct CallCounter {
    inner: Arc<Mutex<Tally>>,
}

#[derive(Debug, Default)]
struct Tally {
    calls: u64,
    attempts: u64,
    /// "service:Operation" -> attempts.
    by_operation: BTreeMap<String, u64>,
}

/// A snapshot of the tally.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CallSummary {
    /// API operations started (one per SDK call, however many retries).
    pub(crate) calls: u64,
    /// HTTP requests sent, retries included.
    pub(crate) attempts: u64,
    /// HTTP requests per `service:Operation`, sorted by name.
    pub(crate) by_operation: BTreeMap<String, u64>,
}

impl CallCounter {
    /// The interceptor for one service's client; `service` labels the counts.
    pub(crate) fn for_service(&self, service: &'static str) -> ServiceCounter {
        ServiceCounter {
            service,
            counter: self.clone(),
        }
    }

    /// What was counted so far.
    pub(crate) fn summary(&self) -> CallSummary {
        let tally = self.lock();
        CallSummary {
            calls: tally.calls,
            attempts: tally.attempts,
            by_operation: tally.by_operation.clone(),
        }
    }

    /// Logs the summary at info level (`-v`): "AWS API calls: 3 (ssm:PutParameter 2, ...)".
    pub(crate) fn log_summary(&self) {
        let summary = self.summary();
        tracing::info!("{summary}");
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tally> {
        // A panic while holding the lock cannot leave the counts inconsistent.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl std::fmt::Display for CallSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AWS API calls: {}", self.calls)?;
        if !self.by_operation.is_empty() {
            let parts: Vec<String> = self
                .by_operation
                .iter()
                .map(|(op, n)| format!("{op} {n}"))
                .collect();
            write!(f, " ({})", parts.join(", "))?;
        }
        let retries = self.attempts.saturating_sub(self.calls);
        write!(f, "; {} HTTP requests, {retries} retried", self.attempts)
    }
}

/// The interceptor attached to one service's client.
#[derive(Debug, Clone)]
pub(crate) struct ServiceCounter {
    service: &'static str,
    counter: CallCounter,
}

impl Intercept for ServiceCounter {
    fn name(&self) -> &'static str {
        "ParityCallCounter"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.counter.lock().calls += 1;
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let key = format!("{}:{}", self.service, operation(context, cfg));
        let mut tally = self.counter.lock();
        tally.attempts += 1;
        *tally.by_operation.entry(key).or_insert(0) += 1;
        Ok(())
    }
}

/// The operation's name: the SDK's metadata ("CreateChangeSet"); else the
/// `X-Amz-Target` header of the JSON protocols ("AmazonSSM.PutParameter");
/// else "call".
fn operation(context: &BeforeTransmitInterceptorContextRef<'_>, cfg: &ConfigBag) -> String {
    if let Some(metadata) = cfg.load::<Metadata>() {
        return metadata.name().to_owned();
    }
    context
        .request()
        .headers()
        .get("x-amz-target")
        .and_then(|target| target.rsplit('.').next())
        .unwrap_or("call")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_operations_and_retries() {
        let summary = CallSummary {
            calls: 3,
            attempts: 4,
            by_operation: BTreeMap::from([
                ("ssm:GetParametersByPath".to_string(), 1),
                ("ssm:PutParameter".to_string(), 3),
            ]),
        };
        assert_eq!(
            summary.to_string(),
            "AWS API calls: 3 (ssm:GetParametersByPath 1, ssm:PutParameter 3); 4 HTTP requests, 1 retried"
        );
    }

    /// CloudFormation speaks the query protocol (no `X-Amz-Target`): its
    /// calls are named all the same, not counted as "call".
    #[test]
    fn query_protocol_calls_are_named() {
        use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
        use aws_smithy_types::body::SdkBody;

        let xml = r#"<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>"#;
        let event = ReplayEvent::new(
            http::Request::builder()
                .uri("https://cloudformation.eu-west-1.amazonaws.com/")
                .body(SdkBody::empty())
                .expect("request"),
            http::Response::builder()
                .status(200)
                .header("content-type", "text/xml")
                .body(SdkBody::from(xml))
                .expect("response"),
        );
        let ctx = crate::aws::AwsContext::with_http_client(
            StaticReplayClient::new(vec![event]),
            "eu-west-1",
        );
        let found = crate::commands::block_on(crate::aws::cloudformation::describe(&ctx, "s"));
        assert_eq!(found.expect("answered"), None);
        let summary = ctx.calls().summary();
        assert_eq!(
            summary.by_operation.keys().collect::<Vec<_>>(),
            ["cloudformation:DescribeStacks"]
        );
    }
}
