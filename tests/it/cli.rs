//! The command-line contract: help, exit codes, commands not yet available.

use crate::support::Test;

#[test]
fn every_command_has_help() {
    for command in [
        "config",
        "up",
        "down",
        "watch",
        "ps",
        "logs",
        "exec",
        "run",
        "plan",
        "secrets",
        "deploy",
        "promote",
        "rollback",
        "status",
        "env",
        "db",
        "init",
        "completions",
        "review",
        "build",
        "iam",
        "ci",
    ] {
        Test::new()
            .args([command, "--help"])
            .run()
            .status(0)
            .stdout_contains("Usage: parity")
            .stderr_empty();
    }
}

#[test]
fn unknown_command_is_bad_input() {
    Test::new()
        .args(["frobnicate"])
        .run()
        .status(2)
        .stdout_empty()
        .stderr_contains("frobnicate");
}

/// A project every command below can read: two services, one secret, and
/// an environment complete enough for `plan --offline` and `env template`.
const COMPOSE: &str = "services:\n  web:\n    image: nginx\n    environment:\n      API_KEY: local\n    x-parity:\n      secrets: [API_KEY]\n  db:\n    image: postgres\n";
const SETTINGS: &str = "app = \"shop\"\n\n[environments.staging]\nregion = \"eu-west-1\"\naccount_id = \"123456789012\"\nsubnets = [\"subnet-0a1b2c3d\"]\nsecurity_groups = [\"sg-0a1b2c3d\"]\nexecution_role_arn = \"arn:aws:iam::123456789012:role/ecsTaskExecutionRole\"\n";

/// Reading only the first lines (`parity ps | head -1`) closes stdout under
/// parity: every command takes that as "enough", never as a panic or an
/// error — exit 0, and stderr says nothing (no panic, no "Broken pipe").
#[track_caller]
fn closed_stdout(test: Test) {
    test.compose(COMPOSE)
        .toml(SETTINGS)
        .run_with_closed_stdout()
        .status(0)
        .stderr_empty();
}

/// One test per command that prints results on stdout.
macro_rules! closed_stdout_tests {
    ($($name:ident: [$($arg:expr),*];)*) => {$(
        #[test]
        fn $name() {
            closed_stdout(Test::new().args([$($arg),*]));
        }
    )*};
}

closed_stdout_tests! {
    closed_stdout_help: ["--help"];
    closed_stdout_config: ["config"];
    closed_stdout_config_json: ["config", "--format", "json"];
    closed_stdout_config_services: ["config", "--services"];
    closed_stdout_plan_offline: ["plan", "staging", "--offline"];
    closed_stdout_plan_offline_json: ["plan", "staging", "--offline", "--format", "json"];
}

/// `env template` notes on stderr what a team applying the template must pass.
#[test]
fn closed_stdout_env_template() {
    Test::new()
        .args(["env", "template", "staging"])
        .compose(COMPOSE)
        .toml(SETTINGS)
        .run_with_closed_stdout()
        .status(0)
        .stderr_is("note: parameter ServiceConnect defaults to `enabled` (Cloud Map namespace for Service Connect); apply with CAPABILITY_IAM\n");
}

/// `ps` and `logs` ask the Docker Engine (a project with no containers).
#[test]
fn closed_stdout_ps_and_logs() {
    crate::support::docker::require_engine();
    for args in [&["ps"][..], &["ps", "--format", "json"], &["logs"]] {
        closed_stdout(Test::new().args(args.iter().copied()));
    }
}

/// `secrets list` asks SSM (moto) and prints its table on stdout.
#[test]
fn closed_stdout_secrets_list() {
    let moto = crate::support::moto::Moto::start();
    for args in [
        &["secrets", "list", "staging"][..],
        &["secrets", "list", "staging", "--format", "json"],
    ] {
        let test = Test::new().aws(&moto).args(args.iter().copied());
        test.compose(COMPOSE)
            .toml(SETTINGS)
            .run_with_closed_stdout()
            .status(0)
            // The one thing it says on stderr: API_KEY was never synced.
            .stderr_contains("missing from SSM: API_KEY")
            .stderr_lacks("panicked")
            .stderr_lacks("Broken pipe");
    }
}
