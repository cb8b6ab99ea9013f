//! `parity config`: the normalized model, masking of declared secrets, and
//! located errors for bad input.

use serde_json::json;

use crate::support::Test;

#[test]
fn config_prints_long_forms_as_json() {
    let run = Test::new()
        .compose(
            "services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n    environment: [A=1]\n",
        )
        .args(["-p", "demo", "config", "--format", "json"])
        .run()
        .status(0)
        .stderr_empty();
    let out = run.json();
    assert_eq!(out["name"], "demo");
    assert_eq!(
        out["services"]["web"]["ports"],
        json!([{"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"}])
    );
    assert_eq!(out["services"]["web"]["environment"], json!({"A": "1"}));
    assert_eq!(out["networks"]["default"]["name"], "demo_default");
}

#[test]
fn config_masks_declared_secrets_unless_revealed() {
    let compose = "services:\n  web:\n    image: nginx\n    environment:\n      TOKEN: canary-value-123\n    x-parity:\n      secrets: [TOKEN]\n";
    Test::new()
        .compose(compose)
        .args(["config"])
        .run()
        .status(0)
        .stderr_empty()
        .never_prints("canary-value-123")
        .stdout_contains("********");
    Test::new()
        .compose(compose)
        .args(["config", "--reveal"])
        .run()
        .status(0)
        .stderr_empty()
        .stdout_contains("canary-value-123");
}

#[test]
fn config_services_lists_active_names() {
    Test::new()
        .compose(
            "services:\n  b: {image: x}\n  a: {image: x}\n  c: {image: x, profiles: [debug]}\n",
        )
        .args(["config", "--services"])
        .run()
        .status(0)
        .stderr_empty()
        .stdout_contains("a\nb\n");
}

#[test]
fn missing_required_variable_names_variable_and_place() {
    Test::new()
        .compose("services:\n  web:\n    image: ${IMAGE:?set IMAGE to the image}\n")
        .env_remove("IMAGE")
        .args(["config"])
        .run()
        .status(2)
        .stdout_empty()
        .stderr_contains("compose.yaml:3:12")
        .stderr_contains("required variable IMAGE is missing a value: set IMAGE to the image");
}

#[test]
fn yaml_output_reads_back_as_the_same_model() {
    let test = Test::new()
        .compose(concat!(
            "x-base: &base\n  restart: always\n  labels: {tier: \"1\", empty: \"\"}\n",
            "services:\n  web:\n    <<: *base\n    build: .\n    command: [echo, 'a: b', '#x', 'true', '80', '- x']\n",
            "    environment: {A: 'yes', B: null, C: \"multi\\nline\", D: ' padded '}\n",
            "    ports: ['127.0.0.1:8080:80/udp']\n    volumes: ['./data:/data:ro', 'cache:/cache']\n",
            "    healthcheck: {test: curl -f localhost, interval: 1m30s, start_interval: 500ms}\n",
            "    depends_on: {db: {condition: service_healthy, restart: true}}\n",
            "  db:\n    image: postgres:16\n    deploy: {resources: {limits: {cpus: '0.5', memory: 512m}}}\n",
            "volumes:\n  cache: {}\n",
        ))
        .args(["-p", "rt", "config", "--format", "json"]);
    let json = test.run().status(0).stderr_empty().json();
    let yaml = Test::new()
        .compose("services: {}\n")
        .args(["-p", "rt"])
        .args(["-f"])
        .args([test
            .dir()
            .join("compose.yaml")
            .to_string_lossy()
            .into_owned()])
        .args(["config"])
        .run()
        .status(0)
        .stderr_empty()
        .stdout();
    let reread = Test::new()
        .file("printed.yaml", &yaml)
        .args(["-p", "rt", "-f", "printed.yaml", "--project-directory"])
        .args([test.dir().to_string_lossy().into_owned()])
        .args(["config", "--format", "json"])
        .run()
        .status(0)
        .stderr_empty()
        .json();
    assert_eq!(reread, json, "printed YAML:\n{yaml}");
}

#[test]
fn optional_dependency_on_an_undefined_service_is_dropped() {
    let out = Test::new()
        .compose(concat!(
            "services:\n  web:\n    image: x\n    depends_on:\n",
            "      ghost: {condition: service_started, required: false}\n",
        ))
        .args(["config", "--format", "json"])
        .run()
        .status(0)
        .stderr_contains("service web: optional dependency ghost is not active; ignored")
        .json();
    assert!(out["services"]["web"].get("depends_on").is_none(), "{out}");
}
