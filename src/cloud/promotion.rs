//! Whether what one environment runs may be promoted to the next, and which
//! image digests that means.
//!
//! Pure. `promote` reads the source environment's services (adapters) and asks
//! this module: every service's deployment must be `COMPLETED` (a single
//! deployment, not mid-rollout), every image pinned by digest, and the compose
//! file that produced them the same as the local one (or the user accepted the
//! drift). Owns those rules and the refusal messages; never the AWS calls.

use indexmap::IndexMap;

use super::image_ref::ImageRef;

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

/// Checks the preconditions; on success, the digests to deploy. `Err` lists
/// every reason to refuse, so one run shows all of them.
pub(crate) fn check(
    from: &str,
    services: &[SourceService],
    local_compose_hash: &str,
    allow_config_drift: bool,
) -> Result<Promotion, Vec<String>> {
    let mut reasons = Vec::new();
    let mut promotion = Promotion::new();
    if services.is_empty() {
        reasons.push(format!("{from} runs no services parity deployed"));
    }
    for source in services {
        let name = &source.service;
        match source.rollout_states.as_slice() {
            [only] if only == "COMPLETED" => {}
            [] => reasons.push(format!("{from}'s {name} has no deployment")),
            [primary] => reasons.push(format!(
                "{from}'s {name} deployment is {primary}, not COMPLETED"
            )),
            states => reasons.push(format!(
                "{from}'s {name} is mid-rollout ({} deployments: {})",
                states.len(),
                states.join(", ")
            )),
        }
        let mut images = IndexMap::new();
        for (container, image) in &source.images {
            match ImageRef::parse(image) {
                Ok(parsed) if parsed.digest.is_some() => {
                    images.insert(container.clone(), parsed);
                }
                _ => reasons.push(format!(
                    "{from}'s {name} runs `{image}` in {container}, which is not pinned by a digest"
                )),
            }
        }
        promotion.insert(name.clone(), images);
        if !allow_config_drift {
            match source.compose_hash.as_deref() {
                Some(hash) if hash == local_compose_hash => {}
                Some(hash) => reasons.push(format!(
                    "{from}'s {name} was deployed from compose hash {hash}, but the local compose \
                     file hashes to {local_compose_hash}: that configuration was never verified in {from}"
                )),
                None => reasons.push(format!(
                    "{from}'s {name} records no compose hash (not deployed by parity)"
                )),
            }
        }
    }
    if reasons.is_empty() {
        Ok(promotion)
    } else {
        Err(reasons)
    }
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
        format!("127.0.0.1:5000/shop/web@sha256:{HEX}")
    }

    #[test]
    fn completed_pinned_and_same_config_promotes_the_digest() {
        let p = check(
            "staging",
            &[source(&["COMPLETED"], &pinned(), Some("h1"))],
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
        let err = check(
            "staging",
            &[source(&["IN_PROGRESS", "COMPLETED"], &pinned(), Some("h1"))],
            "h1",
            false,
        )
        .unwrap_err();
        assert_eq!(
            err,
            ["staging's web is mid-rollout (2 deployments: IN_PROGRESS, COMPLETED)"]
        );
        let err = check(
            "staging",
            &[source(&["FAILED"], &pinned(), Some("h1"))],
            "h1",
            false,
        )
        .unwrap_err();
        assert_eq!(err, ["staging's web deployment is FAILED, not COMPLETED"]);
    }

    #[test]
    fn refuses_a_mutable_tag() {
        let err = check(
            "staging",
            &[source(
                &["COMPLETED"],
                "127.0.0.1:5000/shop/web:latest",
                Some("h1"),
            )],
            "h1",
            false,
        )
        .unwrap_err();
        assert!(err[0].contains("not pinned by a digest"), "{err:?}");
    }

    #[test]
    fn refuses_config_drift_unless_allowed() {
        let services = [source(&["COMPLETED"], &pinned(), Some("h1"))];
        let err = check("staging", &services, "h2", false).unwrap_err();
        assert!(err[0].contains("never verified in staging"), "{err:?}");
        assert!(check("staging", &services, "h2", true).is_ok());
    }

    #[test]
    fn refuses_untracked_deployments_and_empty_environments() {
        let err = check(
            "staging",
            &[source(&["COMPLETED"], &pinned(), None)],
            "h1",
            false,
        )
        .unwrap_err();
        assert!(err[0].contains("records no compose hash"));
        let err = check("staging", &[], "h1", false).unwrap_err();
        assert_eq!(err, ["staging runs no services parity deployed"]);
    }

    #[test]
    fn every_reason_is_reported_at_once() {
        let err = check(
            "staging",
            &[source(&["FAILED"], "web:latest", Some("h0"))],
            "h1",
            false,
        )
        .unwrap_err();
        assert_eq!(err.len(), 3, "{err:?}");
    }
}
