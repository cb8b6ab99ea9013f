//! Application Auto Scaling: the scalable target and target-tracking policies
//! of a service with `x-parity.scale` (`cloud::scaling`). Adapter only.

use aws_sdk_applicationautoscaling::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};

use super::config::{AwsContext, Service};
use super::explain::{Call, HttpStatus};
use crate::cloud::scaling::{DIMENSION, Scaling};
use crate::error::{Error, Result};

/// Registers the scalable target (its range) and puts every policy. Both
/// calls replace what is there, so a second deploy is the same request.
pub(crate) async fn apply(ctx: &AwsContext, scaling: &Scaling) -> Result<()> {
    let client = ctx.autoscaling();
    let id = scaling.resource_id.as_str();
    client
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(id)
        .scalable_dimension(ScalableDimension::from(DIMENSION))
        .min_capacity(scaling.min)
        .max_capacity(scaling.max)
        .send()
        .await
        .map_err(failed(ctx, "RegisterScalableTarget", id))?;
    for policy in &scaling.policies {
        let metric = PredefinedMetricSpecification::builder()
            .predefined_metric_type(MetricType::from(policy.metric))
            .set_resource_label(policy.resource_label.clone())
            .build()
            .map_err(|e| Error::failed(format!("scaling policy {}: {e}", policy.name)))?;
        let configuration = TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(policy.target)
            .predefined_metric_specification(metric)
            .build()
            .map_err(|e| Error::failed(format!("scaling policy {}: {e}", policy.name)))?;
        client
            .put_scaling_policy()
            .policy_name(&policy.name)
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(id)
            .scalable_dimension(ScalableDimension::from(DIMENSION))
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(configuration)
            .send()
            .await
            .map_err(failed(ctx, "PutScalingPolicy", &policy.name))?;
    }
    Ok(())
}

/// The registered range of `resource_id` (`None`: not registered).
pub(crate) async fn range(ctx: &AwsContext, resource_id: &str) -> Result<Option<(i32, i32)>> {
    let out = ctx
        .autoscaling()
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(resource_id)
        .scalable_dimension(ScalableDimension::from(DIMENSION))
        .send()
        .await
        .map_err(failed(ctx, "DescribeScalableTargets", resource_id))?;
    Ok(out
        .scalable_targets()
        .first()
        .map(|t| (t.min_capacity(), t.max_capacity())))
}

/// The names of the scaling policies on `resource_id`.
pub(crate) async fn policy_names(ctx: &AwsContext, resource_id: &str) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let out = ctx
            .autoscaling()
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(resource_id)
            .scalable_dimension(ScalableDimension::from(DIMENSION))
            .set_next_token(token)
            .send()
            .await
            .map_err(failed(ctx, "DescribeScalingPolicies", resource_id))?;
        names.extend(
            out.scaling_policies()
                .iter()
                .map(|p| p.policy_name().to_owned()),
        );
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(names);
        }
    }
}

/// Deletes the policy `name` on `resource_id`.
pub(crate) async fn delete_policy(ctx: &AwsContext, resource_id: &str, name: &str) -> Result<()> {
    ctx.autoscaling()
        .delete_scaling_policy()
        .policy_name(name)
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource_id)
        .scalable_dimension(ScalableDimension::from(DIMENSION))
        .send()
        .await
        .map_err(failed(ctx, "DeleteScalingPolicy", name))?;
    Ok(())
}

/// Deregisters the scalable target `resource_id` (its policies go with it).
pub(crate) async fn deregister(ctx: &AwsContext, resource_id: &str) -> Result<()> {
    ctx.autoscaling()
        .deregister_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource_id)
        .scalable_dimension(ScalableDimension::from(DIMENSION))
        .send()
        .await
        .map_err(failed(ctx, "DeregisterScalableTarget", resource_id))?;
    Ok(())
}

/// How a failed Application Auto Scaling `operation` on `on` is reported:
/// explained in one line (`aws::explain`), never the SDK's own text.
fn failed<'a, E, R>(
    ctx: &'a AwsContext,
    operation: &'static str,
    on: &'a str,
) -> impl FnOnce(SdkError<E, R>) -> Error + 'a
where
    E: ProvideErrorMetadata,
    R: HttpStatus,
{
    move |e| ctx.explain(&Call::new(Service::AutoScaling, operation).on(on), &e)
}
