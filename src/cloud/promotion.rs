//! Whether what one environment runs may be promoted to the next, and which
//! image digests that means.
//!
//! Pure. `promote` reads the source environment's services (adapters) and asks
//! this module: every service's deployment must be `COMPLETED` (a single
//! deployment, not mid-rollout), every image pinned by digest, and the compose
//! file that produced them the same as the local one (or the user accepted the
//! drift). Owns those rules and the refusal messages, which container is a
//! service's image and whether two environments run the same digests (promote
//! verifies with it, status shows it); never the AWS calls.

use indexmap::IndexMap;

use super::image_ref::{Digest, ImageRef};

/// One service of the source environment as it runs now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceService {
    /// Compose service name.
    pub(crate) service: String,
    /// Rollout states of its deployments, primary first.
    pub(crate) rollout_states: Vec<String>,
    /// Container name -> image, from the running task definition.
    pub(crate) images: IndexMap<String, String>,
    /// The compose hash recorded when it was deployed (a task definition tag).
    pub(crate) compose_hash: Option<String>,
}

/// What promotion carries: per compose service, container -> pinned image.
pub(crate) type Promotion = IndexMap<String, IndexMap<String, ImageRef>>;

/// One reason to refuse a promotion. Typed, so callers branch on the kind
/// (config drift has its own way out), never on the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The source runs no service parity deployed.
    NothingDeployed,
    /// This service of the source was never deployed.
    NeverDeployed { service: String },
    /// Its service has no deployment at all.
    NoDeployment { service: String },
    /// Its only deployment is not COMPLETED (FAILED, IN_PROGRESS).
    NotCompleted { service: String, state: String },
    /// More than one deployment: a rollout is under way.
    MidRollout {
        service: String,
        states: Vec<String>,
    },
    /// A container runs a mutable reference.
    NotPinned {
        service: String,
        container: String,
        image: String,
    },
    /// Deployed from another compose file than the local one.
    ConfigDrift {
        service: String,
        deployed: String,
        local: String,
    },
    /// No compose hash recorded: not deployed by parity.
    Untracked { service: String },
}

impl Refusal {
    /// The refusal `--allow-config-drift` would lift.
    pub(crate) fn is_config_drift(&self) -> bool {
        matches!(self, Self::ConfigDrift { .. })
    }

    /// The sentence, naming the source environment `from`.
    pub(crate) fn describe(&self, from: &str) -> String {
        match self {
            Self::NothingDeployed => format!("{from} runs no services parity deployed"),
            Self::NeverDeployed { service } => format!("{from}'s {service} was never deployed"),
            Self::NoDeployment { service } => format!("{from}'s {service} has no deployment"),
            Self::NotCompleted { service, state } => {
                format!("{from}'s {service} deployment is {state}, not COMPLETED")
            }
            Self::MidRollout { service, states } => format!(
                "{from}'s {service} is mid-rollout ({} deployments: {})",
                states.len(),
                states.join(", ")
            ),
            Self::NotPinned {
                service,
                container,
                image,
            } => format!(
                "{from}'s {service} runs `{image}` in {container}, which is not pinned by a digest"
            ),
            Self::ConfigDrift {
                service,
                deployed,
                local,
            } => format!(
                "{from}'s {service} was deployed from compose hash {deployed}, but the local compose \
                 file hashes to {local}: that configuration was never verified in {from}"
            ),
            Self::Untracked { service } => {
                format!("{from}'s {service} records no compose hash (not deployed by parity)")
            }
        }
    }
}

/// Checks the preconditions; on success, the digests to deploy. `Err` lists
/// every reason to refuse, so one run shows all of them. `never_deployed`
/// names the source's services that run nothing.
pub(crate) fn check(
    services: &[SourceService],
    never_deployed: &[String],
    local_compose_hash: &str,
    allow_config_drift: bool,
) -> Result<Promotion, Vec<Refusal>> {
    let mut reasons = Vec::new();
    let mut promotion = Promotion::new();
    if services.is_empty() {
        reasons.push(Refusal::NothingDeployed);
    }
    for source in services {
        let service = source.service.clone();
        match source.rollout_states.as_slice() {
            [only] if only == "COMPLETED" => {}
            [] => reasons.push(Refusal::NoDeployment {
                service: service.clone(),
            }),
            [primary] => reasons.push(Refusal::NotCompleted {
                service: service.clone(),
                state: primary.clone(),
            }),
            states => reasons.push(Refusal::MidRollout {
                service: service.clone(),
                states: states.to_vec(),
            }),
        }
        let mut images = IndexMap::new();
        for (container, image) in &source.images {
            match ImageRef::parse(image) {
                Ok(parsed) if parsed.digest.is_some() => {
                    images.insert(container.clone(), parsed);
                }
                _ => reasons.push(Refusal::NotPinned {
                    service: service.clone(),
                    container: container.clone(),
                    image: image.clone(),
                }),
            }
        }
        promotion.insert(service.clone(), images);
        if !allow_config_drift {
            match source.compose_hash.as_deref() {
                Some(hash) if hash == local_compose_hash => {}
                Some(hash) => reasons.push(Refusal::ConfigDrift {
                    service,
                    deployed: hash.to_owned(),
                    local: local_compose_hash.to_owned(),
                }),
                None => reasons.push(Refusal::Untracked { service }),
            }
        }
    }
    reasons.extend(never_deployed.iter().map(|service| Refusal::NeverDeployed {
        service: service.clone(),
    }));
    if reasons.is_empty() {
        Ok(promotion)
    } else {
        Err(reasons)
    }
}

/// Which of a task's containers carries the service's image: the one named
/// after the service (the task's own container; sidecars keep theirs), else
/// the first, which is the essential one.
pub(crate) fn service_image<'a, T>(
    containers: impl IntoIterator<Item = (&'a str, &'a T)>,
    service: &str,
) -> Option<&'a T> {
    let mut first = None;
    for (container, image) in containers {
        if container == service {
            return Some(image);
        }
        first.get_or_insert(image);
    }
    first
}

/// The digest a service runs, per compose service (`None`: not deployed, or
/// not pinned by a digest).
pub(crate) type RunningDigests = Vec<(String, Option<Digest>)>;

/// The services of `target` that do not run exactly the digest `source` runs
/// (a service either side does not run by digest counts as different).
pub(crate) fn differing(source: &RunningDigests, target: &RunningDigests) -> Vec<String> {
    target
        .iter()
        .filter(|(service, digest)| {
            let theirs = source.iter().find(|(s, _)| s == service);
            digest.is_none() || theirs.is_none_or(|(_, d)| d != digest)
        })
        .map(|(service, _)| service.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn source(states: &[&str], image: &str, hash: Option<&str>) -> SourceService {
        SourceService {
            service: "web".into(),
            rollout_states: states.iter().map(|s| (*s).to_owned()).collect(),
            images: IndexMap::from([("web".to_owned(), image.to_owned())]),
            compose_hash: hash.map(Into::into),
        }
    }

    fn pinned() -> String {
        format!("127.0.0.1:5000/shop@sha256:{HEX}")
    }

    /// The refusals as the user reads them.
    fn said(result: Result<Promotion, Vec<Refusal>>) -> Vec<String> {
        result
            .unwrap_err()
            .iter()
            .map(|r| r.describe("staging"))
            .collect()
    }

    #[test]
    fn completed_pinned_and_same_config_promotes_the_digest() {
        let p = check(
            &[source(&["COMPLETED"], &pinned(), Some("h1"))],
            &[],
            "h1",
            false,
        )
        .unwrap();
        assert_eq!(
            p["web"]["web"].digest.as_ref().unwrap().as_str(),
            format!("sha256:{HEX}")
        );
    }

    #[test]
    fn refuses_a_rollout_in_progress() {
        let err = said(check(
            &[source(&["IN_PROGRESS", "COMPLETED"], &pinned(), Some("h1"))],
            &[],
            "h1",
            false,
        ));
        assert_eq!(
            err,
            ["staging's web is mid-rollout (2 deployments: IN_PROGRESS, COMPLETED)"]
        );
        let err = said(check(
            &[source(&["FAILED"], &pinned(), Some("h1"))],
            &[],
            "h1",
            false,
        ));
        assert_eq!(err, ["staging's web deployment is FAILED, not COMPLETED"]);
    }

    #[test]
    fn refuses_a_mutable_tag() {
        let err = said(check(
            &[source(
                &["COMPLETED"],
                "127.0.0.1:5000/shop:latest",
                Some("h1"),
            )],
            &[],
            "h1",
            false,
        ));
        assert!(err[0].contains("not pinned by a digest"), "{err:?}");
    }

    #[test]
    fn refuses_config_drift_unless_allowed_and_says_which_refusal_it_is() {
        let services = [source(&["COMPLETED"], &pinned(), Some("h1"))];
        let err = check(&services, &[], "h2", false).unwrap_err();
        assert!(err[0].is_config_drift());
        assert!(
            err[0]
                .describe("staging")
                .contains("never verified in staging")
        );
        assert!(check(&services, &[], "h2", true).is_ok());
    }

    #[test]
    fn refuses_untracked_never_deployed_and_empty_environments() {
        let err = said(check(
            &[source(&["COMPLETED"], &pinned(), None)],
            &[],
            "h1",
            false,
        ));
        assert!(err[0].contains("records no compose hash"));
        let err = check(&[], &["migrate".to_owned()], "h1", false).unwrap_err();
        assert!(!err.iter().any(Refusal::is_config_drift));
        let err: Vec<String> = err.iter().map(|r| r.describe("staging")).collect();
        assert_eq!(
            err,
            [
                "staging runs no services parity deployed",
                "staging's migrate was never deployed"
            ]
        );
    }

    #[test]
    fn every_reason_is_reported_at_once() {
        let err = check(
            &[source(&["FAILED"], "web:latest", Some("h0"))],
            &[],
            "h1",
            false,
        );
        assert_eq!(said(err).len(), 3);
    }

    #[test]
    fn the_service_image_is_its_own_container_else_the_first() {
        let containers = [("envoy", "e"), ("web", "w")];
        let pairs = || containers.iter().map(|(c, i)| (*c, i));
        assert_eq!(service_image(pairs(), "web"), Some(&"w"));
        assert_eq!(service_image(pairs(), "api"), Some(&"e"));
        assert_eq!(
            service_image(std::iter::empty::<(&str, &&str)>(), "web"),
            None
        );
    }

    #[test]
    fn same_digests_means_every_target_service_runs_the_source_digest() {
        let d =
            |c: char| Some(Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).unwrap());
        let source = vec![("web".to_owned(), d('a')), ("migrate".to_owned(), d('b'))];
        assert!(differing(&source, &source).is_empty());
        let moved = vec![("web".to_owned(), d('c')), ("migrate".to_owned(), d('b'))];
        assert_eq!(differing(&source, &moved), ["web"]);
        let never = vec![("web".to_owned(), None), ("migrate".to_owned(), d('b'))];
        assert_eq!(differing(&source, &never), ["web"]);
        assert_eq!(
            differing(&never, &never),
            ["web"],
            "nothing runs: not the same"
        );
    }
}
