//! Variable interpolation, as the Compose Specification defines it:
//! `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
//! `${VAR?error}`, `${VAR:+replacement}`, `${VAR+replacement}`, `$$` for a
//! literal `$`, and defaults that are themselves templates (nested).
//!
//! Like compose-go's `template` package: a `$` followed by anything else is
//! kept as written; `${` that does not form a valid expression is an error.
//! Owns: one string -> one string, and walking a node tree's scalars. Must not
//! decide where the variables come from.

use super::limits::{MAX_INTERPOLATED_BYTES, MAX_INTERPOLATION_DEPTH};
use super::yaml::{Node, Style, Value};
use crate::error::Result;

/// Why a template could not be substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TemplateError {
    /// `${...}` that is not a valid expression.
    Invalid(String),
    /// `${VAR:?message}` / `${VAR?message}` with the variable missing (or empty).
    Required { name: String, message: String },
    /// Defaults nested deeper than [`MAX_INTERPOLATION_DEPTH`].
    TooDeep,
    /// A result longer than [`MAX_INTERPOLATED_BYTES`].
    TooLong,
}

impl TemplateError {
    pub(crate) fn message(&self) -> String {
        match self {
            Self::Invalid(template) => format!("invalid interpolation format for `{template}`"),
            Self::Required { name, message } if message.is_empty() => {
                format!("required variable {name} is missing a value")
            }
            Self::Required { name, message } => {
                format!("required variable {name} is missing a value: {message}")
            }
            Self::TooDeep => format!(
                "interpolation nested deeper than {MAX_INTERPOLATION_DEPTH} levels \
                 (the limit for nested `${{...}}`)"
            ),
            Self::TooLong => format!(
                "interpolation makes a value longer than {} KiB (the limit for a value)",
                MAX_INTERPOLATED_BYTES / 1024
            ),
        }
    }
}

/// Substitutes every variable in `text`. `lookup` gives a variable's value;
/// `missing` is told about each variable used without a value or default.
pub(crate) fn substitute(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    missing: &mut dyn FnMut(&str),
) -> Result<String, TemplateError> {
    substitute_nested(text, lookup, missing, 0)
}

/// [`substitute`] inside `depth` enclosing `${...}` defaults.
fn substitute_nested(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    missing: &mut dyn FnMut(&str),
    depth: usize,
) -> Result<String, TemplateError> {
    if depth > MAX_INTERPOLATION_DEPTH {
        return Err(TemplateError::TooDeep);
    }
    if !text.contains('$') {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(index) = rest.find('$') {
        if out.len() > MAX_INTERPOLATED_BYTES {
            return Err(TemplateError::TooLong);
        }
        out.push_str(&rest[..index]);
        let after = &rest[index + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
        } else if let Some(body_start) = after.strip_prefix('{') {
            let Some(end) = closing_brace(body_start) else {
                return Err(TemplateError::Invalid(text.to_owned()));
            };
            let body = &body_start[..end];
            out.push_str(&braced(body, text, lookup, missing, depth)?);
            rest = &body_start[end + 1..];
        } else {
            let name_len = name_length(after);
            if name_len == 0 {
                out.push('$');
                rest = after;
            } else {
                let name = &after[..name_len];
                match lookup(name) {
                    Some(value) => out.push_str(&value),
                    None => missing(name),
                }
                rest = &after[name_len..];
            }
        }
    }
    out.push_str(rest);
    if out.len() > MAX_INTERPOLATED_BYTES {
        return Err(TemplateError::TooLong);
    }
    Ok(out)
}

/// Length of a variable name at the start of `text`: `[_a-zA-Z][_a-zA-Z0-9]*`.
fn name_length(text: &str) -> usize {
    let mut chars = text.char_indices();
    match chars.next() {
        Some((_, c)) if c == '_' || c.is_ascii_alphabetic() => {}
        _ => return 0,
    }
    chars
        .find(|(_, c)| !(*c == '_' || c.is_ascii_alphanumeric()))
        .map_or(text.len(), |(i, _)| i)
}

/// Index of the `}` closing a `${`, counting nested `${ ... }`.
fn closing_brace(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 1,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn braced(
    body: &str,
    whole: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    missing: &mut dyn FnMut(&str),
    depth: usize,
) -> Result<String, TemplateError> {
    let name_len = name_length(body);
    if name_len == 0 {
        return Err(TemplateError::Invalid(whole.to_owned()));
    }
    let name = &body[..name_len];
    let rest = &body[name_len..];
    let value = lookup(name);
    if rest.is_empty() {
        return Ok(value.unwrap_or_else(|| {
            missing(name);
            String::new()
        }));
    }
    let (colon, op_and_arg) = match rest.strip_prefix(':') {
        Some(stripped) => (true, stripped),
        None => (false, rest),
    };
    let mut chars = op_and_arg.chars();
    let op = chars
        .next()
        .ok_or_else(|| TemplateError::Invalid(whole.to_owned()))?;
    let arg = chars.as_str();
    // With `:`, an empty value counts as unset.
    let set = match &value {
        Some(v) => !(colon && v.is_empty()),
        None => false,
    };
    match op {
        '-' => {
            if set {
                Ok(value.unwrap_or_default())
            } else {
                substitute_nested(arg, lookup, missing, depth + 1)
            }
        }
        '+' => {
            if set {
                substitute_nested(arg, lookup, missing, depth + 1)
            } else {
                Ok(String::new())
            }
        }
        '?' => {
            if set {
                Ok(value.unwrap_or_default())
            } else {
                let message = substitute_nested(arg, lookup, missing, depth + 1)?;
                Err(TemplateError::Required {
                    name: name.to_owned(),
                    message,
                })
            }
        }
        _ => Err(TemplateError::Invalid(whole.to_owned())),
    }
}

/// Interpolates every scalar value (not keys) of a tree in place. A scalar
/// that contained a variable becomes a string, as in compose-go: `${EMPTY}`
/// is `""`, never null.
pub(crate) fn interpolate_tree(
    node: &mut Node,
    lookup: &dyn Fn(&str) -> Option<String>,
    missing: &mut dyn FnMut(&str),
) -> Result<()> {
    match &mut node.value {
        Value::Scalar(text, style) => {
            if text.contains('$') {
                // Every value interpolated is recorded, so that once a service
                // declares the variable secret no output can show it.
                let recording = |name: &str| {
                    let value = lookup(name);
                    if let Some(value) = &value {
                        crate::redact::interpolated(name, value);
                    }
                    value
                };
                let replaced = substitute(text, &recording, missing)
                    .map_err(|e| node.pos.error(e.message()))?;
                *text = replaced;
                *style = Style::Quoted;
            }
        }
        Value::Seq(items) => {
            for item in items {
                interpolate_tree(item, lookup, missing)?;
            }
        }
        Value::Map(map) => {
            for entry in map.values_mut() {
                interpolate_tree(&mut entry.node, lookup, missing)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Result<String, TemplateError> {
        let lookup = |name: &str| match name {
            "FOO" => Some("foo".to_owned()),
            "EMPTY" => Some(String::new()),
            "lower" => Some("low".to_owned()),
            _ => None,
        };
        substitute(text, &lookup, &mut |_| {})
    }

    #[test]
    fn nesting_past_the_limit_is_refused_not_a_stack_overflow() {
        let nested = |n: usize| format!("{}x{}", "${A:-".repeat(n), "}".repeat(n));
        assert_eq!(run(&nested(MAX_INTERPOLATION_DEPTH)).unwrap(), "x");
        assert_eq!(
            run(&nested(MAX_INTERPOLATION_DEPTH + 1)),
            Err(TemplateError::TooDeep)
        );
        assert_eq!(run(&nested(100_000)), Err(TemplateError::TooDeep));
    }

    #[test]
    fn values_past_the_length_limit_are_refused() {
        let big = "f".repeat(MAX_INTERPOLATED_BYTES / 2 + 1);
        let lookup = |_: &str| Some(big.clone());
        assert!(substitute("$A", &lookup, &mut |_| {}).is_ok());
        assert_eq!(
            substitute("$A${A}", &lookup, &mut |_| {}),
            Err(TemplateError::TooLong)
        );
    }

    #[test]
    fn plain_and_braced_names() {
        assert_eq!(run("$FOO-${FOO}").unwrap(), "foo-foo");
        assert_eq!(run("a${lower}b").unwrap(), "alowb");
        assert_eq!(run("$FOO_BAR").unwrap(), "");
    }

    #[test]
    fn double_dollar_is_a_literal_dollar() {
        assert_eq!(run("$$FOO $${FOO}").unwrap(), "$FOO ${FOO}");
    }

    #[test]
    fn lone_dollar_is_kept() {
        assert_eq!(run("5$ and $1 and $").unwrap(), "5$ and $1 and $");
    }

    #[test]
    fn defaults_with_and_without_colon() {
        assert_eq!(run("${UNSET:-d}").unwrap(), "d");
        assert_eq!(run("${EMPTY:-d}").unwrap(), "d");
        assert_eq!(run("${UNSET-d}").unwrap(), "d");
        assert_eq!(run("${EMPTY-d}").unwrap(), "");
        assert_eq!(run("${FOO:-d}").unwrap(), "foo");
    }

    #[test]
    fn replacements_with_and_without_colon() {
        assert_eq!(run("${FOO:+r}").unwrap(), "r");
        assert_eq!(run("${EMPTY:+r}").unwrap(), "");
        assert_eq!(run("${EMPTY+r}").unwrap(), "r");
        assert_eq!(run("${UNSET+r}").unwrap(), "");
    }

    #[test]
    fn nested_defaults() {
        assert_eq!(run("${UNSET:-${FOO}}").unwrap(), "foo");
        assert_eq!(run("${UNSET:-${ALSO_UNSET:-x-${FOO}}}").unwrap(), "x-foo");
        assert_eq!(run("${UNSET:-a:b}").unwrap(), "a:b");
    }

    #[test]
    fn required_variables() {
        assert_eq!(
            run("${UNSET:?set it}").unwrap_err(),
            TemplateError::Required {
                name: "UNSET".into(),
                message: "set it".into()
            }
        );
        assert!(run("${EMPTY:?x}").is_err());
        assert_eq!(run("${EMPTY?x}").unwrap(), "");
        assert_eq!(run("${FOO?x}").unwrap(), "foo");
    }

    #[test]
    fn invalid_templates() {
        assert!(matches!(run("${").unwrap_err(), TemplateError::Invalid(_)));
        assert!(matches!(run("${}").unwrap_err(), TemplateError::Invalid(_)));
        assert!(matches!(
            run("${FOO:x}").unwrap_err(),
            TemplateError::Invalid(_)
        ));
        assert!(matches!(
            run("${1A}").unwrap_err(),
            TemplateError::Invalid(_)
        ));
    }

    #[test]
    fn missing_variables_are_reported() {
        let mut seen = Vec::new();
        let out = substitute("$A ${B} ${C:-x}", &|_| None, &mut |n| {
            seen.push(n.to_owned())
        })
        .unwrap();
        assert_eq!(out, "  x");
        assert_eq!(seen, ["A", "B"]);
    }
}
