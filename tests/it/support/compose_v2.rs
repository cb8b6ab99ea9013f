//! Docker Compose v2 as the reference: running `docker compose config
//! --format json` (Debian trixie's `docker-compose` 2.26, installed by
//! scripts/setup as a docker CLI plugin) and the one canonicalisation under
//! which its output and `parity config --format json` are compared.
//!
//! The canonicalisation only removes differences of *printing*, never of
//! meaning; it is applied to both sides:
//! 1. mappings compare as maps (key order is ignored);
//! 2. Go zero values compose-go prints for structs that were not set are
//!    dropped: `command: null`, `entrypoint: null`, and `{}` for `ipam`,
//!    `placement`, `resources` and `exec`;
//! 3. `ulimits`: a single number `N` is the long form `{soft: N, hard: N}`;
//! 4. `extra_hosts`: `host:ip` (parity keeps the Engine API's form) and
//!    `host=ip` (compose-go 2.x) are one entry; the list is sorted by host, as
//!    2.26 keeps it in a map;
//! 5. `devices`: the short form `source[:target[:permissions]]` is the long
//!    form `{source, target, permissions}` (target defaults to the source,
//!    permissions to `rwm`);
//! 6. `blkio_config` entries: 2.26 prints Go's field names (`Path`, `Rate`,
//!    `Weight`), compose-go's later releases and parity `path`, `rate`,
//!    `weight`: keys are compared in lowercase; and 2.26 prints a field an
//!    entry leaves out as Go's zero value (`"Path": ""`, `"Rate": "0"`,
//!    `"Weight": 0`), which means not given: a zero field compares as absent;
//! 7. Go's `omitempty`: for the service fields compose-go holds as plain
//!    numbers or booleans (`read_only`, `oom_score_adj`, `cpu_rt_runtime`,
//!    ... and a ulimit's `soft`/`hard`), `0` and `false` are printed by
//!    parity and left out by 2.26; both mean Docker's default (a ulimit's 0
//!    is read back as 0), so they compare as absent.
//!
//! Everything else must be equal, or be listed per case with a reason in
//! `fixtures/compose-v2-differences.md`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::repo_path;

/// What `docker compose config` made of a project.
pub enum V2 {
    /// It printed this model.
    Model(Value),
    /// It refused the project (non-zero exit) with this message.
    Refused(String),
}

/// Panics (so the test fails) when `docker compose` v2 cannot be run: the
/// comparison must never pass by not running.
pub fn require_v2() {
    static VERSION: OnceLock<Result<String, String>> = OnceLock::new();
    let found = VERSION.get_or_init(|| {
        let output = Command::new("docker")
            .args(["compose", "version", "--short"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("docker CLI cannot be run: {e}"))?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if output.status.success() && version.starts_with("2.") {
            Ok(version)
        } else {
            Err(format!(
                "`docker compose version` printed {version:?} ({})",
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    });
    if let Err(message) = found {
        panic!(
            "Docker Compose v2 (the conformance reference) is not available: {message}; run scripts/setup"
        );
    }
}

/// Runs `docker compose <args> config --format json <config_args>` in `dir`
/// with `env` added and no `COMPOSE_*` variable from the caller.
pub fn v2_config(
    dir: &Path,
    args: &[String],
    config_args: &[String],
    env: &[(String, String)],
) -> V2 {
    let mut cmd = v2_command(dir, args, config_args);
    for (key, _) in std::env::vars() {
        if key.starts_with("COMPOSE_") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    run(cmd, dir)
}

/// Like [`v2_config`], with nothing but `env` in the environment.
pub fn v2_config_isolated(dir: &Path, args: &[String], env: &[(String, String)]) -> V2 {
    let mut cmd = v2_command(dir, args, &[]);
    cmd.env_clear().envs(env.iter().map(|(k, v)| (k, v)));
    run(cmd, dir)
}

fn v2_command(dir: &Path, args: &[String], config_args: &[String]) -> Command {
    require_v2();
    let mut cmd = Command::new("docker");
    cmd.current_dir(dir)
        .arg("compose")
        .args(args)
        .args(["config", "--format", "json"])
        .args(config_args)
        .stdin(Stdio::null());
    cmd
}

fn run(mut cmd: Command, dir: &Path) -> V2 {
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("docker compose cannot be run: {e}; run scripts/setup"));
    if !output.status.success() {
        return V2::Refused(String::from_utf8_lossy(&output.stderr).trim().to_owned());
    }
    match serde_json::from_slice(&output.stdout) {
        Ok(model) => V2::Model(model),
        Err(e) => panic!(
            "docker compose config printed no JSON ({e}) in {}",
            dir.display()
        ),
    }
}

/// The reasons a listed difference may give: the `## ` headings of
/// fixtures/compose-v2-differences.md.
pub fn difference_reasons() -> Vec<String> {
    let path = repo_path("fixtures/compose-v2-differences.md");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .filter_map(|line| line.strip_prefix("## "))
        .map(|heading| heading.trim().to_owned())
        .collect()
}

/// Struct fields compose-go prints even when unset (as `null` or `{}`).
const ZERO_STRUCTS: &[&str] = &[
    "command",
    "entrypoint",
    "ipam",
    "placement",
    "resources",
    "exec",
];

/// Applies the canonicalisation described in the module docs.
pub fn canonical(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                let value = canonical(match key.as_str() {
                    "ulimits" => ulimits(value),
                    "extra_hosts" => extra_hosts(value),
                    "devices" => devices(value),
                    "blkio_config" => lowercase_entry_keys(value),
                    _ => value,
                });
                // Emptiness after canonicalisation: `exec: {command: null}` is unset.
                let unset = value.is_null() || value.as_object().is_some_and(Map::is_empty);
                let zero = value == Value::Bool(false) || value.as_f64() == Some(0.0);
                let dropped = (unset && ZERO_STRUCTS.contains(&key.as_str()))
                    || (zero && OMITTED_ZEROS.contains(&key.as_str()));
                if !dropped {
                    out.insert(key, value);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => items.into_iter().map(canonical).collect(),
        other => other,
    }
}

/// Fields compose-go holds as plain Go numbers or booleans with
/// `omitempty`: it prints nothing for `0` or `false`, which mean what
/// leaving the field out means (Docker's default). A ulimit's `soft` and
/// `hard` are such fields too; see `ulimits`.
const OMITTED_ZEROS: &[&str] = &[
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpus",
    "cpu_shares",
    "oom_kill_disable",
    "oom_score_adj",
    "pids_limit",
    "privileged",
    "read_only",
    "stdin_open",
    "tty",
];

fn ulimits(value: Value) -> Value {
    let Value::Object(map) = value else {
        return value;
    };
    // compose-go leaves a zero `soft` or `hard` out (`omitempty`); it reads
    // the printed `{}` back as 0, so an absent one is 0.
    let zero_if_absent = |mut limit: Map<String, Value>| {
        for key in ["soft", "hard"] {
            limit.entry(key).or_insert(serde_json::json!(0));
        }
        Value::Object(limit)
    };
    map.into_iter()
        .map(|(name, limit)| match limit {
            Value::Number(n) => (name, serde_json::json!({"soft": n, "hard": n})),
            Value::Object(limit) => (name, zero_if_absent(limit)),
            other => (name, other),
        })
        .collect::<Map<_, _>>()
        .into()
}

fn extra_hosts(value: Value) -> Value {
    let Value::Array(items) = value else {
        return value;
    };
    let mut hosts: Vec<String> = items
        .iter()
        .map(|item| match item.as_str() {
            Some(entry) => {
                let (host, ip) = match (entry.split_once('='), entry.split_once(':')) {
                    (Some(pair), _) | (None, Some(pair)) => pair,
                    (None, None) => (entry, ""),
                };
                format!("{host}={ip}")
            }
            None => item.to_string(),
        })
        .collect();
    hosts.sort();
    hosts.into()
}

/// `{"device_read_bps": [{"Path": ..}]}` -> `{"device_read_bps": [{"path": ..}]}`.
/// What Go prints for a struct field that was not set: `""`, `0`, or a byte
/// size's `"0"`.
fn is_go_zero(value: &Value) -> bool {
    matches!(value.as_str(), Some("" | "0")) || value.as_u64() == Some(0)
}

fn lowercase_entry_keys(value: Value) -> Value {
    let Value::Object(map) = value else {
        return value;
    };
    map.into_iter()
        .map(|(key, list)| {
            let list = match list {
                Value::Array(items) => items
                    .into_iter()
                    .map(|item| match item {
                        Value::Object(entry) => entry
                            .into_iter()
                            .map(|(k, v)| (k.to_lowercase(), v))
                            .filter(|(_, v)| !is_go_zero(v))
                            .collect::<Map<_, _>>()
                            .into(),
                        other => other,
                    })
                    .collect(),
                other => other,
            };
            (key, list)
        })
        .collect::<Map<_, _>>()
        .into()
}

fn devices(value: Value) -> Value {
    let Value::Array(items) = value else {
        return value;
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(spec) => {
                let mut parts = spec.splitn(3, ':');
                let source = parts.next().unwrap_or_default().to_owned();
                let target = parts.next().unwrap_or(&source).to_owned();
                let permissions = parts.next().unwrap_or("rwm").to_owned();
                serde_json::json!({"source": source, "target": target, "permissions": permissions})
            }
            other => other,
        })
        .collect()
}

/// Removes the value at a JSON pointer (`/services/web/env_file`), if any.
pub fn take_pointer(value: &mut Value, pointer: &str) -> Option<Value> {
    let (parent, last) = pointer.rsplit_once('/')?;
    let last = last.replace("~1", "/").replace("~0", "~");
    match value.pointer_mut(parent)? {
        Value::Object(map) => map.remove(&last),
        Value::Array(items) => {
            let index: usize = last.parse().ok()?;
            (index < items.len()).then(|| items.remove(index))
        }
        _ => None,
    }
}

/// Every place where `actual` differs from `expected`, as `path: expected X, got Y`.
pub fn json_diff(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, ev) in e {
                let sub = format!("{path}.{key}");
                match a.get(key) {
                    Some(av) => json_diff(&sub, ev, av, out),
                    None => out.push(format!("{sub}: missing (expected {ev})")),
                }
            }
            for (key, av) in a {
                if !e.contains_key(key) {
                    out.push(format!("{path}.{key}: unexpected {av}"));
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                json_diff(&format!("{path}[{i}]"), ev, av, out);
            }
        }
        _ if expected == actual => {}
        _ => out.push(format!("{path}: expected {expected}, got {actual}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_are_equal() {
        let v2 = serde_json::json!({"command": null, "ipam": {}, "ulimits": {"nproc": 5},
            "extra_hosts": ["b=::1", "a=10.0.0.1"],
            "devices": [{"source": "/dev/x", "target": "/dev/x", "permissions": "rwm"}]});
        let parity = serde_json::json!({"ulimits": {"nproc": {"soft": 5, "hard": 5}},
            "extra_hosts": ["a:10.0.0.1", "b:::1"], "devices": ["/dev/x"]});
        assert_eq!(canonical(v2), canonical(parity));
    }
}
