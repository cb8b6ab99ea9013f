//! `parity up`, `down`, `ps` against the real Docker Engine: dependency order
//! gated by health (asserted from the engine's own event timestamps), the
//! release service, failures that stop the run and say why, idempotency,
//! Ctrl-C, and an unreachable engine. Each test has its own project.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::docker::{Event, Stack, demo_context, demo_image, docker};
use crate::support::engine_proxy::{EngineProxy, Trigger};
use crate::support::http;
use crate::support::{Run, Test};

/// A fast health check of the demo binary (small intervals keep the tests quick).
fn health(kind: &str, target: &str, retries: u32) -> String {
    format!(
        r#"
    healthcheck:
      test: ["CMD", "/app", "health", "{kind}", "{target}"]
      interval: 300ms
      timeout: 2s
      retries: {retries}"#
    )
}

/// The example stack's shape: db (health) -> migrate (release) -> web (health, port) and worker,
/// plus `cache`, which depends on nothing. `image` is either `build: DIR` or `image: NAME`.
fn stack_yaml(image: &str, web_port: u16, migrate_env: &str, greeting: &str) -> String {
    let db_health = health("tcp", "127.0.0.1:5432", 30);
    let cache_health = health("tcp", "127.0.0.1:6379", 30);
    let web_health = health("http", "127.0.0.1:8080/health", 30);
    format!(
        r#"
services:
  db:
    {image}
    command: ["db", "--port", "5432"]
    init: true
    stop_grace_period: 2s{db_health}
  cache:
    {image}
    command: ["db", "--port", "6379"]
    init: true
    stop_grace_period: 2s{cache_health}
  migrate:
    {image}
    command: ["migrate"]
    environment:
      DB_ADDR: db:5432
{migrate_env}
    depends_on:
      db: {{ condition: service_healthy }}
    x-parity: {{ release: true }}
  web:
    {image}
    command: ["web", "--port", "8080"]
    init: true
    stop_grace_period: 2s
    environment:
      DB_ADDR: db:5432
      GREETING: "{greeting}"
    ports: ["127.0.0.1:{web_port}:8080"]{web_health}
    depends_on:
      db: {{ condition: service_healthy }}
      migrate: {{ condition: service_completed_successfully }}
  worker:
    {image}
    command: ["worker"]
    init: true
    stop_grace_period: 2s
    environment:
      DB_ADDR: db:5432
    depends_on:
      migrate: {{ condition: service_completed_successfully }}
"#
    )
}

/// The services whose container the engine started at least once.
fn started_services(stack: &Stack) -> Vec<String> {
    let mut started: Vec<String> = stack
        .events()
        .into_iter()
        .filter(|e| e.action == "start")
        .map(|e| e.service)
        .collect();
    started.sort();
    started.dedup();
    started
}

/// When `service`'s health-check command first exited 0 (an `exec_die` of a
/// `/app health` exec, whoever ran it), by the engine's clock.
fn first_passed_check(events: &[Event], service: &str) -> i128 {
    let mut checks = false;
    for event in events.iter().filter(|e| e.service == service) {
        if event.action.starts_with("exec_start: /app health") {
            checks = true;
        }
        if checks && event.action == "exec_die" && event.exit_code.as_deref() == Some("0") {
            return event.time_nano;
        }
    }
    panic!("no passed health check of `{service}` in {events:#?}")
}

fn image_line() -> String {
    format!("image: {}", demo_image())
}

/// Runs parity with `args` in the test's directory (so several runs share one compose file).
#[track_caller]
fn parity(test: &Test, args: &[&str]) -> Run {
    let output = test
        .command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run parity");
    Run::new(output)
}

#[track_caller]
fn up_wait(test: &Test, stack: &Stack) -> Run {
    parity(test, &["-p", stack.name(), "up", "--wait"])
}

/// A first `up --wait` that must bring the stack up: the summary table on
/// stdout, the release service's completion among the progress on stderr.
#[track_caller]
fn up_ready(test: &Test, stack: &Stack) -> Run {
    up_wait(test, stack)
        .status(0)
        .stdout_contains("migrate (release)   completed")
        .stderr_contains("✔ migrate   completed")
}

#[test]
fn up_starts_in_dependency_order_gated_by_health_with_the_release_first() {
    let stack = Stack::new("order");
    let port = http::free_port();
    let build = format!("build: {}", demo_context().display());
    // db and cache take 1.5 s to start listening: long enough that, had one waited for the
    // other to be healthy, the timestamps below would show it even on a loaded machine.
    let yaml = stack_yaml(&build, port, "", "hello from the test")
        .replace(
            r#"["db", "--port", "5432"]"#,
            r#"["db", "--port", "5432", "--ready-after", "1500"]"#,
        )
        .replace(
            r#"["db", "--port", "6379"]"#,
            r#"["db", "--port", "6379", "--ready-after", "1500"]"#,
        );
    let test = Test::new().compose(&yaml);
    let run = up_wait(&test, &stack)
        .status(0)
        .stderr_contains("✔ migrate   completed");
    // The summary table on stdout.
    let stdout = run.stdout();
    assert!(stdout.contains("SERVICE"), "{stdout}");
    assert!(stdout.contains("migrate (release)"), "{stdout}");
    assert!(
        stdout.contains(&format!("http://127.0.0.1:{port}")),
        "{stdout}"
    );

    let events = stack.events();
    let t = |service: &str, action: &str| stack.first(&events, service, action);
    // Healthy: the first time its health check passed (parity runs it while the
    // engine's status is `starting`; the engine's `health_status` comes later).
    let passed = |service: &str| first_passed_check(&events, service);
    // db healthy -> migrate runs to completion -> web and worker start.
    assert!(t("db", "start") < passed("db"));
    assert!(passed("db") < t("migrate", "start"));
    assert!(t("migrate", "die") < t("web", "start"));
    assert!(t("migrate", "die") < t("worker", "start"));
    assert!(t("web", "start") < passed("web"));
    // Independent services overlap: neither waited for the other to be healthy.
    assert!(t("cache", "start") < passed("db"));
    assert!(t("db", "start") < passed("cache"));
    // The release exited 0 and every long-running service is up.
    assert_eq!(stack.inspect("migrate")["State"]["ExitCode"], 0);
    let mut running = stack.running();
    running.sort();
    assert_eq!(running.len(), 4, "{running:?}");

    // The page is served on the published port and shows the migration's work.
    let page = http::request(&format!("127.0.0.1:{port}"), "GET", "/", &[], &[]);
    let body = String::from_utf8_lossy(&page.body);
    assert!(body.contains("hello from the test"), "{body}");
    assert!(body.contains("schema version: 3"), "{body}");

    // The containers carry Compose's labels, so other tools see a compose project.
    let labels = &stack.inspect("web")["Config"]["Labels"];
    assert_eq!(labels["com.docker.compose.project"], stack.name());
    assert_eq!(labels["com.docker.compose.service"], "web");
    assert_eq!(labels["com.docker.compose.container-number"], "1");
    assert_eq!(labels["com.docker.compose.oneoff"], "False");
    assert!(
        labels["com.docker.compose.config-hash"]
            .as_str()
            .is_some_and(|h| h.len() == 64)
    );
}

#[test]
fn second_up_without_changes_keeps_every_container_and_does_not_rerun_the_release() {
    let stack = Stack::new("noop");
    let test = Test::new().compose(&stack_yaml(&image_line(), http::free_port(), "", "hi"));
    up_ready(&test, &stack);
    let services = ["cache", "db", "migrate", "web", "worker"];
    let before: Vec<Option<String>> = services.iter().map(|s| stack.container_id(s)).collect();
    let migrate_started = stack.inspect("migrate")["State"]["StartedAt"].clone();

    let started = Instant::now();
    let run = up_wait(&test, &stack)
        .status(0)
        .stdout_contains("migrate (release)   completed");
    let elapsed = started.elapsed();
    let after: Vec<Option<String>> = services.iter().map(|s| stack.container_id(s)).collect();
    assert_eq!(
        before,
        after,
        "a no-op up recreated something\n{}",
        run.stderr()
    );
    assert_eq!(
        stack.inspect("migrate")["State"]["StartedAt"],
        migrate_started,
        "the release service ran again"
    );
    assert!(run.stderr().contains("up to date"), "{}", run.stderr());
    assert!(
        elapsed < Duration::from_secs(5),
        "no-op up took {elapsed:?}"
    );

    // ps sees the project; down removes it.
    let ps = parity(&test, &["-p", stack.name(), "ps", "--format", "json"])
        .status(0)
        .stderr_empty();
    let list = ps.json();
    assert_eq!(list.as_array().map(Vec::len), Some(5), "{list}");
    // logs shows a service's output, prefixed with its name.
    parity(&test, &["-p", stack.name(), "logs", "migrate"])
        .status(0)
        .stdout_contains("migrate | migrate: schema is at version 3")
        .stderr_empty();
    parity(&test, &["-p", stack.name(), "down"])
        .status(0)
        .stdout_empty()
        .stderr_contains("removed");
    assert!(stack.containers().is_empty(), "down left containers behind");
}

#[test]
fn changed_service_is_recreated_and_the_others_kept() {
    let stack = Stack::new("changed");
    let port = http::free_port();
    let test = Test::new().compose(&stack_yaml(&image_line(), port, "", "before"));
    up_ready(&test, &stack);
    let db = stack.container_id("db");
    let migrate = stack.container_id("migrate");
    let web = stack.container_id("web");

    std::fs::write(
        test.dir().join("compose.yaml"),
        stack_yaml(&image_line(), port, "", "after"),
    )
    .expect("rewrite compose file");
    up_wait(&test, &stack)
        .status(0)
        .stdout_contains("web ")
        .stderr_contains("recreated");
    assert_ne!(stack.container_id("web"), web, "web changed but was kept");
    assert_eq!(stack.container_id("db"), db);
    assert_eq!(stack.container_id("migrate"), migrate);
    let page = http::request(&format!("127.0.0.1:{port}"), "GET", "/", &[], &[]);
    assert!(String::from_utf8_lossy(&page.body).contains("after"));
}

#[test]
fn failing_migration_stops_up_before_any_dependant_is_created() {
    let stack = Stack::new("migfail");
    let yaml = stack_yaml(
        &image_line(),
        http::free_port(),
        "      MIGRATE_FAIL: column users.email already exists",
        "hi",
    );
    let run = up_wait(&Test::new().compose(&yaml), &stack)
        .status(1)
        .stdout_empty();
    let stderr = run.stderr();
    assert!(stderr.contains("release service `migrate`"), "{stderr}");
    // The migration's own output is shown.
    assert!(
        stderr.contains("column users.email already exists"),
        "{stderr}"
    );
    // Created up front (as Compose does), never started.
    let started = started_services(&stack);
    assert!(
        !started.contains(&"web".to_string()),
        "web was started: {started:?}"
    );
    assert!(
        !started.contains(&"worker".to_string()),
        "worker was started: {started:?}"
    );
}

#[test]
fn dependency_that_never_turns_healthy_fails_with_its_health_output() {
    let stack = Stack::new("unhealthy");
    let yaml = format!(
        r#"
services:
  db:
    image: {image}
    command: ["db", "--port", "5432"]
    init: true
    stop_grace_period: 1s{health}
  web:
    image: {image}
    command: ["web"]
    depends_on:
      db: {{ condition: service_healthy }}
"#,
        image = demo_image(),
        health = health("tcp", "127.0.0.1:1", 2)
    );
    let run = up_wait(&Test::new().compose(&yaml), &stack)
        .status(1)
        .stdout_empty();
    let stderr = run.stderr();
    assert!(stderr.contains("`db` is unhealthy"), "{stderr}");
    assert!(stderr.contains("last health check"), "{stderr}");
    // The health check's own words, and the service's last log lines.
    assert!(stderr.contains("unhealthy: 127.0.0.1:1"), "{stderr}");
    assert!(stderr.contains("db: listening on :5432"), "{stderr}");
    assert_eq!(started_services(&stack), ["db"]);
}

#[test]
fn dependency_that_exits_early_fails_the_up_at_once() {
    let stack = Stack::new("early");
    let yaml = format!(
        r#"
services:
  db:
    image: {image}
    command: ["exit", "3", "--after", "200", "--say", "db: out of disk"]{health}
  web:
    image: {image}
    command: ["web"]
    depends_on:
      db: {{ condition: service_healthy }}
"#,
        image = demo_image(),
        health = health("tcp", "127.0.0.1:5432", 100)
    );
    let started = Instant::now();
    let run = up_wait(&Test::new().compose(&yaml), &stack)
        .status(1)
        .stdout_empty();
    let stderr = run.stderr();
    assert!(
        stderr.contains("exited with code 3 before it was healthy"),
        "{stderr}"
    );
    assert!(stderr.contains("db: out of disk"), "{stderr}");
    // 100 retries at 300ms would be 30s: the exit was noticed, not waited out.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(started_services(&stack), ["db"]);
}

#[test]
fn optional_dependency_that_fails_does_not_stop_its_dependant() {
    let stack = Stack::new("optional");
    let yaml = format!(
        r#"
services:
  flaky:
    image: {image}
    command: ["exit", "3", "--say", "flaky: no luck"]
  web:
    image: {image}
    command: ["web"]
    init: true
    stop_grace_period: 1s
    depends_on:
      flaky: {{ condition: service_completed_successfully, required: false }}
"#,
        image = demo_image()
    );
    let test = Test::new().compose(&yaml);
    let run = parity(&test, &["-p", stack.name(), "up", "--wait", "web"])
        .status(0)
        .stdout_contains("web ");
    assert!(
        run.stderr().contains("optional dependency `flaky`"),
        "{}",
        run.stderr()
    );
    assert_eq!(stack.running(), [format!("{}-web-1", stack.name())]);
}

#[test]
fn service_healthy_on_a_service_without_healthcheck_is_an_error_before_anything_starts() {
    let stack = Stack::new("nocheck");
    let yaml = format!(
        r#"
services:
  db:
    image: {image}
    command: ["db"]
  web:
    image: {image}
    command: ["web"]
    depends_on:
      db: {{ condition: service_healthy }}
"#,
        image = demo_image()
    );
    let run = up_wait(&Test::new().compose(&yaml), &stack)
        .status(2)
        .stdout_empty();
    let stderr = run.stderr();
    assert!(stderr.contains("but `db` has no"), "{stderr}");
    assert!(stderr.contains("in its image"), "{stderr}");
    assert!(stack.containers().is_empty(), "something was created");
}

#[test]
fn published_port_already_taken_names_the_port() {
    let stack = Stack::new("port");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let yaml = format!(
        r#"
services:
  web:
    image: {image}
    command: ["web"]
    ports: ["127.0.0.1:{port}:8080"]
"#,
        image = demo_image()
    );
    let run = up_wait(&Test::new().compose(&yaml), &stack)
        .status(1)
        .stdout_empty();
    assert!(
        run.stderr()
            .contains(&format!("host port {port} is already in use")),
        "{}",
        run.stderr()
    );
}

#[test]
fn ctrl_c_stops_every_container_and_exits_130() {
    let stack = Stack::new("sigint");
    let test = Test::new().compose(&stack_yaml(&image_line(), http::free_port(), "", "hi"));
    let mut cmd = test.command();
    cmd.args(["-p", stack.name(), "up"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn parity up");
    // Wait until the stack is up: four running containers (migrate has completed).
    let deadline = Instant::now() + Duration::from_secs(60);
    while stack.running().len() < 4
        || stack.inspect("web")["State"]["Health"]["Status"] != "healthy"
    {
        assert!(Instant::now() < deadline, "the stack never came up");
        std::thread::sleep(Duration::from_millis(200));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait for parity up");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stack.running().is_empty(),
        "still running: {:?}\n{stderr}",
        stack.running()
    );
    // Attached mode showed the services' logs, prefixed with their names.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("migrate | migrate: schema is at version 3"),
        "{stdout}"
    );
}

#[test]
fn unreachable_engine_is_a_clear_error() {
    let yaml = "services:\n  web:\n    image: anything\n";
    let run = Test::new()
        .compose(yaml)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args(["up", "--wait"])
        .run()
        .status(1)
        .stdout_empty();
    let stderr = run.stderr();
    assert!(
        stderr.contains("cannot reach the Docker Engine at unix:///nonexistent/docker.sock"),
        "{stderr}"
    );
    assert!(stderr.contains("DOCKER_HOST"), "{stderr}");
}

#[test]
fn wait_timeout_names_what_was_not_ready() {
    let stack = Stack::new("timeout");
    let yaml = format!(
        r#"
services:
  db:
    image: {image}
    command: ["db", "--port", "5432"]
    init: true
    stop_grace_period: 1s{health}
"#,
        image = demo_image(),
        health = health("tcp", "127.0.0.1:1", 1000)
    );
    let test = Test::new().compose(&yaml);
    let run = parity(
        &test,
        &["-p", stack.name(), "up", "--wait", "--wait-timeout", "2"],
    )
    .status(1)
    .stdout_empty();
    // The state in parentheses is whatever the engine reached in 2 s: `running`
    // on an idle machine, `created` on one loaded enough to start it late.
    let stderr = run.stderr();
    assert!(
        stderr.contains("not ready after 2s: db (running)")
            || stderr.contains("not ready after 2s: db (created)"),
        "{stderr}"
    );
}

#[test]
fn image_build_failure_shows_the_build_output() {
    let stack = Stack::new("buildfail");
    let test = Test::new()
        .file("app/Dockerfile", "FROM scratch\nCOPY no-such-file /app\n")
        .compose("services:\n  web:\n    build: ./app\n");
    let run = up_wait(&test, &stack).status(1).stdout_empty();
    let stderr = run.stderr();
    assert!(
        stderr.contains("building the image for `web` failed"),
        "{stderr}"
    );
    assert!(stderr.contains("COPY no-such-file /app"), "{stderr}");
    assert!(stack.containers().is_empty());
}

#[test]
fn container_name_taken_outside_the_project_is_a_clear_error() {
    let stack = Stack::new("conflict");
    let name = format!("{}-web-1", stack.name());
    let stranger =
        crate::support::docker::docker(&["create", "--name", &name, demo_image(), "sleep"]);
    let yaml = format!(
        "services:\n  web:\n    image: {}\n    command: [\"web\"]\n",
        demo_image()
    );
    let run = up_wait(&Test::new().compose(&yaml), &stack);
    let _ = Command::new("docker")
        .args(["rm", "-f", stranger.trim()])
        .output();
    let run = run.status(1).stdout_empty();
    assert!(
        run.stderr().contains(&format!(
            "`{name}` already exists and is not part of project"
        )),
        "{}",
        run.stderr()
    );
}

#[test]
fn second_ctrl_c_kills_what_a_graceful_stop_would_wait_for() {
    let stack = Stack::new("kill");
    // PID 1 without `init` ignores SIGTERM: a graceful stop would wait the whole 60 s.
    let yaml = format!(
        "services:\n  stubborn:\n    image: {}\n    command: [\"sleep\"]\n    stop_grace_period: 60s\n",
        demo_image()
    );
    let test = Test::new().compose(&yaml);
    let mut cmd = test.command();
    cmd.args(["-p", stack.name(), "up"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn parity up");
    let deadline = Instant::now() + Duration::from_secs(60);
    while stack.running().is_empty() {
        assert!(Instant::now() < deadline, "the service never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Give parity a moment to attach, then Ctrl-C twice.
    std::thread::sleep(Duration::from_millis(500));
    let interrupt = || {
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill -INT")
    };
    interrupt();
    std::thread::sleep(Duration::from_millis(1000));
    let started = Instant::now();
    interrupt();
    let output = child.wait_with_output().expect("wait for parity up");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(stderr.contains("killing"), "{stderr}");
    assert!(
        stack.running().is_empty(),
        "still running: {:?}",
        stack.running()
    );
}

/// Readiness sooner than the engine's health interval, with Compose's rule
/// kept: the dependant starts only after the dependency's health check has
/// passed (its own command, run by parity while the engine still says
/// `starting`), never before; the engine's status catches up later.
#[test]
fn dependant_starts_once_the_dependency_check_passes_not_at_the_engines_interval() {
    let stack = Stack::new("probe");
    // A 30 s interval: the engine itself would first check db 30 s after its start.
    let yaml = format!(
        r#"
services:
  db:
    image: {image}
    command: ["db", "--port", "5432", "--ready-after", "800"]
    init: true
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "/app", "health", "tcp", "127.0.0.1:5432"]
      interval: 30s
      timeout: 2s
      retries: 3
  web:
    image: {image}
    command: ["web", "--port", "8080"]
    init: true
    stop_grace_period: 1s
    depends_on:
      db: {{ condition: service_healthy }}
"#,
        image = demo_image()
    );
    let run = up_wait(&Test::new().compose(&yaml), &stack).status(0);
    let stdout = run.stdout();
    let db_row: Vec<&str> = stdout
        .lines()
        .find(|l| l.starts_with("db "))
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    assert_eq!(
        db_row.get(1..3),
        Some(&["running", "healthy"][..]),
        "{stdout}"
    );
    let stderr = run.stderr();
    assert!(stderr.contains("✔ db        healthy"), "{stderr}");

    let events = stack.events();
    let t = |service: &str, action: &str| stack.first(&events, service, action);
    // The check failed while db was not listening yet (800 ms), then passed; web started after.
    let failed_first = events.iter().any(|e| {
        e.service == "db" && e.action == "exec_die" && e.exit_code.as_deref() == Some("1")
    });
    assert!(
        failed_first,
        "no failed check before db listened: {events:#?}"
    );
    assert!(t("db", "start") < first_passed_check(&events, "db"));
    assert!(first_passed_check(&events, "db") < t("web", "start"));
    // The engine has not run its own first check yet: its status is still `starting`.
    assert!(
        !events
            .iter()
            .any(|e| e.service == "db" && e.action.starts_with("health_status")),
        "{events:#?}"
    );
    assert_eq!(stack.inspect("db")["State"]["Health"]["Status"], "starting");
}

/// The no-op `up` that hung: a one-shot service (not a release) that another
/// waits on with `service_completed_successfully` is listed as running, then
/// exits before parity follows its container in the events stream. Here the
/// engine holds parity's network inspection (after its container list, before
/// its first start) while the one-shot, started again by hand, exits. parity
/// must see that exit; the test bounds the run and never waits out a hang.
#[test]
fn no_op_up_sees_a_listed_one_shot_exit_before_it_follows_the_events() {
    let stack = Stack::new("oneshot");
    let yaml = format!(
        r#"
services:
  setup:
    image: {image}
    command: ["exit", "0", "--after", "3000", "--say", "set up"]
  app:
    image: {image}
    command: ["sleep"]
    init: true
    stop_grace_period: 1s
    depends_on:
      setup: {{ condition: service_completed_successfully }}
"#,
        image = demo_image()
    );
    let test = Test::new().compose(&yaml);
    up_wait(&test, &stack)
        .status(0)
        .stdout_contains("completed")
        .stderr_unchecked("the first up only sets the stage");
    let app = stack.container_id("app");
    // Running again for 3 s: the no-op up lists it as running.
    docker(&[
        "start",
        &stack.container_id("setup").expect("setup's container"),
    ]);
    let started_by_hand = stack.inspect("setup")["State"]["StartedAt"].clone();
    let engine = EngineProxy::start("/networks/", Trigger::Hold(Duration::from_secs(6)));
    let mut child = test
        .command()
        .args(["-p", stack.name(), "up", "--wait"])
        .env("DOCKER_HOST", engine.docker_host())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn parity");
    let deadline = Instant::now() + Duration::from_secs(40);
    while child.try_wait().expect("wait for parity").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("parity's output");
            panic!(
                "the no-op up hung (killed after 40 s) waiting for the one-shot that had exited:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let run = Run::new(child.wait_with_output().expect("parity's output")).status(0);
    assert!(engine.triggered(), "the network inspection was never held");
    let setup_row = run
        .stdout()
        .lines()
        .find(|l| l.starts_with("setup "))
        .map(str::to_string);
    assert!(
        setup_row
            .as_deref()
            .is_some_and(|row| row.contains("completed")),
        "{setup_row:?}"
    );
    let stderr = run.stderr();
    assert!(
        stderr.contains("setup") && stderr.contains("up to date"),
        "setup was not listed as running (the machine took over 3 s to list it?):\n{stderr}"
    );
    // Nobody ran it a third time (the engine's event buffer is too short on
    // a busy engine to count starts); it completed; app was kept.
    let setup = stack.inspect("setup");
    assert_eq!(setup["State"]["StartedAt"], started_by_hand, "{stderr}");
    assert_eq!(setup["State"]["ExitCode"], 0);
    assert_eq!(stack.container_id("app"), app);
}
