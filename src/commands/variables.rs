//! `-e KEY=VALUE` on the command line (`run`, locally and `--env`; local
//! `exec`): a variable for one command. `-e KEY` alone takes KEY's value from
//! parity's own environment, as `docker run -e KEY` does; unset is an error
//! here, not a silent omission. Bad input is exit 2.
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
        let (name, val) = match value.split_once('=') {
            Some((name, val)) => (name, Some(val.to_owned())),
            None => (value.as_str(), None),
        };
        if name.is_empty() {
            return Err(Error::input(
                "-e: an empty name before `=` is not a variable name (write KEY=VALUE); the value is not shown",
            ));
        }
        let valid = !name.starts_with(|c: char| c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !valid {
            return Err(Error::input(format!(
                "-e: `{}` is not a variable name",
                name.escape_debug()
            ))
            .with_help(
                "write -e KEY=VALUE (letters, digits, `_`, `.`, `-`; not starting with a digit)",
            ));
        }
        let val = match val {
            Some(val) => val,
            None => lookup(name).ok_or_else(|| {
                Error::input(format!(
                    "-e {name}: no value given and {name} is not set in parity's environment"
                ))
                .with_help(format!("write -e {name}=VALUE"))
            })?,
        };
        pairs.retain(|(k, _)| k != name);
        pairs.push((name.to_owned(), val));
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

    fn lookup(name: &str) -> Option<String> {
        (name == "HOME_DIR").then(|| "/home/ana".to_owned())
    }

    #[test]
    fn key_value_and_key_from_the_environment_and_the_last_one_wins() {
        let pairs = parse(
            &strings(&["DEBUG=1", "HOME_DIR", "EMPTY=", "URL=a=b", "DEBUG=2"]),
            &lookup,
        )
        .unwrap();
        assert_eq!(
            entries(&pairs),
            ["HOME_DIR=/home/ana", "EMPTY=", "URL=a=b", "DEBUG=2"]
        );
    }

    #[test]
    fn bad_names_and_unset_variables_are_bad_input_without_the_value() {
        for bad in ["=hunter2", "1X=hunter2", "A B=hunter2", "UNSET"] {
            let err = parse(&strings(&[bad]), &lookup).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
            assert!(!err.message().contains("hunter2"), "{}", err.message());
        }
    }
}
