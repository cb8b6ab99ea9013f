//! A view of moto's Secrets Manager through the real SDK, for seeding and
//! for assertions (values, current version, tags, scheduled deletion).

use std::collections::BTreeMap;

use super::moto::{Moto, REGION};

/// One secret as moto holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// The current value (`None` while scheduled for deletion).
    pub value: Option<String>,
    /// The version labelled AWSCURRENT.
    pub version: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Scheduled for deletion (inside its recovery window).
    pub deleted: bool,
}

impl Moto {
    /// An SDK client on this server.
    pub fn secretsmanager_client(&self) -> aws_sdk_secretsmanager::Client {
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
            .region(aws_sdk_secretsmanager::config::Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .build();
        aws_sdk_secretsmanager::Client::from_conf(config)
    }

    /// A view of moto's Secrets Manager.
    pub fn secrets(&self) -> SecretsView<'_> {
        SecretsView { moto: self }
    }
}

/// Assertions on and seeding of moto's Secrets Manager.
pub struct SecretsView<'a> {
    moto: &'a Moto,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn tags(pairs: &[(&str, &str)]) -> Option<Vec<aws_sdk_secretsmanager::types::Tag>> {
    (!pairs.is_empty()).then(|| {
        pairs
            .iter()
            .map(|(k, v)| {
                aws_sdk_secretsmanager::types::Tag::builder()
                    .key(*k)
                    .value(*v)
                    .build()
            })
            .collect()
    })
}

impl SecretsView<'_> {
    /// Every secret whose name starts with `prefix`, scheduled deletions included.
    pub fn all(&self, prefix: &str) -> BTreeMap<String, Secret> {
        let client = self.moto.secretsmanager_client();
        runtime().block_on(async move {
            let mut out = BTreeMap::new();
            let mut pages = client
                .list_secrets()
                .include_planned_deletion(true)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.expect("moto ListSecrets");
                for entry in page.secret_list.unwrap_or_default() {
                    let name = entry.name.clone().expect("secret name");
                    if !name.starts_with(prefix) {
                        continue;
                    }
                    let deleted = entry.deleted_date.is_some();
                    let value = if deleted {
                        None
                    } else {
                        client
                            .get_secret_value()
                            .secret_id(&name)
                            .send()
                            .await
                            .expect("moto GetSecretValue")
                            .secret_string
                    };
                    let version = entry.secret_versions_to_stages.as_ref().and_then(|v| {
                        v.iter()
                            .find(|(_, stages)| stages.iter().any(|s| s == "AWSCURRENT"))
                            .map(|(id, _)| id.clone())
                    });
                    let tags = entry
                        .tags
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|t| Some((t.key?, t.value?)))
                        .collect();
                    out.insert(
                        name,
                        Secret {
                            value,
                            version,
                            tags,
                            deleted,
                        },
                    );
                }
            }
            out
        })
    }

    /// Every secret in the account (for "nothing changed" assertions).
    pub fn everything(&self) -> BTreeMap<String, Secret> {
        self.all("")
    }

    /// Creates a secret with a string value and tags.
    pub fn create(&self, name: &str, value: &str, tag_pairs: &[(&str, &str)]) {
        let client = self.moto.secretsmanager_client();
        runtime().block_on(async move {
            client
                .create_secret()
                .name(name)
                .secret_string(value)
                .set_tags(tags(tag_pairs))
                .send()
                .await
                .expect("moto CreateSecret");
        });
    }

    /// Creates a secret replicated to another region: DeleteSecret refuses it
    /// while the replica exists (a real failure to test partial removal with).
    pub fn create_replicated(&self, name: &str, value: &str, tag_pairs: &[(&str, &str)]) {
        let client = self.moto.secretsmanager_client();
        runtime().block_on(async move {
            client
                .create_secret()
                .name(name)
                .secret_string(value)
                .set_tags(tags(tag_pairs))
                .add_replica_regions(
                    aws_sdk_secretsmanager::types::ReplicaRegionType::builder()
                        .region("us-east-1")
                        .build(),
                )
                .send()
                .await
                .expect("moto CreateSecret with a replica");
        });
    }

    /// Puts a new current value by hand (as someone in the console would).
    pub fn put_value(&self, name: &str, value: &str) {
        let client = self.moto.secretsmanager_client();
        runtime().block_on(async move {
            client
                .put_secret_value()
                .secret_id(name)
                .secret_string(value)
                .send()
                .await
                .expect("moto PutSecretValue");
        });
    }
}
