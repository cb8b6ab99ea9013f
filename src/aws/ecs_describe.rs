//! DescribeTaskDefinition, the one place it is called: the task definition
//! exactly as ECS's JSON API returned it, for `parity plan`'s diff and for
//! what `ecs::describe_task_definition` extracts (images, tags).
//!
//! The raw response body is kept (an interceptor reads it before the SDK
//! deserializes it), so the diff compares JSON with JSON — the same form
//! `plan --format json` prints — with no hand-written SDK-to-JSON conversion.

use std::sync::{Arc, Mutex};

use aws_sdk_ecs::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_ecs::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ecs::error::BoxError;
use aws_sdk_ecs::types::TaskDefinitionField;
use serde_json::Value;

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::error::{Error, Result};

/// A task definition as DescribeTaskDefinition returned it: the
/// `taskDefinition` object with the response's `tags` folded in.
pub(crate) async fn task_definition_json(ctx: &AwsContext, task_definition: &str) -> Result<Value> {
    let body = Arc::new(Mutex::new(None));
    ctx.ecs()
        .describe_task_definition()
        .task_definition(task_definition)
        .include(TaskDefinitionField::Tags)
        .customize()
        .interceptor(KeepBody(body.clone()))
        .send()
        .await
        .map_err(|e| {
            ctx.explain(
                &Call::new(Service::Ecs, "DescribeTaskDefinition").on(task_definition),
                &e,
            )
        })?;
    let bytes = body.lock().ok().and_then(|mut b| b.take()).ok_or_else(|| {
        Error::failed(format!(
            "DescribeTaskDefinition {task_definition}: no response body"
        ))
    })?;
    let response: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Error::failed(format!(
            "DescribeTaskDefinition {task_definition}: response is not JSON ({e})"
        ))
    })?;
    let mut definition = response.get("taskDefinition").cloned().ok_or_else(|| {
        Error::failed(format!(
            "DescribeTaskDefinition {task_definition} returned nothing"
        ))
    })?;
    if let (Some(object), Some(tags)) = (definition.as_object_mut(), response.get("tags")) {
        object.insert("tags".into(), tags.clone());
    }
    Ok(definition)
}

/// Copies the response body (loaded in memory once deserialized).
#[derive(Debug)]
struct KeepBody(Arc<Mutex<Option<Vec<u8>>>>);

impl Intercept for KeepBody {
    fn name(&self) -> &'static str {
        "parity.KeepBody"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(bytes) = context.response().body().bytes()
            && let Ok(mut slot) = self.0.lock()
        {
            *slot = Some(bytes.to_vec());
        }
        Ok(())
    }
}
