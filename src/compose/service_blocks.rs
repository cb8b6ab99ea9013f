//! The nested blocks of a service: `healthcheck`, `deploy`, `develop`,
//! `ulimits`, `logging`, and the duration fields they use.
//!
//! Owns: reading those blocks into the model. Must not read top-level keys.

use indexmap::IndexMap;

use super::model::{
    Deploy, Develop, Duration, Healthcheck, Logging, ResourceAmounts, Resources, Ulimit, WatchRule,
    parse_duration,
};
use super::service::Context;
use super::yaml::{Node, Value};
use super::{keys, paths, read};
use crate::error::Result;

/// A Go-style duration (`1m30s`, `500ms`) or a number of seconds.
pub(crate) fn duration(node: &Node, field: &str) -> Result<Duration> {
    let text = read::string(node, field)?;
    parse_duration(&text).map(Duration).ok_or_else(|| {
        node.pos
            .error(format!("invalid duration `{text}` for `{field}`"))
            .with_help("write a duration like 30s, 1m30s or 500ms")
    })
}

pub(crate) fn healthcheck(node: &Node, field: &str) -> Result<Healthcheck> {
    let mut check = Healthcheck::default();
    for (key, value, sub) in read::block(node, field, keys::HEALTHCHECK)? {
        match key {
            "test" => {
                check.test = match &value.value {
                    Value::Seq(_) => read::strings(value, &sub)?,
                    _ => vec!["CMD-SHELL".into(), read::string(value, &sub)?],
                };
            }
            "interval" => check.interval = Some(duration(value, &sub)?),
            "timeout" => check.timeout = Some(duration(value, &sub)?),
            "start_period" => check.start_period = Some(duration(value, &sub)?),
            "start_interval" => check.start_interval = Some(duration(value, &sub)?),
            "retries" => check.retries = Some(read::unsigned(value, &sub)?),
            "disable" => check.disable = read::boolean(value, &sub)?,
            _ => {}
        }
    }
    Ok(check)
}

pub(crate) fn deploy(node: &Node, field: &str) -> Result<Deploy> {
    let mut deploy = Deploy::default();
    for (key, value, sub) in read::block(node, field, keys::DEPLOY)? {
        match key {
            "replicas" => deploy.replicas = Some(read::unsigned(value, &sub)?),
            "resources" => deploy.resources = Some(resources(value, &sub)?),
            "labels" => {
                let labels = read::labels(value, &sub)?;
                // compose-go holds them as an `omitempty` map: an empty one is not printed.
                if !labels.is_empty() {
                    deploy
                        .other
                        .insert(key.to_owned(), serde_json::json!(labels));
                }
            }
            // Durations printed as compose prints them (`1m0s`).
            "restart_policy" | "update_config" | "rollback_config" => {
                let mut policy = read::json(value);
                let duration_keys = match key {
                    "restart_policy" => ["delay", "window"],
                    _ => ["delay", "monitor"],
                };
                for duration_key in duration_keys {
                    if let (Some(node), Some(object)) =
                        (value.get(duration_key), policy.as_object_mut())
                    {
                        let parsed = duration(node, &format!("{sub}.{duration_key}"))?;
                        object.insert(duration_key.into(), parsed.to_string().into());
                    }
                }
                deploy.other.insert(key.to_owned(), policy);
            }
            _ => {
                deploy.other.insert(key.to_owned(), read::json(value));
            }
        }
    }
    Ok(deploy)
}

fn resources(node: &Node, field: &str) -> Result<Resources> {
    let map = read::mapping(node, field)?;
    read::check_keys(map, keys::RESOURCES, &format!("`{field}`"))?;
    let amounts = |key: &str| -> Result<Option<ResourceAmounts>> {
        match node.get(key) {
            Some(value) if !value.is_null() => {
                Some(resource_amounts(value, &format!("{field}.{key}"))).transpose()
            }
            _ => Ok(None),
        }
    };
    Ok(Resources {
        limits: amounts("limits")?,
        reservations: amounts("reservations")?,
    })
}

fn resource_amounts(node: &Node, field: &str) -> Result<ResourceAmounts> {
    let mut amounts = ResourceAmounts::default();
    for (key, value, sub) in read::block(node, field, keys::RESOURCE_AMOUNTS)? {
        match key {
            "cpus" => {
                let cpus = read::number(value, &sub)?;
                if cpus < 0.0 {
                    return Err(value.pos.error(format!("`{sub}` cannot be negative")));
                }
                amounts.cpus = Some(cpus.to_string());
            }
            "memory" => {
                amounts.memory = Some(read::bytes(value, &sub)?);
            }
            "pids" => amounts.pids = Some(read::integer(value, &sub)?),
            "devices" => {
                amounts
                    .other
                    .insert(key.to_owned(), device_requests(value, &sub, true)?);
            }
            _ => {
                amounts.other.insert(key.to_owned(), read::json(value));
            }
        }
    }
    Ok(amounts)
}

/// Device reservations (and `gpus`) with `count` as compose-go holds it: a
/// number, and `all` as -1; option values as strings. Refused as compose-go
/// refuses them: a `count` that is neither a number nor `all`, `count`
/// together with `device_ids`, and (reservations only, whose schema requires
/// it) an entry without `capabilities`.
pub(crate) fn device_requests(
    node: &Node,
    field: &str,
    capabilities_required: bool,
) -> Result<serde_json::Value> {
    let mut devices = read::json(node);
    let items = read::sequence(node, field)?;
    for (item, device) in items
        .iter()
        .zip(devices.as_array_mut().into_iter().flatten())
    {
        read::mapping(item, field)?;
        let ids = item.get("device_ids");
        let count = match item.get("count") {
            Some(_) if ids.is_some() => {
                return Err(item
                    .pos
                    .error(format!(
                        "`{field}`: `count` and `device_ids` exclude each other"
                    ))
                    .with_help("give how many devices (`count`) or which ones (`device_ids`)"));
            }
            Some(count) if count.as_scalar() == Some("all") => Some(-1),
            Some(count) => Some(
                read::integer(count, &format!("{field}.count"))
                    .map_err(|e| e.with_help("`count` is a number of devices, or `all`"))?,
            ),
            // Neither a count nor device ids: all devices, as compose-go reads it.
            None => ids.is_none().then_some(-1),
        };
        if capabilities_required && item.get("capabilities").is_none() {
            return Err(item
                .pos
                .error(format!("`{field}` entries need `capabilities`"))
                .with_help("say what the devices are for, e.g. `capabilities: [gpu]`"));
        }
        if let (Some(count), Some(map)) = (count, device.as_object_mut()) {
            map.insert("count".into(), count.into());
        }
        // Driver options are strings to the Engine (compose-go: a map of strings).
        if let Some(serde_json::Value::Object(options)) = device.get_mut("options") {
            for value in options.values_mut() {
                if !value.is_string() && !value.is_null() {
                    *value = value.to_string().into();
                }
            }
        }
    }
    Ok(devices)
}

pub(crate) fn develop(node: &Node, field: &str, ctx: &Context<'_>) -> Result<Develop> {
    let map = read::mapping(node, field)?;
    read::check_keys(map, keys::DEVELOP, &format!("`{field}`"))?;
    let mut develop = Develop::default();
    let Some(watch) = node.get("watch") else {
        return Ok(develop);
    };
    let sub = format!("{field}.watch");
    for rule in read::sequence(watch, &sub)? {
        let rule_map = read::mapping(rule, &sub)?;
        read::check_keys(rule_map, keys::WATCH, &format!("`{sub}`"))?;
        let action_node = rule
            .get("action")
            .ok_or_else(|| rule.pos.error(format!("`{sub}` rules need an `action`")))?;
        let action = read::string(action_node, &format!("{sub}.action"))?;
        if !matches!(
            action.as_str(),
            "sync" | "rebuild" | "restart" | "sync+restart" | "sync+exec"
        ) {
            return Err(action_node
                .pos
                .error(format!("unknown watch action `{action}`"))
                .with_help("use sync, rebuild, restart, sync+restart or sync+exec"));
        }
        let path_node = rule
            .get("path")
            .ok_or_else(|| rule.pos.error(format!("`{sub}` rules need a `path`")))?;
        let path = read::string(path_node, &format!("{sub}.path"))?;
        let mut watch_rule = WatchRule {
            action: action.clone(),
            path: paths::absolute_string(&path_node.pos.source.base_dir, &path, ctx.env),
            ..WatchRule::default()
        };
        for (key, entry) in rule_map {
            match key.as_str() {
                "action" | "path" => {}
                "target" => watch_rule.target = read::opt_string(&entry.node, &sub)?,
                "ignore" => watch_rule.ignore = read::string_or_list(&entry.node, &sub)?,
                // `exec.command` in exec form, a string split like `command`.
                "exec" => {
                    let mut exec = read::json(&entry.node);
                    if let (Some(command), Some(map)) =
                        (entry.node.get("command"), exec.as_object_mut())
                    {
                        let words = read::command(command, &format!("{sub}.exec.command"))?;
                        map.insert("command".into(), serde_json::json!(words));
                    }
                    watch_rule.other.insert(key.to_owned(), exec);
                }
                other => {
                    watch_rule
                        .other
                        .insert(other.to_owned(), read::json(&entry.node));
                }
            }
        }
        let exec_command = watch_rule.other.get("exec").and_then(|e| e.get("command"));
        if action == "sync+exec"
            && exec_command.is_none_or(|c| c.as_array().is_none_or(Vec::is_empty))
        {
            return Err(action_node
                .pos
                .error(format!("`{sub}` action `sync+exec` needs `exec.command`"))
                .with_help("add the command to run after a sync, e.g. `exec: {command: [\"kill\", \"-HUP\", \"1\"]}`"));
        }
        develop.watch.push(watch_rule);
    }
    Ok(develop)
}

pub(crate) fn ulimits(node: &Node, field: &str) -> Result<IndexMap<String, Ulimit>> {
    let map = read::mapping(node, field)?;
    let mut out = IndexMap::new();
    for (name, entry) in map {
        let value = &entry.node;
        let sub = format!("{field}.{name}");
        let limit = match &value.value {
            Value::Map(limits) => {
                read::check_keys(limits, keys::ULIMIT, &format!("`{sub}`"))?;
                let get = |key: &str| {
                    value
                        .get(key)
                        .ok_or_else(|| value.pos.error(format!("`{sub}` needs `soft` and `hard`")))
                        .and_then(|n| read::integer(n, &format!("{sub}.{key}")))
                };
                Ulimit {
                    soft: get("soft")?,
                    hard: get("hard")?,
                }
            }
            _ => {
                let both = read::integer(value, &sub)?;
                Ulimit {
                    soft: both,
                    hard: both,
                }
            }
        };
        out.insert(name.clone(), limit);
    }
    Ok(out)
}

pub(crate) fn logging(node: &Node, field: &str) -> Result<Logging> {
    let map = read::mapping(node, field)?;
    read::check_keys(map, keys::LOGGING, &format!("`{field}`"))?;
    Ok(Logging {
        driver: node
            .get("driver")
            .map(|d| read::opt_string(d, &format!("{field}.driver")))
            .transpose()?
            .flatten(),
        options: match node.get("options") {
            Some(options) => read::labels(options, &format!("{field}.options"))?,
            None => IndexMap::new(),
        },
    })
}
