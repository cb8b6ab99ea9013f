//! `parity run [--env ENV] [-e KEY=VALUE]... [--detach] SERVICE [-- CMD...]`:
//! a one-off command in a new container of a service. Locally like
//! `docker compose run --rm` (`local`); with `--env ENV` a one-off ECS
//! Fargate task from the revision the service runs there ([`cloud`]).
//! What both share (the `-e` rule) is here.

mod cloud;

use std::process::ExitCode;

use crate::cli::{GlobalArgs, RunArgs};
use crate::error::{Error, Result};

/// Runs `parity run`.
pub(crate) fn run(global: &GlobalArgs, args: &RunArgs) -> Result<ExitCode> {
    let variables = variables(&args.variables, |name| std::env::var(name).ok())?;
    match &args.env {
        Some(env) => cloud::run(global, args, env, &variables),
        None => Err(Error::input(
            "`parity run` on the local engine is not available in this build",
        )
        .with_help("run it in an environment: `parity run --env ENV SERVICE -- CMD...`")),
    }
}

/// The `-e` options: `KEY=VALUE`, or `KEY` alone for the value `KEY` has in
/// parity's own environment (as `docker run -e KEY` does; unset is an
/// error here, not a silent omission). Bad input is exit 2.
pub(crate) fn variables(
    options: &[String],
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>> {
    options
        .iter()
        .map(|option| {
            let (name, value) = match option.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (option.as_str(), None),
            };
            let valid = !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !valid {
                return Err(Error::input(format!(
                    "-e {option}: `{name}` is not a variable name"
                ))
                .with_help("write -e KEY=VALUE (letters, digits, `_`, `.`, `-`; not starting with a digit)"));
            }
            let value = match value {
                Some(value) => value,
                None => lookup(name).ok_or_else(|| {
                    Error::input(format!(
                        "-e {name}: no value given and {name} is not set in parity's environment"
                    ))
                    .with_help(format!("write -e {name}=VALUE"))
                })?,
            };
            Ok((name.to_owned(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        (name == "HOME_DIR").then(|| "/home/ana".to_owned())
    }

    #[test]
    fn key_value_and_key_from_the_environment() {
        let options = [
            "DEBUG=1".to_owned(),
            "HOME_DIR".into(),
            "EMPTY=".into(),
            "URL=a=b".into(),
        ];
        let parsed = variables(&options, lookup).unwrap();
        assert_eq!(
            parsed,
            [
                ("DEBUG".to_owned(), "1".to_owned()),
                ("HOME_DIR".into(), "/home/ana".into()),
                ("EMPTY".into(), String::new()),
                ("URL".into(), "a=b".into()),
            ]
        );
    }

    #[test]
    fn bad_names_and_unset_variables_are_bad_input() {
        for bad in ["=1", "1X=2", "A B=3", "UNSET"] {
            let err = variables(&[bad.to_owned()], lookup).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
    }
}
