//! The daily verbs in the cloud — `logs --env`, `ps --env`, `run --env` —
//! against moto behind the ECS rollout fixture (tasks that run and stop
//! with an exit code, StopTask, log events in the task's awslogs stream),
//! and local `logs --since/--grep` against the real Docker Engine.
//!
//! The environment is deployed by hand through the ECS API with exactly
//! the requests `parity plan --format json` prints (so the log stream
//! prefix is the one parity's task definitions name), which keeps these
//! tests free of image builds.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::support::Run;
use crate::support::Test;
use crate::support::docker::{Stack, demo_image, docker};
use crate::support::ecs_fixture::EcsFixture;

use crate::support::ACCOUNT;
const DIGEST: &str = "sha256:4f5e6d7c8b9a0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796";
const GROUP: &str = "/shop/staging";
/// Task ids as ECS makes them (32 hex digits).
const TASK_A: &str = "aaaa1111aaaa1111aaaa1111aaaa1111";
const TASK_B: &str = "bbbb2222bbbb2222bbbb2222bbbb2222";
const TASK_C: &str = "cccc3333cccc3333cccc3333cccc3333";

/// A project with a `staging` environment on the fixture.
struct Cloud {
    fixture: EcsFixture,
    test: Test,
    subnet: String,
    group: String,
}

impl Cloud {
    fn new() -> Self {
        let fixture = EcsFixture::start();
        let (subnets, groups) = fixture.network();
        let toml = format!(
            r#"app = "shop"
[environments.staging]
region = "eu-west-1"
account_id = "{ACCOUNT}"
endpoint = "{endpoint}"
cluster = "shop-staging"
subnets = ["{subnet}"]
security_groups = ["{group}"]
execution_role_arn = "arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
"#,
            endpoint = fixture.endpoint(),
            subnet = subnets[0],
            group = groups[0],
        );
        let compose = format!(
            r#"
services:
  web:
    image: 127.0.0.1:5000/shop@{DIGEST}
    command: ["/app", "serve"]
  worker:
    image: 127.0.0.1:5000/shop@{DIGEST}
    command: ["/app", "work"]
"#
        );
        let test = Test::new().compose(&compose).toml(&toml);
        Self {
            fixture,
            test,
            subnet: subnets[0].clone(),
            group: groups[0].clone(),
        }
    }

    fn parity(&self, args: &[&str]) -> Run {
        let output = self
            .spawn(args)
            .wait_with_output()
            .expect("wait for parity");
        Run::new(output)
    }

    fn spawn(&self, args: &[&str]) -> Child {
        let mut cmd = self.test.command();
        cmd.args(args)
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in self.fixture.aws_env() {
            cmd.env(key, value);
        }
        cmd.spawn().expect("spawn parity")
    }

    /// What `parity plan staging --format json --offline` asks ECS for.
    fn plan(&self) -> Value {
        let run = self
            .parity(&["plan", "staging", "--format", "json", "--offline"])
            .status(0);
        quiet(&run);
        run.json()
    }

    /// Cluster, web's task definition registered twice (revisions 1 and 2)
    /// and the service on revision 1, as a deploy followed by a registered
    /// but never rolled-out revision leaves them. Returns both ARNs.
    fn deploy_by_hand(&self) -> (String, String) {
        let plan = self.plan();
        self.fixture
            .ecs("CreateCluster", json!({"clusterName": "shop-staging"}));
        let web = plan["taskDefinitions"]
            .as_array()
            .expect("task definitions")
            .iter()
            .find(|t| t["family"] == "shop-staging-web")
            .expect("web's task definition")
            .clone();
        assert_eq!(
            web["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-stream-prefix"],
            "web",
            "parity's task definitions name the container as the stream prefix"
        );
        let register = |td: &Value| {
            self.fixture.ecs("RegisterTaskDefinition", td.clone())["taskDefinition"]
                ["taskDefinitionArn"]
                .as_str()
                .expect("arn")
                .to_owned()
        };
        let first = register(&web);
        let service = plan["services"]
            .as_array()
            .expect("services")
            .iter()
            .find(|s| s["serviceName"] == "shop-web")
            .expect("web's service")
            .clone();
        let mut service = service;
        service["taskDefinition"] = json!(first);
        self.fixture.ecs("CreateService", service);
        let second = register(&web);
        assert!(second.ends_with(":2"), "{second}");
        (first, second)
    }

    /// Writes events `(timestamp ms, message)` to a stream of the group.
    fn put_events(&self, stream: &str, events: &[(i64, String)]) {
        let _ = self
            .fixture
            .logs_status("CreateLogGroup", json!({"logGroupName": GROUP}));
        let _ = self.fixture.logs_status(
            "CreateLogStream",
            json!({"logGroupName": GROUP, "logStreamName": stream}),
        );
        for chunk in events.chunks(1000) {
            let batch: Vec<Value> = chunk
                .iter()
                .map(|(ts, message)| json!({"timestamp": ts, "message": message}))
                .collect();
            self.fixture.logs(
                "PutLogEvents",
                json!({"logGroupName": GROUP, "logStreamName": stream, "logEvents": batch}),
            );
        }
    }

    /// The ECS requests, of one operation.
    fn requests(&self, operation: &str) -> Vec<Value> {
        self.fixture
            .requests()
            .into_iter()
            .filter(|r| r["operation"] == operation)
            .map(|r| r["body"].clone())
            .collect()
    }

    fn calls(&self, operation: &str) -> u64 {
        self.fixture.calls()[operation].as_u64().unwrap_or(0)
    }
}

/// Asserts a run printed nothing on stderr (no warning, no progress).
fn quiet(run: &Run) {
    assert_eq!(run.stderr(), "", "unexpected stderr");
}

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_millis(),
    )
    .expect("ms fit")
}

/// The message part of a `service task | message` line.
fn message(line: &str) -> &str {
    line.split_once(" | ").map_or(line, |(_, m)| m)
}

/// Collects a child's stdout lines as they come.
fn collect_lines(child: &mut Child) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stdout = child.stdout.take().expect("stdout");
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().expect("lines").push(line);
        }
    });
    lines
}

/// Waits (at most `limit`) until `done` holds.
fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn interrupt(child: &Child) {
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(sent.success());
}

/// The stderr and status of a finished child whose stdout was taken.
fn finish(child: Child) -> Run {
    Run::new(child.wait_with_output().expect("wait for parity"))
}

#[test]
fn logs_env_shows_events_of_several_streams_across_pages_in_timestamp_order_once() {
    let c = Cloud::new();
    // Three streams of 3 500 events each: more than one FilterLogEvents page
    // (10 000 events), and the pages come stream by stream, not in time order.
    let base = now_ms() - 5 * 60 * 1000;
    let streams = [
        format!("web/web/{TASK_A}"),
        format!("web/web/{TASK_B}"),
        format!("worker/worker/{TASK_C}"),
    ];
    for (k, stream) in streams.iter().enumerate() {
        let k = i64::try_from(k).expect("k");
        let events: Vec<(i64, String)> = (0..3500)
            .map(|i| {
                let ts = base + i * 3 + k;
                (ts, format!("{ts} s{k} n{i}"))
            })
            .collect();
        c.put_events(stream, &events);
    }
    let run = c.parity(&["logs", "--env", "staging"]).status(0);
    quiet(&run);
    let stdout = run.stdout();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 10_500, "{}", run.stderr());
    let stamps: Vec<i64> = lines
        .iter()
        .map(|l| {
            message(l)
                .split(' ')
                .next()
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(|| panic!("line {l:?}"))
        })
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]),
        "not in timestamp order"
    );
    assert!(lines[0].starts_with("web    aaaa1111 | "), "{}", lines[0]);
    assert!(
        lines.iter().any(|l| l.starts_with("worker cccc3333 | ")),
        "worker lines are prefixed with worker and the short task id"
    );
    assert!(
        c.calls("Logs_20140328.FilterLogEvents") >= 2,
        "one read of several pages: {}",
        c.fixture.calls()
    );
}

#[test]
fn logs_env_since_grep_services_tail_and_json_filter_the_lines() {
    let c = Cloud::new();
    let now = now_ms();
    c.put_events(
        &format!("web/web/{TASK_A}"),
        &[
            (now - 30 * 60_000, "boot from half an hour ago".into()),
            (now - 5 * 60_000, "GET /health 200".into()),
            (now - 3 * 60_000, "POST /orders 500".into()),
        ],
    );
    c.put_events(
        &format!("worker/worker/{TASK_C}"),
        &[(now - 2 * 60_000, "job 7 done".into())],
    );
    let messages = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["logs", "--env", "staging"];
        all.extend_from_slice(args);
        let run = c.parity(&all).status(0);
        quiet(&run);
        run.stdout()
            .lines()
            .map(|l| message(l).to_owned())
            .collect()
    };
    // Default: the last 10 minutes.
    assert_eq!(
        messages(&[]),
        ["GET /health 200", "POST /orders 500", "job 7 done"]
    );
    assert_eq!(
        messages(&["--since", "1h"])[0],
        "boot from half an hour ago"
    );
    assert_eq!(messages(&["--grep", "500"]), ["POST /orders 500"]);
    assert_eq!(messages(&["worker"]), ["job 7 done"]);
    assert_eq!(messages(&["--tail", "1", "web"]), ["POST /orders 500"]);
    assert_eq!(messages(&["--task", "cccc"]), ["job 7 done"]);
    let json = c
        .parity(&[
            "logs", "--env", "staging", "--format", "json", "--grep", "job",
        ])
        .status(0);
    quiet(&json);
    let object: Value = serde_json::from_str(json.stdout().trim()).expect("one JSON line");
    assert_eq!(object["service"], "worker");
    assert_eq!(object["task"], TASK_C);
    assert_eq!(object["message"], "job 7 done");
    assert!(
        object["timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
}

#[test]
fn logs_env_follow_picks_up_later_events_once_and_ctrl_c_exits_130() {
    let c = Cloud::new();
    let stream = format!("web/web/{TASK_A}");
    c.put_events(&stream, &[(now_ms() - 1000, "before follow".into())]);
    let mut child = c.spawn(&["logs", "--env", "staging", "--follow", "web"]);
    let lines = collect_lines(&mut child);
    let has = |text: &str| {
        lines
            .lock()
            .expect("lines")
            .iter()
            .any(|l| l.ends_with(text))
    };
    wait_until("the first event", Duration::from_secs(30), || {
        has("before follow")
    });
    c.put_events(&stream, &[(now_ms(), "written while following".into())]);
    c.put_events(
        &format!("worker/worker/{TASK_C}"),
        &[(now_ms(), "worker is not selected".into())],
    );
    wait_until("the later event", Duration::from_secs(30), || {
        has("written while following")
    });
    // Several more reads happen before the interrupt (each re-reads the overlap).
    let reads = c.calls("Logs_20140328.FilterLogEvents");
    wait_until("two more reads", Duration::from_secs(30), || {
        c.calls("Logs_20140328.FilterLogEvents") >= reads + 2
    });
    interrupt(&child);
    let run = finish(child).status(130);
    assert_eq!(run.stdout(), "", "stdout was read line by line");
    assert!(run.stderr().contains("interrupted"), "{}", run.stderr());
    let seen = lines.lock().expect("lines").clone();
    assert_eq!(
        seen.iter().map(|l| message(l)).collect::<Vec<_>>(),
        ["before follow", "written while following"],
        "each event once, only web's\n{}",
        run.stderr()
    );
}

#[test]
fn run_env_uses_the_running_revision_passes_overrides_and_exits_with_the_container_code() {
    let c = Cloud::new();
    let (running, newer) = c.deploy_by_hand();
    c.fixture
        .scenario(json!({"release_exit": 3, "release_log": ["migrating", "done"]}));
    let run = c
        .parity(&[
            "run",
            "--env",
            "staging",
            "-e",
            "DEBUG=1",
            "-e",
            "MODE=fake",
            "web",
            "--",
            "/app",
            "migrate",
            "--fake",
        ])
        .status(3)
        .stderr_contains("web exited with code 3");
    let stdout = run.stdout();
    let printed: Vec<&str> = stdout.lines().map(message).collect();
    assert_eq!(printed, ["migrating", "done"], "{}", run.stderr());
    assert!(stdout.starts_with("web "), "{stdout}");
    let requests = c.requests("RunTask");
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request["taskDefinition"], running.as_str(), "not {newer}");
    assert_eq!(
        request["overrides"],
        json!({"containerOverrides": [{
            "name": "web",
            "command": ["/app", "migrate", "--fake"],
            "environment": [{"name": "DEBUG", "value": "1"}, {"name": "MODE", "value": "fake"}],
        }]})
    );
    assert_eq!(request["startedBy"], "parity-run");
    assert_eq!(
        request["networkConfiguration"]["awsvpcConfiguration"]["subnets"],
        json!([c.subnet])
    );
    assert!(
        request["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!({"key": "parity:run", "value": "true"}))),
        "{request}"
    );

    c.fixture
        .scenario(json!({"release_exit": 0, "release_log": []}));
    let run = c
        .parity(&["run", "--env", "staging", "web"])
        .status(0)
        .stderr_contains("web exited with code 0");
    assert_eq!(run.stdout(), "", "the task logged nothing");
    assert_eq!(
        c.requests("RunTask")[1]["overrides"],
        json!({"containerOverrides": [{"name": "web"}]})
    );
}

#[test]
fn run_env_ctrl_c_stops_the_task_and_exits_130() {
    let c = Cloud::new();
    c.deploy_by_hand();
    c.fixture.scenario(json!({"task_running": null}));
    let child = c.spawn(&["run", "--env", "staging", "web", "--", "/app", "sleep"]);
    wait_until("the task to be watched", Duration::from_secs(60), || {
        c.calls("AmazonEC2ContainerServiceV20141113.DescribeTasks") >= 1
    });
    interrupt(&child);
    let run = finish(child).status(130).stderr_contains("stopping task");
    assert_eq!(run.stdout(), "", "the task logged nothing");
    let started = c.requests("RunTask");
    let stops = c.requests("StopTask");
    assert_eq!((started.len(), stops.len()), (1, 1), "{}", run.stderr());
    assert_eq!(stops[0]["cluster"], "shop-staging");
    assert!(
        stops[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("interrupted")),
        "{}",
        stops[0]
    );
    let stopped = c.fixture.ecs(
        "DescribeTasks",
        json!({"cluster": "shop-staging", "tasks": [stops[0]["task"]]}),
    );
    assert_eq!(stopped["tasks"][0]["lastStatus"], "STOPPED");
}

#[test]
fn run_env_detach_prints_the_task_id_and_how_to_read_its_logs() {
    let c = Cloud::new();
    c.deploy_by_hand();
    c.fixture
        .scenario(json!({"task_running": null, "release_log": ["hello from the task"]}));
    let run = c
        .parity(&[
            "run", "--env", "staging", "--detach", "web", "--", "/app", "hello",
        ])
        .status(0);
    let id = run.stdout().trim().to_owned();
    assert!(
        !id.is_empty() && !id.contains(char::is_whitespace),
        "{id:?}"
    );
    let hint = format!("parity logs --env staging web --task {id} --follow");
    let run = run.stderr_contains(&hint);
    assert_eq!(c.requests("StopTask").len(), 0, "{}", run.stderr());
    let logs = c
        .parity(&["logs", "--env", "staging", "web", "--task", &id])
        .status(0)
        .stdout_contains("| hello from the task");
    quiet(&logs);
}

#[test]
fn ps_env_shows_running_and_stopped_tasks_with_revision_digest_and_reason() {
    let c = Cloud::new();
    c.deploy_by_hand();
    c.fixture
        .scenario(json!({"task_running": null, "task_health": "HEALTHY"}));
    // The service's scheduler starts its tasks (moto's does not): the
    // same RunTask ECS makes for a service, group and startedBy included.
    let service_tasks = c.fixture.ecs(
        "RunTask",
        json!({
            "cluster": "shop-staging",
            "taskDefinition": "shop-staging-web:1",
            "count": 2,
            "launchType": "FARGATE",
            "group": "service:shop-web",
            "startedBy": "ecs-svc/1234567890123456",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": [c.subnet], "securityGroups": [c.group]}},
        }),
    );
    let victim = service_tasks["tasks"][0]["taskArn"]
        .as_str()
        .expect("task arn")
        .to_owned();
    c.fixture.ecs(
        "StopTask",
        json!({"cluster": "shop-staging", "task": victim, "reason": "Task failed container health checks"}),
    );
    let run = c
        .parity(&[
            "run", "--env", "staging", "-d", "web", "--", "/app", "shell",
        ])
        .status(0)
        .stderr_contains("started");
    assert_eq!(run.stdout().lines().count(), 1, "the task id");

    let run = c
        .parity(&["ps", "--env", "staging", "--format", "json"])
        .status(0);
    quiet(&run);
    let rows = run.json();
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r["service"] == "web" && r["revision"] == 1)
    );
    assert!(rows.iter().all(|r| r["digest"] == DIGEST), "{rows:?}");
    let mut by = by_status(rows);
    by.sort();
    let expected: Vec<(String, String)> = [
        ("running", "parity run"),
        ("running", "service"),
        ("stopped", "service"),
    ]
    .iter()
    .map(|(s, b)| ((*s).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(by, expected);
    assert_eq!(rows[2]["status"], "stopped", "running tasks come first");
    for row in rows {
        let health = if row["status"] == "running" {
            json!("healthy")
        } else {
            Value::Null
        };
        assert_eq!(row["health"], health, "{row}");
    }
    let stopped = rows
        .iter()
        .find(|r| r["status"] == "stopped")
        .expect("the stopped task");
    assert_eq!(stopped["task"], victim.as_str());
    assert_eq!(stopped["exit_code"], 143);
    assert_eq!(
        stopped["stopped_reason"],
        "Task failed container health checks"
    );
    assert!(
        stopped["started_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let table = c.parity(&["ps", "--env", "staging"]).status(0);
    quiet(&table);
    let table = table
        .stdout_contains("stopped (exit 143)")
        .stdout_contains("healthy")
        .stdout_contains("Task failed container health checks")
        .stdout_contains(&DIGEST[7..19])
        .stdout_contains("parity run");
    assert!(table.stdout().starts_with("SERVICE"), "{}", table.stdout());
}

/// `(status, started_by)` of each row.
fn by_status(rows: &[Value]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap_or_default().to_owned(),
                r["started_by"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn bad_input_to_the_new_flags_is_exit_2_and_calls_nothing() {
    let c = Cloud::new();
    c.deploy_by_hand();
    let before = c.fixture.calls();
    let cases: &[(&[&str], &str)] = &[
        (
            &["logs", "--env", "staging", "--since", "10x"],
            "--since 10x",
        ),
        (
            &["logs", "--env", "staging", "--since", "2999-01-01"],
            "in the future",
        ),
        (&["logs", "--since", "yesterday"], "--since yesterday"),
        (&["logs", "--env", "staging", "--tail", "many"], "--tail"),
        (
            &["logs", "--env", "staging", "--grep", ""],
            "--grep is empty",
        ),
        (&["logs", "--task", "abc"], "needs --env"),
        (&["logs", "--env", "nope"], "nope"),
        (&["logs", "--env", "staging", "--format", "xml"], "xml"),
        (&["logs", "--env", "staging", "wbe"], "no such service"),
        (&["ps", "--env", "nope"], "nope"),
        (&["ps", "--env", "staging", "--format", "xml"], "xml"),
        (&["run", "--env", "staging", "wbe"], "no such service"),
        (
            &["run", "--env", "staging", "-e", "=x", "web"],
            "not a variable name",
        ),
        (
            &[
                "run",
                "--env",
                "staging",
                "-e",
                "PARITY_TEST_SURELY_UNSET",
                "web",
            ],
            "not set in parity's environment",
        ),
        (&["run", "--env", "nope", "web"], "nope"),
        (&["run", "--env", "staging"], "SERVICE"),
    ];
    for (args, says) in cases {
        let run = c.parity(args).status(2);
        assert_eq!(run.stdout(), "", "{args:?} printed a result");
        assert!(
            run.stderr_flat().contains(says),
            "{args:?}: stderr lacks {says:?}:\n{}",
            run.stderr()
        );
    }
    assert_eq!(c.fixture.calls(), before, "a refused command called AWS");
    assert!(c.requests("RunTask").is_empty());
}

#[test]
fn local_logs_since_and_grep_filter_the_engine_logs() {
    let stack = Stack::new("logs-since");
    let image = demo_image();
    let start = |service: &str, text: &str| {
        let name = format!("{}-{service}-1", stack.name());
        docker(&[
            "run",
            "--name",
            &name,
            "--label",
            &format!("com.docker.compose.project={}", stack.name()),
            "--label",
            &format!("com.docker.compose.service={service}"),
            "--label",
            "com.docker.compose.oneoff=False",
            image,
            "exit",
            "0",
            "--say",
            text,
        ]);
    };
    start("early", "early line: ERROR one");
    // Docker's --since has whole seconds: the next line is a second later.
    let cut = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 1;
    wait_until("the next second", Duration::from_secs(3), || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs()
            >= cut
    });
    start("late", "late line: ERROR two");
    start("quiet", "late line: all fine");
    let test = Test::new().compose(
        "services:\n  early:\n    image: x\n  late:\n    image: x\n  quiet:\n    image: x\n",
    );
    let logs = |args: &[&str]| {
        let mut all = vec!["-p", stack.name(), "logs"];
        all.extend_from_slice(args);
        let output = test
            .command()
            .args(&all)
            .stdin(Stdio::null())
            .output()
            .expect("run parity");
        let run = Run::new(output).status(0);
        quiet(&run);
        run
    };
    let since = time_text(cut);
    let run = logs(&["--since", &since]);
    let out = run.stdout();
    assert!(!out.contains("early line"), "{out}");
    assert!(out.contains("late  | late line: ERROR two"), "{out}");
    assert!(out.contains("quiet | late line: all fine"), "{out}");
    let run = logs(&["--grep", "ERROR"]);
    let out = run.stdout();
    assert!(out.contains("early | early line: ERROR one"), "{out}");
    assert!(out.contains("late  | late line: ERROR two"), "{out}");
    assert!(!out.contains("all fine"), "{out}");
    let run = logs(&["--grep", "ERROR", "--format", "json", "late"]);
    let object: Value = serde_json::from_str(run.stdout().trim()).expect("one JSON line");
    assert_eq!(
        object,
        json!({"service": "late", "message": "late line: ERROR two"})
    );
}

/// `2026-11-27T15:00:01Z` of seconds since the epoch.
fn time_text(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).expect("days");
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
