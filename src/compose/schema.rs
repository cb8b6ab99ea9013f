//! The Compose Specification's JSON schema, checked on the merged,
//! interpolated tree once the readers have read it.
//!
//! Why: parity carries many spec fields it does not interpret (`dns_opt`,
//! `cpu_rt_period`, `blkio_config`, a network's `ipam`, ...) to its output,
//! and its readers take a scalar's text so `${VAR}` can fill any field. Docker
//! Compose validates every file against the specification's schema, so
//! without this check parity would accept, and print, files Compose refuses
//! (`build: true`, `dns_opt: use-vc`, `blkio_config.weight: heavy`). One check
//! against the schema itself, not a rule per field: the schema is the
//! specification's own `compose-spec.json` (`fixtures/compose-spec/`, the one
//! parity's keys and the conformance fuzzer follow), embedded. It runs after
//! the readers, so a field parity reads keeps its reader's own message.
//!
//! Typing is compose-go's: a plain scalar is typed by YAML 1.2 (`80` is a
//! number, `true` a boolean), a quoted or interpolated one is a string, except
//! at the paths compose-go casts after interpolation ([`CASTS`]), where a
//! string must read as that type (`cpu_count: "${CPUS}"` is a number, and
//! `cpu_rt_period: often` an error).
//!
//! Owns: the schema walk (the JSON Schema keywords the specification uses:
//! `$ref`, `type`, `properties`, `patternProperties`, `additionalProperties`,
//! `required`, `items`, `uniqueItems`, `enum`, `pattern`, `oneOf`, `anyOf`,
//! `minimum`, `maximum`). Must not know what a field means.

use std::sync::OnceLock;

use serde_json::Value as Json;

use super::unicity::{Item, Step, UNIQUE, at};
use super::yaml::{Mapping, Node, Pos, Style, Value};
use crate::error::{Error, Result};

/// The specification's schema, as the conformance fixtures record it.
const SCHEMA_TEXT: &str = include_str!("../../fixtures/compose-spec/compose-spec.json");

/// What compose-go at `e70e961` (the corpus commit, whose newer features
/// parity reads: "newer than Compose 2.26" in `compose-v2-differences.md`)
/// accepts beyond the specification's schema at `170098b`: `pre_start`
/// hooks, `build.no_cache_filter`, and a service's `models` entry with no
/// value. JSON pointer of the property -> its schema.
const NEWER: &[(&str, &str)] = &[
    (
        "/definitions/service/properties/pre_start",
        r##"{"type": "array", "items": {"type": "object",
            "properties": {"command": {"$ref": "#/definitions/command"}, "image": {"type": "string"},
              "user": {"type": "string"}, "privileged": {"type": ["boolean", "string"]},
              "working_dir": {"type": "string"}, "environment": {"$ref": "#/definitions/list_or_dict"},
              "per_replica": {"type": ["boolean", "string"]}},
            "additionalProperties": false, "patternProperties": {"^x-": {}}}}"##,
    ),
    (
        "/definitions/service/properties/build/oneOf/1/properties/no_cache_filter",
        r##"{"$ref": "#/definitions/string_or_list"}"##,
    ),
    (
        "/definitions/service/properties/models/oneOf/1/patternProperties/^[a-zA-Z0-9._-]+$",
        r##"{"oneOf": [{"type": "object", "properties": {"endpoint_var": {"type": "string"},
            "model_var": {"type": "string"}}, "additionalProperties": false,
            "patternProperties": {"^x-": {}}}, {"type": "null"}]}"##,
    ),
];

fn spec() -> &'static Json {
    static SCHEMA: OnceLock<Json> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        // Embedded at build time and read by a unit test: it is JSON.
        let mut schema = serde_json::from_str(SCHEMA_TEXT).unwrap_or(Json::Bool(true));
        for (pointer, fragment) in NEWER {
            let (parent, name) = pointer.rsplit_once('/').unwrap_or_default();
            if let (Some(Json::Object(parent)), Ok(fragment)) =
                (schema.pointer_mut(parent), serde_json::from_str(fragment))
            {
                parent.insert(name.to_owned(), fragment);
            }
        }
        schema
    })
}

/// What compose-go converts a string to after interpolation, by path
/// (`*` any key, `[]` any list item): its `interpolateTypeCastMapping`.
#[derive(Debug, Clone, Copy)]
enum Cast {
    Integer,
    Number,
    Boolean,
}

const CASTS: &[(&[&str], Cast)] = &[
    (&["services", "*", "configs", "[]", "mode"], Cast::Integer),
    (&["services", "*", "cpu_count"], Cast::Integer),
    (&["services", "*", "cpu_percent"], Cast::Number),
    (&["services", "*", "cpu_period"], Cast::Integer),
    (&["services", "*", "cpu_quota"], Cast::Integer),
    (&["services", "*", "cpu_rt_period"], Cast::Integer),
    (&["services", "*", "cpu_rt_runtime"], Cast::Integer),
    (&["services", "*", "cpus"], Cast::Number),
    (&["services", "*", "cpu_shares"], Cast::Integer),
    (&["services", "*", "init"], Cast::Boolean),
    (&["services", "*", "deploy", "replicas"], Cast::Integer),
    (
        &["services", "*", "deploy", "update_config", "parallelism"],
        Cast::Integer,
    ),
    (
        &[
            "services",
            "*",
            "deploy",
            "update_config",
            "max_failure_ratio",
        ],
        Cast::Number,
    ),
    (
        &["services", "*", "deploy", "rollback_config", "parallelism"],
        Cast::Integer,
    ),
    (
        &[
            "services",
            "*",
            "deploy",
            "rollback_config",
            "max_failure_ratio",
        ],
        Cast::Number,
    ),
    (
        &["services", "*", "deploy", "restart_policy", "max_attempts"],
        Cast::Integer,
    ),
    (
        &[
            "services",
            "*",
            "deploy",
            "placement",
            "max_replicas_per_node",
        ],
        Cast::Integer,
    ),
    (&["services", "*", "healthcheck", "retries"], Cast::Integer),
    (&["services", "*", "healthcheck", "disable"], Cast::Boolean),
    (&["services", "*", "oom_kill_disable"], Cast::Boolean),
    (&["services", "*", "oom_score_adj"], Cast::Integer),
    (&["services", "*", "pids_limit"], Cast::Integer),
    (&["services", "*", "ports", "[]", "target"], Cast::Integer),
    (&["services", "*", "privileged"], Cast::Boolean),
    (&["services", "*", "read_only"], Cast::Boolean),
    (&["services", "*", "scale"], Cast::Integer),
    (&["services", "*", "secrets", "[]", "mode"], Cast::Integer),
    (&["services", "*", "stdin_open"], Cast::Boolean),
    (&["services", "*", "tty"], Cast::Boolean),
    (&["services", "*", "ulimits", "*"], Cast::Integer),
    (&["services", "*", "ulimits", "*", "hard"], Cast::Integer),
    (&["services", "*", "ulimits", "*", "soft"], Cast::Integer),
    (
        &["services", "*", "volumes", "[]", "read_only"],
        Cast::Boolean,
    ),
    (
        &["services", "*", "volumes", "[]", "volume", "nocopy"],
        Cast::Boolean,
    ),
    (&["networks", "*", "external"], Cast::Boolean),
    (&["networks", "*", "internal"], Cast::Boolean),
    (&["networks", "*", "attachable"], Cast::Boolean),
    (&["networks", "*", "enable_ipv4"], Cast::Boolean),
    (&["networks", "*", "enable_ipv6"], Cast::Boolean),
    (&["volumes", "*", "external"], Cast::Boolean),
    (&["secrets", "*", "external"], Cast::Boolean),
    (&["configs", "*", "external"], Cast::Boolean),
];

/// The path as messages print it: `services.web.devices[1]`.
fn dotted(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Item(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

fn cast_at(path: &[Step<'_>]) -> Option<Cast> {
    CASTS
        .iter()
        .find_map(|(pattern, cast)| at(pattern, path).then_some(*cast))
}

/// A node's JSON type, as compose-go sees it after interpolation.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Null,
    Boolean,
    Integer,
    Number(f64),
    String,
    Array,
    Object,
}

impl Kind {
    fn is(self, name: &str) -> bool {
        match (self, name) {
            (Self::Null, "null")
            | (Self::Boolean, "boolean")
            | (Self::Integer, "integer" | "number")
            | (Self::Number(_), "number")
            | (Self::String, "string")
            | (Self::Array, "array")
            | (Self::Object, "object") => true,
            (Self::Number(n), "integer") => n.fract() == 0.0,
            _ => false,
        }
    }

    fn described(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Boolean => "a boolean",
            Self::Integer | Self::Number(_) => "a number",
            Self::String => "a string",
            Self::Array => "a list",
            Self::Object => "a mapping",
        }
    }
}

/// The schema's name for a type, as a message says it.
fn type_name(name: &str) -> &str {
    match name {
        "object" => "a mapping",
        "array" => "a list",
        "string" => "a string",
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "a boolean",
        other => other,
    }
}

/// Why a node does not fit, and how deep it is (the deepest of several
/// failed alternatives is the most specific, as compose-go reports it).
struct Problem {
    /// `None` when the walk only asks whether a node fits (see [`Walk`]).
    error: Option<Box<Error>>,
    depth: usize,
    /// The expected types, when the node itself has the wrong type (so the
    /// alternatives of a `oneOf` can be said together).
    types: Vec<String>,
}

impl Problem {
    /// A failure with no message, for a walk that only asks whether a node fits.
    fn quiet(path: &[Step<'_>]) -> Self {
        Self {
            error: None,
            depth: path.len(),
            types: Vec::new(),
        }
    }

    /// The node is none of `types` (as messages name them).
    fn wrong_type(pos: &Pos, path: &[Step<'_>], types: Vec<String>, kind: Kind) -> Self {
        let message = format!(
            "`{}` must be {}, found {}",
            dotted(path),
            types.join(" or "),
            kind.described()
        );
        Self {
            types,
            ..Self::at(pos, path, message)
        }
    }

    fn at(pos: &Pos, path: &[Step<'_>], message: String) -> Self {
        Self {
            error: Some(Box::new(pos.error(message))),
            depth: path.len(),
            types: Vec::new(),
        }
    }
}

/// Checks the merged project tree against the specification's schema.
pub(crate) fn check(root: &Node) -> Result<()> {
    let mut path = Vec::new();
    Walk { explain: true }
        .node(root, spec(), &mut path)
        .map_err(|p| {
            p.error.map_or_else(
                || {
                    root.pos
                        .error("the file does not fit the Compose Specification")
                },
                |error| *error,
            )
        })
}

/// One schema object's keywords, read once (a walk consults them for every
/// node of the file: no keyword lookups, no allocation per node).
struct Rules {
    /// Where `$ref` points, resolved.
    target: Option<&'static Json>,
    types: Vec<&'static str>,
    one_of: Option<&'static [Json]>,
    any_of: Option<&'static [Json]>,
    allowed: Option<&'static [Json]>,
    pattern: Option<&'static str>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    items: Option<&'static Json>,
    unique: bool,
    properties: Option<&'static serde_json::Map<String, Json>>,
    patterns: Option<&'static serde_json::Map<String, Json>>,
    additional: Option<&'static Json>,
    required: Option<&'static [Json]>,
}

impl Rules {
    fn of(schema: &'static serde_json::Map<String, Json>) -> Self {
        let array = |key: &str| schema.get(key).and_then(Json::as_array).map(Vec::as_slice);
        let target = schema
            .get("$ref")
            .and_then(Json::as_str)
            .and_then(|reference| {
                let name = reference.rsplit('/').next().unwrap_or_default();
                spec().get("definitions")?.get(name)
            });
        Self {
            target,
            types: match schema.get("type") {
                Some(Json::String(name)) => vec![name.as_str()],
                Some(Json::Array(names)) => names.iter().filter_map(Json::as_str).collect(),
                _ => Vec::new(),
            },
            one_of: array("oneOf"),
            any_of: array("anyOf"),
            allowed: array("enum"),
            pattern: schema.get("pattern").and_then(Json::as_str),
            minimum: schema.get("minimum").and_then(Json::as_f64),
            maximum: schema.get("maximum").and_then(Json::as_f64),
            items: schema.get("items"),
            unique: schema.get("uniqueItems") == Some(&Json::Bool(true)),
            properties: schema.get("properties").and_then(Json::as_object),
            patterns: schema.get("patternProperties").and_then(Json::as_object),
            additional: schema.get("additionalProperties"),
            required: array("required"),
        }
    }
}

/// The rules of every object of the schema, by its address.
fn rules(schema: &'static Json) -> Option<&'static Rules> {
    static RULES: OnceLock<std::collections::HashMap<usize, Rules>> = OnceLock::new();
    fn collect(node: &'static Json, out: &mut std::collections::HashMap<usize, Rules>) {
        match node {
            Json::Object(map) => {
                out.insert(std::ptr::from_ref(node) as usize, Rules::of(map));
                map.values().for_each(|value| collect(value, out));
            }
            Json::Array(items) => items.iter().for_each(|item| collect(item, out)),
            _ => {}
        }
    }
    RULES
        .get_or_init(|| {
            let mut out = std::collections::HashMap::new();
            collect(spec(), &mut out);
            out
        })
        .get(&(std::ptr::from_ref(schema) as usize))
}

/// The walk. `explain: false` only asks whether a node fits, and builds no
/// message: the branches of a `oneOf` are tried that way (most fail, at
/// their type), and only when none fits are they walked again to say why.
struct Walk {
    explain: bool,
}

impl Walk {
    /// The rules of `schema`, its `$ref`s followed.
    fn resolve(&self, schema: &'static Json) -> Option<&'static Rules> {
        let mut found = rules(schema)?;
        while let Some(target) = found.target {
            found = rules(target)?;
        }
        Some(found)
    }

    fn kind(&self, node: &Node, path: &[Step<'_>]) -> std::result::Result<Kind, Problem> {
        let (text, style) = match &node.value {
            Value::Seq(_) => return Ok(Kind::Array),
            Value::Map(_) => return Ok(Kind::Object),
            Value::Scalar(text, style) => (text.as_str(), *style),
        };
        if let Some(cast) = cast_at(path)
            && (style != Style::Plain || matches!(plain(text), Kind::String))
        {
            let cast_kind = match cast {
                Cast::Integer => text.trim().parse::<i64>().ok().map(|_| Kind::Integer),
                Cast::Number => text
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map(Kind::Number),
                Cast::Boolean => matches!(
                    text.to_ascii_lowercase().as_str(),
                    "true" | "false" | "y" | "yes" | "on" | "n" | "no" | "off"
                )
                .then_some(Kind::Boolean),
            };
            let wanted = match cast {
                Cast::Integer => "a whole number",
                Cast::Number => "a number",
                Cast::Boolean => "a boolean (true or false)",
            };
            return cast_kind.ok_or_else(|| {
                Problem::at(
                    &node.pos,
                    path,
                    format!("`{}` must be {wanted}, found `{text}`", dotted(path)),
                )
            });
        }
        Ok(match style {
            Style::Plain => plain(text),
            Style::Quoted => Kind::String,
        })
    }

    fn node<'t>(
        &self,
        node: &'t Node,
        schema: &'static Json,
        path: &mut Vec<Step<'t>>,
    ) -> std::result::Result<(), Problem> {
        let Some(rules) = self.resolve(schema) else {
            return Ok(());
        };
        let kind = self.kind(node, path)?;
        {
            let names = &rules.types;
            if !names.is_empty() && !names.iter().any(|name| kind.is(name)) {
                if !self.explain {
                    return Err(Problem::quiet(path));
                }
                let said = names.iter().map(|n| type_name(n).to_owned()).collect();
                return Err(Problem::wrong_type(&node.pos, path, said, kind));
            }
        }
        if let Some(branches) = rules.one_of {
            self.alternatives(node, branches, true, path)?;
        }
        if let Some(branches) = rules.any_of {
            self.alternatives(node, branches, false, path)?;
        }
        if let Some(allowed) = rules.allowed {
            let value = node.to_json();
            if !allowed.contains(&value) {
                let said: Vec<String> = allowed.iter().map(ToString::to_string).collect();
                return Err(Problem::at(
                    &node.pos,
                    path,
                    format!(
                        "`{}` must be one of {}, found {value}",
                        dotted(path),
                        said.join(", ")
                    ),
                ));
            }
        }
        match &node.value {
            Value::Scalar(text, _) => self.scalar(node, text, kind, rules, path),
            Value::Seq(items) => self.items(items, rules, path),
            Value::Map(map) => self.mapping(node, map, rules, path),
        }
    }

    /// `oneOf` (exactly one branch fits) or `anyOf` (at least one does).
    fn alternatives<'t>(
        &self,
        node: &'t Node,
        branches: &'static [Json],
        exactly_one: bool,
        path: &mut Vec<Step<'t>>,
    ) -> std::result::Result<(), Problem> {
        let quiet = Walk { explain: false };
        let fits = branches
            .iter()
            .filter(|branch| quiet.node(node, branch, path).is_ok())
            .count();
        match fits {
            0 if !self.explain => return Err(Problem::quiet(path)),
            0 => {}
            1 => return Ok(()),
            _ if !exactly_one => return Ok(()),
            _ => {
                return Err(Problem::at(
                    &node.pos,
                    path,
                    format!(
                        "`{}` fits more than one of the forms the specification allows",
                        dotted(path)
                    ),
                ));
            }
        }
        let problems: Vec<Problem> = branches
            .iter()
            .filter_map(|branch| self.node(node, branch, path).err())
            .collect();
        // Every branch refused the node's type: say the types together.
        if problems
            .iter()
            .all(|p| !p.types.is_empty() && p.depth == path.len())
        {
            let mut types: Vec<String> = Vec::new();
            for t in problems.iter().flat_map(|p| p.types.iter()) {
                if !types.contains(t) {
                    types.push(t.clone());
                }
            }
            let kind = self.kind(node, path)?;
            return Err(Problem::wrong_type(&node.pos, path, types, kind));
        }
        // Else the branch that got furthest into the node is the one meant.
        let deepest = problems
            .into_iter()
            .filter(|p| p.types.is_empty() || p.depth > path.len())
            .max_by_key(|p| p.depth);
        Err(deepest.unwrap_or_else(|| {
            Problem::at(
                &node.pos,
                path,
                format!("`{}` has no form the specification allows", dotted(path)),
            )
        }))
    }

    fn scalar(
        &self,
        node: &Node,
        text: &str,
        kind: Kind,
        rules: &Rules,
        path: &[Step<'_>],
    ) -> std::result::Result<(), Problem> {
        if let (Some(pattern), Kind::String) = (rules.pattern, kind)
            && matches(pattern, text) == Some(false)
        {
            return Err(Problem::at(
                &node.pos,
                path,
                format!("`{}` `{text}` is not allowed here", dotted(path)),
            ));
        }
        let number = match kind {
            Kind::Integer => text.trim().parse::<f64>().ok(),
            Kind::Number(n) => Some(n),
            _ => None,
        };
        if let Some(n) = number {
            let below = rules.minimum.filter(|min| n < *min);
            let above = rules.maximum.filter(|max| n > *max);
            if let Some(bound) = below
                .map(|m| ("at least", m))
                .or(above.map(|m| ("at most", m)))
            {
                return Err(Problem::at(
                    &node.pos,
                    path,
                    format!(
                        "`{}` must be {} {}, found {text}",
                        dotted(path),
                        bound.0,
                        bound.1
                    ),
                ));
            }
        }
        Ok(())
    }

    fn items<'t>(
        &self,
        items: &'t [Node],
        rules: &Rules,
        path: &mut Vec<Step<'t>>,
    ) -> std::result::Result<(), Problem> {
        if let Some(schema) = rules.items {
            for (index, item) in items.iter().enumerate() {
                path.push(Step::Item(index));
                let checked = self.node(item, schema, path);
                path.pop();
                checked?;
            }
        }
        let unique = UNIQUE
            .iter()
            .find_map(|(pattern, item)| at(pattern, path).then_some(*item));
        if let Some(item) = unique {
            for (index, node) in items.iter().enumerate() {
                path.push(Step::Item(index));
                let checked = self.unique_item(node, item, path);
                path.pop();
                checked?;
            }
        } else if rules.unique {
            let values: Vec<Json> = items.iter().map(Node::to_json).collect();
            for (index, value) in values.iter().enumerate() {
                if values[..index].contains(value) {
                    return Err(Problem::at(
                        &items[index].pos,
                        path,
                        format!("`{}` lists {value} twice", dotted(path)),
                    )
                    .with_help("remove the repeated item"));
                }
            }
        }
        Ok(())
    }

    /// An item of a list compose-go de-duplicates (see [`UNIQUE`]).
    fn unique_item(
        &self,
        node: &Node,
        item: Item,
        path: &[Step<'_>],
    ) -> std::result::Result<(), Problem> {
        let kind = self.kind(node, path)?;
        let wanted = match (item, kind) {
            (Item::Any, _)
            | (Item::KeyValue | Item::Expose | Item::Mount, Kind::String)
            | (Item::Expose, Kind::Integer)
            | (Item::Mount, Kind::Object)
            | (Item::Target, Kind::String) => return Ok(()),
            (Item::Target, Kind::Object) => {
                let target = node.get("target");
                if target.is_some_and(|t| matches!(self.kind(t, path), Ok(Kind::String))) {
                    return Ok(());
                }
                return Err(Problem::at(
                    &node.pos,
                    path,
                    format!("`{}` needs a `target`", dotted(path)),
                ));
            }
            (Item::KeyValue, _) => "a string",
            (Item::Expose, _) => "a string or a whole number",
            (Item::Mount, _) => "a string or a mapping",
            (Item::Target, _) => return Ok(()),
        };
        Err(Problem::at(
            &node.pos,
            path,
            format!(
                "`{}` must be {wanted}, found {}",
                dotted(path),
                kind.described()
            ),
        ))
    }

    fn mapping<'t>(
        &self,
        node: &'t Node,
        map: &'t Mapping,
        rules: &Rules,
        path: &mut Vec<Step<'t>>,
    ) -> std::result::Result<(), Problem> {
        let properties = rules.properties;
        let patterns = rules.patterns;
        for (key, entry) in map {
            path.push(Step::Key(key));
            let checked = self.property(key, entry, properties, patterns, rules, path);
            path.pop();
            checked?;
        }
        if let Some(required) = rules.required {
            for name in required.iter().filter_map(Json::as_str) {
                if !map.contains_key(name) {
                    return Err(Problem::at(
                        &node.pos,
                        path,
                        format!("`{}` needs `{name}`", dotted(path)),
                    ));
                }
            }
        }
        Ok(())
    }

    /// One key of a mapping (its step already on `path`): checked against its
    /// property and every pattern it matches, else `additionalProperties`.
    fn property<'t>(
        &self,
        key: &str,
        entry: &'t super::yaml::Entry,
        properties: Option<&'static serde_json::Map<String, Json>>,
        patterns: Option<&'static serde_json::Map<String, Json>>,
        rules: &Rules,
        path: &mut Vec<Step<'t>>,
    ) -> std::result::Result<(), Problem> {
        let mut matched = false;
        if let Some(schema) = properties.and_then(|p| p.get(key)) {
            matched = true;
            self.node(&entry.node, schema, path)?;
        }
        for (pattern, schema) in patterns.into_iter().flatten() {
            if matches(pattern, key) != Some(false) {
                matched = true;
                self.node(&entry.node, schema, path)?;
            }
        }
        match rules.additional {
            _ if matched => Ok(()),
            Some(Json::Bool(false)) => {
                let parent = &path[..path.len() - 1];
                Err(self.unknown_key(key, &entry.key_pos, properties, parent))
            }
            Some(schema @ Json::Object(_)) => self.node(&entry.node, schema, path),
            _ => Ok(()),
        }
    }

    fn unknown_key(
        &self,
        key: &str,
        at: &Pos,
        properties: Option<&serde_json::Map<String, Json>>,
        path: &[Step<'_>],
    ) -> Problem {
        if !self.explain {
            return Problem::quiet(path);
        }
        let where_ = if path.is_empty() {
            "the top level".to_owned()
        } else {
            format!("`{}`", dotted(path))
        };
        let Some(properties) = properties else {
            return Problem::at(at, path, format!("`{key}` is not a valid name in {where_}"))
                .with_help("names use letters, digits, `.`, `_` and `-`");
        };
        let known: Vec<&str> = properties.keys().map(String::as_str).collect();
        let help = crate::suggest::did_you_mean(key, &known)
            .unwrap_or_else(|| "custom keys must start with `x-`".into());
        Problem::at(at, path, format!("unknown key `{key}` in {where_}")).with_help(help)
    }
}

impl Problem {
    fn with_help(mut self, help: impl Into<String>) -> Self {
        self.error = self.error.map(|error| Box::new(error.with_help(help)));
        self
    }
}

/// A plain scalar's type by YAML 1.2's core schema (as go-yaml v3 reads it;
/// the rules of `yaml::plain_to_json`, without building the value).
fn plain(text: &str) -> Kind {
    let radix = |prefix: &str, radix: u32| {
        text.strip_prefix(prefix)
            .is_some_and(|digits| i64::from_str_radix(digits, radix).is_ok())
    };
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Kind::Null;
    }
    if super::yaml::parse_bool(text).is_some() {
        return Kind::Boolean;
    }
    if text.parse::<i64>().is_ok() || radix("0o", 8) || radix("0x", 16) {
        return Kind::Integer;
    }
    if text.bytes().any(|b| b.is_ascii_digit())
        && !text.contains(['_', 'x', 'o'])
        && let Ok(number) = text.parse::<f64>()
        && number.is_finite()
    {
        return Kind::Number(number);
    }
    Kind::String
}

/// The patterns the specification's schema uses (a unit test fails on a
/// new one); `None` for one this does not know, which then does not refuse.
fn matches(pattern: &str, text: &str) -> Option<bool> {
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    Some(match pattern {
        "^x-" => text.starts_with("x-"),
        "^[a-zA-Z0-9._-]+$" => !text.is_empty() && text.chars().all(name_char),
        "^.+$" | ".+" => !text.is_empty() && !text.contains('\n'),
        "^[a-z]+$" => !text.is_empty() && text.chars().all(|c| c.is_ascii_lowercase()),
        // Unanchored: somewhere an alphanumeric followed by a name character.
        "[a-zA-Z0-9][a-zA-Z0-9_.-]+" => text
            .as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_alphanumeric() && name_char(w[1] as char)),
        // Unanchored too: the text contains one of the policies.
        "always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+" => {
            [
                "always",
                "never",
                "build",
                "if_not_present",
                "missing",
                "refresh",
                "daily",
                "weekly",
            ]
            .iter()
            .any(|p| text.contains(p))
                || text.match_indices("every_").any(|(at, _)| {
                    let rest = &text[at + "every_".len()..];
                    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                    digits > 0 && rest[digits..].starts_with(['w', 'd', 'h', 'm', 's'])
                })
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(compose: &str) -> Option<String> {
        let temp = tempfile::tempdir().expect("temp dir");
        let path = temp.path().join("compose.yaml");
        std::fs::write(&path, compose).expect("write");
        let options = crate::compose::LoadOptions {
            files: vec![path],
            project_name: Some("t".into()),
            cwd: temp.path().to_path_buf(),
            ..Default::default()
        };
        crate::compose::load(&options).err().map(|e| {
            format!(
                "{}:{} {}",
                e.location().map_or(0, |l| l.line),
                e.location().map_or(0, |l| l.column),
                e.message()
            )
        })
    }

    #[test]
    fn the_embedded_schema_is_read_with_compose_gos_additions() {
        let schema = spec();
        assert!(schema.get("definitions").is_some(), "the schema is JSON");
        let service = &schema["definitions"]["service"]["properties"];
        assert!(service.get("pre_start").is_some());
        for (pointer, _) in NEWER {
            assert!(schema.pointer(pointer).is_some(), "{pointer} added");
        }
    }

    #[test]
    fn every_pattern_the_schema_uses_is_known() {
        fn walk(node: &Json, found: &mut Vec<String>) {
            match node {
                Json::Object(map) => {
                    for (key, value) in map {
                        if key == "patternProperties" {
                            found.extend(
                                value
                                    .as_object()
                                    .into_iter()
                                    .flatten()
                                    .map(|(p, _)| p.clone()),
                            );
                        }
                        if key == "pattern" {
                            found.extend(value.as_str().map(str::to_owned));
                        }
                        walk(value, found);
                    }
                }
                Json::Array(items) => items.iter().for_each(|i| walk(i, found)),
                _ => {}
            }
        }
        let mut patterns = Vec::new();
        walk(spec(), &mut patterns);
        assert!(!patterns.is_empty());
        for pattern in patterns {
            assert!(
                matches(&pattern, "x").is_some(),
                "unknown pattern {pattern}"
            );
        }
        assert_eq!(matches("[a-zA-Z0-9][a-zA-Z0-9_.-]+", "_a"), Some(false));
        assert_eq!(matches("[a-zA-Z0-9][a-zA-Z0-9_.-]+", "web-1"), Some(true));
        assert_eq!(
            matches(
                "always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+",
                "every_12h"
            ),
            Some(true)
        );
    }

    #[test]
    fn carried_fields_are_typed_by_the_schema_at_their_line() {
        let base = "services:\n  web:\n    image: nginx\n";
        let cases = [
            ("    dns_opt: use-vc\n", "4:14", "must be a list"),
            (
                "    cpu_rt_period: often\n",
                "4:20",
                "cpu_rt_period` must be a",
            ),
            (
                "    cpu_count: often\n",
                "4:16",
                "cpu_count` must be a whole number",
            ),
            ("    build: true\n", "4:12", "must be a string or a mapping"),
            (
                "    blkio_config:\n      weight: [1]\n",
                "5:15",
                "blkio_config.weight",
            ),
            (
                "    expose:\n      - 0.5\n",
                "5:9",
                "a string or a whole number",
            ),
            (
                "    networks: [a, a]\nnetworks:\n  a: {}\n",
                "4:19",
                "lists \"a\" twice",
            ),
        ];
        for (extra, at, phrase) in cases {
            let message = refusal(&format!("{base}{extra}")).unwrap_or_default();
            assert!(
                message.starts_with(at) && message.contains(phrase),
                "{extra:?}: {message}"
            );
        }
    }

    #[test]
    fn what_compose_accepts_stays_accepted() {
        let valid = [
            "services:\n  web:\n    image: nginx\n    cpu_count: \"2\"\n    read_only: \"yes\"\n",
            "services:\n  web:\n    image: nginx\n    secrets:\n      - source: s\n        mode: 0o440\nsecrets:\n  s:\n    file: ./s\n",
            "services:\n  web:\n    image: nginx\n    ports: [\"80:80\", \"80:80\"]\n",
            "services:\n  web:\n    image: nginx\n    x-anything: [1, {a: b}]\nx-top: 3\n",
        ];
        for compose in valid {
            assert_eq!(refusal(compose), None, "{compose}");
        }
    }
}
