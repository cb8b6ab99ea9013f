//! The command-line contract: help, exit codes, commands not yet available.

use crate::support::Test;

#[test]
fn every_command_has_help() {
    for command in [
        "config", "up", "down", "ps", "logs", "plan", "secrets", "deploy", "promote", "rollback",
        "status",
    ] {
        Test::new()
            .args([command, "--help"])
            .run()
            .status(0)
            .stdout_contains("Usage: parity");
    }
}

#[test]
fn unknown_command_is_bad_input() {
    Test::new()
        .args(["frobnicate"])
        .run()
        .status(2)
        .stderr_contains("frobnicate");
}

/// Reading only the first lines (`parity ps | head -1`) closes stdout under
/// parity: every command takes that as "enough", never as a panic or an error.
#[test]
fn a_closed_stdout_is_not_an_error_for_any_command() {
    crate::support::docker::require_engine();
    let compose = "services:\n  web:\n    image: nginx\n    environment:\n      API_KEY: local\n    x-parity:\n      secrets: [API_KEY]\n  db:\n    image: postgres\n";
    let settings = "app = \"shop\"\n\n[environments.staging]\nregion = \"eu-west-1\"\naccount_id = \"123456789012\"\nsubnets = [\"subnet-0a1b2c3d\"]\nsecurity_groups = [\"sg-0a1b2c3d\"]\nexecution_role_arn = \"arn:aws:iam::123456789012:role/ecsTaskExecutionRole\"\n";
    let commands: &[&[&str]] = &[
        &["--help"],
        &["config"],
        &["config", "--format", "json"],
        &["config", "--services"],
        &["ps"],
        &["ps", "--format", "json"],
        &["logs"],
        &["plan", "staging", "--offline"],
        &["plan", "staging", "--offline", "--format", "json"],
    ];
    let mut failures = Vec::new();
    for command in commands {
        let (code, stderr) = Test::new()
            .compose(compose)
            .toml(settings)
            .args(command.iter().copied())
            .run_with_closed_stdout();
        if code != 0 || stderr.contains("panicked") || stderr.contains("Broken pipe") {
            failures.push(format!(
                "parity {}: exit {code}\n{stderr}",
                command.join(" ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
