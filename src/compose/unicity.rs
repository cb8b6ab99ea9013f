//! compose-go's `EnforceUnicity`: the lists in which a later item with the
//! same key replaces an earlier one (in the earlier one's place), applied to
//! the merged tree before it is read, as compose-go applies it before it
//! validates.
//!
//! Why: `tmpfs: [/run, /run]` or a `dns` server written in the base file and
//! again in an override is one entry to Compose; parity's readers of ports
//! and mounts de-duplicate their own lists, this does it for the lists of
//! strings (`KEY=value` or a name), by the text before `=`. The schema check
//! (`schema`) uses the same table: it does not apply `uniqueItems` there, and
//! checks that each item is something compose-go can find a key in.
//!
//! Owns: the table and the pass. Knows no field's meaning.

use super::yaml::{Node, Value};

/// The lists compose-go de-duplicates before it validates (its
/// `EnforceUnicity`: a later item with the same key replaces the earlier), so
/// the schema's `uniqueItems` never sees a repeat there, and what an item
/// must be for compose-go to find its key.
pub(super) const UNIQUE: &[(&[&str], Item)] = &[
    (&["networks", "*", "labels"], Item::KeyValue),
    (&["networks", "*", "ipam", "options"], Item::KeyValue),
    (&["services", "*", "annotations"], Item::KeyValue),
    (&["services", "*", "build", "args"], Item::KeyValue),
    (
        &["services", "*", "build", "additional_contexts"],
        Item::KeyValue,
    ),
    (&["services", "*", "build", "platform"], Item::KeyValue),
    (&["services", "*", "build", "tags"], Item::KeyValue),
    (&["services", "*", "build", "labels"], Item::KeyValue),
    (&["services", "*", "cap_add"], Item::KeyValue),
    (&["services", "*", "cap_drop"], Item::KeyValue),
    (&["services", "*", "configs"], Item::Mount),
    (&["services", "*", "deploy", "labels"], Item::KeyValue),
    (&["services", "*", "dns"], Item::KeyValue),
    (&["services", "*", "dns_opt"], Item::KeyValue),
    (&["services", "*", "dns_search"], Item::KeyValue),
    (&["services", "*", "environment"], Item::KeyValue),
    (&["services", "*", "env_file"], Item::Any),
    (&["services", "*", "expose"], Item::Expose),
    (&["services", "*", "labels"], Item::KeyValue),
    (&["services", "*", "links"], Item::KeyValue),
    (
        &["services", "*", "networks", "*", "aliases"],
        Item::KeyValue,
    ),
    (
        &["services", "*", "networks", "*", "link_local_ips"],
        Item::KeyValue,
    ),
    (&["services", "*", "ports"], Item::Any),
    (&["services", "*", "profiles"], Item::KeyValue),
    (&["services", "*", "secrets"], Item::Mount),
    (&["services", "*", "sysctls"], Item::KeyValue),
    (&["services", "*", "tmpfs"], Item::KeyValue),
    (&["services", "*", "volumes"], Item::Target),
    (&["services", "*", "devices"], Item::Target),
];

/// What compose-go's de-duplication needs of a list item.
#[derive(Debug, Clone, Copy)]
pub(super) enum Item {
    /// A string (`KEY=value` or a name).
    KeyValue,
    /// A string or a whole number.
    Expose,
    /// A string or a mapping.
    Mount,
    /// A mapping names its `target`.
    Target,
    /// Anything (its own reader checks it).
    Any,
}

/// One step of the path to a node: a mapping key or a list index.
#[derive(Debug, Clone, Copy)]
pub(super) enum Step<'a> {
    Key(&'a str),
    Item(usize),
}

/// Whether `path` is `pattern` (`*` any key, `[]` any list item).
pub(super) fn at(pattern: &[&str], path: &[Step<'_>]) -> bool {
    pattern.len() == path.len()
        && pattern.iter().zip(path).all(|(want, step)| match step {
            Step::Key(key) => *want == "*" || want == key,
            Step::Item(_) => *want == "[]",
        })
}

/// Removes the repeated items of every `Item::KeyValue` list of the tree.
pub(super) fn dedupe(root: &mut Node) {
    let mut path = Vec::new();
    walk(root, &mut path);
}

/// The longest pattern of [`UNIQUE`]: nothing deeper is looked at.
const DEEPEST: usize = 5;

fn walk<'a>(node: &'a mut Node, path: &mut Vec<Step<'a>>) {
    match &mut node.value {
        // Only `services` and `networks` hold such lists.
        Value::Map(map) if path.len() < DEEPEST => {
            for (key, entry) in map.iter_mut() {
                if path.is_empty() && key != "services" && key != "networks" {
                    continue;
                }
                path.push(Step::Key(key));
                walk(&mut entry.node, path);
                path.pop();
            }
        }
        Value::Seq(items) => {
            let key_value = UNIQUE
                .iter()
                .any(|(pattern, item)| matches!(item, Item::KeyValue) && at(pattern, path));
            if key_value {
                dedupe_items(items);
            }
        }
        _ => {}
    }
}

/// Keeps the first position of each key with the last item that has it.
fn dedupe_items(items: &mut Vec<Node>) {
    let key = |node: &Node| {
        node.as_scalar()
            .map(|text| text.split_once('=').map_or(text, |(k, _)| k).to_owned())
    };
    let all = std::mem::take(items);
    *items = super::unique::replace_or_append(Vec::new(), all, key);
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_repeated_key_keeps_its_first_place_and_its_last_value() {
        let project = crate::compose::load_text(
            "services:\n  web:\n    image: nginx\n    tmpfs: [/run, /tmp, /run]\n    dns_opt: [a, b, a]\n",
            "t",
        );
        let web = &project.services["web"];
        assert_eq!(web.tmpfs, vec!["/run".to_owned(), "/tmp".to_owned()]);
        assert_eq!(web.other["dns_opt"], serde_json::json!(["a", "b"]));
    }
}
