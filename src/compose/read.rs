//! Typed reads of YAML nodes, each failing with a located "expected X, found Y".
//!
//! Compose fields that take numbers or booleans also accept strings (so that
//! `${PORT}` can fill them), so readers go by a scalar's text, not its style.
//! Owns: node -> Rust value conversions and the unknown-key check. Must not
//! know which keys a service has (see `keys`).

use indexmap::IndexMap;

use super::yaml::{Mapping, Node, Style, Value};
use crate::error::{Error, Result};

fn expected(node: &Node, what: &str, field: &str) -> Error {
    node.pos
        .error(format!("`{field}` must be {what}, found {}", node.kind()))
}

/// A scalar as a string. Numbers and booleans give their text.
pub(crate) fn string(node: &Node, field: &str) -> Result<String> {
    match &node.value {
        Value::Scalar(text, _) if !node.is_null() => Ok(text.clone()),
        _ => Err(expected(node, "a string", field)),
    }
}

/// A string, or `None` for null.
pub(crate) fn opt_string(node: &Node, field: &str) -> Result<Option<String>> {
    if node.is_null() {
        return Ok(None);
    }
    string(node, field).map(Some)
}

pub(crate) fn boolean(node: &Node, field: &str) -> Result<bool> {
    match &node.value {
        Value::Scalar(text, _) => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "on" | "1" => Ok(true),
            "false" | "no" | "n" | "off" | "0" => Ok(false),
            _ => Err(expected(node, "a boolean (true or false)", field)),
        },
        _ => Err(expected(node, "a boolean (true or false)", field)),
    }
}

pub(crate) fn unsigned(node: &Node, field: &str) -> Result<u64> {
    match &node.value {
        Value::Scalar(text, _) => text
            .trim()
            .parse::<u64>()
            .map_err(|_| expected(node, "a whole number", field)),
        _ => Err(expected(node, "a whole number", field)),
    }
}

pub(crate) fn integer(node: &Node, field: &str) -> Result<i64> {
    match &node.value {
        Value::Scalar(text, _) => text
            .trim()
            .parse::<i64>()
            .map_err(|_| expected(node, "a whole number", field)),
        _ => Err(expected(node, "a whole number", field)),
    }
}

/// A byte size (`512m`, `1.5g`, `1024`) in bytes. A plain YAML number must
/// be whole: compose-go types these fields integer-or-string, so `size: 0.5`
/// is refused there, while the string `0.5m` is a size with a unit.
pub(crate) fn bytes(node: &Node, field: &str) -> Result<u64> {
    let text = string(node, field)?;
    let fractional = text.parse::<i64>().is_err() && text.parse::<f64>().is_ok();
    if fractional && matches!(node.value, Value::Scalar(_, Style::Plain)) {
        return Err(expected(
            node,
            "a whole number of bytes or a size with a unit (512m)",
            field,
        ));
    }
    super::syntax::parse_bytes(&text).map_err(|m| node.pos.error(m))
}

pub(crate) fn number(node: &Node, field: &str) -> Result<f64> {
    match &node.value {
        Value::Scalar(text, _) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| expected(node, "a number", field)),
        _ => Err(expected(node, "a number", field)),
    }
}

pub(crate) fn mapping<'a>(node: &'a Node, field: &str) -> Result<&'a Mapping> {
    node.as_map()
        .ok_or_else(|| expected(node, "a mapping", field))
}

/// A block with known keys (`healthcheck`, `deploy`, `build`, ...): the
/// mapping checked against `known`, then each value with its key and dotted
/// path (`healthcheck.interval`) for messages. A key with no value is
/// refused, as compose-go's schema refuses it (no field of these blocks
/// allows null).
pub(crate) fn block<'a>(
    node: &'a Node,
    field: &str,
    known: &[&str],
) -> Result<Vec<(&'a str, &'a Node, String)>> {
    let map = mapping(node, field)?;
    check_keys(map, known, &format!("`{field}`"))?;
    map.iter()
        .map(|(key, entry)| {
            let sub = format!("{field}.{key}");
            not_null(&entry.node, &sub)?;
            Ok((key.as_str(), &entry.node, sub))
        })
        .collect()
}

/// Refuses a key written with no value where the field needs one.
pub(crate) fn not_null(node: &Node, field: &str) -> Result<()> {
    if node.is_null() {
        return Err(node
            .pos
            .error(format!("`{field}` has no value"))
            .with_help("give it a value, or remove the key"));
    }
    Ok(())
}

pub(crate) fn sequence<'a>(node: &'a Node, field: &str) -> Result<&'a [Node]> {
    node.as_seq()
        .ok_or_else(|| expected(node, "a sequence", field))
}

/// A list of strings.
pub(crate) fn strings(node: &Node, field: &str) -> Result<Vec<String>> {
    sequence(node, field)?
        .iter()
        .map(|item| string(item, field))
        .collect()
}

/// A single string or a list of strings (`dns`, `env_file`, `tmpfs`, ...).
pub(crate) fn string_or_list(node: &Node, field: &str) -> Result<Vec<String>> {
    match &node.value {
        Value::Seq(_) => strings(node, field),
        Value::Scalar(..) if !node.is_null() => Ok(vec![string(node, field)?]),
        _ => Err(expected(node, "a string or a list of strings", field)),
    }
}

/// A command: a string (split like a shell) or a list. Null gives `None`.
pub(crate) fn command(node: &Node, field: &str) -> Result<Option<Vec<String>>> {
    match &node.value {
        _ if node.is_null() => Ok(None),
        Value::Seq(_) => strings(node, field).map(Some),
        Value::Scalar(text, _) => shell_words::split(text).map(Some).map_err(|_| {
            node.pos
                .error(format!("`{field}` has an unclosed quote"))
                .with_help("close the quote, or write the command as a list")
        }),
        Value::Map(_) => Err(expected(node, "a string or a list of strings", field)),
    }
}

/// `KEY: value` mapping or `["KEY=value", "KEY"]` list. A key without a
/// value (`KEY` in a list, `KEY:` or `KEY: null` in a mapping) maps to `None`.
pub(crate) fn list_or_dict(
    node: &Node,
    field: &str,
    separator: char,
) -> Result<IndexMap<String, Option<String>>> {
    let mut out = IndexMap::new();
    match &node.value {
        Value::Map(map) => {
            for (key, entry) in map {
                let value = match &entry.node.value {
                    _ if entry.node.is_null() => None,
                    Value::Scalar(text, _) => Some(text.clone()),
                    _ => {
                        return Err(expected(
                            &entry.node,
                            "a string, number, boolean or null",
                            &format!("{field}.{key}"),
                        ));
                    }
                };
                out.insert(key.clone(), value);
            }
        }
        Value::Seq(items) => {
            for item in items {
                let text = string(item, field)?;
                match text.split_once(separator) {
                    Some((key, value)) => out.insert(key.to_owned(), Some(value.to_owned())),
                    None => out.insert(text, None),
                };
            }
        }
        _ if node.is_null() => {}
        Value::Scalar(..) => {
            return Err(expected(node, "a mapping or a list", field));
        }
    }
    Ok(out)
}

/// Like [`list_or_dict`], with a missing value read as empty (labels).
pub(crate) fn labels(node: &Node, field: &str) -> Result<IndexMap<String, String>> {
    Ok(list_or_dict(node, field, '=')?
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

/// Rejects keys that are neither in `allowed` nor `x-` extensions, with a
/// "did you mean" for near misses.
pub(crate) fn check_keys(map: &Mapping, allowed: &[&str], context: &str) -> Result<()> {
    for (key, entry) in map {
        if key.starts_with("x-") || allowed.contains(&key.as_str()) {
            continue;
        }
        let mut error = entry
            .key_pos
            .error(format!("unknown key `{key}` in {context}"));
        if let Some(help) = crate::suggest::did_you_mean(key, allowed) {
            error = error.with_help(help);
        } else {
            error = error.with_help("custom keys must start with `x-`");
        }
        return Err(error);
    }
    Ok(())
}

/// JSON for a node kept verbatim (extensions, carried keys).
pub(crate) fn json(node: &Node) -> serde_json::Value {
    node.to_json()
}
