//! `parity plan`: golden task definitions (byte for byte, validated by botocore's
//! ECS model and round-tripped through moto), the inputs Fargate would reject
//! (exit 2 naming service and field), the text summary, and the online diff
//! against the revision a service runs now.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::moto::Moto;
use crate::support::{Test, repo_path};

/// The placeholder for the compose hash in expected files: the hash is of the
/// normalized compose model, checked for shape and stability separately.
const HASH_PLACEHOLDER: &str = "{{compose_hash}}";

fn cases(area: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo_path(area))
        .unwrap_or_else(|e| panic!("read {area}: {e}"))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A test project holding every file of a fixture directory (except expectations).
fn project_from(case: &Path) -> Test {
    fn copy(test: Test, root: &Path, dir: &Path) -> Test {
        let mut test = test;
        for entry in std::fs::read_dir(dir).expect("read fixture") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                test = copy(test, root, &path);
            } else if ![
                "expected.json",
                "expected-error",
                "expected-location",
                "never-prints",
                "env",
            ]
            .contains(&name.as_str())
            {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let contents = std::fs::read_to_string(&path).expect("read fixture file");
                test = test.file(&relative, &contents);
            }
        }
        test
    }
    copy(Test::new(), case, case)
}

fn environment_of(case: &Path) -> String {
    std::fs::read_to_string(case.join("env"))
        .map_or_else(|_| "staging".to_owned(), |e| e.trim().to_owned())
}

/// Runs scripts/check-ecs-requests.py on a plan's JSON; `Err` carries its report.
fn check_with_ecs_model(plan_json: &str, endpoint: Option<&str>) -> Result<(), String> {
    let mut command = Command::new("python3");
    command.arg(repo_path("scripts/check-ecs-requests.py"));
    if let Some(endpoint) = endpoint {
        command.args(["--endpoint", endpoint]);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3 scripts/check-ecs-requests.py (scripts/setup installs botocore)");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(plan_json.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The compose hash a plan recorded (all task definitions carry the same one).
fn recorded_hash(plan: &serde_json::Value) -> String {
    let hashes: Vec<&str> = plan["taskDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|td| td["tags"].as_array().unwrap())
        .filter(|t| t["key"] == "parity:compose-hash")
        .map(|t| t["value"].as_str().unwrap())
        .collect();
    assert!(!hashes.is_empty(), "no compose-hash tag");
    assert!(
        hashes.iter().all(|h| *h == hashes[0]),
        "hashes differ: {hashes:?}"
    );
    hashes[0].to_owned()
}

#[test]
fn golden_plans_match_byte_for_byte_pass_the_ecs_model_and_round_trip_through_moto() {
    let moto = Moto::start();
    let mut failures = Vec::new();
    let mut checked = Vec::new();
    let cases = cases("fixtures/plan");
    assert!(cases.len() >= 15, "only {} golden stacks", cases.len());
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let run = project_from(case)
            .args([
                "plan",
                &environment_of(case),
                "--format",
                "json",
                "--offline",
            ])
            .run();
        let (actual, stderr) = (run.stdout(), run.stderr());
        if run.code() != 0 {
            failures.push(format!("{name}: exit {}\n{stderr}", run.code()));
            continue;
        }
        // With --format json the notes go to stderr; a golden case has no
        // warning but those its `expected-warnings` file lists (an offline
        // plan of managed services warns that their endpoints are unknown).
        let warnings: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.starts_with("note: "))
            .collect();
        let expected_warnings =
            std::fs::read_to_string(case.join("expected-warnings")).unwrap_or_default();
        if warnings != expected_warnings.lines().collect::<Vec<_>>() {
            failures.push(format!(
                "{name}: stderr's lines other than notes differ from expected-warnings:\n{stderr}"
            ));
        }
        let hash = recorded_hash(&run.json());
        assert!(
            hash.len() == 12 && hash.chars().all(|c| c.is_ascii_hexdigit()),
            "{name}: compose hash `{hash}` is not 12 hex digits"
        );
        let expected = std::fs::read_to_string(case.join("expected.json"))
            .unwrap()
            .replace(HASH_PLACEHOLDER, &hash);
        if actual != expected {
            failures.push(format!(
                "{name}: output differs\n--- expected\n{expected}\n--- actual\n{actual}"
            ));
            continue;
        }
        checked.push(serde_json::json!({"name": name, "plan": run.json()}));
    }
    // One python run for all plans: botocore's model loads once.
    let all = serde_json::Value::Array(checked).to_string();
    if let Err(report) = check_with_ecs_model(&all, Some(&moto.endpoint())) {
        failures.push(format!("rejected by the ECS model or moto:\n{report}"));
    }
    assert!(
        failures.is_empty(),
        "{}\n--- moto log\n{}",
        failures.join("\n\n"),
        moto.log()
    );
}

/// Each refusal names service and field, and points at the value it refuses:
/// `expected-location` holds `file:line:col` relative to the fixture, which
/// the rendered snippet's header must name. A value refused for looking
/// secret (`never-prints`, when there) stays out of the snippet.
#[test]
fn inputs_fargate_rejects_exit_2_naming_service_and_field() {
    let cases = cases("fixtures/plan-refused");
    assert!(cases.len() >= 10, "only {} refused cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expected = std::fs::read_to_string(case.join("expected-error")).unwrap();
        let location = std::fs::read_to_string(case.join("expected-location"))
            .unwrap_or_else(|e| panic!("{name}: expected-location: {e}"));
        let header = format!("/{}]", location.trim());
        let run = project_from(case)
            .args(["plan", "staging", "--format", "json", "--offline"])
            .run();
        let stderr = run.stderr_flat();
        let located = run.stderr().contains(&header);
        let leaked = std::fs::read_to_string(case.join("never-prints"))
            .is_ok_and(|value| run.stderr().contains(value.trim()));
        if run.code() != 2
            || !stderr.contains(expected.trim())
            || !located
            || leaked
            || !run.stdout().is_empty()
        {
            failures.push(format!(
                "{name}: exit {}, expected 2 with `{}` at {}\n--- stderr\n{}\n--- stdout\n{}",
                run.code(),
                expected.trim(),
                location.trim(),
                run.stderr(),
                run.stdout()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const COMPOSE: &str = r#"
services:
  web:
    image: acme/web:1
    ports: ["3000:3000"]
    environment:
      API_KEY: canary-local-secret-value
      PORT: "3000"
    x-parity:
      secrets: [API_KEY]
"#;

const TOML: &str = r#"app = "shop"

[environments.staging]
region = "eu-west-1"
account_id = "123456789012"
subnets = ["subnet-0a1b2c3d"]
security_groups = ["sg-0a1b2c3d"]
execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
"#;

#[test]
fn text_summary_names_families_images_and_secret_arns_never_values() {
    Test::new()
        .compose(COMPOSE)
        .toml(TOML)
        .args(["plan", "staging", "--offline"])
        .run()
        .status(0)
        .stdout_contains("shop-staging-web  service shop-web x1")
        .stdout_contains(
            "secret API_KEY <- arn:aws:ssm:eu-west-1:123456789012:parameter/shop/staging/API_KEY",
        )
        .stdout_contains("offline")
        .never_prints("canary-local-secret-value");
}

#[test]
fn compose_hash_is_stable_and_follows_the_compose_file() {
    let plan = |compose: &str| {
        let run = Test::new()
            .compose(compose)
            .toml(TOML)
            .args([
                "-p",
                "shop",
                "plan",
                "staging",
                "--format",
                "json",
                "--offline",
            ])
            .run()
            .status(0)
            .stderr_empty();
        recorded_hash(&run.json())
    };
    assert_eq!(plan(COMPOSE), plan(COMPOSE));
    assert_ne!(
        plan(COMPOSE),
        plan(&COMPOSE.replace("acme/web:1", "acme/web:2"))
    );
}

#[test]
fn missing_parity_toml_explains_how_to_write_one() {
    Test::new()
        .compose(COMPOSE)
        .args(["plan", "staging", "--offline"])
        .run()
        .status(2)
        .stdout_empty()
        .stderr_contains("parity.toml not found")
        .stderr_contains("[environments.staging]")
        .stderr_contains("execution_role_arn");
}

#[test]
fn unknown_environment_lists_the_known_ones() {
    Test::new()
        .compose(COMPOSE)
        .toml(TOML)
        .args(["plan", "prod", "--offline"])
        .run()
        .status(2)
        .stdout_empty()
        .stderr_contains("unknown environment `prod`")
        .stderr_contains("staging");
}

#[test]
fn unknown_parity_toml_key_points_at_file_line_and_column() {
    Test::new()
        .compose(COMPOSE)
        .toml(&format!("{TOML}clustr = \"x\"\n"))
        .args(["plan", "staging", "--offline"])
        .run()
        .status(2)
        .stdout_empty()
        .stderr_contains("unknown field `clustr`")
        .stderr_contains("parity.toml:9:1");
}

/// Offline there is no STS to ask for the account: the plan is made with a
/// placeholder account, said so on stderr (CI plans pull requests this way).
#[test]
fn offline_without_account_id_plans_with_a_placeholder_account() {
    Test::new()
        .compose(COMPOSE)
        .toml(&TOML.replace("account_id = \"123456789012\"\n", ""))
        .args(["plan", "staging", "--offline"])
        .run()
        .status(0)
        .stdout_contains("shop-web")
        .stderr_says("no account_id")
        .stderr_says("placeholder account 000000000000");
}

/// Seeds moto with a cluster, the given task definition and a service running it.
fn seed_running_service(moto: &Moto, task_definition: &serde_json::Value, service: &str) {
    let script = r#"
import json, sys, boto3
endpoint, service = sys.argv[1], sys.argv[2]
td = json.load(sys.stdin)
kw = dict(endpoint_url=endpoint, region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")
ecs, ec2 = boto3.client("ecs", **kw), boto3.client("ec2", **kw)
subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
ecs.create_cluster(clusterName="shop-staging")
arn = ecs.register_task_definition(**td)["taskDefinition"]["taskDefinitionArn"]
ecs.create_service(cluster="shop-staging", serviceName=service, taskDefinition=arn, desiredCount=1, launchType="FARGATE",
    networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}})
"#;
    let mut child = Command::new("python3")
        .args(["-c", script, &moto.endpoint(), service])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 with boto3 (scripts/setup)");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(task_definition.to_string().as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "seeding moto failed: {}\n--- moto log\n{}",
        String::from_utf8_lossy(&output.stderr),
        moto.log()
    );
}

#[test]
fn online_plan_diffs_field_by_field_against_the_running_revision() {
    let moto = Moto::start();
    let toml = format!(
        "{TOML}endpoint = \"{}\"\ncluster = \"shop-staging\"\n",
        moto.endpoint()
    );
    let offline = Test::new()
        .compose(COMPOSE)
        .toml(&toml)
        .args([
            "-p",
            "shop",
            "plan",
            "staging",
            "--format",
            "json",
            "--offline",
        ])
        .run()
        .status(0)
        .stderr_empty()
        .json();
    // What runs now: the same task definition with an older image, an extra
    // variable and one variable changed.
    let mut running = offline["taskDefinitions"][0].clone();
    let container = &mut running["containerDefinitions"][0];
    container["image"] = "acme/web:0".into();
    container["environment"] = serde_json::json!([
        {"name": "OLD_FLAG", "value": "1"},
        {"name": "PORT", "value": "8080"}
    ]);
    seed_running_service(&moto, &running, "shop-web");

    Test::new()
        .compose(COMPOSE)
        .toml(&toml)
        .aws(&moto)
        .args(["-p", "shop", "plan", "staging"])
        .run()
        .status(0)
        .stderr_empty()
        .stdout_contains("service shop-web: 3 change(s) from shop-staging-web:1")
        .stdout_contains("~ containerDefinitions[web].image: \"acme/web:0\" -> \"acme/web:1\"")
        .stdout_contains(
            "~ containerDefinitions[web].environment[PORT].value: \"8080\" -> \"3000\"",
        )
        .stdout_contains("- containerDefinitions[web].environment[OLD_FLAG]")
        .never_prints("canary-local-secret-value");
}

#[test]
fn online_plan_of_what_already_runs_shows_no_changes() {
    let moto = Moto::start();
    let toml = format!(
        "{TOML}endpoint = \"{}\"\ncluster = \"shop-staging\"\n",
        moto.endpoint()
    );
    let offline = Test::new()
        .compose(COMPOSE)
        .toml(&toml)
        .args([
            "-p",
            "shop",
            "plan",
            "staging",
            "--format",
            "json",
            "--offline",
        ])
        .run()
        .status(0)
        .stderr_empty()
        .json();
    seed_running_service(&moto, &offline["taskDefinitions"][0], "shop-web");
    Test::new()
        .compose(COMPOSE)
        .toml(&toml)
        .aws(&moto)
        .args(["-p", "shop", "plan", "staging"])
        .run()
        .status(0)
        .stderr_empty()
        .stdout_contains("service shop-web: no changes (runs shop-staging-web:1)");
}

#[test]
fn the_ecs_model_check_rejects_what_ecs_would() {
    // The checker is not vacuous: a number where ECS wants a string (task
    // `cpu`) and a misspelled field are reported by botocore's ECS model.
    let bad = serde_json::json!({
        "environment": "staging",
        "taskDefinitions": [{"family": "x", "cpu": 256, "containerDefinitions": [{"name": "x", "image": "x", "essentiel": true}]}],
        "services": []
    });
    let report =
        check_with_ecs_model(&bad.to_string(), None).expect_err("accepted a malformed request");
    assert!(report.contains("cpu"), "{report}");
    assert!(report.contains("essentiel"), "{report}");
}

/// The `note:` lines of a `--format json` run (stderr), renderer wrapping undone.
fn notes(run: &crate::support::Run) -> Vec<String> {
    run.stderr()
        .lines()
        .filter_map(|l| l.strip_prefix("note: "))
        .map(str::to_owned)
        .collect()
}

fn container<'a>(plan: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    plan["taskDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|td| td["containerDefinitions"].as_array().unwrap())
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container `{name}` in {plan:#}"))
}

#[test]
fn the_example_stack_plans_with_no_cloud_only_edits() {
    // compose.example.yml checks every 500 ms with 20 retries and has no
    // x-parity.healthcheck: the cloud check keeps its 10 s to unhealthy.
    let example = std::fs::read_to_string(repo_path("compose.example.yml")).unwrap();
    assert!(!example.contains("healthcheck:\n        interval"));
    let run = Test::new()
        .compose(&example)
        .toml(TOML)
        .args(["plan", "staging", "--format", "json", "--offline"])
        .run()
        .status(0);
    let plan = run.json();
    let check = &container(&plan, "web")["healthCheck"];
    assert_eq!(
        (&check["interval"], &check["retries"], &check["timeout"]),
        (
            &serde_json::json!(5),
            &serde_json::json!(2),
            &serde_json::json!(2)
        )
    );
    let notes = notes(&run);
    assert!(
        notes.iter().any(|n| n.starts_with(
            "service `web`: healthcheck: every 500ms × 20 retries (10s to unhealthy) becomes every 5s × 2 (10s)"
        )),
        "{notes:#?}"
    );
    check_with_ecs_model(&plan.to_string(), None).unwrap();
}

#[test]
fn a_local_compose_file_plans_with_only_x_parity_cloud_release_and_secrets() {
    // What a compose file written for the laptop looks like: a published port
    // chosen not to collide, a fast health check, memory and CPU limits, a
    // restart policy, networks, a local database with a volume.
    let compose = r#"
services:
  db:
    image: postgres:16
    volumes: [pgdata:/var/lib/postgresql/data]
    healthcheck:
      test: ["CMD-SHELL", "pg_isready"]
      interval: 1s
      retries: 30
    x-parity: { cloud: false }
  migrate:
    image: acme/app:1
    command: ["migrate"]
    depends_on: { db: { condition: service_healthy } }
    x-parity: { release: true }
  web:
    image: acme/app:1
    restart: unless-stopped
    container_name: shop-web
    ports: ["10000:8000"]
    expose: ["9100"]
    networks: [front, back]
    cpus: 0.5
    mem_limit: 768m
    mem_reservation: 256m
    environment:
      API_KEY: local-value
      LOG_LEVEL: debug
    healthcheck:
      test: ["CMD", "/app", "health"]
      interval: 2s
      timeout: 1s
      retries: 10
    depends_on:
      migrate: { condition: service_completed_successfully }
    x-parity: { secrets: [API_KEY] }
networks:
  front: {}
  back: {}
volumes:
  pgdata: {}
"#;
    let run = Test::new()
        .compose(compose)
        .toml(TOML)
        .args(["plan", "staging", "--format", "json", "--offline"])
        .run()
        .status(0);
    let plan = run.json();
    let web = container(&plan, "web");
    assert_eq!(
        web["portMappings"],
        serde_json::json!([{"containerPort": 8000, "hostPort": 8000, "protocol": "tcp"}])
    );
    assert_eq!(
        (&web["memory"], &web["memoryReservation"]),
        (&serde_json::json!(768), &serde_json::json!(256))
    );
    assert_eq!(web["healthCheck"]["interval"], 5);
    assert_eq!(plan["taskDefinitions"][1]["cpu"], "512");
    let notes = notes(&run).join("\n");
    assert!(
        notes.contains("published port 10000 is a local choice"),
        "{notes}"
    );
    check_with_ecs_model(&plan.to_string(), None).unwrap();
}

#[test]
fn every_field_the_notes_leave_out_is_absent_from_the_request() {
    // Each field is set with a value found nowhere else in the file, so "left
    // out" can be checked on the JSON: the value must not reach the request.
    let compose = r#"
services:
  app:
    image: acme/app:1
    volumes: ["./src-canary:/app/src"]
    tmpfs: ["/scratch-canary"]
    hostname: host-canary
    extra_hosts: ["extra-canary:10.9.9.9"]
    dns: ["10.8.8.8"]
    dns_search: ["search-canary.example"]
    privileged: true
    shm_size: 77m
    security_opt: ["label=level:canary"]
    cap_add: [SYS_PTRACE, NET_ADMIN]
    sysctls:
      kernel.msgmax: "65536"
      net.core.somaxconn: "1024"
    ports: ["7000:7000", "9899:9899/sctp"]
    stop_signal: SIGUSR2
    annotations: { annotation-canary: "1" }
    pids_limit: 4242
    post_start: [{ command: ["/hook-canary"] }]
    logging: { driver: syslog }
    healthcheck:
      test: ["CMD", "/health"]
      interval: 10s
      timeout: 3s
      start_interval: 1s
    environment:
      DEBUG_CANARY: "1"
      PORT: "7000"
    x-parity:
      local_only: [DEBUG_CANARY]
      cloud_ignore: [volumes, tmpfs, hostname, extra_hosts, dns, dns_search, privileged, shm_size, security_opt, cap_add, sysctls, ports, stop_signal]
"#;
    let run = Test::new()
        .compose(compose)
        .toml(TOML)
        .args(["plan", "staging", "--format", "json", "--offline"])
        .run()
        .status(0);
    let request = run.json().to_string();
    // field named in a "left out" note -> what of it must not be in the request
    let absent: &[(&str, &[&str])] = &[
        ("volumes", &["src-canary", "mountPoints"]),
        ("tmpfs", &["scratch-canary", "\"tmpfs\""]),
        ("hostname", &["host-canary", "\"hostname\""]),
        ("extra_hosts", &["extra-canary", "extraHosts"]),
        ("dns", &["10.8.8.8", "dnsServers"]),
        ("dns_search", &["search-canary", "dnsSearchDomains"]),
        ("privileged", &["\"privileged\""]),
        ("shm_size", &["sharedMemorySize", "80740352"]),
        ("security_opt", &["level:canary", "dockerSecurityOptions"]),
        ("cap_add", &["NET_ADMIN"]),
        ("sysctls", &["kernel.msgmax"]),
        ("ports", &["9899", "sctp"]),
        ("stop_signal", &["SIGUSR2"]),
        ("annotations", &["annotation-canary"]),
        ("pids_limit", &["4242", "pidsLimit"]),
        ("post_start", &["hook-canary"]),
        ("logging", &["syslog"]),
        ("healthcheck.start_interval", &["startInterval"]),
        ("variable DEBUG_CANARY", &["DEBUG_CANARY"]),
    ];
    let notes = notes(&run);
    for note in &notes {
        let Some(rest) = note.strip_prefix("service `app`: ") else {
            continue;
        };
        let left_out = rest.contains(" left out") || rest.contains("stays local");
        if !left_out {
            continue;
        }
        let (field, values) = absent
            .iter()
            .find(|(field, _)| {
                rest.starts_with(&format!("{field} ")) || rest.starts_with(&format!("{field} ("))
            })
            .unwrap_or_else(|| {
                panic!("a note leaves out something this test does not check: {note}")
            });
        for value in *values {
            assert!(
                !request.contains(value),
                "{field} is noted as left out, but `{value}` is in the request:\n{request}"
            );
        }
    }
    for (field, _) in absent {
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with(&format!("service `app`: {field} "))),
            "no note leaves out {field}:\n{}",
            notes.join("\n")
        );
    }
    // What was kept is really there: the allowed capability, sysctl and port.
    for kept in ["SYS_PTRACE", "net.core.somaxconn", "7000"] {
        assert!(request.contains(kept), "{kept} missing:\n{request}");
    }
}

/// A refused value points at the file and place that set it: an override
/// file (`-f a -f b`) for what the override added, the `${VAR}` for an
/// interpolated value, and the service's name for a name ECS refuses.
#[test]
fn refusals_point_at_the_file_and_place_that_set_the_value() {
    let base = "services:\n  web:\n    image: acme/web:1\n    ports: [\"${PORT_SPEC}\"]\n";
    let toml = TOML;
    Test::new()
        .compose(base)
        .file(
            "override.yaml",
            "services:\n  web:\n    cap_add: [SYS_PTRACE, NET_ADMIN]\n",
        )
        .toml(toml)
        .env("PORT_SPEC", "8080:8080")
        .args([
            "-f",
            "compose.yaml",
            "-f",
            "override.yaml",
            "plan",
            "staging",
            "--offline",
        ])
        .run()
        .status(2)
        .stderr_says("service `web`: cap_add: Fargate can only add SYS_PTRACE, not NET_ADMIN")
        .stderr_contains("/override.yaml:3:27]")
        .stderr_contains("cap_add: [SYS_PTRACE, NET_ADMIN]")
        .stdout_empty();
    Test::new()
        .compose(base)
        .toml(toml)
        .env("PORT_SPEC", "53:53/sctp")
        .args(["plan", "staging", "--offline"])
        .run()
        .status(2)
        .stderr_says("service `web`: ports: port 53/sctp: ECS port mappings are tcp or udp")
        .stderr_contains("/compose.yaml:4:13]")
        .stderr_contains("ports: [\"${PORT_SPEC}\"]")
        .stdout_empty();
    Test::new()
        .compose("services:\n  api:\n    image: acme/api:1\n  web.v2:\n    image: acme/web:1\n")
        .toml(toml)
        .args(["plan", "staging", "--offline"])
        .run()
        .status(2)
        .stderr_says("service `web.v2`: the task definition family would be")
        .stderr_contains("/compose.yaml:4:3]")
        .stdout_empty();
    Test::new()
        .compose("services:\n  web:\n    image: acme/web:1\n    env_file: [web.env]\n")
        .file(
            "web.env",
            "# web's variables\nPORT=3000\nexport DB_PASSWORD=hunter2\n",
        )
        .toml(toml)
        .args(["plan", "staging", "--offline"])
        .run()
        .status(2)
        .stderr_says("service `web`: variable DB_PASSWORD would reach the cloud as plain text")
        .stderr_says("/web.env:3:8: service `web`: variable DB_PASSWORD")
        .never_prints("hunter2")
        .stdout_empty();
}
