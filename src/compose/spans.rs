//! Where each part of a block is written, kept past loading.
//!
//! Why: the loader's own errors point at the node they are about, but the
//! cloud translation refuses values long after the YAML tree is gone (a port
//! ECS cannot map, a service name ECS refuses). The loader records, for a
//! service and for its `x-parity` block, where every key and list item is
//! written; a later layer asks by path and gets a `file:line:col` with the
//! file's text for the snippet. Positions come from the merged, interpolated
//! tree, so a value from an override file points into that file and an
//! interpolated one at the `${...}` that produced it.
//!
//! Paths: `""` is the block itself, `healthcheck.interval` a key,
//! `ports.0` a list item by index, `secrets[API_KEY]` a scalar list item by
//! its text, `environment.FOO` a `FOO=bar` list item by its name (or, for a
//! variable only an `env_file` gives, its line in that file).
//!
//! Owns: recording and looking up positions. Knows no key.

use indexmap::IndexMap;

use super::model::Service;
use super::yaml::{Node, Pos, Value};
use crate::error::{Error, Location};

/// Positions by path; see the module doc for the path forms.
#[derive(Debug, Clone, Default)]
pub(crate) struct Spans(IndexMap<String, Location>);

/// Where a value is written is not part of the value: two services that read
/// the same are equal wherever they came from.
impl PartialEq for Spans {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Spans {
    /// Records `node` (as `""`, at `at`) and everything under it.
    pub(crate) fn record(at: &Pos, node: &Node) -> Self {
        let mut spans = Self::default();
        spans.0.insert(String::new(), at.location());
        spans.record_under(node, "");
        spans
    }

    /// Points `path` at `location`, replacing what was recorded there.
    pub(crate) fn set(&mut self, path: String, location: Location) {
        self.0.insert(path, location);
    }

    /// Forgets every path under `prefix` (`ports` forgets `ports.0`, ...).
    pub(crate) fn forget_under(&mut self, prefix: &str) {
        let dotted = format!("{prefix}.");
        let listed = format!("{prefix}[");
        self.0
            .retain(|path, _| !path.starts_with(&dotted) && !path.starts_with(&listed));
    }

    /// Whether `path` itself was recorded.
    pub(crate) fn has(&self, path: &str) -> bool {
        self.0.contains_key(path)
    }

    /// Where `path` is written; else its nearest recorded parent; else the
    /// block. `depends_on.db` also finds the short form's item `depends_on[db]`.
    pub(crate) fn location(&self, path: &str) -> Option<&Location> {
        let mut path = path;
        while !path.is_empty() {
            if let Some(location) = self.0.get(path) {
                return Some(location);
            }
            let Some(cut) = path.rfind(['.', '[']) else {
                break;
            };
            let (head, tail) = (&path[..cut], &path[cut + 1..]);
            if path[cut..].starts_with('.')
                && let Some(location) = self.0.get(&format!("{head}[{tail}]"))
            {
                return Some(location);
            }
            path = head;
        }
        self.0.get("")
    }

    /// A bad-input error saying `message`, pointed at `path` (see [`Self::location`]).
    pub(crate) fn error(&self, path: &str, message: impl Into<String>) -> Error {
        let error = Error::input(message);
        match self.location(path) {
            Some(location) => error.at(location.clone()),
            None => error,
        }
    }

    fn record_under(&mut self, node: &Node, path: &str) {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        match &node.value {
            Value::Map(map) => {
                for (key, entry) in map {
                    let sub = join(key);
                    self.0.insert(sub.clone(), entry.key_pos.location());
                    self.record_under(&entry.node, &sub);
                }
            }
            Value::Seq(items) => {
                for (index, item) in items.iter().enumerate() {
                    let sub = join(&index.to_string());
                    self.0.insert(sub.clone(), item.pos.location());
                    if let Some(text) = item.as_scalar() {
                        self.0
                            .insert(format!("{path}[{text}]"), item.pos.location());
                        if let Some((name, _)) = text.split_once('=') {
                            self.0.entry(join(name)).or_insert(item.pos.location());
                        }
                    }
                    self.record_under(item, &sub);
                }
            }
            Value::Scalar(..) => {}
        }
    }
}

impl Service {
    /// A bad-input error about this service's value at `path` (`ports.0`,
    /// `environment.FOO`, `x-parity.secrets[API_KEY]`, `""` for the service
    /// itself), located where the file that set it wrote it. The one way the
    /// cloud translation refuses a compose value.
    pub(crate) fn error_at(&self, path: &str, message: impl Into<String>) -> Error {
        self.spans.error(path, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let source = std::sync::Arc::new(super::super::yaml::Source {
            path: "compose.yaml".into(),
            text: text.into(),
            base_dir: ".".into(),
        });
        super::super::yaml::parse(&source).unwrap().remove(0)
    }

    #[test]
    fn a_service_points_at_the_item_each_model_port_came_from() {
        let root = root(
            "web:\n  image: x\n  ports: [\"8000-8001:8000-8001\", \"9000/sctp\"]\n  environment: [FOO=bar]\n",
        );
        let entry = root.as_map().unwrap().get("web").unwrap();
        let env = IndexMap::new();
        let ctx = super::super::service::Context::new(&env);
        let service =
            super::super::service::service("web", &entry.key_pos, &entry.node, &ctx).unwrap();
        assert_eq!(service.ports.len(), 3);
        let located = |path: &str| {
            let error = service.error_at(path, "refused");
            let l = error.location().unwrap();
            format!("{}:{}", l.line, l.column)
        };
        assert_eq!(located("ports.1"), "3:11");
        assert_eq!(located("ports.2"), "3:34");
        assert_eq!(located(""), "1:1");
        assert_eq!(located("environment.FOO"), "4:17");
    }

    fn spans(text: &str) -> Spans {
        let node = root(text);
        Spans::record(&node.pos, &node)
    }

    fn at(spans: &Spans, path: &str) -> String {
        let l = spans.location(path).unwrap();
        format!("{}:{}", l.line, l.column)
    }

    #[test]
    fn keys_items_and_named_items_are_found_by_path() {
        let s = spans(
            "image: web\nports:\n  - \"80:80\"\n  - target: 81\nenvironment:\n  - FOO=bar\nx-parity:\n  secrets: [API_KEY]\n",
        );
        assert_eq!(at(&s, "image"), "1:1");
        assert_eq!(at(&s, "ports.0"), "3:5");
        assert_eq!(at(&s, "ports.1.target"), "4:5");
        assert_eq!(at(&s, "environment.FOO"), "6:5");
        assert_eq!(at(&s, "x-parity.secrets[API_KEY]"), "8:13");
    }

    #[test]
    fn an_unrecorded_path_falls_back_to_its_nearest_parent() {
        let s = spans("image: web\nhealthcheck:\n  test: [CMD, x]\n");
        assert_eq!(at(&s, "healthcheck.interval"), "2:1");
        assert_eq!(at(&s, "deploy.resources.limits"), "1:1");
        assert_eq!(at(&s, "x-parity.secrets[API_KEY]"), "1:1");
    }
}
