//! `parity up --like ENV` on the real Docker Engine: the plan's task
//! definitions run as ECS would run them (one network namespace per task,
//! essential containers, container `dependsOn`, ECS health-check values, the
//! environment's variables and secrets), and what differs from `parity up`
//! shows. Each test has its own project; images are the demo's (FROM scratch).

use std::process::Stdio;

use crate::support::docker::{Stack, demo_image, docker};
use crate::support::{Run, Test};

/// An environment with nothing but what the plan needs offline.
const TOML: &str = r#"
app = "shop"

[environments.staging]
region = "eu-west-1"
account_id = "123456789012"

[environments.staging.variables]
GREETING = "from-staging"
"#;

#[track_caller]
fn parity(test: &Test, stack: &Stack, args: &[&str]) -> Run {
    let output = test
        .command()
        .args(["-p", stack.name()])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run parity");
    Run::new(output)
}

/// The last health-check output the engine recorded for a service's container.
fn health(stack: &Stack, service: &str) -> (String, String) {
    let state = &stack.inspect(service)["State"]["Health"];
    let log = state["Log"]
        .as_array()
        .and_then(|l| l.last())
        .map(|l| l["Output"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    (state["Status"].as_str().unwrap_or_default().to_owned(), log)
}

#[test]
fn a_sidecar_that_reaches_its_main_container_by_service_name_works_with_up_but_not_like_staging() {
    let stack = Stack::new("like-name");
    let compose = format!(
        r#"
services:
  api:
    image: {image}
    command: ["db", "--port", "5432"]
    init: true
    stop_grace_period: 1s
  probe:
    image: {image}
    command: ["sleep"]
    init: true
    stop_grace_period: 1s
    depends_on: [api]
    healthcheck:
      test: ["CMD", "/app", "health", "tcp", "api:5432"]
      interval: 1s
      timeout: 1s
      retries: 5
    x-parity: {{ sidecar_of: api }}
"#,
        image = demo_image()
    );
    let test = Test::new().compose(&compose).toml(TOML);
    // Compose: every service is on the project network under its name.
    parity(&test, &stack, &["up", "--wait"])
        .status(0)
        .stdout_contains("probe")
        .stderr_contains("probe     healthy");
    // `up --wait` returns on parity's own first passing check; the engine's
    // status turns healthy at its next interval (1 s here).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while health(&stack, "probe").0 != "healthy" && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(health(&stack, "probe").0, "healthy");
    parity(&test, &stack, &["down"])
        .status(0)
        .stderr_contains("removed")
        .stdout_unchecked("progress goes to stderr");
    // ECS: the sidecar shares api's task; nothing is called `api` without Service Connect.
    parity(&test, &stack, &["up", "--like", "staging", "--wait"])
        .status(0)
        .stderr_contains("non-essential container `probe` is unhealthy")
        .stdout_contains("unhealthy");
    let (status, log) = health(&stack, "probe");
    assert_eq!(status, "unhealthy", "{log}");
    assert!(log.contains("api:5432"), "{log}");
    // It is in api's network namespace (the task's holder), as awsvpc puts it.
    let holder = stack.inspect("api-task")["Id"].as_str().unwrap().to_owned();
    for service in ["api", "probe"] {
        assert_eq!(
            stack.inspect(service)["HostConfig"]["NetworkMode"],
            format!("container:{holder}"),
            "{service}"
        );
    }
    // The ECS health-check values: 1 s × 5 retries became ECS's 5 s minimum interval.
    let check = &stack.inspect("probe")["Config"]["Healthcheck"];
    assert_eq!(check["Interval"], 5_000_000_000_i64, "{check}");
}

#[test]
fn an_essential_container_that_exits_stops_its_task_after_a_success_dependency() {
    let stack = Stack::new("like-essential");
    let compose = format!(
        r#"
services:
  api:
    image: {image}
    command: ["exit", "3", "--after", "2000", "--say", "api done"]
    depends_on:
      init: {{ condition: service_completed_successfully }}
  init:
    image: {image}
    command: ["exit", "0", "--after", "700", "--say", "init done"]
    x-parity: {{ sidecar_of: api }}
  side:
    image: {image}
    command: ["sleep"]
    init: true
    stop_grace_period: 2s
    x-parity: {{ sidecar_of: api }}
"#,
        image = demo_image()
    );
    let test = Test::new().compose(&compose).toml(TOML);
    // Attached: parity returns once every task has stopped.
    let run = parity(&test, &stack, &["up", "--like", "staging"])
        .status(0)
        .stderr_contains("task stopped: essential container `api` exited with code 3")
        .stderr_contains("stopped its other containers: side");
    run.stdout_contains("init done").stdout_contains("api done");
    let events = stack.events();
    let t = |service: &str, action: &str| stack.first(&events, service, action);
    // dependsOn SUCCESS: api started only after init exited 0.
    assert!(t("init", "die") < t("api", "start"));
    // essential: side, still running, was stopped when api exited.
    assert!(t("side", "start") < t("api", "die"));
    assert!(t("api", "die") < t("side", "die"));
    assert_eq!(stack.inspect("init")["State"]["ExitCode"], 0);
    assert_eq!(stack.inspect("side")["State"]["Running"], false);
    // stopTimeout from stop_grace_period: 2 s.
    assert_eq!(stack.inspect("side")["Config"]["StopTimeout"], 2);
}

#[test]
fn an_essential_sidecar_that_exits_stops_its_whole_task() {
    let stack = Stack::new("like-essential-sidecar");
    let compose = format!(
        r#"
services:
  web:
    image: {image}
    command: ["sleep"]
    init: true
  proxy:
    image: {image}
    command: ["exit", "4", "--after", "1000", "--say", "proxy gone"]
    x-parity: {{ sidecar_of: web, essential: true }}
"#,
        image = demo_image()
    );
    let test = Test::new().compose(&compose).toml(TOML);
    // Attached: the sidecar's exit stops the task, so parity returns.
    let run = parity(&test, &stack, &["up", "--like", "staging"])
        .status(0)
        .stderr_contains("task stopped: essential container `proxy` exited with code 4")
        .stderr_contains("stopped its other containers: web");
    run.stdout_contains("proxy gone");
    let events = stack.events();
    let t = |service: &str, action: &str| stack.first(&events, service, action);
    // web, still running, was stopped because its essential sidecar exited.
    assert!(t("web", "start") < t("proxy", "die"));
    assert!(t("proxy", "die") < t("web", "die"));
    assert_eq!(stack.inspect("web")["State"]["Running"], false);
    assert_eq!(stack.inspect("proxy")["State"]["ExitCode"], 4);
}

#[test]
fn variables_secrets_and_localhost_hold_as_on_ecs_and_no_secret_is_printed() {
    let stack = Stack::new("like-vars");
    let canary = "CANARY-like-3f9a7c";
    let compose = format!(
        r#"
services:
  web:
    image: {image}
    command: ["web", "--port", "8080"]
    init: true
    stop_grace_period: 1s
    read_only: true
    user: "1234"
    environment:
      GREETING: from-compose
      API_KEY: local-value
      DB_ADDR: db:5432
    x-parity:
      secrets: [API_KEY]
  side:
    image: {image}
    command: ["sleep"]
    init: true
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "/app", "health", "http", "localhost:8080/health"]
      interval: 1s
      timeout: 1s
      retries: 3
    x-parity: {{ sidecar_of: web }}
  db:
    image: {image}
    command: ["db", "--port", "5432"]
    init: true
    stop_grace_period: 1s
    x-parity: {{ cloud: false }}
"#,
        image = demo_image()
    );
    let test = Test::new()
        .compose(&compose)
        .toml(TOML)
        .file(".env.staging", &format!("API_KEY={canary}\n"));
    let run = parity(
        &test,
        &stack,
        &["-vvv", "up", "--like", "staging", "--wait"],
    )
    .status(0)
    .never_prints(canary)
    // The plan's warning about a cloud variable naming a local-only service.
    .stderr_contains("variable DB_ADDR points at `db`")
    // What the plan leaves out is said, one line each.
    .stderr_contains("note: service `web`: logConfiguration:");
    run.stdout_contains("side");
    let web = stack.inspect("web");
    let env = web["Config"]["Env"].to_string();
    assert!(env.contains("GREETING=from-staging"), "{env}");
    assert!(env.contains(&format!("API_KEY={canary}")), "{env}");
    assert_eq!(web["HostConfig"]["ReadonlyRootfs"], true);
    assert_eq!(web["Config"]["User"], "1234");
    // The sidecar reaches web at localhost (shared network namespace).
    assert_eq!(health(&stack, "side").0, "healthy");
    // The local-only database still runs, under its compose name.
    assert!(
        stack.running().iter().any(|n| n.ends_with("-db-1")),
        "{:?}",
        stack.running()
    );
    // No secret in labels or `ps`.
    for container in stack.containers() {
        assert!(!container.to_string().contains(canary), "{container}");
    }
    parity(&test, &stack, &["ps"])
        .status(0)
        .never_prints(canary)
        .stdout_contains("web");
    parity(&test, &stack, &["logs", "web"])
        .status(0)
        .never_prints(canary)
        .stdout_unchecked("web logs only that it listens");
    // `down` removes the task containers, their holders and the network.
    parity(&test, &stack, &["down"])
        .status(0)
        .never_prints(canary)
        .stdout_unchecked("progress goes to stderr");
    assert!(stack.containers().is_empty(), "{:?}", stack.containers());
    let networks = docker(&[
        "network",
        "ls",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={}", stack.name()),
    ]);
    assert!(networks.trim().is_empty(), "{networks}");
}

#[test]
fn the_release_task_runs_first_against_the_local_database_and_its_failure_starts_nothing_else() {
    let stack = Stack::new("like-release");
    let compose = |migrate_env: &str| {
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
    x-parity: {{ cloud: false }}
  seed:
    image: {image}
    command: ["worker"]
    init: true
    stop_grace_period: 1s
    environment:
      DB_ADDR: db:5432
    depends_on:
      db: {{ condition: service_healthy }}
    x-parity: {{ cloud: false }}
  migrate:
    image: {image}
    command: ["migrate"]
    environment:
      DB_ADDR: db:5432{migrate_env}
    depends_on:
      db: {{ condition: service_healthy }}
    x-parity: {{ release: true }}
  web:
    image: {image}
    command: ["sleep"]
    init: true
    stop_grace_period: 1s
    depends_on:
      migrate: {{ condition: service_completed_successfully }}
"#,
            image = demo_image()
        )
    };
    let test = Test::new().compose(&compose("")).toml(TOML);
    parity(&test, &stack, &["up", "--like", "staging", "--wait"])
        .status(0)
        .stderr_contains("✔ migrate")
        .stderr_contains("completed (release)")
        .stdout_contains("web");
    let events = stack.events();
    let t = |service: &str, action: &str| stack.first(&events, service, action);
    assert!(t("db", "health_status: healthy") < t("migrate", "start"));
    // Local-only services keep their own order.
    assert!(t("db", "health_status: healthy") < t("seed", "start"));
    assert!(t("migrate", "die") < t("web", "start"));
    assert_eq!(stack.inspect("migrate")["State"]["ExitCode"], 0);
    // A failing release stops the run before any other task is created.
    let failing = Test::new()
        .compose(&compose("\n      MIGRATE_FAIL: the schema is locked"))
        .toml(TOML);
    parity(&failing, &stack, &["up", "--like", "staging", "--wait"])
        .status(1)
        .stderr_contains("release task `migrate` exited with code 1; no other task was started")
        .stderr_contains("the schema is locked")
        .stdout_unchecked("nothing is ready: no table");
    assert!(
        stack.container_id("web").is_none(),
        "{:?}",
        stack.services_created()
    );
}

#[test]
fn ctrl_c_stops_every_task_with_its_stop_timeout_and_exits_130() {
    use std::time::{Duration, Instant};

    let stack = Stack::new("like-sigint");
    let compose = format!(
        r#"
services:
  api:
    image: {image}
    command: ["db", "--port", "5432"]
    init: true
    stop_grace_period: 1s
  side:
    image: {image}
    command: ["worker"]
    init: true
    stop_grace_period: 1s
    environment:
      DB_ADDR: localhost:5432
    x-parity: {{ sidecar_of: api }}
"#,
        image = demo_image()
    );
    let test = Test::new().compose(&compose).toml(TOML);
    let child = test
        .command()
        .args(["-p", stack.name(), "up", "--like", "staging"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn parity up --like");
    // The holder and both containers run.
    let deadline = Instant::now() + Duration::from_secs(60);
    while stack.running().len() < 3 {
        assert!(Instant::now() < deadline, "the task never came up");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait for parity up --like");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stack.running().is_empty(),
        "still running: {:?}\n{stderr}",
        stack.running()
    );
    // Attached: both containers' logs, prefixed with their names.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("api  | db: listening on :5432"), "{stdout}");
    assert!(stdout.contains("side | worker: started"), "{stdout}");
}
