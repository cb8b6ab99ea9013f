//! What an environment runs now, per compose service: the ECS service, its
//! task definition (images, parity's tags) and its deployments. Read-only;
//! shared by `promote` (the source), `rollback` and `status`.

use std::collections::BTreeMap;

use crate::aws::{AwsContext, ecs};
use crate::cloud::image_ref::{Digest, ImageRef};
use crate::cloud::promotion::{self, RunningDigests};
use crate::compose::model::Project;
use crate::error::Result;
use crate::settings::Environment;

/// One compose service in one environment.
#[derive(Debug, Clone)]
pub(crate) struct ServiceView {
    /// Compose service name.
    pub(crate) service: String,
    /// ECS service name (the release phase has none).
    pub(crate) ecs_service: Option<String>,
    /// `None` when nothing runs (never deployed).
    pub(crate) running: Option<Running>,
}

/// What runs for a service.
#[derive(Debug, Clone)]
pub(crate) struct Running {
    pub(crate) task_definition: String,
    pub(crate) family: String,
    pub(crate) revision: i32,
    /// Container name -> image.
    pub(crate) images: Vec<(String, String)>,
    pub(crate) tags: BTreeMap<String, String>,
    /// Rollout state of each deployment, primary first (the release: `COMPLETED`).
    pub(crate) rollout_states: Vec<String>,
    pub(crate) running: i32,
    pub(crate) desired: i32,
}

impl ServiceView {
    /// The image of the service's own container, as it runs now.
    pub(crate) fn image(&self) -> Option<&str> {
        let running = self.running.as_ref()?;
        let containers = running.images.iter().map(|(c, i)| (c.as_str(), i));
        promotion::service_image(containers, &self.service).map(String::as_str)
    }

    /// The digest of [`Self::image`], when it is pinned by one.
    pub(crate) fn digest(&self) -> Option<Digest> {
        ImageRef::parse(self.image()?).ok()?.digest
    }
}

/// Each service's running digest, for `promotion::differing`.
pub(crate) fn digests(views: &[ServiceView]) -> RunningDigests {
    views
        .iter()
        .map(|v| (v.service.clone(), v.digest()))
        .collect()
}

/// The cloud services of the project (no sidecars: they live in their
/// parent's task), each with whether it has no ECS service (the release
/// phase and jobs: what "runs" is their newest completed revision).
pub(crate) fn cloud_services(project: &Project) -> Vec<(String, bool)> {
    project
        .services
        .iter()
        .filter(|(_, s)| s.x_parity.cloud && s.x_parity.sidecar_of.is_none())
        .map(|(name, s)| (name.clone(), s.x_parity.release || s.x_parity.is_job()))
        .collect()
}

/// Observes every cloud service of `project` in `environment`.
pub(crate) async fn observe(
    ctx: &AwsContext,
    environment: &Environment,
    project: &Project,
) -> Result<Vec<ServiceView>> {
    let services = cloud_services(project);
    let cluster = environment.cluster();
    let names: Vec<String> = services
        .iter()
        .filter(|(_, release)| !release)
        .map(|(s, _)| environment.service_name(s))
        .collect();
    let running = if names.is_empty() || !ecs::cluster_active(ctx, &cluster).await? {
        Vec::new()
    } else {
        ecs::describe_services(ctx, &cluster, &names).await?
    };
    let mut views = Vec::new();
    for (service, release) in services {
        if release {
            views.push(ServiceView {
                running: last_completed_release(ctx, &environment.family(&service)).await?,
                service,
                ecs_service: None,
            });
            continue;
        }
        let ecs_name = environment.service_name(&service);
        let view = match running.iter().find(|r| r.name == ecs_name) {
            None => None,
            Some(r) => {
                let td = ecs::describe_task_definition(ctx, &r.task_definition).await?;
                let primary = r
                    .observation
                    .deployments
                    .iter()
                    .find(|d| d.status == "PRIMARY");
                Some(Running {
                    task_definition: td.arn,
                    family: td.family,
                    revision: td.revision,
                    images: td.images,
                    tags: td.tags,
                    rollout_states: r
                        .observation
                        .deployments
                        .iter()
                        .filter(|d| d.status != "INACTIVE")
                        .map(|d| d.rollout_state.clone().unwrap_or_else(|| d.status.clone()))
                        .collect(),
                    running: primary.map_or(r.running, |d| d.running),
                    desired: r.desired,
                })
            }
        };
        views.push(ServiceView {
            service,
            ecs_service: Some(ecs_name),
            running: view,
        });
    }
    Ok(views)
}

/// The release phase has no service: what "runs" is its newest revision whose
/// deploy completed.
async fn last_completed_release(ctx: &AwsContext, family: &str) -> Result<Option<Running>> {
    for arn in ecs::list_revisions(ctx, family).await? {
        let td = ecs::describe_task_definition(ctx, &arn).await?;
        if td.tags.contains_key(crate::cloud::tags::COMPLETED) {
            return Ok(Some(Running {
                task_definition: td.arn,
                family: td.family,
                revision: td.revision,
                images: td.images,
                tags: td.tags,
                rollout_states: vec!["COMPLETED".to_owned()],
                running: 0,
                desired: 0,
            }));
        }
    }
    Ok(None)
}
