//! The environment commands' part for managed services (`cloud:
//! rds|elasticache`), in the environment's store (SSM or Secrets Manager,
//! `aws::parity_secrets`). All of it runs inside the pipeline's `apply`,
//! under the environment's deploy lock, so two concurrent applies cannot
//! interleave their writes:
//!
//! - `env apply`, before the change set: the RDS master passwords the
//!   template's `{{resolve:...}}` references read are created (once; never
//!   rotated) — [`before_change_set`];
//! - `env apply`, after the stack settled (or was already up to date): the
//!   secrets parity composes for the app (a `DATABASE_URL` with the endpoint
//!   and the master password, see `cloud::backing::wiring`) are written where
//!   they differ from what the store holds, so they follow the endpoint and
//!   the password, and a second apply writes nothing — [`after_settled`];
//! - `env destroy`, after the stack is deleted: what those two created is
//!   deleted (only secrets tagged as this environment's) — [`after_destroy`].
//!
//! Values never reach the output; names do.

use crate::aws::parity_secrets::ParitySecrets;
use crate::aws::ssm::SecretValue;
use crate::aws::{AwsContext, cloudformation, master_password};
use crate::cloud::backing::wiring;
use crate::cloud::stack::StackData;
use crate::compose::model::Project;
use crate::error::{Error, Result};
use crate::settings::Environment;

/// Creates the master passwords that do not exist yet.
pub(super) async fn before_change_set(
    ctx: &AwsContext,
    environment: &Environment,
    data: &StackData,
) -> Result<()> {
    let label = environment.secrets_store().label();
    for name in master_password::ensure(ctx, environment, &data.backing).await? {
        eprintln!("created the master password in {label} {name} (never printed)");
    }
    Ok(())
}

/// Writes each composed secret whose value differs from the store's.
pub(super) async fn after_settled(
    ctx: &AwsContext,
    project: &Project,
    environment: &Environment,
    data: &StackData,
) -> Result<()> {
    let wiring = wiring::wiring(project, environment, &data.backing)?;
    let secrets: Vec<&wiring::Rewrite> = wiring.rewrites.iter().filter(|r| r.secret).collect();
    if secrets.is_empty() {
        return Ok(());
    }
    let outputs = cloudformation::describe(ctx, &data.stack_name)
        .await?
        .map(|s| s.outputs)
        .unwrap_or_default();
    let store = ParitySecrets::new(ctx, environment);
    for rewrite in secrets {
        let (Some(backing), Some(name)) = (
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
        let password = master_password::read(ctx, environment, backing)
            .await?
            .ok_or_else(|| {
                Error::failed(format!(
                    "the master password of `{}` is missing from {} ({})",
                    backing.service,
                    store.label(),
                    backing.password_secret.as_deref().unwrap_or_default()
                ))
                .with_help("it was deleted after the database was created: put the instance's password back under that name")
            })?;
        let value = SecretValue::new(rewrite.value(backing, endpoint, password.expose()));
        let existing = store.read(name).await?;
        if existing.as_ref() == Some(&value) {
            continue;
        }
        store.write(name, &value, existing.is_some()).await?;
        eprintln!(
            "{} of `{}`: composed for the managed `{}` and written to {} {name}",
            rewrite.variable,
            rewrite.service,
            backing.service,
            store.label()
        );
    }
    Ok(())
}

/// What `env destroy` did with parity's own secrets of the environment.
#[derive(Debug, Default)]
pub(super) struct Cleaned {
    /// `SSM` or `Secrets Manager`.
    pub(super) store: &'static str,
    pub(super) deleted: Vec<String>,
    /// Master passwords kept on a protected environment.
    pub(super) kept: Vec<String>,
}

/// After the stack is gone: deletes the composed secrets and the master
/// passwords parity created for it (only those tagged as this
/// environment's). On a protected environment (one that `promotes_from`
/// another: its instances leave a final snapshot, which keeps the master
/// password it was taken with) the passwords stay.
pub(super) async fn after_destroy(
    ctx: &AwsContext,
    project: &Project,
    environment: &Environment,
    data: &StackData,
) -> Result<Cleaned> {
    let store = ParitySecrets::new(ctx, environment);
    let mut cleaned = Cleaned {
        store: store.label(),
        ..Cleaned::default()
    };
    if data.backing.is_empty() {
        return Ok(cleaned);
    }
    let wiring = wiring::wiring(project, environment, &data.backing)?;
    let mut names: Vec<String> = wiring
        .rewrites
        .iter()
        .filter_map(|r| r.parameter.clone())
        .collect();
    let passwords: Vec<String> = data
        .backing
        .iter()
        .filter_map(|b| b.password_secret.clone())
        .collect();
    if data.database.protected {
        cleaned.kept = store.existing(&passwords).await?.into_iter().collect();
    } else {
        names.extend(passwords);
    }
    cleaned.deleted = store.delete_owned(&names).await?;
    Ok(cleaned)
}
