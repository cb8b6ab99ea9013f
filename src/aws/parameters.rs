//! Which SSM parameters exist, by name only: DescribeParameters returns
//! metadata, never values, so deploy's preflight cannot see a secret.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ssm::types::ParameterStringFilter;

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::error::{Error, Result};

/// The subset of `names` that exist.
pub(crate) async fn existing(ctx: &AwsContext, names: &[String]) -> Result<BTreeSet<String>> {
    Ok(key_ids(ctx, names).await?.into_keys().collect())
}

/// Each of `names` that exists, with the KMS key a SecureString is encrypted
/// with (`alias/aws/ssm` for the account's default; `None` for plain strings).
pub(crate) async fn key_ids(
    ctx: &AwsContext,
    names: &[String],
) -> Result<BTreeMap<String, Option<String>>> {
    let mut found = BTreeMap::new();
    for chunk in names.chunks(50) {
        let filter = ParameterStringFilter::builder()
            .key("Name")
            .option("Equals")
            .set_values(Some(chunk.to_vec()))
            .build()
            .map_err(|e| Error::failed(format!("DescribeParameters filter: {e}")))?;
        let mut next: Option<String> = None;
        loop {
            let out = ctx
                .ssm()
                .describe_parameters()
                .parameter_filters(filter.clone())
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| ctx.explain(&Call::new(Service::Ssm, "DescribeParameters"), &e))?;
            found.extend(
                out.parameters()
                    .iter()
                    .filter_map(|p| Some((p.name()?.to_owned(), p.key_id().map(str::to_owned)))),
            );
            match out.next_token() {
                Some(token) => next = Some(token.to_owned()),
                None => break,
            }
        }
    }
    Ok(found)
}
