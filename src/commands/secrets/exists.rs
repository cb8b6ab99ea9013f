//! Which declared secrets do not exist, by name only: deploy's preflight.
//! parity's own secrets are looked for in the environment's store, references
//! where they point. DescribeParameters and DescribeSecret return metadata,
//! never values, so the check needs no decrypt permission and sees no secret.

use crate::aws::AwsContext;
use crate::aws::parameters;
use crate::aws::secretsmanager::SecretsManager;
use crate::compose::x_parity::{SecretRef, Secrets};
use crate::error::Result;
use crate::settings::{Environment, SecretsStore};

/// What is missing, each as `VARIABLE (where it was looked for)`, sorted.
pub(crate) async fn missing_in_stores<'s>(
    context: &AwsContext,
    environment: &Environment,
    declared: impl Iterator<Item = &'s Secrets>,
) -> Result<Vec<String>> {
    // (variable, store, id looked up, how it is shown)
    let mut wanted: Vec<(String, SecretsStore, String, String)> = Vec::new();
    for secrets in declared {
        for name in secrets.owned() {
            let (store, id) = match environment.secrets_store() {
                SecretsStore::Ssm => (SecretsStore::Ssm, environment.ssm_parameter_name(name)),
                SecretsStore::Secretsmanager => (
                    SecretsStore::Secretsmanager,
                    format!("{}{name}", environment.secrets_manager_prefix()),
                ),
            };
            let shown = format!("{name} ({})", id);
            wanted.push((name.clone(), store, id, shown));
        }
        for (name, reference) in secrets.references() {
            wanted.push((
                name.clone(),
                reference.store(),
                reference_id(reference),
                format!("{name} ({reference})"),
            ));
        }
    }
    wanted.sort();
    wanted.dedup();
    let ids = |store: SecretsStore| -> Vec<String> {
        let mut ids: Vec<String> = wanted
            .iter()
            .filter(|w| w.1 == store)
            .map(|w| w.2.clone())
            .collect();
        ids.dedup();
        ids
    };
    let ssm_ids = ids(SecretsStore::Ssm);
    let manager_ids = ids(SecretsStore::Secretsmanager);
    let found_ssm = if ssm_ids.is_empty() {
        Default::default()
    } else {
        parameters::existing(context, &ssm_ids).await?
    };
    let found_manager = if manager_ids.is_empty() {
        Default::default()
    } else {
        SecretsManager::new(context).existing(&manager_ids).await?
    };
    let mut missing: Vec<String> = wanted
        .into_iter()
        .filter(|(_, store, id, _)| match store {
            SecretsStore::Ssm => !found_ssm.contains(id),
            SecretsStore::Secretsmanager => !found_manager.contains(id),
        })
        .map(|(_, _, _, shown)| shown)
        .collect();
    missing.dedup();
    Ok(missing)
}

/// The name or ARN a reference is looked up by (never with its JSON key).
fn reference_id(reference: &SecretRef) -> String {
    reference.secret_name().to_owned()
}
