//! AWS Secrets Manager: the second store for an environment's own secrets
//! (`secrets_store = "secretsmanager"`), and where most references point
//! (the RDS master password is a JSON secret RDS keeps there).
//!
//! Lists the secrets named `<app>/<env>/<NAME>` with their tags and version
//! stages (never values), creates, updates, tags, restores and deletes them
//! (with a recovery window unless told otherwise), and checks by name that a
//! referenced secret exists. Values are read in two places only: parity's own
//! fingerprint key (see [`FINGERPRINT_KEY`]) and `up --secrets-from-aws`.
//! Owns no decision: what to write comes from `cloud::secrets_plan`.
//!
//! Values pass through as [`SecretValue`] (its `Debug` prints nothing) and
//! every error goes through [`super::explain`], which never quotes a request.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_secretsmanager::primitives::DateTimeFormat;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, Tag};

use super::config::{AwsContext, Service};
use super::explain::Call;
use super::ssm::{SecretValue, TAG_APP, TAG_ENVIRONMENT};
use crate::error::{Error, Result};

/// The tag holding `<version id>:<keyed fingerprint>` of the value parity
/// wrote; it stands for the value only while that version is `AWSCURRENT`.
pub(crate) const TAG_FINGERPRINT: &str = "parity:fingerprint";

/// parity's own secret under the environment's prefix: the random key the
/// fingerprints are computed with. Its name has a `/` after the prefix, so it
/// is never a variable and never listed, planned or pruned.
pub(crate) const FINGERPRINT_KEY: &str = "_parity/fingerprint-key";

/// The recovery window `--prune` deletes with unless told otherwise (AWS allows 7-30).
pub(crate) const DEFAULT_RECOVERY_DAYS: i64 = 7;

/// One secret's metadata (no value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretInfo {
    /// Full name (`<app>/<env>/NAME`).
    pub(crate) name: String,
    /// The version labelled `AWSCURRENT`.
    pub(crate) current_version: Option<String>,
    /// RFC 3339, when reported.
    pub(crate) last_changed: Option<String>,
    pub(crate) tags: BTreeMap<String, String>,
    /// Scheduled for deletion (inside its recovery window).
    pub(crate) pending_deletion: bool,
}

impl SecretInfo {
    /// The fingerprint parity recorded, when it still describes the current version.
    pub(crate) fn current_fingerprint(&self) -> Option<&str> {
        let (version, fingerprint) = self.tags.get(TAG_FINGERPRINT)?.split_once(':')?;
        (Some(version) == self.current_version.as_deref()).then_some(fingerprint)
    }

    /// Tagged as written by parity for `app` and `environment`.
    pub(crate) fn is_managed(&self, app: &str, environment: &str) -> bool {
        self.tags.get(TAG_APP).map(String::as_str) == Some(app)
            && self.tags.get(TAG_ENVIRONMENT).map(String::as_str) == Some(environment)
    }
}

/// How a deleted secret goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deletion {
    /// Recoverable with RestoreSecret for this many days.
    RecoveryWindow(i64),
    /// Gone at once (`--force-delete-without-recovery`).
    Immediate,
}

/// One write of a secret value: a new version with the id parity chose, so
/// the fingerprint tag can name the version it describes.
#[derive(Debug)]
pub(crate) struct SecretWrite<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a SecretValue,
    /// ClientRequestToken, becomes the version id (32-64 characters).
    pub(crate) version: &'a str,
    /// Tags to set (a new secret gets them in CreateSecret, an existing one by TagResource).
    pub(crate) tags: &'a [(&'a str, &'a str)],
    pub(crate) kms_key_id: Option<&'a str>,
}

/// Secrets Manager for one environment's AWS context.
pub(crate) struct SecretsManager<'a> {
    context: &'a AwsContext,
    client: aws_sdk_secretsmanager::Client,
}

impl<'a> SecretsManager<'a> {
    pub(crate) fn new(context: &'a AwsContext) -> Self {
        Self {
            context,
            client: context.secretsmanager(),
        }
    }

    fn fail<E, R>(
        &self,
        call: Call<'_>,
        err: &aws_sdk_secretsmanager::error::SdkError<E, R>,
    ) -> Error
    where
        E: aws_sdk_secretsmanager::error::ProvideErrorMetadata,
        R: super::explain::HttpStatus,
    {
        self.context.explain(&call, err)
    }

    /// Every secret named `<prefix><NAME>` (one level: no `/` in NAME),
    /// including those scheduled for deletion.
    pub(crate) async fn list(&self, prefix: &str) -> Result<Vec<SecretInfo>> {
        let filter = Filter::builder()
            .key(FilterNameStringType::Name)
            .values(prefix)
            .build();
        let mut pages = self
            .client
            .list_secrets()
            .filters(filter)
            .include_planned_deletion(true)
            .max_results(100)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                self.fail(
                    Call::new(Service::SecretsManager, "ListSecrets").on(prefix),
                    &e,
                )
            })?;
            for entry in page.secret_list() {
                let Some(name) = entry.name() else { continue };
                // The name filter matches prefixes case-insensitively and by word; keep exact ones.
                let Some(rest) = name.strip_prefix(prefix) else {
                    continue;
                };
                if rest.is_empty() || rest.contains('/') {
                    continue;
                }
                let current_version = entry.secret_versions_to_stages().and_then(|versions| {
                    versions
                        .iter()
                        .find(|(_, stages)| stages.iter().any(|s| s == "AWSCURRENT"))
                        .map(|(id, _)| id.clone())
                });
                out.push(SecretInfo {
                    name: name.to_owned(),
                    current_version,
                    last_changed: entry
                        .last_changed_date()
                        .and_then(|d| d.fmt(DateTimeFormat::DateTime).ok()),
                    tags: entry
                        .tags()
                        .iter()
                        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                        .collect(),
                    pending_deletion: entry.deleted_date().is_some(),
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Which of `ids` (names or ARNs) exist and are not scheduled for
    /// deletion. DescribeSecret returns metadata only: no value is read.
    pub(crate) async fn existing(&self, ids: &[String]) -> Result<BTreeSet<String>> {
        Ok(self.key_ids(ids).await?.into_keys().collect())
    }

    /// Like [`Self::existing`], with the customer-managed KMS key each is
    /// encrypted with (`None`: the account's default, `aws/secretsmanager`).
    pub(crate) async fn key_ids(&self, ids: &[String]) -> Result<BTreeMap<String, Option<String>>> {
        let mut found = BTreeMap::new();
        for id in ids {
            match self.client.describe_secret().secret_id(id).send().await {
                Ok(out) => {
                    if out.deleted_date().is_none() {
                        found.insert(id.clone(), out.kms_key_id().map(str::to_owned));
                    }
                }
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_resource_not_found_exception()) => {}
                Err(err) => {
                    return Err(self.fail(
                        Call::new(Service::SecretsManager, "DescribeSecret").on(id),
                        &err,
                    ));
                }
            }
        }
        Ok(found)
    }

    /// The current value of `id` (a name or ARN); `None` when it does not
    /// exist. Only for parity's own key and `up --secrets-from-aws`.
    pub(crate) async fn value(&self, id: &str) -> Result<Option<SecretValue>> {
        match self.client.get_secret_value().secret_id(id).send().await {
            Ok(out) => Ok(out.secret_string().map(|v| SecretValue::new(v.to_owned()))),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(err) => Err(self.fail(
                Call::new(Service::SecretsManager, "GetSecretValue").on(id),
                &err,
            )),
        }
    }

    /// Creates a secret with its first value and tags in one call.
    pub(crate) async fn create(&self, write: &SecretWrite<'_>) -> Result<()> {
        self.client
            .create_secret()
            .name(write.name)
            .secret_string(write.value.expose())
            .client_request_token(write.version)
            .set_kms_key_id(write.kms_key_id.map(str::to_owned))
            .set_tags(Some(tags(write.tags)))
            .send()
            .await
            .map_err(|e| {
                self.fail(
                    Call::new(Service::SecretsManager, "CreateSecret").on(write.name),
                    &e,
                )
            })?;
        Ok(())
    }

    /// Puts a new current version of an existing secret, then sets the tags.
    pub(crate) async fn update(&self, write: &SecretWrite<'_>) -> Result<()> {
        self.client
            .put_secret_value()
            .secret_id(write.name)
            .secret_string(write.value.expose())
            .client_request_token(write.version)
            .send()
            .await
            .map_err(|e| {
                self.fail(
                    Call::new(Service::SecretsManager, "PutSecretValue").on(write.name),
                    &e,
                )
            })?;
        self.tag(write.name, write.tags).await
    }

    /// Adds (or updates) tags.
    pub(crate) async fn tag(&self, name: &str, pairs: &[(&str, &str)]) -> Result<()> {
        self.client
            .tag_resource()
            .secret_id(name)
            .set_tags(Some(tags(pairs)))
            .send()
            .await
            .map_err(|e| {
                self.fail(
                    Call::new(Service::SecretsManager, "TagResource").on(name),
                    &e,
                )
            })?;
        Ok(())
    }

    /// Cancels a scheduled deletion (the secret comes back with its old value).
    pub(crate) async fn restore(&self, name: &str) -> Result<()> {
        self.client
            .restore_secret()
            .secret_id(name)
            .send()
            .await
            .map_err(|e| {
                self.fail(
                    Call::new(Service::SecretsManager, "RestoreSecret").on(name),
                    &e,
                )
            })?;
        Ok(())
    }

    /// Deletes a secret, within a recovery window unless `Immediate`.
    pub(crate) async fn delete(&self, name: &str, deletion: Deletion) -> Result<()> {
        let request = self.client.delete_secret().secret_id(name);
        let request = match deletion {
            Deletion::RecoveryWindow(days) => request.recovery_window_in_days(days),
            Deletion::Immediate => request.force_delete_without_recovery(true),
        };
        request.send().await.map_err(|e| {
            self.fail(
                Call::new(Service::SecretsManager, "DeleteSecret").on(name),
                &e,
            )
        })?;
        Ok(())
    }

    /// Puts a secret parity owns (tagged `parity:app`/`parity:environment`):
    /// created when missing, a new version otherwise. For other commands that
    /// keep a parity-made secret in Secrets Manager (e.g. a database's master
    /// password). `name` is the full name, e.g. `<app>/<env>/db/master`.
    #[allow(dead_code)] // the interface for the backing-services work (RDS master passwords)
    pub(crate) async fn put_owned(
        &self,
        name: &str,
        value: &SecretValue,
        app: &str,
        environment: &str,
    ) -> Result<()> {
        let version = new_version_id()?;
        let tags = [(TAG_APP, app), (TAG_ENVIRONMENT, environment)];
        let write = SecretWrite {
            name,
            value,
            version: &version,
            tags: &tags,
            kms_key_id: None,
        };
        if self.existing(&[name.to_owned()]).await?.is_empty() {
            self.create(&write).await
        } else {
            self.update(&write).await
        }
    }
}

/// A fresh random version id (ClientRequestToken): 32 hex characters.
pub(crate) fn new_version_id() -> Result<String> {
    Ok(hex::encode(random_bytes::<16>()?))
}

/// Random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    use std::io::Read as _;
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::failed(format!("cannot read /dev/urandom: {}", e.kind())))?;
    Ok(bytes)
}

fn tags(pairs: &[(&str, &str)]) -> Vec<Tag> {
    pairs
        .iter()
        .map(|(key, value)| Tag::builder().key(*key).value(*value).build())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(version: Option<&str>, tag: Option<&str>) -> SecretInfo {
        SecretInfo {
            name: "shop/staging/A".into(),
            current_version: version.map(Into::into),
            last_changed: None,
            tags: tag
                .map(|t| BTreeMap::from([(TAG_FINGERPRINT.to_owned(), t.to_owned())]))
                .unwrap_or_default(),
            pending_deletion: false,
        }
    }

    #[test]
    fn a_fingerprint_stands_only_for_the_version_it_names() {
        assert_eq!(
            info(Some("v1"), Some("v1:abc")).current_fingerprint(),
            Some("abc")
        );
        // Someone put a new value by hand: the tag no longer describes it.
        assert_eq!(info(Some("v2"), Some("v1:abc")).current_fingerprint(), None);
        assert_eq!(info(Some("v1"), None).current_fingerprint(), None);
        assert_eq!(
            info(Some("v1"), Some("garbage")).current_fingerprint(),
            None
        );
    }

    #[test]
    fn version_ids_are_valid_client_request_tokens() {
        let id = new_version_id().unwrap();
        assert_eq!(id.len(), 32);
        assert_ne!(id, new_version_id().unwrap());
    }
}
