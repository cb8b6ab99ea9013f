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

/// What deploy's preflight learns about the declared secrets, by name only.
#[derive(Debug, Default)]
pub(crate) struct Survey {
    /// What is missing, each as `VARIABLE (where it was looked for)`, sorted.
    pub(crate) missing: Vec<String>,
    /// References encrypted with a customer-managed KMS key other than the
    /// environment's `kms_key_id`: the execution role may decrypt only with
    /// that one (and the AWS-managed defaults), so the task starts only if the
    /// other key's own policy lets the role decrypt. One line each.
    pub(crate) foreign_keys: Vec<String>,
    /// Secrets parity composes for managed services (`env apply` writes
    /// them) that are not in the store, each as `VARIABLE of `service` (name)`.
    pub(crate) missing_composed: Vec<String>,
}

/// A secret `env apply` composes for a managed service: how it is shown, and
/// its name in the environment's store.
#[derive(Debug, Clone)]
pub(crate) struct Composed {
    pub(crate) shown: String,
    pub(crate) id: String,
}

/// Which declared secrets are missing, and which references need another KMS key.
pub(crate) async fn survey<'s>(
    context: &AwsContext,
    environment: &Environment,
    declared: impl Iterator<Item = &'s Secrets>,
    composed: &[Composed],
) -> Result<Survey> {
    // (variable, store, id looked up, how it is shown)
    let mut wanted: Vec<(String, SecretsStore, String, String)> = Vec::new();
    let mut references: Vec<(SecretsStore, String, String)> = Vec::new();
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
            references.push((
                reference.store(),
                reference_id(reference),
                format!("{name} ({reference})"),
            ));
            wanted.push((
                name.clone(),
                reference.store(),
                reference_id(reference),
                format!("{name} ({reference})"),
            ));
        }
    }
    let store = environment.secrets_store();
    for c in composed {
        wanted.push((String::new(), store, c.id.clone(), String::new()));
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
        parameters::key_ids(context, &ssm_ids).await?
    };
    let found_manager = if manager_ids.is_empty() {
        Default::default()
    } else {
        SecretsManager::new(context).key_ids(&manager_ids).await?
    };
    let found = |store: &SecretsStore| match store {
        SecretsStore::Ssm => &found_ssm,
        SecretsStore::Secretsmanager => &found_manager,
    };
    let mut missing: Vec<String> = wanted
        .into_iter()
        .filter(|(_, store, id, shown)| !shown.is_empty() && !found(store).contains_key(id))
        .map(|(_, _, _, shown)| shown)
        .collect();
    let missing_composed = composed
        .iter()
        .filter(|c| !found(&store).contains_key(&c.id))
        .map(|c| c.shown.clone())
        .collect();
    missing.dedup();
    references.sort();
    references.dedup();
    let foreign_keys = references
        .into_iter()
        .filter_map(|(store, id, shown)| {
            let key = found(&store).get(&id)?.as_deref()?;
            needs_its_own_grant(key, environment.kms_key_id())
                .then(|| format!("{shown} is encrypted with the KMS key {key}"))
        })
        .collect();
    Ok(Survey {
        missing,
        foreign_keys,
        missing_composed,
    })
}

/// Whether a secret under `key` needs a grant the environment stack does not
/// make: not an AWS-managed key (`alias/aws/ssm`, `aws/secretsmanager`, which
/// the stores decrypt for any reader they let in), and not the environment's
/// own `kms_key_id` (written as an id, alias or ARN, so compared by suffix).
fn needs_its_own_grant(key: &str, environment_key: Option<&str>) -> bool {
    let aws_managed = key.starts_with("alias/aws/") || key.contains(":alias/aws/");
    let environments = environment_key.is_some_and(|own| {
        key == own || key.ends_with(&format!("/{own}")) || own.ends_with(&format!("/{key}"))
    });
    !aws_managed && !environments
}

/// The name or ARN a reference is looked up by (never with its JSON key).
fn reference_id(reference: &SecretRef) -> String {
    reference.secret_name().to_owned()
}

#[cfg(test)]
mod tests {
    use super::needs_its_own_grant;

    #[test]
    fn only_a_customer_key_that_is_not_the_environments_needs_its_own_grant() {
        assert!(!needs_its_own_grant("alias/aws/ssm", None));
        assert!(!needs_its_own_grant(
            "arn:aws:kms:eu-west-1:1:alias/aws/secretsmanager",
            None
        ));
        assert!(needs_its_own_grant("alias/team", None));
        assert!(!needs_its_own_grant("alias/team", Some("alias/team")));
        assert!(!needs_its_own_grant(
            "arn:aws:kms:eu-west-1:1:key/1234",
            Some("1234")
        ));
        assert!(needs_its_own_grant(
            "arn:aws:kms:eu-west-1:1:key/1234",
            Some("alias/team")
        ));
    }
}
