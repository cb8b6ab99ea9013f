//! "Did you mean": the one rule for naming the closest known word when a user
//! mistypes a key, a service, an environment or a field.
//!
//! One metric everywhere (optimal string alignment: a swapped pair of letters
//! is one typo), and one threshold: at most 2 edits, or a quarter of the
//! candidate's length for long names, so `enviroment` finds `environment` and
//! `zzz` finds nothing. Pure: no I/O.

/// The closest candidate, when it is close enough to be a typo of `word`.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|&candidate| (strsim::osa_distance(word, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// `did you mean `x`?`, the help line every such error carries.
pub(crate) fn did_you_mean(word: &str, candidates: &[&str]) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_only() {
        let keys = ["image", "environment", "ports"];
        assert_eq!(closest("imgae", &keys), Some("image"));
        assert_eq!(closest("enviroment", &keys), Some("environment"));
        assert_eq!(closest("zzz", &keys), None);
        assert_eq!(
            did_you_mean("prots", &keys).as_deref(),
            Some("did you mean `ports`?")
        );
    }
}
