//! `[environments.<env>.database]` and `[environments.<env>.cache]`: the size
//! and safety knobs of the managed services that replace `cloud: rds` and
//! `cloud: elasticache` compose services. Small defaults (README "Backing
//! services" states their monthly cost); each bad value is exit 2 at its
//! file:line:col.

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};

/// RDS instances of the environment (one per `cloud: rds` service).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DatabaseSettings {
    /// DB instance class. Default `db.t4g.micro`.
    #[serde(default)]
    pub(crate) instance_class: Option<Spanned<String>>,
    /// Allocated storage in GiB (gp3). Default 20, the gp3 minimum.
    #[serde(default)]
    pub(crate) storage_gb: Option<Spanned<u32>>,
    /// A standby in a second availability zone. Default off.
    #[serde(default)]
    pub(crate) multi_az: bool,
    /// Days automated backups are kept (1–35; backups are always on). Default 7.
    #[serde(default)]
    pub(crate) backup_retention_days: Option<Spanned<u32>>,
}

/// ElastiCache replication groups of the environment (one per `cloud: elasticache` service).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CacheSettings {
    /// Cache node type. Default `cache.t4g.micro`.
    #[serde(default)]
    pub(crate) node_type: Option<Spanned<String>>,
}

impl DatabaseSettings {
    pub(crate) fn instance_class(&self) -> &str {
        self.instance_class
            .as_ref()
            .map_or("db.t4g.micro", |c| c.get_ref().as_str())
    }

    pub(crate) fn storage_gb(&self) -> u32 {
        self.storage_gb.as_ref().map_or(20, |s| *s.get_ref())
    }

    pub(crate) fn backup_retention_days(&self) -> u32 {
        self.backup_retention_days
            .as_ref()
            .map_or(7, |d| *d.get_ref())
    }
}

impl CacheSettings {
    pub(crate) fn node_type(&self) -> &str {
        self.node_type
            .as_ref()
            .map_or("cache.t4g.micro", |c| c.get_ref().as_str())
    }
}

/// Checks the values against what RDS and ElastiCache accept; `bad` locates an error.
pub(super) fn check(
    database: &DatabaseSettings,
    cache: &CacheSettings,
    bad: &dyn Fn(std::ops::Range<usize>, String) -> Error,
) -> Result<()> {
    if let Some(class) = &database.instance_class
        && !is_class(class.get_ref(), "db.")
    {
        return Err(bad(
            class.span(),
            format!(
                "database.instance_class `{}` is not an RDS instance class",
                class.get_ref()
            ),
        )
        .with_help("e.g. instance_class = \"db.t4g.micro\" or \"db.m7g.large\""));
    }
    if let Some(storage) = &database.storage_gb
        && !(20..=65536).contains(storage.get_ref())
    {
        return Err(bad(
            storage.span(),
            format!(
                "database.storage_gb = {} is outside RDS's 20–65536 GiB",
                storage.get_ref()
            ),
        ));
    }
    if let Some(days) = &database.backup_retention_days
        && !(1..=35).contains(days.get_ref())
    {
        return Err(bad(
            days.span(),
            format!(
                "database.backup_retention_days = {} is outside 1–35 (automated backups stay on)",
                days.get_ref()
            ),
        ));
    }
    if let Some(node) = &cache.node_type
        && !is_class(node.get_ref(), "cache.")
    {
        return Err(bad(
            node.span(),
            format!(
                "cache.node_type `{}` is not an ElastiCache node type",
                node.get_ref()
            ),
        )
        .with_help("e.g. node_type = \"cache.t4g.micro\" or \"cache.m7g.large\""));
    }
    Ok(())
}

/// `db.t4g.micro`: the prefix, then two dot-separated parts of lowercase letters and digits.
fn is_class(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|rest| {
        let parts: Vec<&str> = rest.split('.').collect();
        parts.len() == 2
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::settings::parse;

    fn environment_error(extra: &str) -> String {
        let text =
            format!("app = \"shop\"\n[environments.staging]\nregion = \"eu-west-1\"\n{extra}\n");
        match parse(&text, Path::new("parity.toml")) {
            Ok(_) => String::new(),
            Err(e) => format!("{e} {:?}", e.location()),
        }
    }

    #[test]
    fn defaults_are_small_and_backed_up() {
        let text = "app = \"shop\"\n[environments.staging]\nregion = \"eu-west-1\"\n";
        let settings = parse(text, Path::new("parity.toml")).unwrap();
        let env = settings.environment("staging").unwrap();
        assert_eq!(env.database.instance_class(), "db.t4g.micro");
        assert_eq!(env.database.storage_gb(), 20);
        assert_eq!(env.database.backup_retention_days(), 7);
        assert!(!env.database.multi_az);
        assert_eq!(env.cache.node_type(), "cache.t4g.micro");
    }

    #[test]
    fn bad_values_are_located() {
        for (extra, expected) in [
            (
                "[environments.staging.database]\ninstance_class = \"t4g.micro\"",
                "not an RDS instance class",
            ),
            (
                "[environments.staging.database]\nstorage_gb = 5",
                "outside RDS's 20–65536 GiB",
            ),
            (
                "[environments.staging.database]\nbackup_retention_days = 0",
                "outside 1–35",
            ),
            (
                "[environments.staging.cache]\nnode_type = \"db.t4g.micro\"",
                "not an ElastiCache node type",
            ),
            ("[environments.staging.database]\nsize = 1", "unknown"),
        ] {
            let error = environment_error(extra);
            assert!(error.contains(expected), "{extra}: {error}");
            assert!(error.contains("line: 5"), "{extra}: not located: {error}");
        }
    }
}
