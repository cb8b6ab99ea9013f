//! Merging compose files (`-f a -f b`, and a service onto the one it
//! `extends`), by the Compose Specification's merge rules:
//!
//! - mappings merge key by key, later files win for scalars;
//! - `command`, `entrypoint` and `healthcheck.test` are replaced whole;
//! - `environment`, `labels`, `build.args`, `sysctls`, ... merge by variable
//!   name whether written as a list or a mapping;
//! - `ports`, `expose`, `dns`, `cap_add`, ... append, dropping duplicates;
//!   `volumes` merge by container path, `secrets`/`configs` by target/source;
//! - `depends_on` and `networks` merge by name (lists become mappings);
//! - `logging` with a different `driver` replaces the whole block;
//! - `!reset` removes the inherited value, `!override` replaces it.
//!
//! Works on node trees so every value keeps its `file:line:col`.
//! Owns: the merge rules. Must not interpret values beyond what a rule needs.

use super::syntax;
use super::yaml::{Entry, Mapping, MergeTag, Node, Pos, Style, Value};

/// Merges a later top-level document onto an earlier one.
pub(crate) fn merge_documents(base: Node, over: Node) -> Node {
    merge_mapping_with(base, over, &|key, base, over| match key {
        "services" => merge_mapping_with(base, over, &|_, base, over| merge_service(base, over)),
        "networks" | "volumes" | "secrets" | "configs" => {
            merge_mapping_with(base, over, &|_, base, over| {
                merge_mapping_with(base, over, &|key, base, over| match key {
                    "labels" | "driver_opts" => merge_dict(base, over),
                    _ => merge_generic(base, over),
                })
            })
        }
        _ => merge_generic(base, over),
    })
}

/// Merges a service onto the one it overrides or extends.
pub(crate) fn merge_service(base: Node, over: Node) -> Node {
    merge_mapping_with(base, over, &|key, base, over| match key {
        "command" | "entrypoint" | "ulimits" => over,
        "environment" | "labels" | "sysctls" | "annotations" | "storage_opt" => {
            merge_dict(base, over)
        }
        // compose-go keeps every address of a host: entries append, an
        // identical one stands once.
        "extra_hosts" => merge_unique(host_entries(base), host_entries(over)),
        "devices" => merge_keyed(as_sequence(base), as_sequence(over), &device_key),
        "depends_on" => merge_named(base, over, true),
        "networks" => merge_named(base, over, false),
        "volumes" => merge_keyed(base, over, &volume_key),
        "secrets" | "configs" => merge_keyed(base, over, &file_ref_key),
        "env_file" | "dns" | "dns_search" | "dns_opt" | "tmpfs" => {
            merge_unique(as_sequence(base), as_sequence(over))
        }
        "build" => merge_mapping_with(
            as_build_map(base),
            as_build_map(over),
            &|key, base, over| match key {
                "args" | "labels" | "additional_contexts" => merge_dict(base, over),
                _ => merge_generic(base, over),
            },
        ),
        "healthcheck" => merge_mapping_with(base, over, &|key, base, over| match key {
            "test" => over,
            _ => merge_generic(base, over),
        }),
        "logging" => {
            let driver = |n: &Node| n.get("driver").and_then(Node::as_scalar).map(str::to_owned);
            match (driver(&base), driver(&over)) {
                (Some(a), Some(b)) if a != b => over,
                _ => merge_mapping_with(base, over, &|key, base, over| match key {
                    "options" => merge_dict(base, over),
                    _ => merge_generic(base, over),
                }),
            }
        }
        "deploy" => merge_mapping_with(base, over, &|key, base, over| match key {
            "labels" => merge_dict(base, over),
            _ => merge_generic(base, over),
        }),
        _ => merge_generic(base, over),
    })
}

/// Mappings merge recursively, sequences append without duplicates, scalars are replaced.
fn merge_generic(base: Node, over: Node) -> Node {
    match (&base.value, &over.value) {
        (Value::Map(_), Value::Map(_)) => {
            merge_mapping_with(base, over, &|_, b, o| merge_generic(b, o))
        }
        (Value::Seq(_), Value::Seq(_)) => merge_unique(base, over),
        _ => over,
    }
}

/// The contents of `base` and `over` when both are of the kind `unpack` takes
/// (two mappings, two sequences), with `over`'s position; else the node that
/// wins outright: `over`, as it is when it says `!override` or either side
/// is of another kind.
fn both<T>(
    base: Node,
    over: Node,
    unpack: impl Fn(Value) -> Result<T, Value>,
) -> Result<(T, T, Pos), Node> {
    if over.tag == Some(MergeTag::Override) {
        return Err(over);
    }
    let Ok(base) = unpack(base.value) else {
        return Err(over);
    };
    let Node { value, pos, tag } = over;
    match unpack(value) {
        Ok(over) => Ok((base, over, pos)),
        Err(value) => Err(Node { value, pos, tag }),
    }
}

/// Key-by-key merge of two mappings; `merge_value` decides per key. Tags on
/// the later value win: `!reset` drops the key, `!override` replaces it.
fn merge_mapping_with(
    base: Node,
    over: Node,
    merge_value: &dyn Fn(&str, Node, Node) -> Node,
) -> Node {
    let (mut base_map, over_map, over_pos) = match both(base, over, Value::into_map) {
        Ok(parts) => parts,
        Err(winner) => return winner,
    };
    for (key, entry) in over_map {
        match entry.node.tag {
            Some(MergeTag::Reset) => {
                base_map.shift_remove(&key);
            }
            Some(MergeTag::Override) => {
                base_map.insert(key, entry);
            }
            None => match base_map.shift_remove(&key) {
                None => {
                    base_map.insert(key, entry);
                }
                Some(previous) if previous.node.is_null() || entry.node.is_null() => {
                    // `key:` with no value keeps or clears nothing special: the later one wins.
                    let node = if entry.node.is_null() {
                        previous.node
                    } else {
                        entry.node
                    };
                    base_map.insert(
                        key,
                        Entry {
                            key_pos: entry.key_pos,
                            node,
                        },
                    );
                }
                Some(previous) => {
                    let node = merge_value(&key, previous.node, entry.node);
                    base_map.insert(
                        key,
                        Entry {
                            key_pos: entry.key_pos,
                            node,
                        },
                    );
                }
            },
        }
    }
    Node {
        value: Value::Map(base_map),
        pos: over_pos,
        tag: None,
    }
}

/// `environment`-style values: list (`K=V`) or mapping, merged by name.
fn merge_dict(base: Node, over: Node) -> Node {
    merge_mapping_with(to_dict(base), to_dict(over), &|_, _, over| over)
}

/// `depends_on` / `networks`: list of names or mapping, merged by name. A
/// `depends_on` name becomes compose-go's default entry
/// (`condition: service_started`), a network name a name without options.
fn merge_named(base: Node, over: Node, dependency: bool) -> Node {
    merge_mapping_with(
        names_to_map(base, dependency),
        names_to_map(over, dependency),
        &|_, base, over| merge_generic(base, over),
    )
}

/// A list or mapping of `K=V` strings as a mapping node.
pub(crate) fn to_dict(node: Node) -> Node {
    list_to_map(node, &|text| match text.split_once('=') {
        Some((k, v)) => (k.to_owned(), Value::Scalar(v.to_owned(), Style::Quoted)),
        None => (text.to_owned(), Value::Scalar(String::new(), Style::Plain)),
    })
}

/// A list or mapping of names as a mapping node: each name without a value,
/// or (`dependency`) with `condition: service_started`.
fn names_to_map(node: Node, dependency: bool) -> Node {
    let pos = node.pos.clone();
    list_to_map(node, &|text| {
        let value = if dependency {
            let condition = Node::new(
                Value::Scalar("service_started".into(), Style::Quoted),
                pos.clone(),
            );
            let mut options = Mapping::new();
            options.insert(
                "condition".into(),
                Entry {
                    key_pos: pos.clone(),
                    node: condition,
                },
            );
            Value::Map(options)
        } else {
            Value::Scalar(String::new(), Style::Plain)
        };
        (text.to_owned(), value)
    })
}

/// A sequence of scalars as a mapping, each item the entry `entry` makes of
/// its text, at the item's position; a mapping (or anything else) as it is.
fn list_to_map(node: Node, entry: &dyn Fn(&str) -> (String, Value)) -> Node {
    let Value::Seq(items) = node.value else {
        return node;
    };
    let mut map = Mapping::new();
    for item in items {
        let Some(text) = item.as_scalar() else {
            continue;
        };
        let (key, value) = entry(text);
        let pos = item.pos.clone();
        map.insert(
            key,
            Entry {
                key_pos: pos.clone(),
                node: Node::new(value, pos),
            },
        );
    }
    Node {
        value: Value::Map(map),
        pos: node.pos,
        tag: node.tag,
    }
}

fn as_sequence(node: Node) -> Node {
    match node.value {
        Value::Seq(_) => node,
        _ => {
            let pos = node.pos.clone();
            Node::new(Value::Seq(vec![node]), pos)
        }
    }
}

fn as_build_map(node: Node) -> Node {
    match node.value {
        Value::Scalar(..) => {
            let pos = node.pos.clone();
            let mut map = Mapping::new();
            map.insert(
                "context".into(),
                Entry {
                    key_pos: pos.clone(),
                    node,
                },
            );
            Node::new(Value::Map(map), pos)
        }
        _ => node,
    }
}

/// Appends `over`'s items to `base`'s, skipping ones already present: a keyed
/// merge whose key is the whole item, so an identical item stands once.
fn merge_unique(base: Node, over: Node) -> Node {
    merge_keyed(base, over, &|item| Some(item.to_json().to_string()))
}

/// Appends, replacing base items whose key equals an over item's key.
fn merge_keyed(base: Node, over: Node, key_of: &dyn Fn(&Node) -> Option<String>) -> Node {
    let (items, more, over_pos) = match both(base, over, Value::into_seq) {
        Ok(parts) => parts,
        Err(winner) => return winner,
    };
    Node {
        value: Value::Seq(super::unique::replace_or_append(items, more, key_of)),
        pos: over_pos,
        tag: None,
    }
}

/// A volume's container path, short or long syntax.
fn volume_key(node: &Node) -> Option<String> {
    match &node.value {
        Value::Scalar(text, _) => syntax::parse_volume(text).ok().map(|spec| spec.target),
        Value::Map(_) => node
            .get("target")
            .and_then(Node::as_scalar)
            .map(str::to_owned),
        Value::Seq(_) => None,
    }
}

/// A device's container path (`source:target[:permissions]`, or `target`).
fn device_key(node: &Node) -> Option<String> {
    match &node.value {
        Value::Scalar(text, _) => {
            let mut parts = text.split(':');
            let source = parts.next()?;
            Some(parts.next().unwrap_or(source).to_owned())
        }
        Value::Map(_) => node
            .get("target")
            .or_else(|| node.get("source"))
            .and_then(Node::as_scalar)
            .map(str::to_owned),
        Value::Seq(_) => None,
    }
}

/// `extra_hosts` as a list of `host=address` entries: the mapping form
/// (`host: address` or `host: [a, b]`) becomes one entry per address.
fn host_entries(node: Node) -> Node {
    let scalars = |n: &Node| match &n.value {
        Value::Seq(list) => list.iter().all(|i| i.as_scalar().is_some()),
        _ => n.as_scalar().is_some(),
    };
    // Anything else is left for the normalizer to refuse with its position.
    if !node
        .as_map()
        .is_some_and(|m| m.values().all(|e| scalars(&e.node)))
    {
        return node;
    }
    let pos = node.pos.clone();
    let Value::Map(map) = node.value else {
        return node;
    };
    let mut items = Vec::new();
    for (host, entry) in map {
        let addresses = match entry.node.value {
            Value::Seq(list) => list,
            _ => vec![entry.node],
        };
        for address in addresses {
            let text = format!("{host}={}", address.as_scalar().unwrap_or_default());
            items.push(Node::new(Value::Scalar(text, Style::Quoted), address.pos));
        }
    }
    Node::new(Value::Seq(items), pos)
}

fn file_ref_key(node: &Node) -> Option<String> {
    match &node.value {
        Value::Scalar(text, _) => Some(text.clone()),
        Value::Map(_) => node
            .get("target")
            .or_else(|| node.get("source"))
            .and_then(Node::as_scalar)
            .map(str::to_owned),
        Value::Seq(_) => None,
    }
}

/// Drops what `!reset` asked to remove where nothing was inherited, and
/// forgets the tags, so the normalizer sees plain values.
pub(crate) fn strip_tags(node: &mut Node) {
    node.tag = None;
    match &mut node.value {
        Value::Map(map) => {
            map.retain(|_, entry| entry.node.tag != Some(MergeTag::Reset));
            for entry in map.values_mut() {
                strip_tags(&mut entry.node);
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(strip_tags),
        Value::Scalar(..) => {}
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::compose::yaml::{Source, parse};

    fn doc(text: &str) -> Node {
        parse(&Arc::new(Source {
            path: PathBuf::from("c.yaml"),
            text: text.into(),
            base_dir: PathBuf::from("/"),
        }))
        .unwrap()
        .remove(0)
    }

    fn merged(a: &str, b: &str) -> serde_json::Value {
        let mut node = merge_documents(doc(a), doc(b));
        strip_tags(&mut node);
        node.get("services").unwrap().get("s").unwrap().to_json()
    }

    #[test]
    fn scalars_replace_and_mappings_merge() {
        let out = merged(
            "services: {s: {image: a, healthcheck: {interval: 1s, test: [CMD, a]}}}",
            "services: {s: {image: b, healthcheck: {test: [CMD, b]}}}",
        );
        assert_eq!(out["image"], "b");
        assert_eq!(
            out["healthcheck"],
            serde_json::json!({"interval": "1s", "test": ["CMD", "b"]})
        );
    }

    #[test]
    fn command_is_replaced_not_appended() {
        let out = merged(
            "services: {s: {command: [a, b]}}",
            "services: {s: {command: [c]}}",
        );
        assert_eq!(out["command"], serde_json::json!(["c"]));
    }

    #[test]
    fn environment_merges_by_name_across_syntaxes() {
        let out = merged(
            "services: {s: {environment: [A=1, B=2]}}",
            "services: {s: {environment: {B: 3, C: 4}}}",
        );
        assert_eq!(
            out["environment"],
            serde_json::json!({"A": "1", "B": 3, "C": 4})
        );
    }

    #[test]
    fn ports_append_and_volumes_merge_by_target() {
        let out = merged(
            "services: {s: {ports: ['80:80'], volumes: ['./a:/data', 'x:/x']}}",
            "services: {s: {ports: ['80:80', '443:443'], volumes: ['./b:/data']}}",
        );
        assert_eq!(out["ports"], serde_json::json!(["80:80", "443:443"]));
        assert_eq!(out["volumes"], serde_json::json!(["./b:/data", "x:/x"]));
    }

    #[test]
    fn reset_and_override() {
        let out = merged(
            "services: {s: {ports: ['80:80'], environment: {A: 1, B: 2}}}",
            "services: {s: {ports: !reset [], environment: !override {C: 3}}}",
        );
        assert!(out.get("ports").is_none());
        assert_eq!(out["environment"], serde_json::json!({"C": 3}));
    }

    #[test]
    fn depends_on_list_and_map_merge() {
        let out = merged(
            "services: {s: {depends_on: [a]}}",
            "services: {s: {depends_on: {b: {condition: service_healthy}}}}",
        );
        assert_eq!(
            out["depends_on"],
            // A listed name is compose-go's default entry, which its schema accepts.
            serde_json::json!({"a": {"condition": "service_started"}, "b": {"condition": "service_healthy"}})
        );
    }

    #[test]
    fn logging_with_other_driver_replaces() {
        let out = merged(
            "services: {s: {logging: {driver: json-file, options: {max-size: 1m}}}}",
            "services: {s: {logging: {driver: syslog}}}",
        );
        assert_eq!(out["logging"], serde_json::json!({"driver": "syslog"}));
    }
}
