//! The per-environment deploy lock, stored as an SSM parameter that is created
//! only if absent (PutParameter without Overwrite is atomic), under
//! `/parity-locks/<app>/<env>` — outside the secrets prefix, so
//! `secrets sync --prune` never sees it. The record format is `cloud::deploy_lock`.

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::ParameterType;

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::cloud::deploy_lock::LockRecord;
use crate::error::Result;

/// Takes the lock; `Ok(Err(holder))` when someone else holds it.
pub(crate) async fn acquire(
    ctx: &AwsContext,
    name: &str,
    record: &LockRecord,
) -> Result<Result<(), LockRecord>> {
    match ctx
        .ssm()
        .put_parameter()
        .name(name)
        .value(record.encode())
        .r#type(ParameterType::String)
        .overwrite(false)
        .description("parity deploy lock")
        .send()
        .await
    {
        Ok(_) => Ok(Ok(())),
        Err(e) if e.code() == Some("ParameterAlreadyExists") => {
            // A retried PutParameter whose first attempt did reach SSM finds our own record.
            let holder = holder(ctx, name).await?;
            Ok(if holder.token == record.token {
                Ok(())
            } else {
                Err(holder)
            })
        }
        Err(e) => Err(ctx.explain(&Call::new(Service::Ssm, "PutParameter").on(name), &e)),
    }
}

/// Reads who holds the lock.
pub(crate) async fn holder(ctx: &AwsContext, name: &str) -> Result<LockRecord> {
    let out = ctx
        .ssm()
        .get_parameter()
        .name(name)
        .send()
        .await
        .map_err(|e| ctx.explain(&Call::new(Service::Ssm, "GetParameter").on(name), &e))?;
    Ok(LockRecord::decode(
        out.parameter().and_then(|p| p.value()).unwrap_or(""),
    ))
}

/// Removes the lock if it is still ours (same token); someone who broke it keeps theirs.
pub(crate) async fn release(ctx: &AwsContext, name: &str, token: &str) -> Result<()> {
    match holder(ctx, name).await {
        Ok(current) if current.token == token => remove(ctx, name).await,
        _ => Ok(()),
    }
}

/// Deletes the lock whoever holds it (`--break-lock`).
pub(crate) async fn remove(ctx: &AwsContext, name: &str) -> Result<()> {
    match ctx.ssm().delete_parameter().name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("ParameterNotFound") => Ok(()),
        Err(e) => Err(ctx.explain(&Call::new(Service::Ssm, "DeleteParameter").on(name), &e)),
    }
}
