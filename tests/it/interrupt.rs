//! Ctrl-C (SIGINT) and SIGTERM in each phase of a change to a cloud
//! environment (src/commands/ship/interrupt.rs): exit 130, the deploy lock
//! released, a release task parity started stopped, nothing half-done by
//! parity's own doing, each service's state and what to run next printed —
//! and the same command then succeeds without `--break-lock`.
//!
//! A phase is held long enough to be interrupted by the ECS fixture (a
//! rollout IN_PROGRESS, a release task RUNNING), by the fault proxy holding
//! one AWS operation, or by the engine proxy holding the build request.

use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::deploy::Pipeline;
use crate::support::Run;
use crate::support::ecs_fixture::EcsFixture;
use crate::support::engine_proxy::{EngineProxy, Trigger};
use crate::support::fault_proxy::{FaultProxy, Policy};

/// Waits (at most two minutes) until `ready` holds.
#[track_caller]
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends `signal` (`INT`, `TERM`) to the child and collects its run.
fn signal(child: Child, signal: &str) -> Run {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    Run::new(child.wait_with_output().expect("wait for parity"))
}

/// How many calls of `operation` (`ecs.CreateService` style: the JSON target's suffix) the fixture saw.
fn calls(fixture: &EcsFixture, operation: &str) -> u64 {
    let calls = fixture.calls();
    calls
        .as_object()
        .map(|all| {
            all.iter()
                .filter(|(key, _)| key.ends_with(&format!(".{operation}")) || *key == operation)
                .map(|(_, n)| n.as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

fn requests_of(fixture: &EcsFixture, operation: &str) -> Vec<Value> {
    fixture
        .requests()
        .into_iter()
        .filter(|r| r["operation"] == operation)
        .map(|r| r["body"].clone())
        .collect()
}

#[test]
fn sigint_while_the_release_task_runs_stops_it_and_the_rerun_succeeds() {
    let p = Pipeline::new();
    p.fixture.scenario(json!({"task_running": null}));
    let child = p.spawn(&["deploy", "staging", "--timeout", "120"]);
    wait_until("the release task started", || {
        !requests_of(&p.fixture, "RunTask").is_empty()
    });
    std::thread::sleep(Duration::from_millis(500));
    signal(child, "INT")
        .status(130)
        .stdout_empty()
        .stderr_says(
            "interrupted (Ctrl-C): stopped while the release task ran; no service was touched",
        )
        .stderr_says("was stopped (StopTask)")
        .stderr_says(
            "the staging deploy lock is released; to finish, run `parity deploy staging --timeout 120` (no --break-lock needed)",
        )
        .never_prints("s3cret-canary");
    let stops = requests_of(&p.fixture, "StopTask");
    assert_eq!(stops.len(), 1, "{stops:?}");
    let running = p.fixture.ecs(
        "ListTasks",
        json!({"cluster": "shop-staging", "desiredStatus": "RUNNING"}),
    );
    assert_eq!(
        running["taskArns"],
        json!([]),
        "no release task left running"
    );
    assert!(!p.lock_exists("staging"));
    assert_eq!(p.service("staging"), None, "no service was created");

    p.fixture.scenario(json!({"task_running": 1}));
    p.succeeds(&["deploy", "staging", "--timeout", "120"], "to staging");
}

#[test]
fn sigterm_in_the_rollout_wait_says_each_services_state_and_the_rerun_succeeds() {
    let p = Pipeline::new();
    p.fixture.scenario(json!({"rollout": "stuck"}));
    let child = p.spawn(&["deploy", "staging"]);
    wait_until("the service was created", || {
        calls(&p.fixture, "CreateService") >= 1
    });
    std::thread::sleep(Duration::from_millis(500));
    signal(child, "TERM")
        .status(130)
        .stdout_empty()
        .stderr_says("terminated (SIGTERM): stopped while waiting for the rollout")
        .stderr_says("shop-web: rollout under way (")
        .stderr_says("ECS carries on with it (or rolls it back): parity did not cancel it")
        .stderr_says("to finish, run `parity deploy staging`");
    assert!(!p.lock_exists("staging"));
    let deployments = p.service("staging").expect("the service exists")["deployments"].clone();
    assert_eq!(deployments[0]["rolloutState"], "IN_PROGRESS", "left to ECS");

    p.fixture
        .scenario(json!({"rollout": "complete", "steps": 1}));
    p.succeeds(&["deploy", "staging"], "to staging");
}

#[test]
fn promote_and_rollback_interrupted_in_the_rollout_wait_then_rerun_to_success() {
    let p = Pipeline::new();
    p.fixture
        .scenario(json!({"rollout": "complete", "steps": 1}));
    p.succeeds(&["deploy", "staging"], "to staging");
    p.change_code("v2");
    p.succeeds(&["deploy", "staging"], "to staging");

    p.fixture.scenario(json!({"rollout": "stuck"}));
    let before = calls(&p.fixture, "CreateService");
    let child = p.spawn(&["promote"]);
    wait_until("prod's service was created", || {
        calls(&p.fixture, "CreateService") > before
    });
    std::thread::sleep(Duration::from_millis(500));
    signal(child, "INT")
        .status(130)
        .stdout_empty()
        .stderr_says("interrupted (Ctrl-C): stopped while waiting for the rollout")
        .stderr_says("the prod deploy lock is released; to finish, run `parity promote`");
    assert!(!p.lock_exists("prod"));

    let before = calls(&p.fixture, "UpdateService");
    let child = p.spawn(&["rollback", "staging"]);
    wait_until("staging's service was moved back", || {
        calls(&p.fixture, "UpdateService") > before
    });
    std::thread::sleep(Duration::from_millis(500));
    signal(child, "TERM")
        .status(130)
        .stdout_empty()
        .stderr_says("terminated (SIGTERM): stopped while waiting for the rollout")
        .stderr_says("to finish, run `parity rollback staging --to 1`");
    assert!(!p.lock_exists("staging"));

    p.fixture
        .scenario(json!({"rollout": "complete", "steps": 1}));
    p.succeeds(&["promote"], "prod runs the identical digests staging runs");
    p.succeeds(&["rollback", "staging", "--to", "1"], "rolled back staging");
    let running = p.running_task_definition("staging").expect("staging");
    assert!(running.ends_with("-web:1"), "{running}");
}

#[test]
fn sigint_while_registering_stops_before_the_release_phase_and_the_rerun_succeeds() {
    let fixture = EcsFixture::start();
    let proxy = FaultProxy::start(
        &fixture.endpoint(),
        Policy::Hold("RegisterTaskDefinition", Duration::from_secs(2)),
    );
    let p = Pipeline::on(fixture, "", &proxy.endpoint());
    let child = p.spawn(&["deploy", "staging"]);
    wait_until("a registration is under way", || proxy.held() >= 1);
    signal(child, "INT")
        .status(130)
        .stdout_empty()
        .stderr_says("interrupted (Ctrl-C): stopped before the release phase; task definitions registered, no service touched");
    assert!(requests_of(&p.fixture, "RunTask").is_empty());
    assert!(!p.lock_exists("staging"));
    assert_eq!(p.service("staging"), None);
    p.succeeds(&["deploy", "staging"], "to staging");
}

/// SIGINT while the engine holds the `marker` request (`/build`, `/push`):
/// parity stops at once, nothing changed, no lock taken; the rerun succeeds.
fn interrupt_in_preflight(marker: &str) {
    let p = Pipeline::new();
    let engine = EngineProxy::start(marker, Trigger::Hold(Duration::from_secs(20)));
    let before = p.cloud_state();
    let mut cmd = p.test.command();
    cmd.args(["deploy", "staging"])
        .env("DOCKER_HOST", engine.docker_host())
        .env_remove("AWS_PROFILE")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (key, value) in p.fixture.aws_env() {
        cmd.env(key, value);
    }
    let child = cmd.spawn().expect("spawn parity");
    wait_until("the request reached the engine", || engine.triggered());
    let started = Instant::now();
    signal(child, "INT")
        .status(130)
        .stdout_empty()
        .stderr_says("interrupted (Ctrl-C): stopped before anything in the environment changed (checks, build, push)")
        .stderr_says("no deploy lock was taken; to start again, run `parity deploy staging`")
        .stderr_lacks("lock is released");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the {marker} was abandoned, not waited out"
    );
    assert_eq!(p.cloud_state(), before);
    p.succeeds(&["deploy", "staging"], "to staging");
}

#[test]
fn sigint_during_the_build_exits_before_anything_changed_and_takes_no_lock() {
    interrupt_in_preflight("/build");
}

#[test]
fn sigint_during_the_push_exits_before_anything_changed_and_takes_no_lock() {
    interrupt_in_preflight("/push");
}

#[test]
fn a_release_task_outlasting_the_timeout_is_stopped_and_the_lock_released() {
    let p = Pipeline::new();
    p.fixture.scenario(json!({"task_running": null}));
    p.fails(
        &["deploy", "staging", "--timeout", "3"],
        1,
        "did not stop within 3s",
    );
    let stops = requests_of(&p.fixture, "StopTask");
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert!(!p.lock_exists("staging"));
}

#[test]
fn sigint_while_the_change_set_is_made_deletes_it_unexecuted_and_the_rerun_succeeds() {
    let fixture = EcsFixture::shared();
    let proxy = FaultProxy::start(
        &fixture.endpoint(),
        Policy::Hold("CreateChangeSet", Duration::from_secs(2)),
    );
    let test = crate::faults::project("intenv", &proxy.endpoint(), fixture);
    let mut cmd = test.command();
    cmd.args(["env", "apply", "staging", "--yes"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("spawn parity");
    wait_until("the change set is being made", || proxy.held() >= 1);
    signal(child, "INT")
        .status(130)
        .stdout_empty()
        .stderr_says("interrupted (Ctrl-C): stopped before the change set was executed: it was deleted unexecuted")
        .stderr_says("the staging deploy lock is released; to finish, run `parity env apply staging --yes`");
    let stack = fixture.boto(
        "cloudformation",
        "describe_stacks",
        json!({"StackName": "parity-intenv-staging"}),
    );
    let left = stack
        .ok()
        .and_then(|out| out["Stacks"].get(0).cloned())
        .filter(|s| s["StackStatus"] != "DELETE_COMPLETE");
    assert_eq!(
        left, None,
        "the empty stack of the CREATE change set is gone too"
    );
    assert_eq!(
        fixture.ssm_status(
            "GetParameter",
            json!({"Name": "/parity-locks/intenv/staging"})
        ),
        400,
        "lock released"
    );
    test.args(["env", "apply", "staging", "--yes"])
        .run()
        .status(0)
        .stderr_contains("CREATE_COMPLETE")
        .stdout_contains("(create,");
}

#[test]
fn sigint_while_the_stack_executes_leaves_it_to_cloudformation_and_says_so() {
    let fixture = EcsFixture::shared();
    let name = "parity-intexec-staging";
    let test = crate::faults::project("intexec", &fixture.endpoint(), fixture);
    fixture.hold_stack(name, true);
    let mut cmd = test.command();
    cmd.args(["env", "apply", "staging", "--yes"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("spawn parity");
    let status = || {
        fixture
            .boto(
                "cloudformation",
                "describe_stacks",
                json!({"StackName": name}),
            )
            .ok()
            .and_then(|out| out["Stacks"][0]["StackStatus"].as_str().map(str::to_owned))
    };
    wait_until("the change set is executing", || {
        status().as_deref() == Some("CREATE_IN_PROGRESS")
    });
    std::thread::sleep(Duration::from_millis(500));
    signal(child, "INT")
        .status(130)
        .stdout_contains("(create,")
        .stderr_says(&format!("interrupted (Ctrl-C): stopped while following {name}"))
        .stderr_says(&format!(
            "{name} is CREATE_IN_PROGRESS: CloudFormation carries the operation through (or rolls it back); parity did not cancel it"
        ))
        .stderr_says("the staging deploy lock is released");
    assert_eq!(
        fixture.ssm_status(
            "GetParameter",
            json!({"Name": "/parity-locks/intexec/staging"})
        ),
        400,
        "lock released"
    );
    fixture.hold_stack(name, false);
    assert_eq!(
        status().as_deref(),
        Some("CREATE_COMPLETE"),
        "CloudFormation finished it"
    );
    test.args(["env", "apply", "staging", "--yes"])
        .run()
        .status(0)
        .stdout_contains("is up to date")
        .stderr_unchecked("progress");
}

/// parity on a real pseudo-terminal: util-linux `script` runs it on a pty
/// of its own and copies our writes to the pty's input, so a `\x03` written
/// here is a Ctrl-C typed at the keyboard (the line discipline turns it into
/// SIGINT for the foreground process group), and stdin is a terminal to
/// parity, which is what makes it ask.
struct Terminal {
    child: Child,
    input: std::process::ChildStdin,
    output: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    /// parity's pid (the shell `script` starts prints it, then execs parity).
    pid: u32,
}

impl Terminal {
    /// Starts parity with `args` as `test` would run it.
    fn start(test: &crate::support::Test, args: &[&str]) -> Self {
        let template = test.command();
        let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
        let mut line = format!("echo PID=$$; exec {}", quote(crate::support::parity_bin()));
        for arg in args {
            line.push(' ');
            line.push_str(&quote(arg));
        }
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(dir) = template.get_current_dir() {
            cmd.current_dir(dir);
        }
        for (key, value) in template.get_envs() {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        let mut child = cmd
            .spawn()
            .expect("util-linux `script` (Debian's bsdutils) runs");
        let input = child.stdin.take().expect("stdin");
        let mut stdout = child.stdout.take().expect("stdout");
        let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = output.clone();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buffer) {
                if n == 0 {
                    return;
                }
                sink.lock().expect("output").extend_from_slice(&buffer[..n]);
            }
        });
        let mut terminal = Self {
            child,
            input,
            output,
            pid: 0,
        };
        terminal.wait_for("PID=");
        let text = terminal.text();
        terminal.pid = text
            .split("PID=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|pid| pid.parse().ok())
            .expect("the shell's pid");
        terminal
    }

    /// Everything printed on the terminal so far.
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().expect("output")).into_owned()
    }

    #[track_caller]
    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !self.text().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "never printed `{needle}`:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Types `bytes` at the keyboard.
    fn type_keys(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.input.write_all(bytes).expect("type");
        self.input.flush().expect("flush");
    }

    /// The run, which must end within `within`; the test fails (and parity
    /// is killed) otherwise. The terminal carries both of parity's streams:
    /// they are the run's stderr.
    #[track_caller]
    fn ended(mut self, within: Duration) -> Run {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for script") {
                std::thread::sleep(Duration::from_millis(200));
                let output = std::process::Output {
                    status,
                    stdout: Vec::new(),
                    stderr: self.text().into_bytes(),
                };
                return Run::new(output).stdout_unchecked("the terminal carries both streams");
            }
            if Instant::now() > deadline {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &self.pid.to_string()])
                    .status();
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "still running {within:?} after the key or signal:\n{}",
                    self.text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The stack's change sets and resources, which an interrupted prompt must not change.
fn stack_state(fixture: &EcsFixture, stack: &str) -> (Value, Value) {
    let change_sets = fixture
        .boto(
            "cloudformation",
            "list_change_sets",
            json!({"StackName": stack}),
        )
        .expect("list_change_sets")["Summaries"]
        .clone();
    let resources = fixture
        .boto(
            "cloudformation",
            "describe_stack_resources",
            json!({"StackName": stack}),
        )
        .expect("describe_stack_resources")["StackResources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| json!([r["LogicalResourceId"], r["ResourceStatus"]]))
        .collect();
    (change_sets, resources)
}

#[test]
fn one_ctrl_c_or_sigterm_at_a_confirmation_prompt_exits_130_at_once_and_changes_nothing() {
    let fixture = EcsFixture::shared();
    let stack = "parity-intprompt-staging";
    let test = crate::faults::project("intprompt", &fixture.endpoint(), fixture)
        .file("admin/Dockerfile", "FROM scratch\n")
        .compose(
        "services:\n  web:\n    build: .\n    ports: [\"8000:8000\"]\n    x-parity:\n      secrets: [API_KEY]\n  admin:\n    build: ./admin\n",
    );
    test.command()
        .args(["env", "apply", "staging", "--yes"])
        .stdin(std::process::Stdio::null())
        .output()
        .map(Run::new)
        .expect("env apply")
        .status(0)
        .output_unchecked("the stack is created");
    // Without `admin` (an image of its own) the change set removes its
    // image repository: `env apply` asks for `yes`.
    let test = test.compose(
        "services:\n  web:\n    build: .\n    ports: [\"8000:8000\"]\n    x-parity:\n      secrets: [API_KEY]\n",
    );
    let before = stack_state(fixture, stack);
    let mut apply = Terminal::start(&test, &["env", "apply", "staging"]);
    apply.wait_for("Type `yes` to continue: ");
    apply.type_keys(b"\x03");
    apply
        .ended(Duration::from_secs(15))
        .status(130)
        .stderr_says("removed or replaced")
        .stderr_says("interrupted (Ctrl-C): stopped at the confirmation prompt: the change set was deleted unexecuted; nothing changed")
        .stderr_says("the staging deploy lock is released")
        .stderr_lacks("second signal: exiting now");
    assert_eq!(
        stack_state(fixture, stack),
        before,
        "no change set left, no resource touched"
    );
    let lock = json!({"Name": "/parity-locks/intprompt/staging"});
    assert_eq!(
        fixture.ssm_status("GetParameter", lock.clone()),
        400,
        "lock released"
    );

    // `env destroy` asks for the environment's name, before taking the lock.
    let destroy = Terminal::start(&test, &["env", "destroy", "staging"]);
    destroy.wait_for("Type `staging` to continue: ");
    signal_pid(destroy.pid, "TERM");
    destroy
        .ended(Duration::from_secs(15))
        .status(130)
        // The prompt and the preflight around it both stop; either may say so.
        .stderr_says("terminated (SIGTERM): stopped")
        .stderr_says("no deploy lock was taken")
        .stderr_lacks("lock is released")
        .stderr_lacks("second signal: exiting now");
    assert_eq!(
        stack_state(fixture, stack),
        before,
        "the stack is still there"
    );
    assert_eq!(
        fixture.ssm_status("GetParameter", lock),
        400,
        "no lock left"
    );
}

#[test]
fn ctrl_c_at_init_s_region_prompt_exits_130_at_once_and_writes_nothing() {
    let test = crate::support::Test::new()
        .compose("services:\n  web:\n    image: nginx\n")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env_remove("AWS_PROFILE");
    let mut init = Terminal::start(&test, &["init"]);
    init.wait_for("AWS region for staging and prod");
    init.type_keys(b"\x03");
    init.ended(Duration::from_secs(15))
        .status(130)
        .stderr_unchecked("killed by the signal, it says nothing");
    assert!(!test.dir().join("parity.toml").exists(), "nothing written");
}

/// Sends `signal` to a process by pid.
fn signal_pid(pid: u32, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
}

#[test]
fn sigint_part_way_through_a_secrets_sync_stops_between_writes_and_the_rerun_completes_it() {
    let fixture = EcsFixture::shared();
    // Every PutParameter waits: the lock's, then each secret's.
    let proxy = FaultProxy::start(
        &fixture.endpoint(),
        Policy::Hold("PutParameter", Duration::from_secs(2)),
    );
    let test = crate::faults::project("intsync", &proxy.endpoint(), fixture).file(
        ".env.staging",
        "API_KEY=s3cret-canary-v3\nSECOND=s3cret-canary-2\nTHIRD=s3cret-canary-3\n",
    );
    let mut cmd = test.command();
    cmd.args(["secrets", "sync", "staging"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("spawn parity");
    wait_until("the first secret is being written", || proxy.held() >= 2);
    signal(child, "INT")
        .status(130)
        .stdout_unchecked("what was written so far, if anything")
        .stderr_says("interrupted (Ctrl-C): stopped part-way through the writes")
        .never_prints("s3cret-canary");
    let stored = || {
        fixture.ssm(
            "GetParametersByPath",
            json!({"Path": "/intsync/staging", "Recursive": true}),
        )["Parameters"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0)
    };
    assert!(stored() < 3, "stopped before the last write");
    assert_eq!(
        fixture.ssm_status(
            "GetParameter",
            json!({"Name": "/parity-locks/intsync/staging"})
        ),
        400,
        "lock released"
    );
    test.args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote ")
        .stderr_unchecked("the names written")
        .never_prints("s3cret-canary");
    assert_eq!(stored(), 3, "the rerun wrote the rest");
}
