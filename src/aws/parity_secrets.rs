//! The secrets parity itself keeps for an environment's managed services
//! (the RDS master passwords, the composed `DATABASE_URL`s), in the store
//! the environment chose (`secrets_store`): SSM SecureStrings or Secrets
//! Manager secrets, named by [`crate::settings::Environment::parity_secret_name`]
//! and tagged `parity:app`/`parity:environment`. One interface over both, so
//! `env apply`, `env destroy` and `db` never branch on the store.
//!
//! Values pass through as [`SecretValue`]; nothing here prints, and errors
//! go through [`super::explain`], which never quotes a request.

use std::collections::BTreeSet;

use aws_sdk_ssm::types::ParameterStringFilter;

use super::config::{AwsContext, Service};
use super::explain::Call;
use super::secretsmanager::{Deletion, SecretWrite, SecretsManager, new_version_id};
use super::ssm::{ParameterStore, SecretValue, Write, ownership_tags};
use crate::cloud::secrets_plan::Tier;
use crate::error::{Error, Result};
use crate::settings::{Environment, SecretsStore};

/// parity's own secrets of one environment, in its store.
pub(crate) struct ParitySecrets<'a> {
    ctx: &'a AwsContext,
    environment: &'a Environment,
}

impl<'a> ParitySecrets<'a> {
    pub(crate) fn new(ctx: &'a AwsContext, environment: &'a Environment) -> Self {
        Self { ctx, environment }
    }

    /// `SSM` or `Secrets Manager`, for messages.
    pub(crate) fn label(&self) -> &'static str {
        self.environment.secrets_store().label()
    }

    fn tags(&self) -> [(&'static str, &'a str); 2] {
        ownership_tags(&self.environment.app, self.environment.name())
    }

    /// Which of `names` exist (by name; no value is read).
    pub(crate) async fn existing(&self, names: &[String]) -> Result<BTreeSet<String>> {
        match self.environment.secrets_store() {
            SecretsStore::Ssm => super::parameters::existing(self.ctx, names).await,
            SecretsStore::Secretsmanager => SecretsManager::new(self.ctx).existing(names).await,
        }
    }

    /// The value of `name`, `None` when it does not exist.
    pub(crate) async fn read(&self, name: &str) -> Result<Option<SecretValue>> {
        match self.environment.secrets_store() {
            SecretsStore::Ssm => ParameterStore::new(self.ctx).value(name).await,
            SecretsStore::Secretsmanager => SecretsManager::new(self.ctx).value(name).await,
        }
    }

    /// Writes `value` at `name`: created (tagged) when `exists` is false, a
    /// new version otherwise. Creating never overwrites: the store refuses
    /// when someone created the name meanwhile.
    pub(crate) async fn write(&self, name: &str, value: &SecretValue, exists: bool) -> Result<()> {
        let tags = self.tags();
        match self.environment.secrets_store() {
            SecretsStore::Ssm => {
                ParameterStore::new(self.ctx)
                    .put(&Write {
                        name,
                        value,
                        key_id: self.environment.kms_key_id(),
                        tier: Tier::Standard,
                        overwrite: exists,
                        tags: &tags,
                    })
                    .await?;
            }
            SecretsStore::Secretsmanager => {
                let version = new_version_id()?;
                let write = SecretWrite {
                    name,
                    value,
                    version: &version,
                    tags: &tags,
                    kms_key_id: self.environment.kms_key_id(),
                };
                let store = SecretsManager::new(self.ctx);
                if exists {
                    store.update(&write).await?;
                } else {
                    store.create(&write).await?;
                }
            }
        }
        Ok(())
    }

    /// Deletes those of `names` that exist and carry this app's and
    /// environment's tags (what parity created; a same-named secret someone
    /// else made is left alone). At once: a Secrets Manager secret in a
    /// recovery window would block the name when the environment is applied
    /// again. Returns the names deleted.
    pub(crate) async fn delete_owned(&self, names: &[String]) -> Result<Vec<String>> {
        let owned = self.owned(names).await?;
        let mut deleted = Vec::new();
        match self.environment.secrets_store() {
            SecretsStore::Ssm => {
                let gone = ParameterStore::new(self.ctx)
                    .delete(&owned)
                    .await
                    .map_err(|(_, e)| e)?;
                deleted.extend(gone);
            }
            SecretsStore::Secretsmanager => {
                let store = SecretsManager::new(self.ctx);
                for name in owned {
                    store.delete(&name, Deletion::Immediate).await?;
                    deleted.push(name);
                }
            }
        }
        Ok(deleted)
    }

    /// Those of `names` that exist tagged as this environment's.
    async fn owned(&self, names: &[String]) -> Result<Vec<String>> {
        let [(app_key, app), (env_key, env)] = self.tags();
        let mut out = Vec::new();
        match self.environment.secrets_store() {
            SecretsStore::Ssm => {
                for chunk in names.chunks(50) {
                    let filter = |key: &str, values: Vec<String>| {
                        ParameterStringFilter::builder()
                            .key(key)
                            .option("Equals")
                            .set_values(Some(values))
                            .build()
                            .map_err(|e| Error::failed(format!("DescribeParameters filter: {e}")))
                    };
                    let filters = vec![
                        filter("Name", chunk.to_vec())?,
                        filter(&format!("tag:{app_key}"), vec![app.to_owned()])?,
                        filter(&format!("tag:{env_key}"), vec![env.to_owned()])?,
                    ];
                    let mut pages = self
                        .ctx
                        .ssm()
                        .describe_parameters()
                        .set_parameter_filters(Some(filters))
                        .into_paginator()
                        .send();
                    while let Some(page) = pages.next().await {
                        let page = page.map_err(|e| {
                            self.ctx
                                .explain(&Call::new(Service::Ssm, "DescribeParameters"), &e)
                        })?;
                        out.extend(
                            page.parameters()
                                .iter()
                                .filter_map(|p| p.name().map(str::to_owned)),
                        );
                    }
                }
            }
            SecretsStore::Secretsmanager => {
                let client = self.ctx.secretsmanager();
                for name in names {
                    let described = match client.describe_secret().secret_id(name).send().await {
                        Ok(described) => described,
                        Err(err)
                            if err
                                .as_service_error()
                                .is_some_and(|e| e.is_resource_not_found_exception()) =>
                        {
                            continue;
                        }
                        Err(err) => {
                            return Err(self.ctx.explain(
                                &Call::new(Service::SecretsManager, "DescribeSecret").on(name),
                                &err,
                            ));
                        }
                    };
                    let tagged = |key: &str, value: &str| {
                        described
                            .tags()
                            .iter()
                            .any(|t| t.key() == Some(key) && t.value() == Some(value))
                    };
                    if described.deleted_date().is_none()
                        && tagged(app_key, app)
                        && tagged(env_key, env)
                    {
                        out.push(name.clone());
                    }
                }
            }
        }
        Ok(out)
    }
}
