//! ECS for review apps: the services of a cluster with their tags (what
//! `review list` reads), and a review app's task definition families
//! deregistered and deleted (`review destroy`).

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{ServiceField, TaskDefinitionFamilyStatus};

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::error::Result;

/// An ACTIVE service of a cluster and its tags.
#[derive(Debug, Clone)]
pub(crate) struct TaggedService {
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) tags: BTreeMap<String, String>,
}

/// Every ACTIVE service of `cluster` with its tags (ten per DescribeServices).
pub(crate) async fn tagged_services(ctx: &AwsContext, cluster: &str) -> Result<Vec<TaggedService>> {
    let arns = super::ecs_teardown::list_services(ctx, cluster).await?;
    let mut found = Vec::new();
    for chunk in arns.chunks(10) {
        let out = ctx
            .ecs()
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk.to_vec()))
            .include(ServiceField::Tags)
            .send()
            .await
            .map_err(|e| {
                ctx.explain(&Call::new(Service::Ecs, "DescribeServices").on(cluster), &e)
            })?;
        for s in out.services() {
            if s.status() != Some("ACTIVE") {
                continue;
            }
            found.push(TaggedService {
                name: s.service_name().unwrap_or_default().to_owned(),
                arn: s.service_arn().unwrap_or_default().to_owned(),
                tags: s
                    .tags()
                    .iter()
                    .filter_map(|t| {
                        Some((
                            t.key()?.to_owned(),
                            t.value().unwrap_or_default().to_owned(),
                        ))
                    })
                    .collect(),
            });
        }
    }
    Ok(found)
}

/// Adds or updates `tags` on an ECS resource (a review app's service on redeploy).
pub(crate) async fn tag(ctx: &AwsContext, arn: &str, tags: &[(&str, String)]) -> Result<()> {
    let pairs: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (*k, v.as_str())).collect();
    super::ecs::tag(ctx, arn, &pairs).await
}

/// Task definition families whose names start with `prefix` (ACTIVE ones).
pub(crate) async fn families(ctx: &AwsContext, prefix: &str) -> Result<Vec<String>> {
    let mut families = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = ctx
            .ecs()
            .list_task_definition_families()
            .family_prefix(prefix)
            .status(TaskDefinitionFamilyStatus::Active)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| {
                ctx.explain(
                    &Call::new(Service::Ecs, "ListTaskDefinitionFamilies").on(prefix),
                    &e,
                )
            })?;
        families.extend(out.families().iter().cloned());
        match out.next_token() {
            Some(token) => next = Some(token.to_owned()),
            None => return Ok(families),
        }
    }
}

/// Deregisters each of `arns` (revisions) and deletes them, ten per DeleteTaskDefinitions.
pub(crate) async fn remove_revisions(ctx: &AwsContext, arns: &[String]) -> Result<()> {
    for arn in arns {
        ctx.ecs()
            .deregister_task_definition()
            .task_definition(arn)
            .send()
            .await
            .map_err(|e| {
                ctx.explain(
                    &Call::new(Service::Ecs, "DeregisterTaskDefinition").on(arn),
                    &e,
                )
            })?;
    }
    for chunk in arns.chunks(10) {
        ctx.ecs()
            .delete_task_definitions()
            .set_task_definitions(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| {
                let first = chunk.first().map_or("", String::as_str);
                ctx.explain(
                    &Call::new(Service::Ecs, "DeleteTaskDefinitions").on(first),
                    &e,
                )
            })?;
    }
    Ok(())
}
