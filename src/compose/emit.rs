//! A small YAML emitter for JSON values, for `parity config --format yaml`.
//!
//! Why not a crate: `serde_yaml` is deprecated, and all we need is block
//! style with safe quoting for a tree that is already plain data. Strings that
//! YAML would read as something else (`true`, `80`, `null`, `a: b`, leading
//! spaces, ...) are double-quoted with JSON escapes, which YAML accepts.
//!
//! Owns: JSON value -> YAML text. Must not know the compose model.

use serde_json::Value;

/// Renders a value as a YAML document.
pub(crate) fn yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, level: usize) {
    for (key, value) in map {
        indent(out, level);
        out.push_str(&string(key));
        out.push(':');
        write_value_after_key(out, value, level);
    }
}

fn write_value_after_key(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, level + 1);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, level + 1);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                // First key on the dash line, the rest aligned under it.
                let mut first = true;
                for (key, value) in map {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, level + 1);
                    }
                    out.push_str(&string(key));
                    out.push(':');
                    write_value_after_key(out, value, level + 1);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, level + 1);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

/// A string as a YAML scalar, quoted when plain would change its meaning.
fn string(text: &str) -> String {
    if needs_quotes(text) {
        Value::String(text.to_owned()).to_string()
    } else {
        text.to_owned()
    }
}

fn needs_quotes(text: &str) -> bool {
    if text.is_empty() || text.trim() != text {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "~"
    ) {
        return true;
    }
    if text.parse::<f64>().is_ok()
        || text.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '+')
            && looks_numeric(text)
    {
        return true;
    }
    if text.starts_with([
        '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@',
        '`',
    ]) {
        return true;
    }
    text.contains(": ")
        || text.contains(" #")
        || text.ends_with(':')
        || text.chars().any(|c| c.is_control() || c == '\u{feff}')
}

/// Octal, hex, sexagesimal and underscore numbers that YAML 1.1 readers might take as numbers.
fn looks_numeric(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_ascii_hexdigit() || matches!(c, '_' | ':' | '.' | 'x' | 'o' | '+' | '-' | 'e' | 'E')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_maps_and_lists() {
        let text = yaml(&json!({
            "services": {"web": {"ports": [{"target": 80, "published": "8080"}], "command": ["a", "b"], "x": {}}}
        }));
        assert_eq!(
            text,
            "services:\n  web:\n    ports:\n      - target: 80\n        published: \"8080\"\n    command:\n      - a\n      - b\n    x: {}\n"
        );
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "",
            "true",
            "null",
            "80",
            "1.5",
            " x",
            "a: b",
            "-x",
            "*x",
            "line\nbreak",
            "yes",
            "0x1F",
        ] {
            assert!(needs_quotes(s), "{s:?} must be quoted");
        }
        for s in ["nginx:1.25", "/abs/path", "hello world", "a=b", "CMD-SHELL"] {
            assert!(!needs_quotes(s), "{s:?} needs no quotes");
        }
    }
}
