//! The real Docker Engine for the `up` tests: the demo binary and image built
//! once per test run, a unique compose project per test that is removed
//! (containers, networks, volumes, built images) when the test ends, and what
//! the engine recorded (container ids, events with timestamps) to assert on.
//!
//! Uses the `docker` CLI, so the tests check parity against the engine's own
//! account rather than parity's. An engine that cannot be reached fails the test.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value;

use super::repo_path;

/// The image the tests run when they do not exercise `build:`.
pub const DEMO_IMAGE: &str = "parity-it-demo:latest";

/// Runs `docker ARGS`, panicking with its output when it fails.
pub fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run the docker CLI ({e}); the up tests need a Docker Engine")
        });
    assert!(
        output.status.success(),
        "docker {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Fails the test unless the engine answers.
pub fn require_engine() {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let ok = Command::new("docker")
            .args(["version", "--format", "{{.Server.APIVersion}}"])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "the Docker Engine is not reachable (DOCKER_HOST={:?}); the up tests need it",
            std::env::var("DOCKER_HOST").ok()
        );
    });
}

/// The demo's build context (demo/), with its binary built (once per run).
pub fn demo_context() -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    require_engine();
    BUILT.get_or_init(|| {
        let status = Command::new(repo_path("scripts/demo-binary"))
            .status()
            .expect("run scripts/demo-binary");
        assert!(status.success(), "scripts/demo-binary failed");
    });
    repo_path("demo")
}

/// The demo image, built once per run, for tests that use `image:`.
pub fn demo_image() -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let context = demo_context();
        docker(&[
            "build",
            "-q",
            "-t",
            DEMO_IMAGE,
            context.to_str().expect("utf-8 path"),
        ]);
    });
    DEMO_IMAGE
}

/// One engine event of a project's container.
#[derive(Debug, Clone)]
pub struct Event {
    pub service: String,
    /// `start`, `die`, `health_status: healthy`, ...
    pub action: String,
    pub time_nano: i128,
    /// `exitCode` of a `die` or `exec_die` event.
    pub exit_code: Option<String>,
}

/// A compose project with a unique name; everything it made is removed on drop.
pub struct Stack {
    name: String,
    /// `docker events` for the project, followed from the start: the engine
    /// keeps only its last 256 events for a later `--since` query, and health
    /// probes (parity's and the engine's, of every test running at once) push a
    /// project's early events out of that window well within one test.
    recorder: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Stack {
    /// `tag` makes the name readable in `docker ps` while a test runs.
    pub fn new(tag: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        require_engine();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("pit-{}-{n}-{tag}", std::process::id())
            .to_lowercase()
            .replace('_', "-");
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs()
            .saturating_sub(1);
        let label = format!("label=com.docker.compose.project={name}");
        let mut recorder = Command::new("docker")
            .args(["events", "--since", &since.to_string(), "--filter", &label])
            .args(["--filter", "type=container", "--format", "{{json .}}"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `docker events` ({e}); the up tests need it"));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = recorder.stdout.take().expect("piped stdout");
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                sink.lock().expect("events lock").push(line);
            }
        });
        Self {
            name,
            recorder,
            lines,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn label(&self) -> String {
        format!("label=com.docker.compose.project={}", self.name)
    }

    /// `docker ps -a` of the project as JSON objects.
    pub fn containers(&self) -> Vec<Value> {
        docker(&[
            "ps",
            "-a",
            "--no-trunc",
            "--filter",
            &self.label(),
            "--format",
            "{{json .}}",
        ])
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
    }

    /// The container id of a service, if it has a container.
    pub fn container_id(&self, service: &str) -> Option<String> {
        self.containers()
            .into_iter()
            .find(|c| label_of(c, "com.docker.compose.service").as_deref() == Some(service))
            .and_then(|c| c["ID"].as_str().map(str::to_string))
    }

    /// Services with a container at all.
    pub fn services_created(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .containers()
            .iter()
            .filter_map(|c| label_of(c, "com.docker.compose.service"))
            .collect();
        names.sort();
        names
    }

    /// Names of the project's running containers.
    pub fn running(&self) -> Vec<String> {
        docker(&["ps", "--filter", &self.label(), "--format", "{{.Names}}"])
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// `docker inspect` of a service's container.
    pub fn inspect(&self, service: &str) -> Value {
        let id = self
            .container_id(service)
            .unwrap_or_else(|| panic!("`{service}` has no container"));
        let text = docker(&["inspect", &id]);
        let list: Vec<Value> = serde_json::from_str(&text).expect("inspect JSON");
        list.into_iter().next().expect("one container")
    }

    /// The engine's events for the project's containers since the stack was made
    /// (those of the last half second included: the stream delivers them within milliseconds).
    pub fn events(&self) -> Vec<Event> {
        std::thread::sleep(Duration::from_millis(500));
        self.lines
            .lock()
            .expect("events lock")
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .map(|e| Event {
                service: e["Actor"]["Attributes"]["com.docker.compose.service"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                action: e["Action"].as_str().unwrap_or_default().to_string(),
                time_nano: e["timeNano"].as_i64().map_or(0, i128::from),
                exit_code: e["Actor"]["Attributes"]["exitCode"]
                    .as_str()
                    .map(str::to_string),
            })
            .collect()
    }

    /// When `service` first did `action` (an exact action or a prefix such as `health_status: healthy`).
    pub fn first(&self, events: &[Event], service: &str, action: &str) -> i128 {
        events
            .iter()
            .find(|e| e.service == service && e.action == action)
            .map(|e| e.time_nano)
            .unwrap_or_else(|| panic!("no `{action}` event for `{service}` in {events:#?}"))
    }
}

/// A label of a `docker ps --format json` row (`Labels` is `k=v,k=v`).
fn label_of(container: &Value, key: &str) -> Option<String> {
    container["Labels"].as_str()?.split(',').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.to_string())
    })
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.recorder.kill();
        let _ = self.recorder.wait();
        let label = self.label();
        let ids = docker(&["ps", "-aq", "--filter", &label]);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(ids);
            let _ = Command::new("docker").args(&args).output();
        }
        for kind in ["network", "volume"] {
            let names = docker(&[kind, "ls", "-q", "--filter", &label]);
            for name in names.split_whitespace() {
                let _ = Command::new("docker").args([kind, "rm", name]).output();
            }
        }
        let images = docker(&[
            "images",
            "--format",
            "{{.Repository}}:{{.Tag}}",
            "--filter",
            &format!("reference={}-*", self.name),
        ]);
        for image in images.split_whitespace() {
            let _ = Command::new("docker").args(["rmi", "-f", image]).output();
        }
    }
}
