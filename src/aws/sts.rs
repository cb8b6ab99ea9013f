//! STS: the account id behind the credentials, when parity.toml does not name it
//! (SSM ARNs and the default ECR registry need it).

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::error::{Error, Result};

/// GetCallerIdentity's account.
pub(crate) async fn account_id(ctx: &AwsContext) -> Result<String> {
    let out = ctx
        .sts()
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Sts, "GetCallerIdentity"), &e))?;
    out.account()
        .map(str::to_owned)
        .ok_or_else(|| Error::failed("STS GetCallerIdentity returned no account"))
}
