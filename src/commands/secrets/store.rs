//! The two stores `secrets sync|list` work on, behind one face: what is
//! stored (as `RemoteSecret`s the pure plan compares), how a planned write
//! or removal is carried out, and the metadata `list` shows.
//!
//! SSM compares by reading the values (decrypted, as before) and
//! fingerprinting them with a key made for this run. Secrets Manager never
//! reads a value: each secret carries the keyed fingerprint of the value
//! parity wrote, in a tag naming the version it describes; the key is
//! parity's own secret `<app>/<env>/_parity/fingerprint-key`.

use std::collections::BTreeSet;

use crate::aws::AwsContext;
use crate::aws::secretsmanager::{
    Deletion, FINGERPRINT_KEY, SecretInfo, SecretWrite, SecretsManager, TAG_FINGERPRINT,
    new_version_id, random_bytes,
};
use crate::aws::ssm::{ParameterInfo, ParameterStore, SecretValue, Write};
use crate::cloud::secrets_plan::{self, Action, RemoteSecret, Step, Tier};
use crate::error::Result;
use crate::settings::{Environment, SecretsStore};

/// One environment's store.
pub(super) enum Store<'a> {
    Ssm {
        store: ParameterStore<'a>,
        prefix: String,
        kms_key_id: Option<String>,
    },
    SecretsManager {
        store: SecretsManager<'a>,
        prefix: String,
        kms_key_id: Option<String>,
        deletion: Deletion,
    },
}

/// What the store holds, as the plan compares it.
pub(super) struct Remote {
    /// The fingerprint key, for the local side too.
    pub(super) key: Vec<u8>,
    /// Secrets Manager's key does not exist yet: store it before the first write.
    pub(super) key_is_new: bool,
    pub(super) secrets: Vec<RemoteSecret>,
    /// Secrets Manager names scheduled for deletion: an `Add` restores them first.
    pub(super) pending_deletion: BTreeSet<String>,
}

/// One row of `secrets list`, from the store's metadata.
pub(super) struct Listed {
    pub(super) name: String,
    /// The parameter or secret name.
    pub(super) id: String,
    pub(super) version: Option<i64>,
    pub(super) version_id: Option<String>,
    pub(super) last_modified: Option<String>,
    pub(super) tier: Option<Tier>,
    pub(super) managed: bool,
}

impl<'a> Store<'a> {
    pub(super) fn new(
        context: &'a AwsContext,
        environment: &Environment,
        deletion: Deletion,
    ) -> Self {
        let kms_key_id = environment.kms_key_id().map(str::to_owned);
        match environment.secrets_store() {
            SecretsStore::Ssm => Self::Ssm {
                store: ParameterStore::new(context),
                prefix: environment.ssm_prefix(),
                kms_key_id,
            },
            SecretsStore::Secretsmanager => Self::SecretsManager {
                store: SecretsManager::new(context),
                prefix: environment.secrets_manager_prefix(),
                kms_key_id,
                deletion,
            },
        }
    }

    pub(super) fn kind(&self) -> SecretsStore {
        match self {
            Self::Ssm { .. } => SecretsStore::Ssm,
            Self::SecretsManager { .. } => SecretsStore::Secretsmanager,
        }
    }

    /// The name prefix (`/shop/staging/` or `shop/staging/`).
    pub(super) fn prefix(&self) -> &str {
        match self {
            Self::Ssm { prefix, .. } | Self::SecretsManager { prefix, .. } => prefix,
        }
    }

    /// "SSM" or "Secrets Manager", for messages.
    pub(super) fn label(&self) -> &'static str {
        match self {
            Self::Ssm { .. } => "SSM",
            Self::SecretsManager { .. } => "Secrets Manager",
        }
    }

    /// The KMS key the plan compares against (SSM only: Secrets Manager keeps
    /// the key a secret was created with).
    pub(super) fn compared_kms_key(&self) -> Option<&str> {
        match self {
            Self::Ssm { kms_key_id, .. } => kms_key_id.as_deref(),
            Self::SecretsManager { .. } => None,
        }
    }

    /// What the store holds under the prefix, fingerprinted.
    pub(super) async fn remote(&self, app: &str, environment: &str) -> Result<Remote> {
        match self {
            Self::Ssm { store, prefix, .. } => {
                let infos = store.describe(prefix).await?;
                let managed = store.managed(prefix, app, environment).await?;
                let stored = store.values(prefix).await?;
                let key = random_bytes::<32>()?.to_vec();
                let secrets = infos
                    .iter()
                    .filter_map(|info| {
                        let name = info.name.strip_prefix(prefix.as_str())?;
                        Some(RemoteSecret {
                            name: name.to_owned(),
                            fingerprint: stored
                                .get(&info.name)
                                .map(|v| secrets_plan::fingerprint(&key, name, v.expose()))
                                .unwrap_or_default(),
                            secure: info.secure,
                            tier: info.tier,
                            key_id: info.key_id.clone(),
                            managed: managed.contains(&info.name),
                        })
                    })
                    .collect();
                Ok(Remote {
                    key,
                    key_is_new: false,
                    secrets,
                    pending_deletion: BTreeSet::new(),
                })
            }
            Self::SecretsManager { store, prefix, .. } => {
                let infos = store.list(prefix).await?;
                let stored_key = store.value(&format!("{prefix}{FINGERPRINT_KEY}")).await?;
                let (key, key_is_new) = match stored_key {
                    Some(key) => (key.expose().as_bytes().to_vec(), false),
                    None => (hex::encode(random_bytes::<32>()?).into_bytes(), true),
                };
                let mut secrets = Vec::new();
                let mut pending_deletion = BTreeSet::new();
                for info in &infos {
                    let Some(name) = info.name.strip_prefix(prefix.as_str()) else {
                        continue;
                    };
                    if info.pending_deletion {
                        pending_deletion.insert(name.to_owned());
                        continue;
                    }
                    secrets.push(RemoteSecret {
                        name: name.to_owned(),
                        // Without a key there is nothing a tag could be checked against.
                        fingerprint: if key_is_new {
                            String::new()
                        } else {
                            info.current_fingerprint().unwrap_or_default().to_owned()
                        },
                        secure: true,
                        tier: Tier::Standard,
                        key_id: None,
                        managed: info.is_managed(app, environment),
                    });
                }
                Ok(Remote {
                    key,
                    key_is_new,
                    secrets,
                    pending_deletion,
                })
            }
        }
    }

    /// Stores a new fingerprint key (Secrets Manager, before the first write).
    pub(super) async fn save_key(&self, key: &[u8], tags: &[(&str, &str)]) -> Result<()> {
        let Self::SecretsManager { store, prefix, .. } = self else {
            return Ok(());
        };
        let name = format!("{prefix}{FINGERPRINT_KEY}");
        let value = SecretValue::new(String::from_utf8_lossy(key).into_owned());
        let version = new_version_id()?;
        store
            .create(&SecretWrite {
                name: &name,
                value: &value,
                version: &version,
                tags,
                kms_key_id: None,
            })
            .await
    }

    /// Carries out one `Add` or `Change` step.
    pub(super) async fn write(
        &self,
        step: &Step,
        value: &SecretValue,
        fingerprint: &str,
        restore: bool,
        tags: &[(&str, &str)],
    ) -> Result<()> {
        match self {
            Self::Ssm {
                store,
                prefix,
                kms_key_id,
            } => {
                let name = crate::settings::parameter_name(prefix, &step.name);
                let write = Write {
                    name: &name,
                    value,
                    key_id: kms_key_id.as_deref(),
                    tier: step.tier,
                    overwrite: step.action == Action::Change,
                    tags,
                };
                store.put(&write).await?;
                if step.action == Action::Change && step.tag {
                    store.tag(&name, tags).await?;
                }
                Ok(())
            }
            Self::SecretsManager {
                store,
                prefix,
                kms_key_id,
                ..
            } => {
                let name = format!("{prefix}{}", step.name);
                let version = new_version_id()?;
                let tag_value = format!("{version}:{fingerprint}");
                let mut all_tags = tags.to_vec();
                all_tags.push((TAG_FINGERPRINT, &tag_value));
                let write = SecretWrite {
                    name: &name,
                    value,
                    version: &version,
                    tags: &all_tags,
                    kms_key_id: kms_key_id.as_deref(),
                };
                if restore {
                    store.restore(&name).await?;
                    store.update(&write).await
                } else if step.action == Action::Add {
                    store.create(&write).await
                } else {
                    store.update(&write).await
                }
            }
        }
    }

    /// Removes secrets by short name; on failure, the names removed before it.
    pub(super) async fn remove(
        &self,
        names: &[String],
    ) -> std::result::Result<Vec<String>, (Vec<String>, crate::error::Error)> {
        match self {
            Self::Ssm { store, prefix, .. } => {
                let full: Vec<String> = names
                    .iter()
                    .map(|n| crate::settings::parameter_name(prefix, n))
                    .collect();
                let short = |list: Vec<String>| -> Vec<String> {
                    list.iter()
                        .map(|n| n.strip_prefix(prefix.as_str()).unwrap_or(n).to_owned())
                        .collect()
                };
                store
                    .delete(&full)
                    .await
                    .map(short)
                    .map_err(|(done, err)| (short(done), err))
            }
            Self::SecretsManager {
                store,
                prefix,
                deletion,
                ..
            } => {
                let mut removed = Vec::new();
                for name in names {
                    if let Err(err) = store.delete(&format!("{prefix}{name}"), *deletion).await {
                        return Err((removed, err));
                    }
                    removed.push(name.clone());
                }
                Ok(removed)
            }
        }
    }

    /// The metadata `secrets list` shows (never a value).
    pub(super) async fn listed(&self, app: &str, environment: &str) -> Result<Vec<Listed>> {
        match self {
            Self::Ssm { store, prefix, .. } => {
                let infos: Vec<ParameterInfo> = store.describe(prefix).await?;
                let managed = store.managed(prefix, app, environment).await?;
                Ok(infos
                    .into_iter()
                    .filter_map(|info| {
                        Some(Listed {
                            name: info.name.strip_prefix(prefix.as_str())?.to_owned(),
                            managed: managed.contains(&info.name),
                            version: Some(info.version),
                            version_id: None,
                            last_modified: info.last_modified,
                            tier: Some(info.tier),
                            id: info.name,
                        })
                    })
                    .collect())
            }
            Self::SecretsManager { store, prefix, .. } => {
                let infos: Vec<SecretInfo> = store.list(prefix).await?;
                Ok(infos
                    .into_iter()
                    .filter(|info| !info.pending_deletion)
                    .filter_map(|info| {
                        Some(Listed {
                            name: info.name.strip_prefix(prefix.as_str())?.to_owned(),
                            managed: info.is_managed(app, environment),
                            version: None,
                            version_id: info.current_version.clone(),
                            last_modified: info.last_changed.clone(),
                            tier: None,
                            id: info.name,
                        })
                    })
                    .collect())
            }
        }
    }
}
