//! Elastic Load Balancing v2 for review apps: the base environment's
//! listeners and target groups read, a review app's target groups and
//! listener rules made, tagged, found by tag and deleted. Owns no decision:
//! names, conditions and priorities come from `cloud::review_routes`.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::error::ProvideErrorMetadata;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, HostHeaderConditionConfig, Matcher, PathPatternConditionConfig,
    ProtocolEnum, RuleCondition, Tag, TargetGroupAttribute, TargetTypeEnum,
};

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::cloud::review_routes::{Condition, Route};
use crate::error::{Error, Result};

/// DescribeTags takes at most twenty ARNs per call.
const TAGS_BATCH: usize = 20;

/// A listener of the base's load balancer.
#[derive(Debug, Clone)]
pub(crate) struct Listener {
    pub(crate) arn: String,
    pub(crate) port: i32,
}

/// A listener rule: its priority (`None`: the default rule) and where it forwards.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) arn: String,
    pub(crate) priority: Option<u32>,
    pub(crate) target_groups: Vec<String>,
}

fn call(operation: &'static str) -> Call<'static> {
    Call::new(Service::Elbv2, operation)
}

/// The listeners of load balancer `arn`.
pub(crate) async fn listeners(ctx: &AwsContext, arn: &str) -> Result<Vec<Listener>> {
    let out = ctx
        .elbv2()
        .describe_listeners()
        .load_balancer_arn(arn)
        .send()
        .await
        .map_err(|e| ctx.explain(&call("DescribeListeners").on(arn), &e))?;
    Ok(out
        .listeners()
        .iter()
        .map(|l| Listener {
            arn: l.listener_arn().unwrap_or_default().to_owned(),
            port: l.port().unwrap_or_default(),
        })
        .collect())
}

/// The rules of listener `arn`.
pub(crate) async fn rules(ctx: &AwsContext, arn: &str) -> Result<Vec<Rule>> {
    let mut rules = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let out = ctx
            .elbv2()
            .describe_rules()
            .listener_arn(arn)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| ctx.explain(&call("DescribeRules").on(arn), &e))?;
        for rule in out.rules() {
            let mut target_groups: Vec<String> = Vec::new();
            for action in rule.actions() {
                target_groups.extend(action.target_group_arn().map(str::to_owned));
                if let Some(forward) = action.forward_config() {
                    target_groups.extend(
                        forward
                            .target_groups()
                            .iter()
                            .filter_map(|t| t.target_group_arn().map(str::to_owned)),
                    );
                }
            }
            target_groups.sort();
            target_groups.dedup();
            rules.push(Rule {
                arn: rule.rule_arn().unwrap_or_default().to_owned(),
                priority: rule.priority().and_then(|p| p.parse().ok()),
                target_groups,
            });
        }
        match out.next_marker() {
            Some(next) if !next.is_empty() => marker = Some(next.to_owned()),
            _ => return Ok(rules),
        }
    }
}

/// The VPC of target group `arn` (a review app's target groups join the base's VPC).
pub(crate) async fn vpc_of(ctx: &AwsContext, arn: &str) -> Result<String> {
    let out = ctx
        .elbv2()
        .describe_target_groups()
        .target_group_arns(arn)
        .send()
        .await
        .map_err(|e| ctx.explain(&call("DescribeTargetGroups").on(arn), &e))?;
    out.target_groups()
        .first()
        .and_then(|t| t.vpc_id())
        .map(str::to_owned)
        .ok_or_else(|| Error::failed(format!("target group {arn} has no VPC")))
}

/// The ARN of the target group named `name`, if it exists.
pub(crate) async fn target_group_named(ctx: &AwsContext, name: &str) -> Result<Option<String>> {
    match ctx
        .elbv2()
        .describe_target_groups()
        .names(name)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn())
            .map(str::to_owned)),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_target_group_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(err) => Err(ctx.explain(&call("DescribeTargetGroups").on(name), &err)),
    }
}

/// Every target group ARN in the region (all pages).
pub(crate) async fn all_target_groups(ctx: &AwsContext) -> Result<Vec<String>> {
    let mut arns = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let out = ctx
            .elbv2()
            .describe_target_groups()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| ctx.explain(&call("DescribeTargetGroups"), &e))?;
        arns.extend(
            out.target_groups()
                .iter()
                .filter_map(|t| t.target_group_arn().map(str::to_owned)),
        );
        match out.next_marker() {
            Some(next) if !next.is_empty() => marker = Some(next.to_owned()),
            _ => return Ok(arns),
        }
    }
}

/// The tags of each of `arns`, by ARN.
pub(crate) async fn tags_of(
    ctx: &AwsContext,
    arns: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
    let mut found = BTreeMap::new();
    for batch in arns.chunks(TAGS_BATCH) {
        let out = ctx
            .elbv2()
            .describe_tags()
            .set_resource_arns(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| ctx.explain(&call("DescribeTags"), &e))?;
        for description in out.tag_descriptions() {
            let tags = description
                .tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_owned(),
                        t.value().unwrap_or_default().to_owned(),
                    ))
                })
                .collect();
            found.insert(
                description.resource_arn().unwrap_or_default().to_owned(),
                tags,
            );
        }
    }
    Ok(found)
}

fn tag_list(tags: &[(&str, String)]) -> Vec<Tag> {
    tags.iter()
        .map(|(key, value)| Tag::builder().key(*key).value(value).build())
        .collect()
}

/// Creates `route`'s target group in `vpc` with parity's fast-deploy health
/// check (as the environment stack's: every 10 s, healthy after 2,
/// deregistration delay 10 s) and `tags`; returns its ARN.
pub(crate) async fn create_target_group(
    ctx: &AwsContext,
    route: &Route,
    vpc: &str,
    tags: &[(&str, String)],
) -> Result<String> {
    let name = route.target_group_name.as_str();
    let out = ctx
        .elbv2()
        .create_target_group()
        .name(name)
        .protocol(ProtocolEnum::Http)
        .port(i32::from(route.port))
        .vpc_id(vpc)
        .target_type(TargetTypeEnum::Ip)
        .health_check_path(&route.health_check_path)
        .health_check_interval_seconds(10)
        .health_check_timeout_seconds(5)
        .healthy_threshold_count(2)
        .unhealthy_threshold_count(3)
        .matcher(Matcher::builder().http_code("200-399").build())
        .set_tags(Some(tag_list(tags)))
        .send()
        .await
        .map_err(|e| ctx.explain(&call("CreateTargetGroup").on(name), &e))?;
    let arn = out
        .target_groups()
        .first()
        .and_then(|t| t.target_group_arn())
        .map(str::to_owned)
        .ok_or_else(|| Error::failed(format!("CreateTargetGroup {name}: no ARN returned")))?;
    ctx.elbv2()
        .modify_target_group_attributes()
        .target_group_arn(&arn)
        .attributes(
            TargetGroupAttribute::builder()
                .key("deregistration_delay.timeout_seconds")
                .value("10")
                .build(),
        )
        .send()
        .await
        .map_err(|e| ctx.explain(&call("ModifyTargetGroupAttributes").on(name), &e))?;
    Ok(arn)
}

/// Adds or updates `tags` on `arn` (a redeploy's commit and time).
pub(crate) async fn tag(ctx: &AwsContext, arn: &str, tags: &[(&str, String)]) -> Result<()> {
    ctx.elbv2()
        .add_tags()
        .resource_arns(arn)
        .set_tags(Some(tag_list(tags)))
        .send()
        .await
        .map_err(|e| ctx.explain(&call("AddTags").on(arn), &e))?;
    Ok(())
}

/// A rule on `listener` at `priority` forwarding `route`'s traffic to
/// `target_group`: its ARN, or `None` when another rule took `priority`
/// since the listener's rules were read (ELB's `PriorityInUse`: two review
/// apps deployed at once each chose the same free priority).
pub(crate) async fn create_rule(
    ctx: &AwsContext,
    listener: &str,
    priority: u32,
    route: &Route,
    target_group: &str,
    tags: &[(&str, String)],
) -> Result<Option<String>> {
    let condition = match &route.condition {
        Condition::Host(host) => RuleCondition::builder()
            .field("host-header")
            .host_header_config(HostHeaderConditionConfig::builder().values(host).build())
            .build(),
        Condition::Path(paths) => RuleCondition::builder()
            .field("path-pattern")
            .path_pattern_config(
                PathPatternConditionConfig::builder()
                    .set_values(Some(paths.clone()))
                    .build(),
            )
            .build(),
    };
    let action = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(target_group)
        .build();
    let out = match ctx
        .elbv2()
        .create_rule()
        .listener_arn(listener)
        .priority(i32::try_from(priority).unwrap_or(i32::MAX))
        .conditions(condition)
        .actions(action)
        .set_tags(Some(tag_list(tags)))
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if e.code() == Some("PriorityInUse") => return Ok(None),
        Err(e) => return Err(ctx.explain(&call("CreateRule").on(&route.target_group_name), &e)),
    };
    out.rules()
        .first()
        .and_then(|r| r.rule_arn())
        .map(|arn| Some(arn.to_owned()))
        .ok_or_else(|| Error::failed("CreateRule: no ARN returned"))
}

pub(crate) async fn delete_rule(ctx: &AwsContext, arn: &str) -> Result<()> {
    ctx.elbv2()
        .delete_rule()
        .rule_arn(arn)
        .send()
        .await
        .map_err(|e| ctx.explain(&call("DeleteRule").on(arn), &e))?;
    Ok(())
}

pub(crate) async fn delete_target_group(ctx: &AwsContext, arn: &str) -> Result<()> {
    ctx.elbv2()
        .delete_target_group()
        .target_group_arn(arn)
        .send()
        .await
        .map_err(|e| ctx.explain(&call("DeleteTargetGroup").on(arn), &e))?;
    Ok(())
}
