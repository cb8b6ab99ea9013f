//! `parity init`: on the example stack and on real-world compose files kept
//! under fixtures/init/ (Django + Postgres + Redis, Rails + Postgres, Rails +
//! Postgres + Sidekiq, Node + Mongo). Goldens pin the printed suggestions,
//! the written parity.toml, and the compose file `--write-compose` edits
//! (comments and formatting kept); the result renders the environment stack
//! (`parity env template staging`, the validation possible without an
//! account: `plan --offline` needs an account id) and loads (`parity config`).

use std::path::Path;
use std::process::Command;

use crate::support::{Run, Test, parity_bin, repo_path};

/// The fixtures' names; each directory is also the project (and app) name.
const CASES: &[&str] = &[
    "django-postgres-redis",
    "node-mongo",
    "rails-postgres",
    "rails-postgres-sidekiq",
];

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A project directory named `name` holding `compose`, with no AWS
/// configuration from the machine running the tests.
fn project(name: &str, compose: &str) -> Test {
    Test::new()
        .file(&format!("{name}/compose.yaml"), compose)
        .cwd(name)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
}

/// Runs parity in the project with `args` (the project keeps its files between runs).
fn run(test: &Test, args: &[&str]) -> Run {
    let mut command = test.command();
    command.args(args);
    Run::new(command.output().expect("run parity"))
}

#[test]
fn init_goldens_on_real_world_compose_files() {
    for name in CASES {
        let case = repo_path(&format!("fixtures/init/{name}"));
        let compose = read(&case.join("compose.yaml"));
        let test = project(name, &compose);
        let dir = test.dir().join(name);
        run(&test, &["init", "--region", "eu-west-1"])
            .status(0)
            .stderr_empty()
            .never_prints("CANARY")
            .stdout_is(&read(&case.join("expected-suggestions")));
        assert_eq!(
            read(&dir.join("parity.toml")),
            read(&case.join("expected-parity.toml")),
            "{name}: parity.toml"
        );
        assert_eq!(
            read(&dir.join("compose.yaml")),
            compose,
            "{name}: compose untouched"
        );

        run(
            &test,
            &[
                "init",
                "--write-compose",
                "--force",
                "--region",
                "eu-west-1",
            ],
        )
        .status(0)
        .stderr_empty()
        .never_prints("CANARY")
        .stdout_is(&read(&case.join("expected-written")));
        assert_eq!(
            read(&dir.join("compose.yaml")),
            read(&case.join("expected-compose.yaml")),
            "{name}: the edited compose file"
        );
        // The edited project is one the cloud commands accept.
        run(&test, &["env", "template", "staging"])
            .status(0)
            .stdout_contains("AWSTemplateFormatVersion")
            .stderr_contains("note:");
        run(&test, &["config"])
            .status(0)
            .stderr_empty()
            .stdout_contains("x-parity");
        // Nothing more to propose once the blocks are in.
        run(&test, &["init", "--force", "--region", "eu-west-1"])
            .status(0)
            .stderr_empty()
            .stdout_contains("the compose file needs no x-parity block");
    }
}

#[test]
fn init_on_the_example_stack_writes_a_parity_toml_the_stack_renders_from() {
    let test = project("shop", &read(&repo_path("compose.example.yml")));
    run(&test, &["init", "--region", "eu-west-1"])
        .status(0)
        .stderr_empty()
        .stdout_is(
            "wrote parity.toml: app `shop`, environments staging and prod (prod promotes from staging), region eu-west-1\n\
             \n\
             the compose file needs no x-parity block for the cloud\n\
             \n\
             next:\n  parity env apply staging\n  parity secrets sync staging\n  parity deploy staging\n",
        );
    run(&test, &["env", "template", "staging"])
        .status(0)
        .stdout_contains("AWSTemplateFormatVersion")
        .stderr_contains("note:");
    run(&test, &["env", "template", "prod"])
        .status(0)
        .stdout_contains("AWSTemplateFormatVersion")
        .stderr_contains("note:");
}

#[test]
fn init_never_overwrites_parity_toml_without_force() {
    let test = project("shop", "services:\n  db: {image: 'postgres:16'}\n")
        .file("shop/parity.toml", "app = \"mine\"\n");
    run(&test, &["init", "--region", "eu-west-1"])
        .status(2)
        .stdout_empty()
        .stderr_says("parity.toml exists")
        .stderr_contains("--force");
    assert_eq!(
        read(&test.dir().join("shop/parity.toml")),
        "app = \"mine\"\n"
    );
}

#[test]
fn init_without_a_region_or_terminal_says_to_pass_region() {
    let test = project("shop", "services:\n  web: {image: nginx}\n");
    run(&test, &["init"])
        .status(2)
        .stdout_empty()
        .stderr_says("no AWS region")
        .stderr_contains("--region");
    assert!(!test.dir().join("shop/parity.toml").exists());
}

#[test]
fn init_reads_the_region_from_the_environment_and_the_aws_config_profile() {
    let test = project("shop", "services:\n  web: {image: nginx}\n")
        .env("AWS_DEFAULT_REGION", "us-east-2");
    run(&test, &["init"])
        .status(0)
        .stderr_empty()
        .stdout_contains("region us-east-2");
    let test = project("shop", "services:\n  web: {image: nginx}\n").file(
        "aws-config",
        "[default]\nregion = eu-north-1\n[profile work]\nregion = ap-south-1\n",
    );
    let config = test.dir().join("aws-config").display().to_string();
    let test = test
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_PROFILE", "work");
    run(&test, &["init"])
        .status(0)
        .stderr_empty()
        .stdout_contains("region ap-south-1");
    assert!(read(&test.dir().join("shop/parity.toml")).contains("region = \"ap-south-1\""));
}

#[test]
fn write_compose_refuses_a_conflicting_existing_block_and_changes_nothing() {
    let compose = "services:\n  web:\n    image: app\n    environment:\n      API_TOKEN: x\n    x-parity:\n      exec: true\n";
    let test = project("shop", compose);
    run(&test, &["init", "--write-compose", "--region", "eu-west-1"])
        .status(2)
        .stdout_empty()
        .stderr_says("already has an x-parity block")
        .stderr_contains("compose.yaml:6:");
    assert_eq!(read(&test.dir().join("shop/compose.yaml")), compose);
    assert!(!test.dir().join("shop/parity.toml").exists());
    // Without --write-compose the keys are printed to merge by hand.
    run(&test, &["init", "--region", "eu-west-1"])
        .status(0)
        .stderr_empty()
        .stdout_contains("x-parity: {secrets: [API_TOKEN]}   # merge into the existing block");
}

#[test]
fn init_asks_for_the_region_on_a_terminal() {
    // util-linux `script` gives parity a pseudo-terminal, as a user's shell would.
    let test = project("shop", "services:\n  web: {image: nginx}\n");
    let dir = test.dir().join("shop");
    let output = Command::new("bash")
        .args([
            "-c",
            &format!(
                "(sleep 1; printf 'eu-west-3\\n') | script -qec '{} init' /dev/null",
                parity_bin()
            ),
        ])
        .current_dir(&dir)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env("NO_COLOR", "1")
        .output()
        .expect("util-linux `script` runs parity on a terminal");
    // The terminal merges stdout and stderr.
    Run::new(output)
        .status(0)
        .stderr_empty()
        .stdout_contains("AWS region for staging and prod")
        .stdout_contains("region eu-west-3");
    assert!(read(&dir.join("parity.toml")).contains("region = \"eu-west-3\""));
}
