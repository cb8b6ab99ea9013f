//! `env apply`'s part for managed services (`cloud: rds|elasticache`):
//! before the change set, the RDS master passwords the template's
//! `{{resolve:ssm-secure:...}}` references read are created (once; never
//! rotated); after the stack settled, the secrets parity composes for the
//! app (a `DATABASE_URL` with the endpoint and the master password, see
//! `cloud::backing::wiring`) are written where they differ from what the
//! store holds, so they follow the endpoint and the password, and a second
//! apply writes nothing. Values never reach the output; names do.

use std::future::Future;
use std::process::ExitCode;

use crate::aws::ssm::{ParameterStore, SecretValue, TAG_APP, TAG_ENVIRONMENT, Write};
use crate::aws::{AwsContext, AwsTarget, cloudformation, master_password};
use crate::cli::EnvApplyArgs;
use crate::cloud::backing::wiring;
use crate::cloud::secrets_plan::Tier;
use crate::cloud::stack::StackData;
use crate::compose::model::Project;
use crate::error::{Error, Result};
use crate::settings::Environment;

/// Runs `apply` (the change set) between the two steps. A dry run, or a run
/// that cannot be confirmed (no `--yes`, no terminal), creates and writes nothing.
pub(crate) async fn around_apply(
    project: &Project,
    environment: &Environment,
    data: &StackData,
    args: &EnvApplyArgs,
    apply: impl Future<Output = Result<ExitCode>>,
) -> Result<ExitCode> {
    let dry_run = args.dry_run || !(args.yes || super::confirm::can_ask());
    if data.backing.is_empty() {
        return apply.await;
    }
    // Bad wiring is bad input: refused before anything is created.
    let wired = wiring::wiring(project, environment, &data.backing)?;
    let ctx = &AwsContext::connect(&AwsTarget::for_environment(environment)).await?;
    if !dry_run {
        for name in master_password::ensure(ctx, environment, &data.backing).await? {
            eprintln!("created the master password in SSM {name} (SecureString; never printed)");
        }
    }
    let code = apply.await?;
    if !dry_run {
        write_composed(ctx, environment, data, &wired).await?;
    }
    Ok(code)
}

/// Writes each composed secret whose value differs from the store's.
async fn write_composed(
    ctx: &AwsContext,
    environment: &Environment,
    data: &StackData,
    wiring: &wiring::Wiring,
) -> Result<()> {
    let secrets: Vec<&wiring::Rewrite> = wiring.rewrites.iter().filter(|r| r.secret).collect();
    if secrets.is_empty() {
        return Ok(());
    }
    let outputs = cloudformation::describe(ctx, &data.stack_name)
        .await?
        .map(|s| s.outputs)
        .unwrap_or_default();
    let store = ParameterStore::new(ctx);
    let tags = [
        (TAG_APP, environment.app.as_str()),
        (TAG_ENVIRONMENT, environment.name()),
    ];
    for rewrite in secrets {
        let (Some(backing), Some(parameter)) = (
            data.backing.iter().find(|b| b.service == rewrite.backing),
            &rewrite.parameter,
        ) else {
            continue;
        };
        let endpoint = outputs.get(&backing.address_output).ok_or_else(|| {
            Error::failed(format!(
                "{} has no output {} (the endpoint of `{}`)",
                data.stack_name, backing.address_output, backing.service
            ))
        })?;
        // Secret rewrites carry an RDS master password (`wiring`).
        let password = master_password::read(ctx, backing).await?.ok_or_else(|| {
            Error::failed(format!(
                "the master password of `{}` is missing from SSM ({})",
                backing.service,
                backing.password_parameter.as_deref().unwrap_or_default()
            ))
            .with_help("it was deleted after the database was created: put the instance's password back under that name (`aws ssm put-parameter --type SecureString`)")
        })?;
        let value = SecretValue::new(rewrite.value(backing, endpoint, password.expose()));
        let parent = parameter.rsplit_once('/').map_or("/", |(p, _)| p);
        let current = store.values(&format!("{parent}/")).await?;
        let existing = current.get(parameter.as_str());
        if existing == Some(&value) {
            continue;
        }
        store
            .put(&Write {
                name: parameter,
                value: &value,
                key_id: environment.kms_key_id(),
                tier: Tier::Standard,
                overwrite: existing.is_some(),
                tags: &tags,
            })
            .await?;
        eprintln!(
            "{} of `{}`: composed for the managed `{}` and written to SSM {parameter}",
            rewrite.variable, rewrite.service, backing.service
        );
    }
    Ok(())
}
