//! What `parity secrets sync` will do: the pure decision over the secrets
//! in the dotenv file and the secrets parity keeps in the environment's store
//! (SSM parameters under `ssm_prefix`, or Secrets Manager secrets named
//! `<app>/<env>/NAME`). One decision for both stores: only the size limit and
//! SSM's tiers and KMS key differ, and [`PlanOptions::store`] says which.
//!
//! The plan never holds a value. Values are compared through keyed-hash
//! fingerprints ([`fingerprint`]) computed by the caller, so the plan can be
//! printed, logged or serialized without any risk of carrying a secret.
//! No I/O, no AWS SDK: the command gathers the inputs and carries out the plan.

use std::collections::{BTreeMap, BTreeSet};

use hmac::{KeyInit, Mac};
use indexmap::IndexMap;

use crate::settings::SecretsStore;

/// Largest value the Standard tier stores (4 KB); larger ones need Advanced.
pub(crate) const STANDARD_TIER_MAX: usize = 4096;
/// Largest value SSM stores at all (Advanced tier, 8 KB).
pub(crate) const ADVANCED_TIER_MAX: usize = 8192;
/// Largest secret string Secrets Manager stores (64 KB).
pub(crate) const SECRETS_MANAGER_MAX: usize = 65536;

/// The largest value `store` keeps.
pub(crate) fn max_size(store: SecretsStore) -> usize {
    match store {
        SecretsStore::Ssm => ADVANCED_TIER_MAX,
        SecretsStore::Secretsmanager => SECRETS_MANAGER_MAX,
    }
}

/// A keyed hash of one secret: HMAC-SHA256 over the name and the value,
/// hex. Keyed so that a fingerprint seen in memory or a log cannot be
/// checked against guessed values without the key.
pub(crate) fn fingerprint(key: &[u8], name: &str, value: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(name.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Parameter Store's storage tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(crate) enum Tier {
    Standard,
    Advanced,
}

/// One secret from the dotenv file, as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalSecret {
    /// Variable name (the last part of the parameter name).
    pub(crate) name: String,
    /// [`fingerprint`] of the value.
    pub(crate) fingerprint: String,
    /// Value length in bytes (decides the tier).
    pub(crate) size: usize,
}

/// One parameter under the environment's prefix, as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RemoteSecret {
    /// Variable name (the parameter name without the prefix).
    pub(crate) name: String,
    /// [`fingerprint`] of the stored value, with the same key as the local ones.
    pub(crate) fingerprint: String,
    /// Stored as a SecureString (a plain String gets rewritten as one).
    pub(crate) secure: bool,
    pub(crate) tier: Tier,
    /// The KMS key it is encrypted with, when known.
    pub(crate) key_id: Option<String>,
    /// Tagged by parity as this app's and environment's: the only ones `--prune` removes.
    pub(crate) managed: bool,
}

/// What happens to one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    /// In the file, not in SSM: created (with tags).
    Add,
    /// In both, different value (or type, or KMS key): overwritten.
    Change,
    /// In both, the same: not written.
    Unchanged,
    /// parity's parameter, not in the file, `--prune` given: deleted.
    Remove,
    /// In SSM, not in the file, left alone (no `--prune`, or not parity's).
    Keep,
}

/// One line of the plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Step {
    pub(crate) name: String,
    pub(crate) action: Action,
    /// The tier to write with (for `Add`/`Change`).
    pub(crate) tier: Tier,
    /// Why a `Change` or `Keep` happens ("value", "KMS key", "not parity's").
    pub(crate) reason: Option<&'static str>,
    /// The write must also tag the parameter as parity's.
    pub(crate) tag: bool,
}

/// A secret a cloud service declares that exists neither in the file nor in SSM.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct MissingSecret {
    pub(crate) name: String,
    /// The services that declare it in `x-parity.secrets`.
    pub(crate) services: Vec<String>,
}

/// Why the plan cannot be carried out (nothing may be written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PlanError {
    /// Declared secrets that would not exist after the sync.
    Missing(Vec<MissingSecret>),
    /// Values larger than SSM stores: (name, size).
    TooLarge(Vec<(String, usize)>),
}

/// The whole plan, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct SecretsPlan {
    pub(crate) steps: Vec<Step>,
    /// Names in the file that no cloud service declares (a warning: likely a typo).
    pub(crate) unused: Vec<String>,
    /// Service -> the changed or added secrets it reads; they see them on their next deployment.
    pub(crate) readers: BTreeMap<String, Vec<String>>,
}

impl SecretsPlan {
    /// Names with the given action.
    pub(crate) fn names(&self, action: Action) -> Vec<&str> {
        self.steps
            .iter()
            .filter(|s| s.action == action)
            .map(|s| s.name.as_str())
            .collect()
    }

    /// Steps that write (`Add`, `Change`).
    pub(crate) fn writes(&self) -> impl Iterator<Item = &Step> {
        self.steps
            .iter()
            .filter(|s| matches!(s.action, Action::Add | Action::Change))
    }

    /// Whether carrying out the plan changes nothing.
    pub(crate) fn is_noop(&self) -> bool {
        self.steps
            .iter()
            .all(|s| matches!(s.action, Action::Unchanged | Action::Keep))
    }
}

/// Inputs to [`plan`] besides the two sides.
#[derive(Debug, Clone)]
pub(crate) struct PlanOptions<'a> {
    /// Remove parity's parameters that are not in the file.
    pub(crate) prune: bool,
    /// The KMS key parity.toml asks for; a parameter under another key is re-written.
    pub(crate) kms_key_id: Option<&'a str>,
    /// Secret name -> the cloud services that declare it in `x-parity.secrets`.
    pub(crate) declared: &'a IndexMap<String, Vec<String>>,
    /// The store written to (its size limit; tiers exist in SSM only).
    pub(crate) store: SecretsStore,
}

impl<'a> PlanOptions<'a> {
    /// No pruning, no KMS key requirement.
    #[cfg(test)]
    pub(crate) fn new(declared: &'a IndexMap<String, Vec<String>>) -> Self {
        Self {
            prune: false,
            kms_key_id: None,
            declared,
            store: SecretsStore::Ssm,
        }
    }
}

/// Decides every name's fate. Errors when a declared secret would be missing
/// afterwards or a value is too large: then nothing may be written at all.
pub(crate) fn plan(
    local: &[LocalSecret],
    remote: &[RemoteSecret],
    options: &PlanOptions<'_>,
) -> Result<SecretsPlan, PlanError> {
    let local_by_name: BTreeMap<&str, &LocalSecret> =
        local.iter().map(|s| (s.name.as_str(), s)).collect();
    let remote_by_name: BTreeMap<&str, &RemoteSecret> =
        remote.iter().map(|s| (s.name.as_str(), s)).collect();

    let too_large: Vec<(String, usize)> = local
        .iter()
        .filter(|s| s.size > max_size(options.store))
        .map(|s| (s.name.clone(), s.size))
        .collect();
    if !too_large.is_empty() {
        return Err(PlanError::TooLarge(too_large));
    }

    let tier = |size, existing| match options.store {
        SecretsStore::Ssm => tier_for(size, existing),
        SecretsStore::Secretsmanager => Tier::Standard,
    };
    let names: BTreeSet<&str> = local_by_name
        .keys()
        .chain(remote_by_name.keys())
        .copied()
        .collect();
    let mut steps = Vec::new();
    for name in names {
        let step = match (local_by_name.get(name), remote_by_name.get(name)) {
            (Some(local), None) => Step {
                name: name.to_string(),
                action: Action::Add,
                tier: tier(local.size, None),
                reason: None,
                tag: true,
            },
            (Some(local), Some(remote)) => {
                let reason = if local.fingerprint != remote.fingerprint {
                    Some("value")
                } else if !remote.secure {
                    Some("not a SecureString")
                } else if let Some(wanted) = options.kms_key_id
                    && remote.key_id.as_deref() != Some(wanted)
                {
                    Some("KMS key")
                } else {
                    None
                };
                Step {
                    name: name.to_string(),
                    action: if reason.is_some() {
                        Action::Change
                    } else {
                        Action::Unchanged
                    },
                    tier: tier(local.size, Some(remote.tier)),
                    reason,
                    tag: reason.is_some() && !remote.managed,
                }
            }
            (None, Some(remote)) => {
                let (action, reason) = match (options.prune, remote.managed) {
                    (true, true) => (Action::Remove, None),
                    (true, false) => (Action::Keep, Some("not tagged as parity's")),
                    (false, _) => (Action::Keep, Some("not in the file")),
                };
                Step {
                    name: name.to_string(),
                    action,
                    tier: remote.tier,
                    reason,
                    tag: false,
                }
            }
            (None, None) => unreachable!("every name comes from one side"),
        };
        steps.push(step);
    }

    let exists_after = |name: &str| {
        steps
            .iter()
            .any(|s| s.name == name && s.action != Action::Remove)
    };
    let missing: Vec<MissingSecret> = options
        .declared
        .iter()
        .filter(|(name, _)| !exists_after(name))
        .map(|(name, services)| MissingSecret {
            name: name.clone(),
            services: services.clone(),
        })
        .collect();
    if !missing.is_empty() {
        return Err(PlanError::Missing(missing));
    }

    let unused = local
        .iter()
        .filter(|s| !options.declared.contains_key(&s.name))
        .map(|s| s.name.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();

    let mut readers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for step in steps
        .iter()
        .filter(|s| matches!(s.action, Action::Add | Action::Change))
    {
        for service in options.declared.get(&step.name).into_iter().flatten() {
            readers
                .entry(service.clone())
                .or_default()
                .push(step.name.clone());
        }
    }

    Ok(SecretsPlan {
        steps,
        unused,
        readers,
    })
}

/// Advanced only when the value needs it, and never a downgrade: SSM refuses
/// to move an Advanced parameter back to Standard. (Secrets Manager has no
/// tiers; its remote secrets are described as Standard, so this gives Standard.)
pub(crate) fn tier_for(size: usize, existing: Option<Tier>) -> Tier {
    if size > STANDARD_TIER_MAX || existing == Some(Tier::Advanced) {
        Tier::Advanced
    } else {
        Tier::Standard
    }
}

/// Whether `name` can be a parameter-name segment: SSM allows letters,
/// digits and `_ . -` (a `/` would nest it under another path).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test key";

    fn local(name: &str, value: &str) -> LocalSecret {
        LocalSecret {
            name: name.into(),
            fingerprint: fingerprint(KEY, name, value),
            size: value.len(),
        }
    }

    fn remote(name: &str, value: &str, managed: bool) -> RemoteSecret {
        RemoteSecret {
            name: name.into(),
            fingerprint: fingerprint(KEY, name, value),
            secure: true,
            tier: Tier::Standard,
            key_id: Some("alias/aws/ssm".into()),
            managed,
        }
    }

    fn declared(pairs: &[(&str, &[&str])]) -> IndexMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(name, services)| {
                (
                    name.to_string(),
                    services.iter().map(|s| s.to_string()).collect(),
                )
            })
            .collect()
    }

    fn actions(plan: &SecretsPlan) -> Vec<(&str, Action)> {
        plan.steps
            .iter()
            .map(|s| (s.name.as_str(), s.action))
            .collect()
    }

    #[test]
    fn add_change_unchanged_and_keep_without_prune() {
        let declared = declared(&[("A", &["web"]), ("B", &["web", "worker"]), ("C", &["web"])]);
        let options = PlanOptions::new(&declared);
        let plan = plan(
            &[local("A", "1"), local("B", "new"), local("C", "same")],
            &[
                remote("B", "old", true),
                remote("C", "same", true),
                remote("D", "x", true),
            ],
            &options,
        )
        .unwrap();
        assert_eq!(
            actions(&plan),
            [
                ("A", Action::Add),
                ("B", Action::Change),
                ("C", Action::Unchanged),
                ("D", Action::Keep)
            ]
        );
        assert_eq!(
            plan.readers,
            BTreeMap::from([
                ("web".to_string(), vec!["A".to_string(), "B".to_string()]),
                ("worker".to_string(), vec!["B".to_string()]),
            ])
        );
        assert!(plan.unused.is_empty());
    }

    #[test]
    fn prune_removes_only_parameters_parity_tagged() {
        let declared = IndexMap::new();
        let options = PlanOptions {
            prune: true,
            ..PlanOptions::new(&declared)
        };
        let plan = plan(
            &[],
            &[remote("MINE", "x", true), remote("THEIRS", "y", false)],
            &options,
        )
        .unwrap();
        assert_eq!(
            actions(&plan),
            [("MINE", Action::Remove), ("THEIRS", Action::Keep)]
        );
    }

    #[test]
    fn a_declared_secret_missing_everywhere_is_an_error() {
        let declared = declared(&[("API_KEY", &["web", "worker"]), ("PRESENT", &["web"])]);
        let options = PlanOptions::new(&declared);
        let err = plan(&[local("PRESENT", "v")], &[], &options).unwrap_err();
        assert_eq!(
            err,
            PlanError::Missing(vec![MissingSecret {
                name: "API_KEY".into(),
                services: vec!["web".into(), "worker".into()],
            }])
        );
    }

    #[test]
    fn a_declared_secret_only_in_ssm_is_fine_unless_pruned() {
        let declared = declared(&[("API_KEY", &["web"])]);
        let keep = PlanOptions::new(&declared);
        assert!(plan(&[], &[remote("API_KEY", "v", true)], &keep).is_ok());
        let prune = PlanOptions {
            prune: true,
            ..keep
        };
        assert!(matches!(
            plan(&[], &[remote("API_KEY", "v", true)], &prune),
            Err(PlanError::Missing(_))
        ));
    }

    #[test]
    fn names_no_cloud_service_reads_are_reported_unused() {
        let declared = declared(&[("A", &["web"])]);
        let options = PlanOptions::new(&declared);
        let plan = plan(&[local("A", "1"), local("TYPO_A", "1")], &[], &options).unwrap();
        assert_eq!(plan.unused, ["TYPO_A"]);
    }

    #[test]
    fn advanced_tier_only_over_4_kb_and_never_downgraded() {
        assert_eq!(tier_for(STANDARD_TIER_MAX, None), Tier::Standard);
        assert_eq!(tier_for(STANDARD_TIER_MAX + 1, None), Tier::Advanced);
        assert_eq!(tier_for(10, Some(Tier::Advanced)), Tier::Advanced);
        let declared = IndexMap::new();
        let options = PlanOptions::new(&declared);
        let err = plan(&[local("BIG", &"x".repeat(9000))], &[], &options).unwrap_err();
        assert_eq!(err, PlanError::TooLarge(vec![("BIG".into(), 9000)]));
    }

    #[test]
    fn secrets_manager_takes_up_to_64_kb_and_has_no_tiers() {
        let declared = IndexMap::new();
        let options = PlanOptions {
            store: SecretsStore::Secretsmanager,
            ..PlanOptions::new(&declared)
        };
        let plan = plan(&[local("BIG", &"x".repeat(9000))], &[], &options).unwrap();
        assert_eq!(plan.steps[0].tier, Tier::Standard);
        let err = plan_err(&[local("HUGE", &"x".repeat(70_000))], &options);
        assert_eq!(err, PlanError::TooLarge(vec![("HUGE".into(), 70_000)]));
    }

    fn plan_err(local: &[LocalSecret], options: &PlanOptions<'_>) -> PlanError {
        plan(local, &[], options).unwrap_err()
    }

    #[test]
    fn a_different_kms_key_or_plain_string_is_rewritten_and_untagged_ones_get_tagged() {
        let declared = IndexMap::new();
        let options = PlanOptions {
            kms_key_id: Some("alias/app"),
            ..PlanOptions::new(&declared)
        };
        let mut plain = remote("P", "v", false);
        plain.secure = false;
        plain.key_id = Some("alias/app".into());
        let plan = plan(
            &[local("K", "v"), local("P", "v")],
            &[remote("K", "v", true), plain],
            &options,
        )
        .unwrap();
        assert_eq!(plan.steps[0].reason, Some("KMS key"));
        assert!(!plan.steps[0].tag);
        assert_eq!(plan.steps[1].reason, Some("not a SecureString"));
        assert!(plan.steps[1].tag);
    }

    #[test]
    fn fingerprints_depend_on_key_name_and_value() {
        let base = fingerprint(KEY, "A", "v");
        assert_eq!(base, fingerprint(KEY, "A", "v"));
        assert_ne!(base, fingerprint(b"other", "A", "v"));
        assert_ne!(base, fingerprint(KEY, "B", "v"));
        assert_ne!(base, fingerprint(KEY, "A", "w"));
        assert!(!base.contains('v'));
    }

    #[test]
    fn parameter_name_segments() {
        assert!(valid_name("DATABASE_URL"));
        assert!(valid_name("a.b-c"));
        assert!(!valid_name("A/B"));
        assert!(!valid_name(""));
        assert!(!valid_name("A B"));
    }
}
