//! Renders [`Workflows`] through the minijinja templates in the repository's
//! top-level `templates/github/`, embedded with `include_str!`.
//!
//! GitHub's own expressions are `${{ ... }}`, so parity's templates use
//! `[[ ... ]]`, `[% ... %]` and `[# ... #]` and leave GitHub's untouched.
//! Every value is JSON-escaped (one quoted YAML scalar; it can never change
//! the file's structure); the `name` filter writes an app or environment
//! name bare — in job ids and shell lines — after checking it is one
//! (parity.toml's validation allows only `[a-z0-9_-]`), so no value can
//! reach a `run:` line as anything but a plain word.

use minijinja::AutoEscape;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value};

use crate::cloud::stack::template_environment;

use super::workflows::Workflows;
use crate::error::{Error, Result};

/// The templates, by the name they include each other with.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "header.yml",
        include_str!("../../../templates/github/header.yml"),
    ),
    (
        "project_env.yml",
        include_str!("../../../templates/github/project_env.yml"),
    ),
    (
        "checkout.yml",
        include_str!("../../../templates/github/checkout.yml"),
    ),
    (
        "install_parity.yml",
        include_str!("../../../templates/github/install_parity.yml"),
    ),
    (
        "aws_credentials.yml",
        include_str!("../../../templates/github/aws_credentials.yml"),
    ),
    (
        "pull_request.yml",
        include_str!("../../../templates/github/pull_request.yml"),
    ),
    (
        "deploy.yml",
        include_str!("../../../templates/github/deploy.yml"),
    ),
    (
        "promote.yml",
        include_str!("../../../templates/github/promote.yml"),
    ),
    (
        "review.yml",
        include_str!("../../../templates/github/review.yml"),
    ),
];

/// One rendered workflow: its path under the project directory and its text.
pub(crate) struct File {
    pub(crate) path: String,
    pub(crate) text: String,
}

/// The workflows the settings call for: pull request, deploy, and — when an
/// environment promotes from another — promote; review apps.
pub(crate) fn render(data: &Workflows) -> Result<Vec<File>> {
    let mut env = template_environment(
        SyntaxConfig::builder()
            .block_delimiters("[%", "%]")
            .variable_delimiters("[[", "]]")
            .comment_delimiters("[#", "#]"),
        AutoEscape::Json,
    )
    .map_err(template_bug)?;
    env.add_filter("name", name);
    env.add_filter("var", variable);
    for (name, source) in TEMPLATES {
        env.add_template(name, source).map_err(template_bug)?;
    }
    let mut wanted = vec![
        ("pull_request.yml", "parity-pull-request.yml"),
        ("deploy.yml", "parity-deploy.yml"),
    ];
    if !data.promote.is_empty() {
        wanted.push(("promote.yml", "parity-promote.yml"));
    }
    if data.review.is_some() {
        wanted.push(("review.yml", "parity-review-apps.yml"));
    }
    let context = Value::from(Serde(data));
    wanted
        .into_iter()
        .map(|(template, file)| {
            let text = env
                .get_template(template)
                .and_then(|t| t.render(&context))
                .map_err(template_bug)?;
            Ok(File {
                path: format!(".github/workflows/{file}"),
                text,
            })
        })
        .collect()
}

/// The workflows as one YAML stream for stdout, each document headed by its path.
pub(crate) fn as_stream(files: &[File]) -> String {
    files
        .iter()
        .map(|f| format!("# {}\n{}", f.path, f.text))
        .collect::<Vec<_>>()
        .join("---\n")
}

/// An app or environment name, bare. Anything else is refused rather than
/// written unquoted into a job id or a shell line.
fn name(value: &str) -> std::result::Result<Value, minijinja::Error> {
    let ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(Value::from_safe_string(value.to_owned()))
    } else {
        Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("`{value}` is not an app or environment name"),
        ))
    }
}

/// An environment variable's name (`COMPOSE_FILE`), bare.
fn variable(value: &str) -> std::result::Result<Value, minijinja::Error> {
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
        Ok(Value::from_safe_string(value.to_owned()))
    } else {
        Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("`{value}` is not a variable name"),
        ))
    }
}

/// The templates ship inside the binary; an error in them is parity's bug.
fn template_bug(err: minijinja::Error) -> Error {
    let text = crate::cloud::stack::error_chain(&err);
    Error::failed(format!(
        "internal error rendering the GitHub workflows: {text}"
    ))
    .with_help("this is a bug in parity; please report it with your parity.toml")
}
