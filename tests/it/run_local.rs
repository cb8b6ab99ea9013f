//! `parity run` on the real Docker Engine, as `docker compose run --rm`: the
//! dependencies started as `up` starts them, a fresh one-off container with the
//! command and variables overridden, stdin attached (a TTY under a terminal),
//! the command's exit code as parity's, and nothing of the one-off left.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::exec::{follows_a_resize, parity};
use crate::support::docker::{Stack, demo_image, docker};
use crate::support::{Run, Test, parity_bin};

fn compose() -> String {
    format!(
        r#"
services:
  db:
    image: {image}
    command: ["db", "--port", "5432"]
    init: true
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "/app", "health", "tcp", "127.0.0.1:5432"]
      interval: 300ms
      timeout: 2s
      retries: 30
  tool:
    image: {image}
    command: ["exit", "0", "--say", "the service's own command"]
    environment:
      GREETING: from-compose
    depends_on:
      db: {{ condition: service_healthy }}
"#,
        image = demo_image()
    )
}

/// The project's containers by service label (one-offs included).
fn services(stack: &Stack) -> Vec<String> {
    stack.services_created()
}

#[test]
fn run_starts_the_dependencies_runs_the_command_and_leaves_nothing_of_the_oneoff() {
    let stack = Stack::new("run");
    let test = Test::new().compose(&compose());

    let first = parity(&test, &stack, &["run", "tool"], None)
        .status(0)
        .stderr_contains("✔ db");
    assert_eq!(
        first.stdout(),
        "the service's own command\n",
        "{}",
        first.stderr()
    );
    // db was started as `up` starts it, healthy, and stays; the one-off is gone.
    assert_eq!(services(&stack), ["db"], "{:?}", stack.containers());
    assert_eq!(stack.inspect("db")["State"]["Health"]["Status"], "healthy");

    let failing = parity(
        &test,
        &stack,
        &["run", "tool", "--", "exit", "3", "--say", "bye"],
        None,
    )
    .status(3)
    .stderr_contains("✔ db");
    assert_eq!(failing.stdout(), "bye\n", "{}", failing.stderr());

    let env = parity(
        &test,
        &stack,
        &[
            "run",
            "-e",
            "GREETING=overridden",
            "-e",
            "FROM_SHELL",
            "-e",
            "NEW=1",
            "tool",
            "--",
            "env",
            "GREETING",
            "FROM_SHELL",
            "NEW",
        ],
        None,
    )
    .status(0)
    .stderr_contains("✔ db");
    assert_eq!(
        env.stdout(),
        "GREETING=overridden\nFROM_SHELL=from-the-shell\nNEW=1\n",
        "{}",
        env.stderr()
    );

    let input = "first line\nsecond line\n";
    let cat = parity(&test, &stack, &["run", "tool", "--", "cat"], Some(input))
        .status(0)
        .stderr_contains("✔ db");
    assert_eq!(cat.stdout(), input, "{}", cat.stderr());
    // stdin is a pipe here, so no TTY was allocated.
    let tty = parity(&test, &stack, &["run", "tool", "--", "tty"], None)
        .status(0)
        .stderr_contains("✔ db");
    assert_eq!(
        tty.stdout(),
        "stdin is a terminal: false\n",
        "{}",
        tty.stderr()
    );

    assert_eq!(services(&stack), ["db"], "no one-off container is left");
}

/// `parity run --no-deps tool -- CMD` with a pseudo-terminal as its stdin (from
/// `script`, util-linux), as an interactive shell would run it.
fn under_terminal(test: &Test, stack: &Stack, command: &str) -> Run {
    let line = format!(
        "{} -p {} run --no-deps tool -- {command}",
        parity_bin(),
        stack.name()
    );
    let output = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(test.dir())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run script (util-linux)");
    Run::new(output)
}

#[test]
fn run_under_a_terminal_gets_a_tty_and_passes_the_exit_code_on() {
    let stack = Stack::new("run-tty");
    let test = Test::new().compose(&compose());
    let run = under_terminal(&test, &stack, "tty")
        .status(0)
        .stderr_empty();
    assert!(
        run.stdout().contains("stdin is a terminal: true"),
        "{}\n{}",
        run.stdout(),
        run.stderr()
    );
    let run = under_terminal(&test, &stack, "exit 5 --say bye")
        .status(5)
        .stderr_empty();
    assert!(
        run.stdout().contains("bye"),
        "{}\n{}",
        run.stdout(),
        run.stderr()
    );
    assert!(services(&stack).is_empty(), "{:?}", stack.containers());
}

#[test]
fn run_no_deps_starts_nothing_else_and_detach_removes_the_container_when_it_exits() {
    let stack = Stack::new("run-detach");
    let test = Test::new().compose(&compose());
    let run = parity(
        &test,
        &stack,
        &[
            "run",
            "--no-deps",
            "tool",
            "--",
            "exit",
            "0",
            "--say",
            "alone",
        ],
        None,
    )
    .status(0)
    // The project's network is created for it; nothing else starts.
    .stderr_contains("✔ network")
    .stderr_lacks("✔ db");
    assert_eq!(run.stdout(), "alone\n", "{}", run.stderr());
    assert!(
        services(&stack).is_empty(),
        "db was not started: {:?}",
        stack.containers()
    );

    let detached = parity(
        &test,
        &stack,
        &[
            "run",
            "-d",
            "--no-deps",
            "tool",
            "--",
            "exit",
            "0",
            "--after",
            "1500",
        ],
        None,
    )
    .status(0)
    .stderr_empty();
    let name = detached.stdout().trim().to_owned();
    assert!(
        name.starts_with(&format!("{}-tool-run-", stack.name())),
        "{name}\n{}",
        detached.stderr()
    );
    let labels = docker(&["inspect", "--format", "{{json .Config.Labels}}", &name]);
    assert!(
        labels.contains(r#""com.docker.compose.oneoff":"True""#),
        "{labels}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !docker(&["ps", "-aq", "--filter", &format!("name=^{name}$")])
        .trim()
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "{name} was not removed after it exited"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn run_bad_input_is_exit_2_and_creates_nothing() {
    let stack = Stack::new("run-bad");
    let test = Test::new().compose(&compose());
    let run = parity(&test, &stack, &["run", "-e", "=hunter2", "tool"], None)
        .status(2)
        .stdout_empty();
    assert!(
        run.stderr().contains("is not a variable name"),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains("hunter2"), "{}", run.stderr());
    let run = parity(&test, &stack, &["run", "nosuch"], None)
        .status(2)
        .stdout_empty();
    assert!(
        run.stderr().contains("no such service: `nosuch`"),
        "{}",
        run.stderr()
    );
    let run = parity(&test, &stack, &["run"], None)
        .status(2)
        .stdout_empty();
    assert!(run.stderr().contains("SERVICE"), "{}", run.stderr());
    assert!(stack.containers().is_empty(), "{:?}", stack.containers());
}

#[test]
fn run_under_a_terminal_follows_the_terminal_when_it_is_resized() {
    let stack = Stack::new("run-winch");
    let test = Test::new().compose(&compose());
    follows_a_resize(
        &test,
        "/containers/",
        &format!("-p {} run --no-deps tool -- cat", stack.name()),
    );
    assert!(services(&stack).is_empty(), "{:?}", stack.containers());
}
