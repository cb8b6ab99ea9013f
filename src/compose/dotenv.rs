//! Dotenv files (`.env`, `--env-file`, `env_file:`, `.env.<ENV>`), read the way
//! compose-go's `dotenv` package reads them.
//!
//! `KEY=value` (or `KEY: value`), optional `export ` prefix, `#` comments
//! (whole line, or after whitespace in an unquoted value), single quotes
//! (literal, may span lines), double quotes (escapes `\n \t \r \\ \" \$`, may
//! span lines, variables expanded), unquoted values trimmed and expanded.
//! A bare `KEY` takes its value from the lookup, or is skipped.
//!
//! Pure and standalone: text in, ordered map out. Errors name `file:line:col`
//! but never a value (dotenv files hold secrets).

use std::path::Path;

use indexmap::IndexMap;

use super::interpolate::{TemplateError, substitute};
use crate::error::{Error, Location, Result};

/// Parses a dotenv text; `${VAR}` in values refers to earlier keys of the file.
pub(crate) fn parse(text: &str, file: &Path) -> Result<IndexMap<String, String>> {
    parse_with_lookup(text, file, &|_| None)
}

/// Parses a dotenv text; `${VAR}` in values refers to `lookup` first (the
/// process environment), then to earlier keys of the file.
pub(crate) fn parse_with_lookup(
    text: &str,
    file: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, String>> {
    parse_lines(text, file, lookup).map(|(vars, _)| vars)
}

/// [`parse_with_lookup`], with where each variable is written (its name),
/// so a later refusal of a value an `env_file` gave can point there. Like
/// this module's own errors, the location carries no text: a dotenv line (or
/// the lines around it) may hold a secret, so it is never shown.
pub(crate) fn parse_located(
    text: &str,
    file: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, (String, Location)>> {
    let (vars, positions) = parse_lines(text, file, lookup)?;
    Ok(vars
        .into_iter()
        .map(|(key, value)| {
            let (line, column) = positions.get(&key).copied().unwrap_or((1, 1));
            (key, (value, Location::new(file, line, column)))
        })
        .collect())
}

/// The values, and the 1-based line and column each key is written at.
type Parsed = (IndexMap<String, String>, IndexMap<String, (usize, usize)>);

fn parse_lines(text: &str, file: &Path, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Parsed> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut vars: IndexMap<String, String> = IndexMap::new();
    let mut positions: IndexMap<String, (usize, usize)> = IndexMap::new();
    let mut index = 0;
    while index < lines.len() {
        let line_no = index + 1;
        let raw = lines[index].trim_end_matches('\r');
        index += 1;
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = raw.len() - trimmed.len();
        // `export` then a space or a tab, as compose-go's dotenv reads it.
        let exported = trimmed
            .strip_prefix("export")
            .filter(|rest| rest.starts_with([' ', '\t']));
        let (body, body_offset) = match exported {
            Some(rest) => {
                let rest_trimmed = rest.trim_start();
                (rest_trimmed, indent + trimmed.len() - rest_trimmed.len())
            }
            None => (trimmed, indent),
        };
        let error_at = |column: usize, message: String| {
            Error::input(message).at(Location::new(file, line_no, column + 1))
        };
        let separator = body.find(['=', ':']);
        let key_part = separator.map_or(body, |at| &body[..at]);
        let key = key_part.trim_end();
        if key.is_empty() {
            return Err(error_at(
                body_offset,
                "a line needs a variable name before `=`".into(),
            ));
        }
        if let Some(bad) = key.find(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
            return Err(error_at(
                body_offset + bad,
                // Not quoted: a line without `=` may be a pasted value.
                "unexpected character in a variable name (a space or quote)".to_owned(),
            )
            .with_help("write `NAME=value`; quote values that contain spaces"));
        }
        let Some(separator) = separator else {
            // A bare name: taken from the environment when it is there.
            if let Some(value) = lookup(key) {
                vars.insert(key.to_owned(), value);
                positions.insert(key.to_owned(), (line_no, body_offset + 1));
            }
            continue;
        };
        let value_text = body[separator + 1..].trim_start();
        let value_column = body_offset + body.len() - value_text.len();
        let expand = |value: &str, vars: &IndexMap<String, String>| {
            let combined = |name: &str| lookup(name).or_else(|| vars.get(name).cloned());
            substitute(value, &combined, &mut |_| {}).map_err(|e| match e {
                TemplateError::Invalid(_) => error_at(
                    value_column,
                    format!("invalid interpolation in the value of `{key}`"),
                ),
                other => error_at(value_column, other.message()),
            })
        };
        let value = if let Some(quote @ ('\'' | '"')) = value_text.chars().next() {
            // The value runs to the matching quote, possibly over several lines.
            let mut content = String::new();
            let mut current = &value_text[1..];
            let closed_rest = loop {
                if let Some(end) = closing_quote(current, quote) {
                    content.push_str(&current[..end]);
                    break &current[end + 1..];
                }
                content.push_str(current);
                if index >= lines.len() {
                    return Err(error_at(
                        value_column,
                        format!("unterminated quoted value for `{key}`"),
                    )
                    .with_help(format!("close the value with {quote}")));
                }
                content.push('\n');
                current = lines[index].trim_end_matches('\r');
                index += 1;
            };
            let after = closed_rest.trim_start();
            if !after.is_empty() && !after.starts_with('#') {
                return Err(error_at(
                    value_column,
                    format!("unexpected text after the quoted value of `{key}`"),
                ));
            }
            if quote == '\'' {
                // Literal, except `\'` (a quote that does not end it), as compose-go reads it.
                content.replace("\\'", "'")
            } else {
                expand(&unescape_double(&content), &vars)?
            }
        } else {
            let without_comment = match value_text.find(" #").or_else(|| value_text.find("\t#")) {
                Some(at) => &value_text[..at],
                None => value_text,
            };
            expand(without_comment.trim(), &vars)?
        };
        vars.insert(key.to_owned(), value);
        positions.insert(key.to_owned(), (line_no, body_offset + 1));
    }
    Ok((vars, positions))
}

/// Index of the closing quote in `text`; a backslash escapes the next
/// character (in single quotes that only matters for `\'`).
fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return Some(i);
        }
    }
    None
}

/// Double-quote escapes, as compose-go expands them: `\a \b \f \n \r \t \v
/// \" \\` and `\0ddd` (octal) become the character, `\$` stays `$$` so
/// interpolation leaves a literal `$`, and any other backslash (`\q`, `\101`,
/// `\c`) is kept as written.
fn unescape_double(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = match chars.peek() {
            Some('a') => Some("\u{7}"),
            Some('b') => Some("\u{8}"),
            Some('f') => Some("\u{c}"),
            Some('n') => Some("\n"),
            Some('r') => Some("\r"),
            Some('t') => Some("\t"),
            Some('v') => Some("\u{b}"),
            Some('$') => Some("$$"),
            Some('"') => Some("\""),
            Some('\\') => Some("\\"),
            // Go has no `\c`: compose-go keeps it.
            Some('c') => Some("\\c"),
            _ => None,
        };
        if let Some(escaped) = escaped {
            chars.next();
            out.push_str(escaped);
            continue;
        }
        if chars.peek() != Some(&'0') {
            out.push('\\');
            continue;
        }
        // `\0` and up to three digits: Go's `\ddd` when they are three
        // octal digits of a byte; else `\` and the digits, as written.
        chars.next();
        let mut digits = String::new();
        while digits.len() < 3 && chars.peek().is_some_and(char::is_ascii_digit) {
            digits.extend(chars.next());
        }
        match u8::from_str_radix(&digits, 8) {
            Ok(byte) if digits.len() == 3 => out.push(char::from(byte)),
            _ => {
                out.push('\\');
                out.push_str(&digits);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> IndexMap<String, String> {
        parse(text, Path::new(".env")).unwrap()
    }

    #[test]
    fn plain_values_comments_and_export() {
        let vars = parse_ok("# comment\nA=1\nexport B = two words  # note\n\nC=\nD=a#b\n");
        assert_eq!(vars["A"], "1");
        assert_eq!(vars["B"], "two words");
        assert_eq!(vars["C"], "");
        assert_eq!(vars["D"], "a#b");
    }

    #[test]
    fn quotes() {
        let vars = parse_ok("S='a $B \\n'\nD=\"x\\ny \\\"q\\\"\"\nE=\"#not comment\" # comment\n");
        assert_eq!(vars["S"], "a $B \\n");
        assert_eq!(vars["D"], "x\ny \"q\"");
        assert_eq!(vars["E"], "#not comment");
    }

    #[test]
    fn escaped_quote_inside_single_quotes() {
        let vars = parse_ok("K='Let\\'s go!'\nL='a\\nb'\n");
        assert_eq!(vars["K"], "Let's go!");
        assert_eq!(vars["L"], "a\\nb");
    }

    #[test]
    fn multi_line_values() {
        let vars = parse_ok("K=\"line1\nline2\"\nN='a\nb'\nAFTER=1\n");
        assert_eq!(vars["K"], "line1\nline2");
        assert_eq!(vars["N"], "a\nb");
        assert_eq!(vars["AFTER"], "1");
    }

    #[test]
    fn expansion_of_earlier_keys_and_lookup() {
        let lookup = |name: &str| (name == "HOME").then(|| "/home/u".to_owned());
        let vars = parse_with_lookup(
            "A=x\nB=${A}-$A\nC=\"${HOME}/d\"\nD='${A}'\nE=${NOPE:-dflt}\nF=\\$A\n",
            Path::new(".env"),
            &lookup,
        )
        .unwrap();
        assert_eq!(vars["B"], "x-x");
        assert_eq!(vars["C"], "/home/u/d");
        assert_eq!(vars["D"], "${A}");
        assert_eq!(vars["E"], "dflt");
    }

    #[test]
    fn yaml_style_separator_and_crlf() {
        let vars = parse_ok("A: 1\r\nB=2\r\n");
        assert_eq!(vars["A"], "1");
        assert_eq!(vars["B"], "2");
    }

    #[test]
    fn bare_key_reads_lookup_or_is_skipped() {
        let lookup = |name: &str| (name == "SET").then(|| "v".to_owned());
        let vars = parse_with_lookup("SET\nUNSET\n", Path::new(".env"), &lookup).unwrap();
        assert_eq!(vars.get("SET").map(String::as_str), Some("v"));
        assert!(!vars.contains_key("UNSET"));
    }

    #[test]
    fn errors_name_the_line_not_the_value() {
        let err = parse("A=1\nB='secret-value\n", Path::new(".env")).unwrap_err();
        assert_eq!(err.location().unwrap().line, 2);
        assert!(!err.to_string().contains("secret-value"));
        let err = parse("MY KEY=1\n", Path::new(".env")).unwrap_err();
        assert_eq!(
            (err.location().unwrap().line, err.location().unwrap().column),
            (1, 3)
        );
    }
}
