//! Renders [`StackData`] through the minijinja templates in the repository's
//! top-level `templates/environment/`, embedded with `include_str!` so the
//! binary is self-contained.
//!
//! Every `{{ value }}` is JSON-escaped (minijinja's JSON auto-escape): a name
//! from compose or parity.toml always lands as one quoted YAML scalar and can
//! never change the template's structure. The `sub` filter writes ARNs built
//! from pseudo parameters as `!Sub "…"` (and literals as plain strings); the
//! `id` filter writes a logical id unquoted after checking it is alphanumeric.

use minijinja::syntax::{SyntaxConfig, SyntaxConfigBuilder};
use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use super::StackData;
use crate::error::{Error, Result};

/// The templates, by the name they include each other with.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "environment.yaml",
        include_str!("../../../templates/environment/environment.yaml"),
    ),
    (
        "network.yaml",
        include_str!("../../../templates/environment/network.yaml"),
    ),
    (
        "security_groups.yaml",
        include_str!("../../../templates/environment/security_groups.yaml"),
    ),
    (
        "cluster.yaml",
        include_str!("../../../templates/environment/cluster.yaml"),
    ),
    (
        "repositories.yaml",
        include_str!("../../../templates/environment/repositories.yaml"),
    ),
    (
        "roles.yaml",
        include_str!("../../../templates/environment/roles.yaml"),
    ),
    (
        "load_balancer.yaml",
        include_str!("../../../templates/environment/load_balancer.yaml"),
    ),
    (
        "backing.yaml",
        include_str!("../../../templates/environment/backing.yaml"),
    ),
    (
        "outputs.yaml",
        include_str!("../../../templates/environment/outputs.yaml"),
    ),
];

/// The CloudFormation template (YAML) of one environment's stack.
pub(crate) fn render(data: &StackData) -> Result<String> {
    let mut env = template_environment(&mut SyntaxConfig::builder(), AutoEscape::Json)
        .map_err(template_bug)?;
    env.add_filter("sub", sub);
    env.add_filter("id", logical_id);
    for (name, source) in TEMPLATES {
        env.add_template(name, source).map_err(template_bug)?;
    }
    let template = env.get_template("environment.yaml").map_err(template_bug)?;
    template
        .render(Value::from(Serde(data)))
        .map_err(template_bug)
}

/// CloudFormation's limit on a `TemplateBody` sent inline (CreateChangeSet);
/// a larger template must be uploaded to S3 and passed as `TemplateURL`.
pub(crate) const MAX_TEMPLATE_BODY: usize = 51_200;

/// Refuses, before any AWS call, a template CloudFormation would refuse for
/// its size. About 2.4-2.7 KB per public service (README: "Template size"):
/// 15 public services with a domain and hosted zone fit, 16 do not.
pub(crate) fn check_size(data: &StackData, body: &str) -> Result<()> {
    if body.len() <= MAX_TEMPLATE_BODY {
        return Ok(());
    }
    let public = data
        .load_balancer
        .as_ref()
        .map_or(0, |lb| lb.services.len());
    Err(Error::input(format!(
        "the environment template of {} is {} bytes, over CloudFormation's {MAX_TEMPLATE_BODY}-byte limit for a template sent inline ({} repositories, {public} public services)",
        data.stack_name,
        body.len(),
        data.repositories.iter().filter(|r| r.create).count(),
    ))
    .with_help("parity does not upload templates to S3 yet: apply `parity env template` output through S3 yourself (`aws cloudformation deploy --s3-bucket ...`), or make some services internal (`x-parity.public: false`)"))
}

/// `!Sub "…"` when the string refers to `${…}`, else the quoted string.
fn sub(value: &str) -> Value {
    let quoted = serde_json::to_string(value).unwrap_or_default();
    if value.contains("${") {
        Value::from_safe_string(format!("!Sub {quoted}"))
    } else {
        Value::from_safe_string(quoted)
    }
}

/// A logical id, unquoted. [`super::names::logical_id`] makes them alphanumeric;
/// anything else is refused rather than written unescaped.
fn logical_id(value: &str) -> std::result::Result<Value, minijinja::Error> {
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(Value::from_safe_string(value.to_owned()))
    } else {
        Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("`{value}` is not a CloudFormation logical id"),
        ))
    }
}

/// The settings every template under templates/ is rendered with: block tags
/// take their line with them (YAML and text are line-based), the file's last
/// newline stays, an undefined name is an error, and values are escaped as
/// `escape` says. `syntax` carries a template family's own delimiters, if any.
pub(crate) fn template_environment(
    syntax: &mut SyntaxConfigBuilder,
    escape: AutoEscape,
) -> std::result::Result<Environment<'static>, minijinja::Error> {
    let syntax = syntax
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()?;
    let mut env = Environment::new();
    env.set_syntax(syntax);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(move |_| escape.clone());
    Ok(env)
}

/// The templates ship inside the binary; an error in them is parity's bug.
fn template_bug(err: minijinja::Error) -> Error {
    let text = error_chain(&err);
    Error::failed(format!(
        "internal error rendering the environment template: {text}"
    ))
    .with_help("this is a bug in parity; please report it with your compose file and parity.toml")
}

/// A template error with its causes, one line (any template parity renders).
pub(crate) fn error_chain(err: &minijinja::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
