//! A span-carrying YAML node tree built on saphyr-parser's event stream.
//!
//! Why our own tree: every later stage (interpolation, merging, `extends`,
//! normalization) must be able to point an error at `file:line:col`, and the
//! Compose Specification needs things generic YAML libraries drop: `<<` merge
//! keys, the `!reset` / `!override` tags, and the difference between a plain
//! scalar (`80`, `true`, `null`) and a quoted one (`"80"`). Scalars keep their
//! text; what type they have is decided by the field that reads them.
//!
//! Owns: YAML text -> [`Node`]. Must not know any Compose key.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use crate::error::{Error, Location, Result};

/// A file that was read, shared by every node that came from it.
#[derive(Debug)]
pub(crate) struct Source {
    pub(crate) path: PathBuf,
    pub(crate) text: Arc<str>,
    /// The directory relative paths written in this file are resolved
    /// against: the project directory for `-f` files, the file's own (or the
    /// `include`'s `project_directory`) for included and extended files.
    pub(crate) base_dir: PathBuf,
}

/// Where a node starts: file, 1-based line and column.
#[derive(Debug, Clone)]
pub(crate) struct Pos {
    pub(crate) source: Arc<Source>,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Pos {
    pub(crate) fn location(&self) -> Location {
        Location::new(&self.source.path, self.line, self.column)
            .with_source(self.source.text.clone())
    }

    /// A bad-input error pointing here.
    pub(crate) fn error(&self, message: impl Into<String>) -> Error {
        Error::input(message).at(self.location())
    }

    pub(crate) fn path(&self) -> &Path {
        &self.source.path
    }
}

/// The tags the Compose Specification gives meaning to when merging files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MergeTag {
    /// `!reset`: remove the value inherited from earlier files.
    Reset,
    /// `!override`: replace the inherited value instead of merging.
    Override,
}

/// Whether a scalar was written plain (and so may be a number, bool or null)
/// or quoted/block (always a string), or produced by interpolation (a string
/// that fields expecting a number or bool may still read as one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Quoted,
}

/// One YAML node.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) pos: Pos,
    pub(crate) tag: Option<MergeTag>,
}

/// A mapping keeps its keys' order and each key's position.
pub(crate) type Mapping = IndexMap<String, Entry>;

/// One key of a mapping: where the key is written, and its value.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) key_pos: Pos,
    pub(crate) node: Node,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Scalar(String, Style),
    Seq(Vec<Node>),
    Map(Mapping),
}

impl Value {
    /// The mapping, or the value back when it is something else.
    pub(crate) fn into_map(self) -> Result<Mapping, Self> {
        if let Self::Map(map) = self {
            Ok(map)
        } else {
            Err(self)
        }
    }

    /// The sequence's items, or the value back when it is something else.
    pub(crate) fn into_seq(self) -> Result<Vec<Node>, Self> {
        if let Self::Seq(items) = self {
            Ok(items)
        } else {
            Err(self)
        }
    }
}

impl Node {
    pub(crate) fn new(value: Value, pos: Pos) -> Self {
        Self {
            value,
            pos,
            tag: None,
        }
    }

    /// A plain `null`, `~`, `Null`, `NULL` or an empty plain scalar.
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(text, Style::Plain) if is_null_text(text))
    }

    pub(crate) fn as_map(&self) -> Option<&Mapping> {
        match &self.value {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    pub(crate) fn as_map_mut(&mut self) -> Option<&mut Mapping> {
        match &mut self.value {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    pub(crate) fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The scalar's text, whatever its style (a number's digits, `true`, ...).
    pub(crate) fn as_scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(text, _) => Some(text),
            _ => None,
        }
    }

    /// Looks a key up in a mapping node.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key).map(|entry| &entry.node)
    }

    /// What kind of node this is, for "expected X, found Y" messages.
    pub(crate) fn kind(&self) -> &'static str {
        match &self.value {
            Value::Scalar(_, Style::Plain) if self.is_null() => "null",
            Value::Scalar(text, Style::Plain) if parse_bool(text).is_some() => "a boolean",
            Value::Scalar(text, Style::Plain) if text.parse::<f64>().is_ok() => "a number",
            Value::Scalar(..) => "a string",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }

    /// Converts to JSON, typing plain scalars by the YAML 1.2 core schema.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Scalar(text, Style::Plain) => plain_to_json(text),
            Value::Scalar(text, Style::Quoted) => serde_json::Value::String(text.clone()),
            Value::Seq(items) => items.iter().map(Node::to_json).collect(),
            Value::Map(map) => map
                .iter()
                .map(|(key, entry)| (key.clone(), entry.node.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
}

fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// `true`/`false` in the spellings YAML 1.2 (and compose's string fields) accept.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn plain_to_json(text: &str) -> serde_json::Value {
    if is_null_text(text) {
        return serde_json::Value::Null;
    }
    if let Some(b) = parse_bool(text) {
        return b.into();
    }
    if let Ok(i) = text.parse::<i64>() {
        return i.into();
    }
    if text.chars().any(|c| c.is_ascii_digit())
        && !text.contains(['_', 'x', 'o'])
        && let Ok(f) = text.parse::<f64>()
        && f.is_finite()
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return serde_json::Value::Number(n);
    }
    serde_json::Value::String(text.to_owned())
}

/// Reads a file's YAML documents. An empty file gives no documents.
pub(crate) fn parse(source: &Arc<Source>) -> Result<Vec<Node>> {
    if source.text.contains('\0') {
        let (line, column) = position_of(&source.text, |c| c == '\0');
        return Err(Pos {
            source: source.clone(),
            line,
            column,
        }
        .error("this is not a YAML text file (it contains a NUL byte)")
        .with_help("point -f at a compose file"));
    }
    let mut builder = Builder {
        parser: Parser::new_from_str(&source.text),
        anchors: HashMap::new(),
        source: source.clone(),
        depth: 0,
        aliased: 0,
    };
    let mut documents = Vec::new();
    loop {
        let (event, span) = builder.next()?;
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                let (event, span) = builder.next()?;
                if matches!(event, Event::DocumentEnd) {
                    continue;
                }
                let node = builder.node(event, span)?;
                if !node.is_null() {
                    documents.push(node);
                }
            }
            other => {
                return Err(builder
                    .pos(span)
                    .error(format!("unexpected YAML {other:?}")));
            }
        }
    }
    Ok(documents)
}

/// 1-based line and column of the first char matching `pred`.
fn position_of(text: &str, pred: impl Fn(char) -> bool) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for c in text.chars() {
        if pred(c) {
            break;
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

use super::limits::{MAX_ALIASED_NODES, MAX_YAML_DEPTH as MAX_DEPTH};

/// Whether a plain scalar is a YAML 1.2 number or boolean, which compose
/// refuses as a mapping key ("Non-string key").
fn non_string_scalar(text: &str) -> bool {
    if matches!(text, "true" | "false" | "True" | "False" | "TRUE" | "FALSE") {
        return true;
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let integer = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let radix = text
        .strip_prefix("0x")
        .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
        || text
            .strip_prefix("0o")
            .is_some_and(|o| !o.is_empty() && o.bytes().all(|b| (b'0'..=b'7').contains(&b)));
    let float = digits.contains(['.', 'e', 'E'])
        && digits.bytes().any(|b| b.is_ascii_digit())
        && digits.parse::<f64>().is_ok();
    integer || radix || float
}

/// The number of nodes in a subtree (map keys not counted).
fn node_count(node: &Node) -> usize {
    1 + match &node.value {
        Value::Scalar(..) => 0,
        Value::Seq(items) => items.iter().map(node_count).sum(),
        Value::Map(map) => map.values().map(|entry| node_count(&entry.node)).sum(),
    }
}

struct Builder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    /// Anchored nodes and their sizes in nodes.
    anchors: HashMap<usize, (Node, usize)>,
    source: Arc<Source>,
    depth: usize,
    /// Nodes copied by aliases so far (see [`MAX_ALIASED_NODES`]).
    aliased: usize,
}

impl<'a> Builder<'a> {
    fn pos(&self, span: Span) -> Pos {
        Pos {
            source: self.source.clone(),
            line: span.start.line().max(1),
            column: span.start.col() + 1,
        }
    }

    fn scan_error(&self, err: &ScanError) -> Error {
        let mark = err.marker();
        let pos = Pos {
            source: self.source.clone(),
            line: mark.line().max(1),
            column: mark.col() + 1,
        };
        let info = err.info();
        let mut error = pos.error(format!("invalid YAML: {info}"));
        if info.contains("tab") || self.line_has_tab(pos.line) {
            error = error.with_help("YAML indentation must use spaces, not tabs");
        }
        error
    }

    fn line_has_tab(&self, line: usize) -> bool {
        self.source
            .text
            .lines()
            .nth(line.saturating_sub(1))
            .is_some_and(|text| text.trim_end().starts_with(['\t', ' ']) && text.contains('\t'))
    }

    fn next(&mut self) -> Result<(Event<'a>, Span)> {
        match self.parser.next_event() {
            Some(Ok(pair)) => Ok(pair),
            Some(Err(err)) => Err(self.scan_error(&err)),
            None => Ok((Event::StreamEnd, Span::default())),
        }
    }

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Node> {
        let pos = self.pos(span);
        match event {
            Event::Alias(id) => {
                let (node, size) = self.anchors.get(&id).ok_or_else(|| {
                    pos.error("this alias refers to an anchor that is not defined before it")
                })?;
                self.aliased += size;
                if self.aliased > MAX_ALIASED_NODES {
                    return Err(pos
                        .error(format!(
                            "excessive aliasing: the aliases up to here copy more than \
                             {MAX_ALIASED_NODES} nodes (the limit for aliases)"
                        ))
                        .with_help("nested aliases multiply; write the repeated parts out or use fewer levels"));
                }
                Ok(node.clone())
            }
            Event::Scalar(text, style, anchor, tag) => {
                let mut style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    _ => Style::Quoted,
                };
                let mut merge_tag = None;
                if let Some(tag) = tag {
                    merge_tag = merge_tag_of(&tag.suffix, &tag.handle);
                    if tag.handle == "tag:yaml.org,2002:" && tag.suffix == "str" {
                        style = Style::Quoted;
                    }
                }
                let mut node = Node::new(Value::Scalar(text.into_owned(), style), pos);
                node.tag = merge_tag;
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::SequenceStart(anchor, tag) => {
                self.enter(&pos)?;
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span)?);
                }
                self.depth -= 1;
                let mut node = Node::new(Value::Seq(items), pos);
                node.tag = tag.and_then(|t| merge_tag_of(&t.suffix, &t.handle));
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::MappingStart(anchor, tag) => {
                self.enter(&pos)?;
                let map = self.mapping()?;
                self.depth -= 1;
                let mut node = Node::new(Value::Map(map), pos);
                node.tag = tag.and_then(|t| merge_tag_of(&t.suffix, &t.handle));
                self.remember(anchor, &node);
                Ok(node)
            }
            other => Err(pos.error(format!("unexpected YAML {other:?}"))),
        }
    }

    fn enter(&mut self, pos: &Pos) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(pos.error(format!(
                "YAML nested deeper than {MAX_DEPTH} levels (the limit for nesting)"
            )));
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors
                .insert(anchor, (node.clone(), node_count(node)));
        }
    }

    /// Reads a mapping's entries; `<<` merge keys add the keys the mapping
    /// does not set itself (explicit keys win, earlier merge sources win).
    fn mapping(&mut self) -> Result<Mapping> {
        let mut map = Mapping::new();
        let mut merges: Vec<Node> = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if matches!(event, Event::MappingEnd) {
                break;
            }
            let key = self.node(event, span)?;
            let key_text = match &key.value {
                Value::Scalar(text, Style::Plain) if non_string_scalar(text) => {
                    return Err(key
                        .pos
                        .error(format!("mapping key `{text}` is not a string (YAML reads it as a number or boolean)"))
                        .with_help(format!("compose needs string keys: quote it, \"{text}\"")));
                }
                Value::Scalar(text, _) => text.clone(),
                _ => {
                    return Err(key
                        .pos
                        .error("a mapping key must be a plain string, not a sequence or mapping"));
                }
            };
            let (event, span) = self.next()?;
            let value = self.node(event, span)?;
            if key_text == "<<" && matches!(key.value, Value::Scalar(_, Style::Plain)) {
                merges.push(value);
                continue;
            }
            if let Some(previous) = map.get(&key_text) {
                return Err(key.pos.error(format!(
                    "mapping key `{key_text}` already defined at line {}",
                    previous.key_pos.line
                )));
            }
            map.insert(
                key_text,
                Entry {
                    key_pos: key.pos,
                    node: value,
                },
            );
        }
        for merge in merges {
            let sources: Vec<Node> = match merge.value {
                Value::Map(_) => vec![merge],
                Value::Seq(items) => items,
                _ => {
                    return Err(merge
                        .pos
                        .error("a `<<` merge key takes a mapping or a sequence of mappings"));
                }
            };
            for source in sources {
                let Value::Map(entries) = source.value else {
                    return Err(source
                        .pos
                        .error("a `<<` merge key takes a mapping or a sequence of mappings"));
                };
                for (key, entry) in entries {
                    map.entry(key).or_insert(entry);
                }
            }
        }
        Ok(map)
    }
}

fn merge_tag_of(suffix: &str, handle: &str) -> Option<MergeTag> {
    if handle != "!" {
        return None;
    }
    match suffix {
        "reset" => Some(MergeTag::Reset),
        "override" => Some(MergeTag::Override),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Vec<Node>> {
        parse(&Arc::new(Source {
            path: PathBuf::from("compose.yaml"),
            text: text.into(),
            base_dir: PathBuf::from("/"),
        }))
    }

    /// `levels` anchors, each a sequence of `branching` aliases of the one before.
    fn alias_bomb(branching: usize, levels: usize) -> String {
        let mut text = String::from("a0: &a0 {k: v}\n");
        for level in 1..levels {
            let items = vec![format!("*a{}", level - 1); branching].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
        }
        text
    }

    #[test]
    fn number_and_boolean_keys_are_refused_quoted_ones_are_not() {
        for key in ["123", "-1", "1.5", "0x1F", "true"] {
            let err = parse_text(&format!("{key}: x\n")).unwrap_err().to_string();
            assert!(err.contains("is not a string"), "{key}: {err}");
        }
        for key in ["\"123\"", "net.core.somaxconn", "v1", "1a", "yes", "."] {
            assert!(parse_text(&format!("{key}: x\n")).is_ok(), "{key}");
        }
    }

    #[test]
    fn alias_bombs_are_refused_and_modest_aliasing_is_not() {
        let err = parse_text(&alias_bomb(9, 9)).unwrap_err().to_string();
        assert!(err.contains("excessive aliasing"), "{err}");
        assert!(parse_text(&alias_bomb(3, 8)).is_ok());
    }

    #[test]
    fn nesting_past_the_limit_is_refused_not_a_stack_overflow() {
        let deep = |n: usize| format!("a: {}{}\n", "[".repeat(n), "]".repeat(n));
        assert!(parse_text(&deep(32)).is_ok());
        let block: String = (0..=MAX_DEPTH)
            .map(|level| format!("{}k:\n", " ".repeat(level)))
            .collect();
        let err = parse_text(&block).unwrap_err();
        assert!(err.message().contains("the limit for nesting"), "{err}");
        // Far deeper, the parser's own recursion limit may answer first.
        let err = parse_text(&deep(100_000)).unwrap_err();
        assert!(err.message().contains("limit"), "{err}");
        let flow_maps = format!("a: {}{}\n", "{b: ".repeat(100_000), "}".repeat(100_000));
        assert!(parse_text(&flow_maps).is_err());
    }

    #[test]
    fn merge_keys_fill_in_missing_keys_only() {
        let docs = parse_text("base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\n  c: 4\n").unwrap();
        let x = docs[0].get("x").unwrap().to_json();
        assert_eq!(x, serde_json::json!({"b": 3, "c": 4, "a": 1}));
    }

    #[test]
    fn merge_key_sequence_earlier_source_wins() {
        let docs = parse_text("a: &a {k: 1}\nb: &b {k: 2, j: 2}\nx:\n  <<: [*a, *b]\n").unwrap();
        assert_eq!(
            docs[0].get("x").unwrap().to_json(),
            serde_json::json!({"k": 1, "j": 2})
        );
    }

    #[test]
    fn positions_are_one_based() {
        let docs = parse_text("services:\n  web:\n    image: nginx\n").unwrap();
        let image = docs[0]
            .get("services")
            .unwrap()
            .get("web")
            .unwrap()
            .get("image")
            .unwrap();
        assert_eq!((image.pos.line, image.pos.column), (3, 12));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse_text("a: 1\na: 2\n").unwrap_err();
        assert!(err.message().contains("already defined at line 1"));
        assert_eq!(err.location().unwrap().line, 2);
    }

    #[test]
    fn reset_and_override_tags_are_kept() {
        let docs = parse_text("a: !reset []\nb: !override {x: 1}\n").unwrap();
        assert_eq!(docs[0].get("a").unwrap().tag, Some(MergeTag::Reset));
        assert_eq!(docs[0].get("b").unwrap().tag, Some(MergeTag::Override));
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let docs = parse_text("a: '80'\nb: 80\nc: ~\nd: yes\n").unwrap();
        assert_eq!(
            docs[0].to_json(),
            serde_json::json!({"a": "80", "b": 80, "c": null, "d": "yes"})
        );
    }

    #[test]
    fn empty_text_has_no_documents() {
        assert!(parse_text("").unwrap().is_empty());
        assert!(parse_text("# only a comment\n").unwrap().is_empty());
    }
}
