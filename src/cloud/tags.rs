//! What parity records on every task definition it registers, and how each
//! recorded value is derived.
//!
//! Pure. These tags are how later commands know what runs: `plan` compares
//! the compose hash and commit, `promote` refuses a compose hash that differs
//! from the local file's, `rollback` returns to a revision tagged completed,
//! `status` shows commit and deploy time. Every key is defined here and nowhere
//! else, and each value has one derivation, so `plan` right after `deploy`
//! sees the same values deploy recorded.

use crate::compose::model::Project;

/// The app (parity.toml's `app`).
pub(crate) const APP: &str = "parity:app";
/// The environment's name.
pub(crate) const ENVIRONMENT: &str = "parity:environment";
/// The compose service whose task this is.
pub(crate) const SERVICE: &str = "parity:service";
/// [`compose_hash`] of the project that produced the revision.
pub(crate) const COMPOSE_HASH: &str = "parity:compose-hash";
/// [`commit`] of the tree the images were built from.
pub(crate) const COMMIT: &str = "parity:commit";
/// When the revision was deployed (seconds since the epoch).
pub(crate) const DEPLOYED_AT: &str = "parity:deployed-at";
/// Set once the revision's rollout reached COMPLETED: rollback's candidates.
pub(crate) const COMPLETED: &str = "parity:completed";
/// On a one-off task `parity run --env` started (`cloud::one_off`).
pub(crate) const RUN: &str = "parity:run";

/// The hash of the normalized compose model (its canonical JSON), 12 hex
/// digits: formatting-only edits to the file do not change it.
pub(crate) fn compose_hash(project: &Project) -> String {
    // The model is plain data with string keys: serializing it cannot fail.
    let canonical = serde_json::to_vec(project).unwrap_or_default();
    super::image_ref::Digest::of(&canonical).short().to_owned()
}

/// The recorded commit: the 12-digit abbreviated hash (`git rev-parse
/// --short=12 HEAD`), with `-dirty` when the tree has uncommitted changes,
/// so a deploy from a dirty tree never passes for the commit.
pub(crate) fn commit(short_hash: &str, dirty: bool) -> String {
    if dirty {
        format!("{short_hash}-dirty")
    } else {
        short_hash.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_hash_is_stable_short_and_follows_the_model() {
        let project = Project::default();
        assert_eq!(compose_hash(&project), compose_hash(&project));
        assert_eq!(compose_hash(&project).len(), 12);
        let renamed = Project {
            name: "other".into(),
            ..Project::default()
        };
        assert_ne!(compose_hash(&project), compose_hash(&renamed));
    }

    #[test]
    fn a_dirty_tree_is_marked() {
        assert_eq!(commit("0123456789ab", false), "0123456789ab");
        assert_eq!(commit("0123456789ab", true), "0123456789ab-dirty");
    }
}
