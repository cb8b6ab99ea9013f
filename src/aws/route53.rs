//! Route 53: the certificate's DNS validation records, written into the
//! hosted zone parity.toml names (`hosted_zone`: a zone id or its domain).
//! The alias record to the load balancer is the stack's own resource.

use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};

use super::acm::ValidationRecord;
use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::error::{Error, Result};

/// The zone id of `zone` (`Z...` is taken as an id; else the public zone of that name).
pub(crate) async fn zone_id(ctx: &AwsContext, zone: &str) -> Result<String> {
    if zone.starts_with('Z') && !zone.contains('.') {
        return Ok(zone.to_owned());
    }
    let name = format!("{}.", zone.trim_end_matches('.'));
    let out = ctx
        .route53()
        .list_hosted_zones_by_name()
        .dns_name(&name)
        .max_items(1)
        .send()
        .await
        .map_err(|e| {
            ctx.explain(
                &Call::new(Service::Route53, "ListHostedZonesByName").on(zone),
                &e,
            )
        })?;
    out.hosted_zones()
        .iter()
        .find(|z| z.name() == name)
        .map(|z| z.id().trim_start_matches("/hostedzone/").to_owned())
        .ok_or_else(|| {
            Error::failed(format!("Route 53 has no hosted zone `{zone}` in this account"))
                .with_help("create the zone, or correct `hosted_zone` in parity.toml (a zone id `Z...` or its domain)")
        })
}

/// Creates or updates the validation records in the zone.
pub(crate) async fn upsert(
    ctx: &AwsContext,
    zone_id: &str,
    records: &[ValidationRecord],
) -> Result<()> {
    let changes = records
        .iter()
        .map(|r| {
            let set = ResourceRecordSet::builder()
                .name(&r.name)
                .r#type(RrType::from(r.kind.as_str()))
                .ttl(300)
                .resource_records(
                    ResourceRecord::builder()
                        .value(&r.value)
                        .build()
                        .map_err(build_error)?,
                )
                .build()
                .map_err(build_error)?;
            Change::builder()
                .action(ChangeAction::Upsert)
                .resource_record_set(set)
                .build()
                .map_err(build_error)
        })
        .collect::<Result<Vec<_>>>()?;
    let batch = ChangeBatch::builder()
        .comment("parity env apply: ACM DNS validation")
        .set_changes(Some(changes))
        .build()
        .map_err(build_error)?;
    ctx.route53()
        .change_resource_record_sets()
        .hosted_zone_id(zone_id)
        .change_batch(batch)
        .send()
        .await
        .map_err(|e| {
            ctx.explain(
                &Call::new(Service::Route53, "ChangeResourceRecordSets").on(zone_id),
                &e,
            )
        })?;
    Ok(())
}

fn build_error(e: aws_sdk_route53::error::BuildError) -> Error {
    Error::failed(format!("cannot build the Route 53 change: {e}"))
}
