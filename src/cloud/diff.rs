//! Field-by-field differences between the task definition an ECS service runs
//! now (DescribeTaskDefinition's JSON) and the one the plan would register.
//!
//! Pure. Lists are matched by name where ECS names their items (containers,
//! variables, secrets, ulimits) or by key (tags), so a reordered list is not a
//! change; everything else compares by value. Fields ECS adds on its own
//! (ARNs, revision, status, empty lists, a container `cpu` of 0) are not changes.
//! A task definition holds secrets only as `valueFrom` references, so a diff
//! can never show a secret value. An image the plan names without a digest
//! (a `build:` repository, a published tag) is the same as the running image
//! of that name pinned by any digest: the digest is only known once deploy
//! builds or pins it, and the `parity:commit` tag says whether the source moved.

use serde_json::{Map, Value};

use super::image_ref::ImageRef;

/// The RegisterTaskDefinition fields: all a diff compares.
const REQUEST_FIELDS: &[&str] = &[
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "tags",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
];

/// One difference, at a path like `containerDefinitions[web].environment[PORT].value`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    Added {
        path: String,
        value: Value,
    },
    Removed {
        path: String,
        value: Value,
    },
    Changed {
        path: String,
        from: Value,
        to: Value,
    },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Added { path, value } => write!(f, "+ {path}: {value}"),
            Change::Removed { path, value } => write!(f, "- {path}: {value}"),
            Change::Changed { path, from, to } => write!(f, "~ {path}: {from} -> {to}"),
        }
    }
}

/// Differences from `running` (a DescribeTaskDefinition `taskDefinition`,
/// with `tags` from the same response) to `planned` (a RegisterTaskDefinition request).
/// Tags the plan does not set (e.g. ones deploy adds later) are not compared.
pub(crate) fn task_definition(running: &Value, planned: &Value) -> Vec<Change> {
    let mut before = Map::new();
    let mut after = Map::new();
    for field in REQUEST_FIELDS {
        for (source, target) in [(running, &mut before), (planned, &mut after)] {
            let Some(value) = source.get(*field).map(normalize) else {
                continue;
            };
            if !is_empty(&value) {
                target.insert((*field).to_owned(), value);
            }
        }
    }
    if let (Some(Value::Array(old)), Some(Value::Array(new))) =
        (before.get("tags"), after.get("tags"))
    {
        let keys: Vec<Value> = new.iter().map(|t| t["key"].clone()).collect();
        let kept: Vec<Value> = old
            .iter()
            .filter(|t| keys.contains(&t["key"]))
            .cloned()
            .collect();
        before.insert("tags".into(), Value::Array(kept));
    }
    if let (Some(Value::Array(old)), Some(Value::Array(new))) = (
        before.get("containerDefinitions"),
        after.get_mut("containerDefinitions"),
    ) {
        for container in new.iter_mut() {
            let running = old.iter().find(|c| c["name"] == container["name"]);
            if let Some(image) = running.and_then(|c| c["image"].as_str())
                && pinned_at_deploy(image, container["image"].as_str().unwrap_or_default())
            {
                container["image"] = Value::String(image.to_owned());
            }
        }
    }
    let mut changes = Vec::new();
    compare(
        "",
        &Value::Object(before),
        &Value::Object(after),
        &mut changes,
    );
    changes
}

/// `running` is `planned` (which names no digest) pinned by a digest.
fn pinned_at_deploy(running: &str, planned: &str) -> bool {
    match (ImageRef::parse(running), ImageRef::parse(planned)) {
        (Ok(running), Ok(planned)) => {
            planned.digest.is_none() && running.digest.is_some() && running.name() == planned.name()
        }
        _ => false,
    }
}

/// Drops what ECS fills in by itself: empty lists and objects, nulls, and a container cpu of 0.
fn normalize(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, item) in map {
                let item = normalize(item);
                if is_empty(&item) || (key == "cpu" && item == 0) {
                    continue;
                }
                out.insert(key.clone(), item);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

/// Null, `[]` or `{}`: what ECS returns for a field nobody set.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// The identity of a list item, when its list is keyed.
fn item_key(item: &Value) -> Option<String> {
    let object = item.as_object()?;
    ["name", "key", "containerName"]
        .iter()
        .find_map(|k| object.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn compare(path: &str, before: &Value, after: &Value, changes: &mut Vec<Change>) {
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            for (key, old_value) in old {
                match new.get(key) {
                    Some(new_value) => compare(&join(path, key), old_value, new_value, changes),
                    None => changes.push(Change::Removed {
                        path: join(path, key),
                        value: old_value.clone(),
                    }),
                }
            }
            for (key, new_value) in new {
                if !old.contains_key(key) {
                    changes.push(Change::Added {
                        path: join(path, key),
                        value: new_value.clone(),
                    });
                }
            }
        }
        (Value::Array(old), Value::Array(new))
            if !old.is_empty()
                && !new.is_empty()
                && old.iter().chain(new).all(|i| item_key(i).is_some()) =>
        {
            let keyed = |items: &[Value]| -> Vec<(String, Value)> {
                items
                    .iter()
                    .map(|i| (item_key(i).unwrap_or_default(), i.clone()))
                    .collect()
            };
            let (old, new) = (keyed(old), keyed(new));
            for (key, old_item) in &old {
                let item_path = format!("{path}[{key}]");
                match new.iter().find(|(k, _)| k == key) {
                    Some((_, new_item)) => compare(&item_path, old_item, new_item, changes),
                    None => changes.push(Change::Removed {
                        path: item_path,
                        value: old_item.clone(),
                    }),
                }
            }
            for (key, new_item) in &new {
                if !old.iter().any(|(k, _)| k == key) {
                    changes.push(Change::Added {
                        path: format!("{path}[{key}]"),
                        value: new_item.clone(),
                    });
                }
            }
        }
        _ if before != after => changes.push(Change::Changed {
            path: path.to_owned(),
            from: before.clone(),
            to: after.clone(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn planned() -> Value {
        json!({
            "family": "shop-staging-web",
            "containerDefinitions": [{"name": "web", "image": "app@sha256:b", "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}],
            "cpu": "256",
            "tags": [{"key": "parity:app", "value": "shop"}]
        })
    }

    #[test]
    fn what_ecs_adds_is_not_a_change() {
        let running = json!({
            "taskDefinitionArn": "arn:aws:ecs:eu-west-1:1:task-definition/shop-staging-web:3",
            "revision": 3,
            "status": "ACTIVE",
            "family": "shop-staging-web",
            "containerDefinitions": [{"name": "web", "image": "app@sha256:b", "cpu": 0, "mountPoints": [], "volumesFrom": [],
                "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}],
            "cpu": "256",
            "volumes": [],
            "placementConstraints": [],
            "tags": [{"key": "parity:app", "value": "shop"}, {"key": "parity:deployed-at", "value": "1"}]
        });
        assert_eq!(task_definition(&running, &planned()), vec![]);
    }

    #[test]
    fn changes_name_the_container_and_variable() {
        let running = json!({
            "family": "shop-staging-web",
            "containerDefinitions": [{"name": "web", "image": "app@sha256:a", "environment": [{"name": "A", "value": "0"}, {"name": "C", "value": "3"}]}],
            "cpu": "256",
            "tags": [{"key": "parity:app", "value": "shop"}]
        });
        let shown: Vec<String> = task_definition(&running, &planned())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "~ containerDefinitions[web].image: \"app@sha256:a\" -> \"app@sha256:b\"",
                "~ containerDefinitions[web].environment[A].value: \"0\" -> \"1\"",
                "- containerDefinitions[web].environment[C]: {\"name\":\"C\",\"value\":\"3\"}",
                "+ containerDefinitions[web].environment[B]: {\"name\":\"B\",\"value\":\"2\"}",
            ]
        );
    }

    #[test]
    fn an_image_the_plan_cannot_pin_yet_matches_its_pinned_self_only() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let with_image = |image: &str| json!({"family": "f", "containerDefinitions": [{"name": "web", "image": image}]});
        let running = with_image(&format!("127.0.0.1:5000/shop@{digest}"));
        assert_eq!(
            task_definition(&running, &with_image("127.0.0.1:5000/shop")),
            vec![]
        );
        assert_eq!(
            task_definition(&running, &with_image("127.0.0.1:5000/shop/web")).len(),
            1
        );
        let other = format!("127.0.0.1:5000/shop@sha256:{}", "b".repeat(64));
        assert_eq!(task_definition(&running, &with_image(&other)).len(), 1);
    }
}
