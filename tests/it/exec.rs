//! `parity exec`: locally against the real Docker Engine (the command in the
//! service's running container, exit code passed on, `-e`, stdin), and with
//! `--env` against the ECS fixture (moto), where ECS Exec's two clear errors
//! are tested: the Session Manager plugin missing, and a service deployed
//! without exec. ExecuteCommand itself (which moto does not serve) is pinned by
//! a request-shape test in src/aws/ecs_exec.rs.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use serde_json::json;

use crate::support::docker::{Stack, demo_image};
use crate::support::ecs_fixture::EcsFixture;
use crate::support::{Run, Test};

fn compose() -> String {
    format!(
        r#"
services:
  app:
    image: {image}
    command: ["sleep"]
    init: true
    stop_grace_period: 1s
    environment:
      GREETING: from-compose
  idle:
    image: {image}
    command: ["sleep"]
  db:
    image: {image}
    x-parity: {{ cloud: false }}
"#,
        image = demo_image()
    )
}

/// Runs parity in the test's project under the stack's project name, `input`
/// on stdin, `FROM_SHELL` set (also `run`'s tests).
pub fn parity(test: &Test, stack: &Stack, args: &[&str], input: Option<&str>) -> Run {
    let mut cmd = test.command();
    cmd.args(["-p", stack.name()])
        .args(args)
        .env("FROM_SHELL", "from-the-shell")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn parity");
    if let Some(input) = input {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    Run::new(child.wait_with_output().expect("wait for parity"))
}

#[test]
fn exec_runs_in_the_running_container_and_passes_the_exit_code_on() {
    let stack = Stack::new("exec");
    let test = Test::new().compose(&compose());
    let up = parity(&test, &stack, &["up", "-d", "app"], None)
        .status(0)
        .stderr_contains("app");
    assert!(up.stdout().contains("app"), "{}", up.stdout());
    let container = stack.container_id("app").expect("app's container");

    parity(
        &test,
        &stack,
        &["exec", "app", "--", "/app", "exit", "0", "--say", "hello"],
        None,
    )
    .status(0)
    .stdout_contains("hello")
    .stderr_empty();
    let failed = parity(&test, &stack, &["exec", "app", "/app", "exit", "7"], None)
        .status(7)
        .stderr_empty();
    assert_eq!(failed.stdout(), "", "{}", failed.stderr());

    // -e adds variables for the command (a bare name takes parity's own value);
    // the container's variables are there too.
    let env = parity(
        &test,
        &stack,
        &[
            "exec",
            "-e",
            "EXTRA=1",
            "-e",
            "FROM_SHELL",
            "app",
            "--",
            "/app",
            "env",
            "EXTRA",
            "FROM_SHELL",
            "GREETING",
        ],
        None,
    )
    .status(0)
    .stderr_empty();
    assert_eq!(
        env.stdout(),
        "EXTRA=1\nFROM_SHELL=from-the-shell\nGREETING=from-compose\n",
        "{}",
        env.stderr()
    );

    // Piped stdin reaches the command and its end ends the command's input.
    let input = "line one\nline two\n";
    let cat = parity(
        &test,
        &stack,
        &["exec", "-T", "app", "/app", "cat"],
        Some(input),
    )
    .status(0)
    .stderr_empty();
    assert_eq!(cat.stdout(), input, "{}", cat.stderr());

    // The default command is a shell; this FROM scratch image has none, and the
    // engine's failure comes back as a failing exit code with its message.
    let shell = parity(&test, &stack, &["exec", "app"], None);
    assert_ne!(shell.code(), 0, "{}", shell.stderr());
    let said = format!("{}{}", shell.stdout(), shell.stderr());
    assert!(said.contains("/bin/sh"), "{said}");

    // exec never replaced the container.
    assert_eq!(
        stack.container_id("app").as_deref(),
        Some(container.as_str())
    );
}

#[test]
fn exec_into_a_service_that_is_not_running_or_unknown_says_so() {
    let stack = Stack::new("exec-none");
    let test = Test::new().compose(&compose());
    let run = parity(&test, &stack, &["exec", "idle", "/app", "exit", "0"], None)
        .status(1)
        .stdout_empty();
    assert!(
        run.stderr_flat().contains("service `idle`")
            && run.stderr_flat().contains("is not running"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr_flat().contains("parity up -d idle"),
        "{}",
        run.stderr()
    );
    let run = parity(&test, &stack, &["exec", "nosuch"], None)
        .status(2)
        .stdout_empty();
    assert!(
        run.stderr().contains("no such service: `nosuch`"),
        "{}",
        run.stderr()
    );
    let run = parity(&test, &stack, &["exec", "-e", "=secret-value", "app"], None)
        .status(2)
        .stdout_empty();
    assert!(
        run.stderr().contains("is not a variable name"),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains("secret-value"), "{}", run.stderr());
    assert!(stack.containers().is_empty(), "nothing was created");
}

#[test]
fn exec_flags_for_the_other_place_are_bad_input() {
    let test = Test::new().compose(&compose());
    for (args, needle) in [
        (&["exec", "--task", "abc", "app"][..], "--env"),
        (
            &["exec", "--env", "staging", "-e", "A=1", "app"][..],
            "cannot be used with",
        ),
        (
            &["exec", "--env", "staging", "-T", "app"][..],
            "cannot be used with",
        ),
    ] {
        let run = test
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run");
        let run = Run::new(run).status(2).stdout_empty();
        assert!(run.stderr().contains(needle), "{args:?}: {}", run.stderr());
    }
}

/// A parity.toml whose staging talks to `endpoint`.
fn cloud_toml(endpoint: &str, cluster: &str) -> String {
    format!(
        r#"app = "shop"

[environments.staging]
region = "eu-west-1"
account_id = "123456789012"
endpoint = "{endpoint}"
cluster = "{cluster}"
subnets = ["subnet-0a1b2c3d"]
security_groups = ["sg-0a1b2c3d"]
execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
"#
    )
}

/// A directory holding a stand-in `session-manager-plugin` that records its
/// arguments in `plugin-args` next to it.
fn fake_plugin(test: &Test) -> std::path::PathBuf {
    let bin = test.dir().join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let plugin = bin.join("session-manager-plugin");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n",
            test.dir().join("plugin-args").display()
        ),
    )
    .expect("write plugin");
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    bin
}

/// `parity exec --env staging ...` with PATH = `path` and the fixture's credentials.
fn cloud_exec(test: &Test, path: &str, args: &[&str]) -> Run {
    let output = test
        .command()
        .args(["exec", "--env", "staging"])
        .args(args)
        .env("PATH", path)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .expect("run parity");
    Run::new(output)
}

#[test]
fn exec_env_without_the_session_manager_plugin_says_how_to_install_it_before_any_aws_call() {
    // Nothing listens on the discard port: an AWS call would fail differently.
    let test = Test::new()
        .compose(&compose())
        .toml(&cloud_toml("http://127.0.0.1:9", "shop-staging"));
    let empty = test.dir().join("empty-path");
    std::fs::create_dir_all(&empty).expect("dir");
    let run = cloud_exec(&test, empty.to_str().expect("utf-8"), &["app"])
        .status(1)
        .stdout_empty();
    let said = run.stderr_flat();
    assert!(
        said.contains("Session Manager plugin (`session-manager-plugin`) is not installed"),
        "{}",
        run.stderr()
    );
    assert!(
        said.contains(
            "install the Session Manager plugin: https://docs.aws.amazon.com/systems-manager/"
        ),
        "{said}"
    );
    assert!(said.contains("sudo dpkg -i"), "{said}");
    assert!(
        !said.contains("cannot reach"),
        "no AWS call was made: {said}"
    );
}

/// A cluster of its own on the shared fixture, with `shop-app` created as
/// CreateService would by a deploy with (or without) ECS Exec.
fn service_on_fixture(fixture: &EcsFixture, cluster: &str, exec: bool) {
    fixture.ecs("CreateCluster", json!({"clusterName": cluster}));
    fixture.ecs(
        "RegisterTaskDefinition",
        json!({
            "family": format!("{cluster}-app"),
            "requiresCompatibilities": ["FARGATE"],
            "networkMode": "awsvpc",
            "cpu": "256",
            "memory": "512",
            "containerDefinitions": [{"name": "app", "image": "127.0.0.1:5000/shop@sha256:00", "memory": 512}]
        }),
    );
    let mut request = json!({
        "cluster": cluster,
        "serviceName": "shop-app",
        "taskDefinition": format!("{cluster}-app"),
        "desiredCount": 1,
        "launchType": "FARGATE"
    });
    if exec {
        request["enableExecuteCommand"] = json!(true);
    }
    let created = fixture.ecs("CreateService", request);
    assert_eq!(
        created["service"]["enableExecuteCommand"]
            .as_bool()
            .unwrap_or(false),
        exec,
        "{created}"
    );
}

#[test]
fn exec_env_on_a_service_deployed_without_exec_names_the_setting_that_turns_it_on() {
    let fixture = EcsFixture::shared();
    let cluster = format!("exec-off-{}", std::process::id());
    service_on_fixture(fixture, &cluster, false);
    let test = Test::new()
        .compose(&compose())
        .toml(&cloud_toml(&fixture.endpoint(), &cluster));
    let bin = fake_plugin(&test);
    let run = cloud_exec(
        &test,
        bin.to_str().expect("utf-8"),
        &["app", "--", "rails", "console"],
    )
    .status(1)
    .stdout_empty();
    let said = run.stderr_flat();
    assert!(
        said.contains("ECS Exec is not enabled on service `shop-app` in `staging`"),
        "{}",
        run.stderr()
    );
    assert!(said.contains("x-parity: { exec: true }"), "{said}");
    assert!(
        said.contains("`exec = true` under [environments.staging]"),
        "{said}"
    );
    assert!(said.contains("parity deploy staging"), "{said}");
    assert!(
        !test.dir().join("plugin-args").exists(),
        "the plugin never ran"
    );
}

#[test]
fn exec_env_on_a_service_with_exec_but_no_healthy_task_says_so_and_starts_no_session() {
    let fixture = EcsFixture::shared();
    let cluster = format!("exec-on-{}", std::process::id());
    service_on_fixture(fixture, &cluster, true);
    let test = Test::new()
        .compose(&compose())
        .toml(&cloud_toml(&fixture.endpoint(), &cluster));
    let bin = fake_plugin(&test);
    let run = cloud_exec(&test, bin.to_str().expect("utf-8"), &["app"])
        .status(1)
        .stdout_empty();
    assert!(
        run.stderr_flat()
            .contains("service `shop-app` has no healthy running task"),
        "{}",
        run.stderr()
    );
    let run = cloud_exec(
        &test,
        bin.to_str().expect("utf-8"),
        &["app", "--task", "0123"],
    )
    .status(1)
    .stdout_empty();
    assert!(
        run.stderr_flat()
            .contains("service `shop-app` has no running task `0123`"),
        "{}",
        run.stderr()
    );
    assert!(
        !test.dir().join("plugin-args").exists(),
        "the plugin never ran"
    );
}

#[test]
fn exec_env_bad_input_is_exit_2_before_any_aws_call() {
    let test = Test::new()
        .compose(&compose())
        .toml(&cloud_toml("http://127.0.0.1:9", "shop-staging"));
    let bin = fake_plugin(&test);
    let path = bin.to_str().expect("utf-8");
    let run = cloud_exec(&test, path, &["db"]).status(2).stdout_empty();
    assert!(
        run.stderr_flat().contains("`db` has no task in the cloud"),
        "{}",
        run.stderr()
    );
    let run = cloud_exec(&test, path, &["nosuch"])
        .status(2)
        .stdout_empty();
    assert!(
        run.stderr().contains("no such service: `nosuch`"),
        "{}",
        run.stderr()
    );
    let output = test
        .command()
        .args(["exec", "--env", "prdo", "app"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let run = Run::new(output).status(2).stdout_empty();
    assert!(run.stderr().contains("prdo"), "{}", run.stderr());
}

#[test]
fn ctrl_c_during_an_exec_without_a_terminal_exits_130_and_says_the_command_may_run_on() {
    let stack = Stack::new("exec-int");
    let test = Test::new().compose(&compose());
    parity(&test, &stack, &["up", "-d", "app"], None)
        .status(0)
        .stdout_contains("app")
        .stderr_contains("app");
    let child = test
        .command()
        .args([
            "-p",
            stack.name(),
            "exec",
            "-T",
            "app",
            "--",
            "/app",
            "sleep",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn parity exec");
    // Until the engine runs the command (the container's processes list it twice).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let top = std::process::Command::new("docker")
            .args(["top", &stack.container_id("app").expect("app")])
            .output()
            .expect("docker top");
        let listed = String::from_utf8_lossy(&top.stdout)
            .matches("/app sleep")
            .count();
        if listed >= 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the exec never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(sent.success());
    Run::new(child.wait_with_output().expect("wait for parity exec"))
        .status(130)
        .stdout_empty()
        .stderr_says("interrupted")
        .stderr_says("`/app sleep` may still be running in `app`'s container");
}

/// A Docker Engine socket in front of the real one that keeps every request
/// line parity sends (the engine's exec API keeps no record of resizes).
struct RecordingEngine {
    socket: std::path::PathBuf,
    requests: std::sync::Arc<std::sync::Mutex<String>>,
}

impl RecordingEngine {
    fn start(dir: &std::path::Path) -> Self {
        use std::os::unix::net::{UnixListener, UnixStream};
        let socket = dir.join("engine.sock");
        let listener = UnixListener::bind(&socket).expect("bind the recording socket");
        let requests = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let log = requests.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let engine = UnixStream::connect("/var/run/docker.sock").expect("the engine");
                let (mut from_client, mut to_client) = (client.try_clone().unwrap(), client);
                let (mut to_engine, mut from_engine) = (engine.try_clone().unwrap(), engine);
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut buffer = [0u8; 16384];
                    loop {
                        match std::io::Read::read(&mut from_client, &mut buffer) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                log.lock()
                                    .unwrap()
                                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
                                if to_engine.write_all(&buffer[..n]).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = to_engine.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_engine, &mut to_client);
                    let _ = to_client.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Self { socket, requests }
    }

    fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// The `h` and `w` of every resize request so far on paths containing
    /// `kind` (`/exec/` or `/containers/`), in order.
    fn resizes(&self, kind: &str) -> Vec<(u16, u16)> {
        let requests = self.requests.lock().unwrap();
        requests
            .lines()
            // A request on a kept-alive connection follows the last one's body on its line.
            .filter_map(|l| l.find("POST ").map(|at| &l[at..]))
            .filter(|l| l.contains(kind) && l.contains("/resize?"))
            .filter_map(|l| {
                let query = l.split_once('?')?.1.split_whitespace().next()?;
                let value = |key: &str| {
                    query
                        .split('&')
                        .find_map(|p| p.strip_prefix(&format!("{key}=")))
                        .and_then(|v| v.parse().ok())
                };
                Some((value("h")?, value("w")?))
            })
            .collect()
    }
}

#[test]
fn exec_under_a_terminal_follows_the_terminal_when_it_is_resized() {
    let stack = Stack::new("exec-winch");
    let test = Test::new().compose(&compose());
    parity(&test, &stack, &["up", "-d", "app"], None)
        .status(0)
        .stdout_contains("app")
        .stderr_contains("app");
    follows_a_resize(
        &test,
        "/exec/",
        &format!("-p {} exec app -- /app cat", stack.name()),
    );
}

/// Runs `parity ARGS` (a session running `cat` in a container's TTY) under a
/// pseudo-terminal of 24x80 (script(1)); once the engine has that size for
/// the session (resize requests on paths containing `kind`), the terminal
/// becomes 41x133, which the kernel announces with SIGWINCH; the engine must
/// get that size too. Ctrl-D then ends the session with exit 0.
pub(crate) fn follows_a_resize(test: &Test, kind: &str, args: &str) {
    let engine = RecordingEngine::start(test.dir());
    let line = format!(
        "stty rows 24 cols 80; (while [ ! -e resize-now ]; do sleep 0.1; done; stty rows 41 cols 133 </dev/tty) & {} {args}",
        crate::support::parity_bin(),
    );
    let mut script = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(test.dir())
        .env("NO_COLOR", "1")
        .env("DOCKER_HOST", engine.host())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run script (util-linux)");
    let resizes = || engine.resizes(kind);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while resizes().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the session never got the terminal's size"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::fs::write(test.dir().join("resize-now"), "").expect("write resize-now");
    while !resizes().contains(&(41, 133)) {
        assert!(
            std::time::Instant::now() < deadline,
            "no resize to 41x133 reached the engine: {:?}",
            resizes()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // Ctrl-D ends `cat` (the container's terminal reads it as end of input).
    let mut stdin = script.stdin.take().expect("stdin");
    stdin.write_all(b"\x04").expect("write Ctrl-D");
    drop(stdin);
    let run = Run::new(script.wait_with_output().expect("wait for script"))
        .status(0)
        .stderr_empty();
    run.stdout_unchecked("the terminal's echo of Ctrl-D, which depends on the pty's settings");
    // `stty rows R cols C` may change the size in two steps (two SIGWINCH).
    let seen = resizes();
    assert_eq!(seen.first(), Some(&(24, 80)), "{seen:?}");
    assert_eq!(seen.last(), Some(&(41, 133)), "{seen:?}");
}
