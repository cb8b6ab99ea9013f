//! `-e KEY=VALUE` on the command line (`run`, `exec`): a variable for one
//! command. `-e KEY` alone takes KEY's value from parity's own environment and
//! is left out when that is unset, as `docker run -e KEY` does.
//!
//! Pure: the environment is passed in. Values never appear in errors.

use crate::error::{Error, Result};

/// The `-e` values as `(KEY, VALUE)` pairs, in order (a later one wins).
pub(crate) fn parse(
    values: &[String],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for value in values {
        let (key, val) = match value.split_once('=') {
            Some((key, val)) => (key, Some(val.to_owned())),
            None => (value.as_str(), None),
        };
        if key.is_empty() {
            return Err(Error::input(
                "-e: a variable needs a name before `=` (KEY=VALUE); the value is not shown",
            ));
        }
        if let Some(bad) = key.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::input(format!(
                "-e {key:?}: a variable name cannot contain {bad:?}"
            ))
            .with_help("write -e KEY=VALUE, with no spaces in KEY"));
        }
        let Some(val) = val.or_else(|| lookup(key)) else {
            continue;
        };
        pairs.retain(|(k, _)| k != key);
        pairs.push((key.to_owned(), val));
    }
    Ok(pairs)
}

/// The pairs as the engine's `KEY=VALUE` entries.
pub(crate) fn entries(pairs: &[(String, String)]) -> Vec<String> {
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn pairs_bare_names_from_the_environment_and_the_last_one_wins() {
        let lookup = |k: &str| (k == "FROM_SHELL").then(|| "yes".to_owned());
        let pairs = parse(
            &strings(&["A=1", "B=x=y", "EMPTY=", "FROM_SHELL", "UNSET", "A=2"]),
            &lookup,
        )
        .unwrap();
        assert_eq!(
            entries(&pairs),
            ["B=x=y", "EMPTY=", "FROM_SHELL=yes", "A=2"]
        );
    }

    #[test]
    fn a_missing_or_spaced_name_is_bad_input_without_the_value() {
        let none = |_: &str| None;
        let err = parse(&strings(&["=hunter2"]), &none).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(!err.message().contains("hunter2"), "{}", err.message());
        let err = parse(&strings(&["MY KEY=hunter2"]), &none).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(!err.message().contains("hunter2"), "{}", err.message());
    }
}
