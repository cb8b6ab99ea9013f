//! ECS for `parity env destroy`: the services in an environment's cluster,
//! scaled to zero and deleted, then watched until ECS reports them gone, so
//! the stack's cluster, target groups and security groups can be deleted
//! (CloudFormation cannot delete a cluster that still has services).

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::error::Result;

/// Every service ARN in `cluster` (all pages); none when the cluster does not exist.
pub(crate) async fn list_services(ctx: &AwsContext, cluster: &str) -> Result<Vec<String>> {
    let mut arns = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = match ctx
            .ecs()
            .list_services()
            .cluster(cluster)
            .set_next_token(next.take())
            .send()
            .await
        {
            Ok(out) => out,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_cluster_not_found_exception()) =>
            {
                return Ok(arns);
            }
            Err(err) => {
                return Err(ctx.explain(&Call::new(Service::Ecs, "ListServices").on(cluster), &err));
            }
        };
        arns.extend(out.service_arns().iter().cloned());
        match out.next_token() {
            Some(token) => next = Some(token.to_owned()),
            None => return Ok(arns),
        }
    }
}

/// Scales a service to zero and deletes it (`force`: ECS drains its tasks).
pub(crate) async fn delete_service(ctx: &AwsContext, cluster: &str, service: &str) -> Result<()> {
    ctx.ecs()
        .update_service()
        .cluster(cluster)
        .service(service)
        .desired_count(0)
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Ecs, "UpdateService").on(service), &e))?;
    ctx.ecs()
        .delete_service()
        .cluster(cluster)
        .service(service)
        .force(true)
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Ecs, "DeleteService").on(service), &e))?;
    Ok(())
}

/// The services among `services` that ECS does not yet report INACTIVE
/// (a deleted service is DRAINING while its tasks stop, then INACTIVE).
pub(crate) async fn still_draining(
    ctx: &AwsContext,
    cluster: &str,
    services: &[String],
) -> Result<Vec<String>> {
    let records = super::ecs::describe_service_records(ctx, cluster, services).await?;
    Ok(records
        .iter()
        .filter(|s| s.status() != Some("INACTIVE"))
        .map(|s| s.service_name().unwrap_or_default().to_owned())
        .collect())
}
