//! Compose conformance: every case under `fixtures/compose/` run through
//! `parity config --format json` and compared with its `expected.json`, and —
//! where docker-compose 1.29 can read the case — compared on meaning with
//! `docker-compose config`.
//!
//! A case is a directory `NN-short-name/` holding the compose file(s), any
//! `.env`/override/extra files, `case.json` and `expected.json`:
//!
//! ```json
//! {"args": ["-f", "a.yml"], "config_args": [], "env": {"VAR": "value"},
//!  "source": "Compose Spec 13-merge.md", "docker_compose_v1": true}
//! ```
//!
//! `args` go before `config`, `config_args` (optional) after it. The case is
//! copied to `<tmp>/<case name>/` and run there, so the default project name is
//! the case's directory name; `${CASE_DIR}` in `expected.json` stands for that
//! copy's absolute path. Every failing case is reported in one assertion.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Map, Value};

use crate::support::{Test, repo_path};

/// The issue asks for at least this many cases; fewer means fixtures went missing.
const MIN_CASES: usize = 60;

/// One conformance case read from `fixtures/compose/<name>/`.
struct Case {
    name: String,
    dir: PathBuf,
    args: Vec<String>,
    config_args: Vec<String>,
    env: Vec<(String, String)>,
    docker_compose_v1: bool,
}

fn string_list(value: Option<&Value>, case: &str, key: &str) -> Vec<String> {
    match value {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .unwrap_or_else(|| panic!("{case}/case.json: `{key}` must hold strings"))
                    .to_owned()
            })
            .collect(),
        Some(_) => panic!("{case}/case.json: `{key}` must be a list of strings"),
    }
}

fn load_cases() -> Vec<Case> {
    let root = repo_path("fixtures/compose");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("read {}: {e}", root.display()))
        .map(|entry| entry.expect("fixture dir entry").path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let name = dir
                .file_name()
                .and_then(|n| n.to_str())
                .expect("fixture dir names are UTF-8")
                .to_owned();
            let text = std::fs::read_to_string(dir.join("case.json"))
                .unwrap_or_else(|e| panic!("{name}/case.json: {e}"));
            let spec: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{name}/case.json is not JSON: {e}"));
            assert!(
                spec.get("source").and_then(Value::as_str).is_some(),
                "{name}/case.json must name its `source` (spec section or compose-go test)"
            );
            let env = match spec.get("env") {
                None => Vec::new(),
                Some(Value::Object(map)) => map
                    .iter()
                    .map(|(k, v)| {
                        let v = v
                            .as_str()
                            .unwrap_or_else(|| panic!("{name}/case.json: env values are strings"));
                        (k.clone(), v.to_owned())
                    })
                    .collect(),
                Some(_) => panic!("{name}/case.json: `env` must be an object"),
            };
            Case {
                args: string_list(spec.get("args"), &name, "args"),
                config_args: string_list(spec.get("config_args"), &name, "config_args"),
                env,
                docker_compose_v1: spec
                    .get("docker_compose_v1")
                    .and_then(Value::as_bool)
                    .unwrap_or_else(|| panic!("{name}/case.json: `docker_compose_v1` is required")),
                name,
                dir,
            }
        })
        .collect()
}

/// Copies a case (recursively, without its case.json/expected.json) into
/// `<test dir>/<case name>` and returns that directory.
fn copy_case(case: &Case, test: &Test) -> PathBuf {
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("create case copy dir");
        for entry in std::fs::read_dir(from).expect("read case dir") {
            let entry = entry.expect("case dir entry");
            let path = entry.path();
            let target = to.join(entry.file_name());
            if path.is_dir() {
                copy_dir(&path, &target);
            } else {
                std::fs::copy(&path, &target).expect("copy case file");
            }
        }
    }
    let dest = test.dir().join(&case.name);
    copy_dir(&case.dir, &dest);
    for meta in ["case.json", "expected.json"] {
        std::fs::remove_file(dest.join(meta)).expect("remove case metadata from copy");
    }
    dest
}

/// A fresh temp dir holding a copy of the case; its canonical copy path.
fn prepare(case: &Case) -> (Test, PathBuf) {
    let test = Test::new().cwd(&case.name);
    let copy = copy_case(case, &test);
    let copy = std::fs::canonicalize(&copy).expect("canonical case copy path");
    (test, copy)
}

fn expected_json(case: &Case, case_dir: &Path) -> Value {
    let text = std::fs::read_to_string(case.dir.join("expected.json"))
        .unwrap_or_else(|e| panic!("{}/expected.json: {e}", case.name));
    let dir = case_dir.to_str().expect("temp paths are UTF-8");
    // The path goes into a JSON string: escape it as JSON would.
    let escaped = serde_json::to_string(dir).expect("path as JSON string");
    let text = text.replace("${CASE_DIR}", &escaped[1..escaped.len() - 1]);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}/expected.json is not JSON: {e}", case.name))
}

/// Runs `parity <args> config --format json <config_args>` on a prepared case.
fn parity_config(case: &Case, test: Test) -> Result<Value, String> {
    let mut test = test
        .args(case.args.iter().cloned())
        .args(["config", "--format", "json"])
        .args(case.config_args.iter().cloned());
    for (key, value) in &case.env {
        test = test.env(key, value);
    }
    let run = test.run();
    if run.code() != 0 {
        return Err(format!(
            "parity exited {}\n      stderr: {}",
            run.code(),
            run.stderr().trim().replace('\n', "\n              ")
        ));
    }
    serde_json::from_str(&run.stdout())
        .map_err(|e| format!("stdout is not JSON ({e}): {}", run.stdout()))
}

/// Every place where `actual` differs from `expected`, as `path: expected X, got Y`.
fn json_diff(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
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

#[test]
fn every_compose_conformance_case_prints_its_expected_config() {
    let cases = load_cases();
    assert!(
        cases.len() >= MIN_CASES,
        "only {} cases under fixtures/compose (at least {MIN_CASES} expected)",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let (test, copy) = prepare(case);
        let expected = expected_json(case, &copy);
        match parity_config(case, test) {
            Err(message) => failures.push(format!("{}: {message}", case.name)),
            Ok(actual) => {
                let mut diffs = Vec::new();
                json_diff("$", &expected, &actual, &mut diffs);
                if !diffs.is_empty() {
                    failures.push(format!("{}:\n      {}", case.name, diffs.join("\n      ")));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases failed:\n  {}",
        failures.len(),
        cases.len(),
        failures.join("\n  ")
    );
}

// ---------------------------------------------------------------------------
// docker-compose 1.29 comparison, on meaning.

/// Runs `docker-compose <args> config` on a prepared case and returns its YAML as JSON.
fn docker_compose_v1_config(case: &Case, copy: &Path) -> Result<Value, String> {
    let mut cmd = Command::new("docker-compose");
    cmd.current_dir(copy)
        .args(&case.args)
        .arg("config")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_PROFILES")
        .stdin(Stdio::null());
    for (key, value) in &case.env {
        cmd.env(key, value);
    }
    let output = match cmd.output() {
        Ok(output) => output,
        Err(e) => panic!(
            "docker-compose (v1.29, Debian package `docker-compose`) cannot be run: {e}; \
             run scripts/setup"
        ),
    };
    if !output.status.success() {
        return Err(format!(
            "docker-compose config failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    yaml_to_json(&output.stdout)
}

/// docker-compose prints YAML; python3's PyYAML (a dependency of docker-compose) reads it.
fn yaml_to_json(yaml: &[u8]) -> Result<Value, String> {
    use std::io::Write;
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import yaml,json,sys;print(json.dumps(yaml.safe_load(sys.stdin)))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 (needed to read docker-compose's YAML) can be run");
    child
        .stdin
        .take()
        .expect("python3 stdin")
        .write_all(yaml)
        .expect("write YAML to python3");
    let output = child.wait_with_output().expect("wait for python3");
    if !output.status.success() {
        return Err(format!(
            "YAML to JSON failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("python3 printed no JSON: {e}"))
}

/// Which `docker-compose config` output shape a value comes from.
#[derive(Clone, Copy, PartialEq)]
enum Tool {
    Parity,
    V1,
}

/// The meaning both tools must agree on: per service, the image, command,
/// entrypoint, environment, ports (target/published/protocol), volumes
/// (type/source/target) and dependencies (name → condition).
///
/// Known, honest differences of docker-compose 1.29's output, normalized here
/// and nowhere else:
/// - it prints `command`/`entrypoint` strings as written; Compose v2 (and
///   parity) split them like a shell, so strings are split here;
/// - it prints short port/volume syntax partly unexpanded (`"127.0.0.1:53:53/udp"`,
///   `"data:/data:rw"`), published ports as numbers, and no protocol when tcp;
/// - it prints environment numbers as strings already; values are compared as strings;
/// - it escapes every literal `$` as `$$` (so its output reads back the same);
///   Compose v2 and parity do too, so `$$` becomes `$` on both sides here;
/// - it ignores `profiles` in `config` (prints every service), so cases whose
///   meaning depends on inactive profiles are marked `docker_compose_v1: false`;
/// - it prints no project name, no default network, and no `x-` extensions, which
///   are not compared.
fn meaning(config: &Value, tool: Tool) -> Value {
    let mut services = Map::new();
    let empty = Map::new();
    let all = config
        .get("services")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (name, service) in all {
        let mut m = Map::new();
        m.insert(
            "image".into(),
            service.get("image").cloned().unwrap_or(Value::Null),
        );
        for key in ["command", "entrypoint"] {
            m.insert(key.into(), unescape(shell_list(service.get(key))));
        }
        m.insert(
            "environment".into(),
            unescape(environment(service.get("environment"))),
        );
        m.insert("ports".into(), ports(service.get("ports"), tool));
        m.insert("volumes".into(), volumes(service.get("volumes")));
        m.insert("depends_on".into(), depends_on(service.get("depends_on")));
        services.insert(name.clone(), Value::Object(m));
    }
    Value::Object(services)
}

/// Both tools print a literal `$` as `$$`; see [`meaning`].
fn unescape(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(text.replace("$$", "$")),
        Value::Array(items) => items.into_iter().map(unescape).collect(),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, unescape(v))).collect())
        }
        value => value,
    }
}

fn shell_list(value: Option<&Value>) -> Value {
    match value {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(text)) => match shell_words::split(text) {
            Ok(words) => Value::from(words),
            Err(_) => Value::String(text.clone()),
        },
        Some(other) => other.clone(),
    }
}

fn scalar_string(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::String(_) => value.clone(),
        other => Value::String(other.to_string()),
    }
}

fn environment(value: Option<&Value>) -> Value {
    let mut env = Map::new();
    match value {
        Some(Value::Object(map)) => {
            for (k, v) in map {
                env.insert(k.clone(), scalar_string(v));
            }
        }
        Some(Value::Array(items)) => {
            for item in items.iter().filter_map(Value::as_str) {
                match item.split_once('=') {
                    Some((k, v)) => env.insert(k.into(), v.into()),
                    None => env.insert(item.into(), Value::Null),
                };
            }
        }
        _ => {}
    }
    Value::Object(env)
}

fn port(target: u64, published: Option<String>, protocol: &str) -> Value {
    serde_json::json!({"target": target, "published": published, "protocol": protocol})
}

/// docker-compose 1.29 leaves short port strings as written:
/// `[ip:][published:]target[/protocol]`, either side possibly a range.
fn v1_short_ports(spec: &str) -> Vec<Value> {
    let (spec, protocol) = spec.split_once('/').unwrap_or((spec, "tcp"));
    let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
    let (target, published) = match parts.as_slice() {
        [target] => (*target, None),
        [target, published, ..] => (*target, (!published.is_empty()).then_some(*published)),
        [] => return Vec::new(),
    };
    let range = |text: &str| -> (u64, u64) {
        let (a, b) = text.split_once('-').unwrap_or((text, text));
        (a.parse().unwrap_or(0), b.parse().unwrap_or(0))
    };
    let (t0, t1) = range(target);
    (t0..=t1)
        .enumerate()
        .map(|(i, t)| {
            let published = published.map(|p| {
                let (p0, p1) = range(p);
                if p0 != p1 && p1 - p0 == t1 - t0 {
                    (p0 + i as u64).to_string()
                } else if p0 == p1 {
                    p0.to_string()
                } else {
                    p.to_owned()
                }
            });
            port(t, published, protocol)
        })
        .collect()
}

fn ports(value: Option<&Value>, tool: Tool) -> Value {
    let mut out = Vec::new();
    for item in value.and_then(Value::as_array).into_iter().flatten() {
        match item {
            Value::Object(p) => out.push(port(
                p.get("target").and_then(Value::as_u64).unwrap_or(0),
                p.get("published").and_then(|v| match v {
                    Value::Null => None,
                    Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                }),
                p.get("protocol").and_then(Value::as_str).unwrap_or("tcp"),
            )),
            Value::String(spec) if tool == Tool::V1 => out.extend(v1_short_ports(spec)),
            Value::Number(n) if tool == Tool::V1 => {
                out.push(port(n.as_u64().unwrap_or(0), None, "tcp"));
            }
            other => out.push(other.clone()),
        }
    }
    out.sort_by_key(Value::to_string);
    Value::from(out)
}

fn volumes(value: Option<&Value>) -> Value {
    let mut out = Vec::new();
    for item in value.and_then(Value::as_array).into_iter().flatten() {
        let entry = match item {
            Value::Object(v) => serde_json::json!({
                "type": v.get("type").cloned().unwrap_or(Value::Null),
                "source": v.get("source").cloned().unwrap_or(Value::Null),
                "target": v.get("target").cloned().unwrap_or(Value::Null),
            }),
            // docker-compose 1.29: `source:target[:mode]` or `target`; paths already absolute.
            Value::String(spec) => {
                let parts: Vec<&str> = spec.split(':').collect();
                let (source, target) = match parts.as_slice() {
                    [target] => (None, *target),
                    [source, target, ..] => (Some(*source), *target),
                    [] => (None, ""),
                };
                let kind = match source {
                    Some(s) if s.starts_with('/') || s.starts_with('.') => "bind",
                    _ => "volume",
                };
                serde_json::json!({"type": kind, "source": source, "target": target})
            }
            other => other.clone(),
        };
        out.push(entry);
    }
    out.sort_by_key(Value::to_string);
    Value::from(out)
}

fn depends_on(value: Option<&Value>) -> Value {
    let mut deps = Map::new();
    match value {
        Some(Value::Object(map)) => {
            for (name, dep) in map {
                let condition = dep
                    .get("condition")
                    .cloned()
                    .unwrap_or_else(|| "service_started".into());
                deps.insert(name.clone(), condition);
            }
        }
        Some(Value::Array(items)) => {
            for name in items.iter().filter_map(Value::as_str) {
                deps.insert(name.into(), "service_started".into());
            }
        }
        _ => {}
    }
    Value::Object(deps)
}

/// How many docker-compose runs go side by side.
const V1_PARALLEL_RUNS: usize = 4;

/// One case against docker-compose 1.29: `None` when both mean the same.
fn compare_with_v1(case: &Case) -> Option<String> {
    let (test, copy) = prepare(case);
    let v1 = match docker_compose_v1_config(case, &copy) {
        Ok(v1) => v1,
        Err(message) => return Some(format!("{}: {message}", case.name)),
    };
    match parity_config(case, test) {
        Err(message) => Some(format!("{}: {message}", case.name)),
        Ok(ours) => {
            let mut diffs = Vec::new();
            json_diff(
                "$",
                &meaning(&v1, Tool::V1),
                &meaning(&ours, Tool::Parity),
                &mut diffs,
            );
            (!diffs.is_empty()).then(|| {
                format!(
                    "{} (expected = docker-compose 1.29):\n      {}",
                    case.name,
                    diffs.join("\n      ")
                )
            })
        }
    }
}

#[test]
fn compose_conformance_cases_mean_the_same_to_docker_compose_v1() {
    let cases: Vec<Case> = load_cases()
        .into_iter()
        .filter(|case| case.docker_compose_v1)
        .collect();
    assert!(
        !cases.is_empty(),
        "no case is marked docker_compose_v1: the comparison would assert nothing"
    );
    // docker-compose starts a Python interpreter per run (most of this test's
    // time); a few runs side by side keep the suite usable on a small machine.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut failures: Vec<(usize, String)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..V1_PARALLEL_RUNS)
            .map(|_| {
                scope.spawn(|| {
                    let mut found = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(case) = cases.get(i) else { break };
                        if let Some(failure) = compare_with_v1(case) {
                            found.push((i, failure));
                        }
                    }
                    found
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("v1 comparison worker"))
            .collect()
    });
    failures.sort();
    let failures: Vec<String> = failures.into_iter().map(|(_, f)| f).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from docker-compose 1.29:\n  {}",
        failures.len(),
        cases.len(),
        failures.join("\n  ")
    );
}
