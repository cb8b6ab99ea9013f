//! `x-parity.scale` in the cloud: an Application Auto Scaling scalable target
//! on the ECS service's desired count (`min`..`max`) and one target-tracking
//! policy per metric (average CPU, average memory, load-balancer requests per
//! task). Deploy applies them after the service exists and never sets the
//! desired count of an existing service, so the two never fight.
//!
//! Pure: the shapes; `aws::autoscaling` sends them.

use crate::compose::x_parity::Scale;
use crate::settings::Environment;

/// Application Auto Scaling's dimension for an ECS service's task count.
pub(crate) const DIMENSION: &str = "ecs:service:DesiredCount";

/// One service's scaling.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scaling {
    /// Compose service name.
    pub(crate) service: String,
    /// `service/<cluster>/<ecs service>`.
    pub(crate) resource_id: String,
    pub(crate) min: i32,
    pub(crate) max: i32,
    pub(crate) policies: Vec<Policy>,
}

/// One target-tracking policy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Policy {
    /// `<ecs service>-cpu`, `-memory`, `-requests`.
    pub(crate) name: String,
    /// `ECSServiceAverageCPUUtilization`, `ECSServiceAverageMemoryUtilization`, `ALBRequestCountPerTarget`.
    pub(crate) metric: &'static str,
    pub(crate) target: f64,
    /// `app/<lb>/<id>/targetgroup/<tg>/<id>` for the request count.
    pub(crate) resource_label: Option<String>,
}

/// The scaling of `service` (`None` without `scale`), and a warning when a
/// request-count policy cannot be made yet (the load balancer is unknown).
pub(crate) fn scaling(
    environment: &Environment,
    service: &str,
    scale: Option<&Scale>,
) -> (Option<Scaling>, Option<String>) {
    let Some(scale) = scale else {
        return (None, None);
    };
    let ecs_service = environment.service_name(service);
    let whole = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
    let mut policies = Vec::new();
    let mut warning = None;
    for (suffix, metric, value) in [
        ("cpu", "ECSServiceAverageCPUUtilization", scale.cpu),
        ("memory", "ECSServiceAverageMemoryUtilization", scale.memory),
    ] {
        if let Some(value) = value {
            policies.push(Policy {
                name: format!("{ecs_service}-{suffix}"),
                metric,
                target: value as f64,
                resource_label: None,
            });
        }
    }
    if let Some(requests) = scale.requests_per_target {
        let label = environment.load_balancer(service).and_then(|lb| {
            resource_label(
                environment.load_balancer_full_name.as_deref()?,
                &lb.target_group_arn,
            )
        });
        match label {
            Some(label) => policies.push(Policy {
                name: format!("{ecs_service}-requests"),
                metric: "ALBRequestCountPerTarget",
                target: requests as f64,
                resource_label: Some(label),
            }),
            None => {
                warning = Some(format!(
                    "service `{service}`: scale.requests_per_target: the environment's load balancer is not known, so there is no request-count policy; run `parity env apply {}`",
                    environment.name()
                ));
            }
        }
    }
    (
        Some(Scaling {
            service: service.to_owned(),
            resource_id: resource_id(environment, service),
            min: whole(scale.min),
            max: whole(scale.max),
            policies,
        }),
        warning,
    )
}

/// The metrics parity makes policies for, by the suffix of the policy's name.
const POLICY_SUFFIXES: [&str; 3] = ["cpu", "memory", "requests"];

/// The policies on `resource_id` (`service/<cluster>/<ecs service>`) that
/// parity made (`<ecs service>-cpu|memory|requests`) and `wanted` no longer
/// has: a metric removed from `x-parity.scale`, or the whole block
/// (`wanted` is `None`). Policies with other names are someone else's.
pub(crate) fn stale_policies(
    resource_id: &str,
    existing: &[String],
    wanted: Option<&Scaling>,
) -> Vec<String> {
    let ecs_service = resource_id.rsplit('/').next().unwrap_or_default();
    existing
        .iter()
        .filter(|name| {
            POLICY_SUFFIXES
                .iter()
                .any(|suffix| **name == format!("{ecs_service}-{suffix}"))
        })
        .filter(|name| wanted.is_none_or(|w| !w.policies.iter().any(|p| p.name == **name)))
        .cloned()
        .collect()
}

/// `service/<cluster>/<ecs service>`: how Application Auto Scaling names the service.
pub(crate) fn resource_id(environment: &Environment, service: &str) -> String {
    format!(
        "service/{}/{}",
        environment.cluster(),
        environment.service_name(service)
    )
}

/// `app/<lb>/<id>/targetgroup/<tg>/<id>` from the load balancer's full name
/// and the target group's ARN (`arn:...:targetgroup/<tg>/<id>`).
pub(crate) fn resource_label(
    load_balancer_full_name: &str,
    target_group_arn: &str,
) -> Option<String> {
    let (_, target_group) = target_group_arn.split_once(":targetgroup/")?;
    Some(format!(
        "{load_balancer_full_name}/targetgroup/{target_group}"
    ))
}

/// The desired count a new service starts with: the plan's, brought into the range.
pub(crate) fn clamp_desired(desired: u64, scale: &Scale) -> u64 {
    desired.clamp(scale.min, scale.max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_policies_are_parity_named_ones_the_scale_block_no_longer_has() {
        let id = "service/shop-staging/shop-web";
        let existing: Vec<String> = [
            "shop-web-cpu",
            "shop-web-memory",
            "shop-web-requests",
            "team-custom",
        ]
        .map(String::from)
        .to_vec();
        let wanted = Scaling {
            service: "web".into(),
            resource_id: id.into(),
            min: 1,
            max: 2,
            policies: vec![Policy {
                name: "shop-web-cpu".into(),
                metric: "ECSServiceAverageCPUUtilization",
                target: 50.0,
                resource_label: None,
            }],
        };
        assert_eq!(
            stale_policies(id, &existing, Some(&wanted)),
            ["shop-web-memory", "shop-web-requests"]
        );
        assert_eq!(
            stale_policies(id, &existing, None),
            ["shop-web-cpu", "shop-web-memory", "shop-web-requests"]
        );
        assert!(stale_policies(id, &["team-custom".into()], None).is_empty());
    }

    #[test]
    fn the_request_label_joins_the_load_balancer_and_the_target_group() {
        assert_eq!(
            resource_label(
                "app/shop-staging/50dc6c495c0c9188",
                "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-web/943f017f100becff"
            )
            .as_deref(),
            Some("app/shop-staging/50dc6c495c0c9188/targetgroup/shop-web/943f017f100becff")
        );
        assert_eq!(resource_label("app/x/1", "not-an-arn"), None);
        let scale = Scale {
            min: 2,
            max: 10,
            cpu: Some(60),
            memory: None,
            requests_per_target: None,
        };
        assert_eq!(
            (
                clamp_desired(1, &scale),
                clamp_desired(4, &scale),
                clamp_desired(40, &scale)
            ),
            (2, 4, 10)
        );
    }
}
