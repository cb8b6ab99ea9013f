//! Systems Manager Parameter Store: the adapter `secrets` (and `deploy`'s
//! secrets check) use. Lists an environment's parameters one level under its
//! prefix (paginated), reads their values decrypted, writes SecureStrings,
//! tags and deletes. Owns no decision: what to write comes from
//! `cloud::secrets_plan`.
//!
//! Values pass through as [`SecretValue`], whose `Debug` prints nothing, and
//! every error goes through [`super::explain`], which never quotes a request.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ssm::primitives::DateTimeFormat;
use aws_sdk_ssm::types::{
    ParameterStringFilter, ParameterTier, ParameterType, ResourceTypeForTagging, Tag,
};

use super::config::{AwsContext, Service};
use super::explain::Call;
use crate::cloud::secrets_plan::Tier;
use crate::error::{Error, Result};

/// The tag keys that mark a parameter as written by parity for an app and
/// environment; an execution role's policy can be scoped on them, and
/// `--prune` removes only parameters that carry both.
pub(crate) const TAG_APP: &str = "parity:app";
pub(crate) const TAG_ENVIRONMENT: &str = "parity:environment";

/// The tags every secret parity writes carries, in either store: what
/// `--prune` and `env destroy` take as "parity's own".
pub(crate) fn ownership_tags<'t>(
    app: &'t str,
    environment: &'t str,
) -> [(&'static str, &'t str); 2] {
    [(TAG_APP, app), (TAG_ENVIRONMENT, environment)]
}

/// DeleteParameters takes at most ten names per call.
const DELETE_BATCH: usize = 10;

/// A secret value. `Debug` is redacted so it cannot reach a log by accident;
/// there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SecretValue(String);

impl SecretValue {
    pub(crate) fn new(value: String) -> Self {
        Self(value)
    }

    /// The value, for the one place that sends or compares it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretValue(***)")
    }
}

/// A parameter's metadata (no value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParameterInfo {
    /// Full parameter name (`/app/env/NAME`).
    pub(crate) name: String,
    pub(crate) version: i64,
    /// RFC 3339, when SSM reports it.
    pub(crate) last_modified: Option<String>,
    pub(crate) secure: bool,
    pub(crate) tier: Tier,
    pub(crate) key_id: Option<String>,
}

/// Parameter Store for one environment's AWS context.
pub(crate) struct ParameterStore<'a> {
    context: &'a AwsContext,
    client: aws_sdk_ssm::Client,
}

impl<'a> ParameterStore<'a> {
    pub(crate) fn new(context: &'a AwsContext) -> Self {
        Self {
            context,
            client: context.ssm(),
        }
    }

    fn fail<E, R>(&self, call: Call<'_>, err: &aws_sdk_ssm::error::SdkError<E, R>) -> Error
    where
        E: aws_sdk_ssm::error::ProvideErrorMetadata,
        R: super::explain::HttpStatus,
    {
        self.context.explain(&call, err)
    }

    /// Metadata of every parameter directly under `prefix` (one level).
    pub(crate) async fn describe(&self, prefix: &str) -> Result<Vec<ParameterInfo>> {
        self.describe_filtered(prefix, &[]).await
    }

    /// Names of the parameters directly under `prefix` tagged as this app's
    /// and environment's.
    pub(crate) async fn managed(
        &self,
        prefix: &str,
        app: &str,
        environment: &str,
    ) -> Result<BTreeSet<String>> {
        let tags = [(TAG_APP, app), (TAG_ENVIRONMENT, environment)];
        let infos = self.describe_filtered(prefix, &tags).await?;
        Ok(infos.into_iter().map(|info| info.name).collect())
    }

    async fn describe_filtered(
        &self,
        prefix: &str,
        tags: &[(&str, &str)],
    ) -> Result<Vec<ParameterInfo>> {
        let mut filters = vec![string_filter("Path", Some("OneLevel"), prefix_path(prefix))];
        for (key, value) in tags {
            filters.push(string_filter(&format!("tag:{key}"), Some("Equals"), value));
        }
        let mut pages = self
            .client
            .describe_parameters()
            .set_parameter_filters(Some(filters))
            .max_results(50)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                self.fail(Call::new(Service::Ssm, "DescribeParameters").on(prefix), &e)
            })?;
            for meta in page.parameters() {
                let Some(name) = meta.name() else { continue };
                out.push(ParameterInfo {
                    name: name.to_string(),
                    version: meta.version(),
                    last_modified: meta
                        .last_modified_date()
                        .and_then(|d| d.fmt(DateTimeFormat::DateTime).ok()),
                    secure: meta.r#type() == Some(&ParameterType::SecureString),
                    tier: match meta.tier() {
                        Some(ParameterTier::Advanced) => Tier::Advanced,
                        _ => Tier::Standard,
                    },
                    key_id: meta.key_id().map(str::to_string),
                });
            }
        }
        Ok(out)
    }

    /// Decrypted values of every parameter directly under `prefix`, by full name.
    pub(crate) async fn values(&self, prefix: &str) -> Result<BTreeMap<String, SecretValue>> {
        self.values_by_path(prefix, false).await
    }

    /// Decrypted values of every parameter anywhere below `prefix`, by full
    /// name: what a review app copies from its base (the base's composed
    /// secrets live a level down, under `parity/`).
    pub(crate) async fn values_below(&self, prefix: &str) -> Result<BTreeMap<String, SecretValue>> {
        self.values_by_path(prefix, true).await
    }

    async fn values_by_path(
        &self,
        prefix: &str,
        recursive: bool,
    ) -> Result<BTreeMap<String, SecretValue>> {
        let mut pages = self
            .client
            .get_parameters_by_path()
            .path(prefix_path(prefix))
            .recursive(recursive)
            .with_decryption(true)
            .into_paginator()
            .send();
        let mut out = BTreeMap::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                self.fail(
                    Call::new(Service::Ssm, "GetParametersByPath").on(prefix),
                    &e,
                )
            })?;
            for parameter in page.parameters() {
                if let (Some(name), Some(value)) = (parameter.name(), parameter.value()) {
                    out.insert(name.to_string(), SecretValue::new(value.to_string()));
                }
            }
        }
        Ok(out)
    }

    /// One parameter's value, decrypted; `None` when it does not exist. Only
    /// for `up --like ENV --secrets-from-aws`, which needs the value itself.
    pub(crate) async fn value(&self, name: &str) -> Result<Option<SecretValue>> {
        match self
            .client
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .parameter()
                .and_then(|p| p.value())
                .map(|v| SecretValue::new(v.to_owned()))),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_parameter_not_found()) =>
            {
                Ok(None)
            }
            Err(err) => Err(self.fail(Call::new(Service::Ssm, "GetParameter").on(name), &err)),
        }
    }

    /// Writes one SecureString. A new parameter is created with `tags` in the
    /// same call; an existing one is overwritten (SSM refuses tags together
    /// with overwrite: tag it with [`Self::tag`]). Returns the new version.
    pub(crate) async fn put(&self, write: &Write<'_>) -> Result<i64> {
        let mut request = self
            .client
            .put_parameter()
            .name(write.name)
            .value(write.value.expose())
            .r#type(ParameterType::SecureString)
            .set_key_id(write.key_id.map(str::to_string))
            .tier(match write.tier {
                Tier::Standard => ParameterTier::Standard,
                Tier::Advanced => ParameterTier::Advanced,
            })
            .overwrite(write.overwrite);
        if !write.overwrite {
            request = request.set_tags(Some(tags(write.tags)?));
        }
        let output = request
            .send()
            .await
            .map_err(|e| self.fail(Call::new(Service::Ssm, "PutParameter").on(write.name), &e))?;
        Ok(output.version())
    }

    /// Adds (or updates) tags on an existing parameter.
    pub(crate) async fn tag(&self, name: &str, tag_pairs: &[(&str, &str)]) -> Result<()> {
        self.client
            .add_tags_to_resource()
            .resource_type(ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .set_tags(Some(tags(tag_pairs)?))
            .send()
            .await
            .map_err(|e| self.fail(Call::new(Service::Ssm, "AddTagsToResource").on(name), &e))?;
        Ok(())
    }

    /// Deletes parameters ten at a time. Returns the names deleted before a
    /// failure together with the error, so the caller can report progress.
    pub(crate) async fn delete(
        &self,
        names: &[String],
    ) -> Result<Vec<String>, (Vec<String>, Error)> {
        let mut deleted = Vec::new();
        for batch in names.chunks(DELETE_BATCH) {
            let output = self
                .client
                .delete_parameters()
                .set_names(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| {
                    let first = batch.first().map_or("", String::as_str);
                    (
                        deleted.clone(),
                        self.fail(Call::new(Service::Ssm, "DeleteParameters").on(first), &e),
                    )
                })?;
            // Names SSM no longer had are as good as deleted.
            deleted.extend(output.deleted_parameters().iter().cloned());
            deleted.extend(output.invalid_parameters().iter().cloned());
        }
        Ok(deleted)
    }
}

/// One PutParameter.
#[derive(Debug)]
pub(crate) struct Write<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a SecretValue,
    pub(crate) key_id: Option<&'a str>,
    pub(crate) tier: Tier,
    /// Whether the parameter exists (overwrite) or is created (with `tags`).
    pub(crate) overwrite: bool,
    pub(crate) tags: &'a [(&'a str, &'a str)],
}

/// SSM's path filters and GetParametersByPath want the prefix without its
/// trailing `/` (except the root).
fn prefix_path(prefix: &str) -> &str {
    match prefix.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    }
}

fn string_filter(key: &str, option: Option<&str>, value: &str) -> ParameterStringFilter {
    ParameterStringFilter::builder()
        .key(key)
        .set_option(option.map(str::to_string))
        .values(value)
        .build()
        .unwrap_or_else(|_| unreachable!("the key is always set"))
}

fn tags(pairs: &[(&str, &str)]) -> Result<Vec<Tag>> {
    pairs
        .iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(*key)
                .value(*value)
                .build()
                .map_err(|_| Error::failed(format!("invalid tag `{key}`")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_do_not_debug_print() {
        let value = SecretValue::new("CANARY".into());
        assert!(!format!("{value:?}").contains("CANARY"));
        assert_eq!(value.expose(), "CANARY");
    }

    #[test]
    fn prefix_paths_drop_the_trailing_slash() {
        assert_eq!(prefix_path("/shop/staging/"), "/shop/staging");
        assert_eq!(prefix_path("/"), "/");
    }
}
