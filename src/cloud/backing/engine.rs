//! The compose image of a `cloud: rds|elasticache` service -> the managed
//! engine and version that replaces it. The major version must match: an app
//! tested against `postgres:16` gets RDS PostgreSQL 16, never "whatever AWS
//! defaults to". A tag parity cannot map (`latest`, none, a version AWS does
//! not offer) is refused naming the versions that are offered.

use serde::Serialize;

use crate::compose::x_parity::Placement;

/// One engine parity can replace a compose image with.
#[derive(Debug)]
struct Family {
    /// Image repository names (last path segment) that run this engine.
    images: &'static [&'static str],
    placement: Placement,
    /// The `Engine` property (RDS) or `Engine` (ElastiCache).
    engine: &'static str,
    /// Versions AWS offers, oldest first: as a tag names them, and the
    /// `EngineVersion` parity writes (RDS: the newest minor, which RDS
    /// creates; a bare major is deprecated for new instances).
    versions: &'static [(&'static str, &'static str)],
    /// A tag's major alone (`7`) picks the newest offered of that major;
    /// otherwise the tag must name major.minor (MySQL 8 spans 8.0 and 8.4,
    /// which are different engines to RDS).
    major_alone: bool,
    /// Only the first component matters (PostgreSQL 10+ majors are one number).
    major_only: bool,
    port: u16,
}

/// RDS and ElastiCache versions in standard support; the RDS minors are the
/// newest in cfn-lint 1.51's copy of AWS's engine-version list (the goldens'
/// lint fails when one is withdrawn).
const FAMILIES: &[Family] = &[
    Family {
        images: &["postgres", "postgis"],
        placement: Placement::Rds,
        engine: "postgres",
        versions: &[
            ("14", "14.22"),
            ("15", "15.17"),
            ("16", "16.13"),
            ("17", "17.9"),
            ("18", "18.3"),
        ],
        major_alone: true,
        major_only: true,
        port: 5432,
    },
    Family {
        images: &["mysql"],
        placement: Placement::Rds,
        engine: "mysql",
        versions: &[("8.0", "8.0.46"), ("8.4", "8.4.9")],
        major_alone: false,
        major_only: false,
        port: 3306,
    },
    Family {
        images: &["mariadb"],
        placement: Placement::Rds,
        engine: "mariadb",
        versions: &[
            ("10.6", "10.6.25"),
            ("10.11", "10.11.16"),
            ("11.4", "11.4.10"),
            ("11.8", "11.8.6"),
        ],
        major_alone: false,
        major_only: false,
        port: 3306,
    },
    Family {
        images: &["redis"],
        placement: Placement::Elasticache,
        engine: "redis",
        versions: &[("6.2", "6.2"), ("7.0", "7.0"), ("7.1", "7.1")],
        major_alone: true,
        major_only: false,
        port: 6379,
    },
    Family {
        images: &["valkey"],
        placement: Placement::Elasticache,
        engine: "valkey",
        versions: &[("7.2", "7.2"), ("8.0", "8.0"), ("8.1", "8.1")],
        major_alone: true,
        major_only: false,
        port: 6379,
    },
];

/// The managed engine a compose image maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Engine {
    /// `postgres`, `mysql`, `mariadb`, `redis` or `valkey`.
    pub(crate) name: &'static str,
    /// The version as a tag names it (`16`, `8.0`, `7.1`).
    pub(crate) major: String,
    /// The `EngineVersion` written in the template (`16.13`, `8.0.46`, `7.1`).
    pub(crate) version: String,
    /// The engine's port.
    pub(crate) port: u16,
}

/// Why an image does not map; the caller locates and words the error.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unmapped {
    /// No engine of this placement runs the image; lists the images that do.
    Image(Vec<&'static str>),
    /// The engine is known but the tag is not a version AWS offers.
    Version {
        engine: &'static str,
        offered: Vec<&'static str>,
    },
}

/// An image reference's last path segment and tag, without registry, owner or
/// digest: `docker.io/library/postgres:16-alpine@sha256:…` is (`postgres`,
/// `16-alpine`). The image name alone says which engine a compose service runs.
pub(crate) fn name_and_tag(image: &str) -> (&str, Option<&str>) {
    let without_digest = image.split('@').next().unwrap_or(image);
    let (repository, tag) = match without_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (without_digest, None),
    };
    (repository.rsplit('/').next().unwrap_or(repository), tag)
}

/// Maps `image` (`postgres:16.4-alpine`, `docker.io/library/redis:7`) for `placement`.
pub(crate) fn engine_of(image: &str, placement: Placement) -> Result<Engine, Unmapped> {
    let (name, tag) = name_and_tag(image);
    let candidates = || FAMILIES.iter().filter(|f| f.placement == placement);
    let Some(family) = candidates().find(|f| f.images.contains(&name)) else {
        return Err(Unmapped::Image(
            candidates()
                .flat_map(|f| f.images.iter().copied())
                .collect(),
        ));
    };
    let unmapped = || Unmapped::Version {
        engine: family.engine,
        offered: family.versions.iter().map(|(tag, _)| *tag).collect(),
    };
    // `16.4-alpine3.20` -> `16.4`; `latest`, `alpine` or no tag float: refused.
    let version = tag
        .map(|t| t.split('-').next().unwrap_or(t))
        .filter(|v| !v.is_empty() && v.split('.').all(|p| p.parse::<u32>().is_ok()))
        .ok_or_else(unmapped)?;
    let parts: Vec<&str> = version.split('.').collect();
    let found = if family.major_only {
        family.versions.iter().find(|(v, _)| *v == parts[0])
    } else if parts.len() == 1 {
        family
            .major_alone
            .then(|| {
                family
                    .versions
                    .iter()
                    .rev()
                    .find(|(v, _)| v.split('.').next() == Some(parts[0]))
            })
            .flatten()
    } else {
        let minor = format!("{}.{}", parts[0], parts[1]);
        family.versions.iter().find(|(v, _)| *v == minor)
    };
    match found {
        Some((major, version)) => Ok(Engine {
            name: family.engine,
            major: (*major).to_owned(),
            version: (*version).to_owned(),
            port: family.port,
        }),
        None => Err(unmapped()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(image: &str, placement: Placement) -> (String, String) {
        let engine = engine_of(image, placement).unwrap_or_else(|e| panic!("{image}: {e:?}"));
        (engine.name.to_owned(), engine.major)
    }

    #[test]
    fn tags_map_to_the_same_major_version() {
        for (image, placement, engine, version) in [
            ("postgres:16", Placement::Rds, "postgres", "16"),
            ("postgres:16.4-alpine", Placement::Rds, "postgres", "16"),
            (
                "docker.io/library/postgres:17.2",
                Placement::Rds,
                "postgres",
                "17",
            ),
            ("postgis/postgis:15-3.4", Placement::Rds, "postgres", "15"),
            ("mysql:8.0", Placement::Rds, "mysql", "8.0"),
            ("mysql:8.4.3", Placement::Rds, "mysql", "8.4"),
            ("mariadb:10.11", Placement::Rds, "mariadb", "10.11"),
            ("redis:7", Placement::Elasticache, "redis", "7.1"),
            ("redis:7.0-alpine", Placement::Elasticache, "redis", "7.0"),
            (
                "redis:6.2@sha256:abc",
                Placement::Elasticache,
                "redis",
                "6.2",
            ),
            ("valkey/valkey:8", Placement::Elasticache, "valkey", "8.1"),
        ] {
            assert_eq!(
                mapped(image, placement),
                (engine.to_owned(), version.to_owned())
            );
        }
    }

    #[test]
    fn floating_or_unoffered_tags_name_the_offered_versions() {
        for (image, placement) in [
            ("postgres", Placement::Rds),
            ("postgres:latest", Placement::Rds),
            ("postgres:9.6", Placement::Rds),
            ("postgres:13", Placement::Rds),
            ("mysql:8", Placement::Rds),
            ("mysql:5.7", Placement::Rds),
            ("redis:7.4", Placement::Elasticache),
            ("redis:alpine", Placement::Elasticache),
        ] {
            assert!(
                matches!(engine_of(image, placement), Err(Unmapped::Version { .. })),
                "{image}"
            );
        }
        assert_eq!(
            engine_of("redis:7", Placement::Rds),
            Err(Unmapped::Image(vec![
                "postgres", "postgis", "mysql", "mariadb"
            ]))
        );
    }
}
