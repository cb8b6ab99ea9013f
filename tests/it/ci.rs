//! `parity ci github`: the workflows rendered for the example stack are
//! pinned by goldens (fixtures/ci/example/), and every rendered workflow —
//! the example's and a three-stage pipeline's with its account in
//! parity.toml — passes GitHub's workflow schema (`check-jsonschema
//! --builtin-schema vendor.github-workflows`, vendored in the package, so
//! offline) and `zizmor --offline` with no findings. `--write` refuses to
//! replace an edited file; bad parity.toml is exit 2 with nothing written.
//!
//! `UPDATE_GOLDENS=1` rewrites the goldens from what parity renders.

use std::path::Path;
use std::process::Command;

use crate::support::{Run, Test, repo_path};

/// The workflow files the example's parity.toml (staging, prod promoting from it) calls for.
const EXAMPLE_FILES: &[&str] = &[
    "parity-pull-request.yml",
    "parity-deploy.yml",
    "parity-promote.yml",
    "parity-review-apps.yml",
];

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs parity in the project with `args` (the project keeps its files between runs).
fn run(test: &Test, args: &[&str]) -> Run {
    let mut command = test.command();
    command.args(args);
    Run::new(command.output().expect("run parity"))
}

/// `parity -f compose.example.yml ci github ARGS` in the example project.
fn ci_github(test: &Test, args: &[&str]) -> Run {
    let mut all = vec!["-f", "compose.example.yml", "ci", "github"];
    all.extend_from_slice(args);
    run(test, &all)
}

/// The example stack in a directory named `shop`, with the parity.toml
/// `parity init` writes for it (the region given, no AWS configuration read).
fn example() -> Test {
    let test = Test::new()
        .file(
            "shop/compose.example.yml",
            &read(&repo_path("compose.example.yml")),
        )
        .cwd("shop")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config");
    run(
        &test,
        &["-f", "compose.example.yml", "init", "--region", "eu-west-1"],
    )
    .status(0)
    .stderr_empty()
    .stdout_contains("wrote parity.toml");
    test
}

/// Fails the test unless GitHub's workflow schema accepts every file.
fn assert_schema_valid(files: &[std::path::PathBuf]) {
    let output = Command::new("check-jsonschema")
        .args(["--builtin-schema", "vendor.github-workflows"])
        .args(files)
        .output()
        .expect("check-jsonschema runs (scripts/setup installs it)");
    assert!(
        output.status.success(),
        "check-jsonschema refused a workflow:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Fails the test unless zizmor (offline, every audit, no config, no
/// ignore comments honoured, the pedantic persona) finds nothing in `dir`.
fn assert_zizmor_clean(dir: &Path) {
    let output = Command::new("zizmor")
        .args([
            "--offline",
            "--no-config",
            "--no-ignores",
            "--persona",
            "pedantic",
            "--format",
            "json",
            "--no-progress",
        ])
        .arg(dir)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .output()
        .expect("zizmor runs (scripts/setup installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let findings: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "zizmor printed no JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(
        findings,
        serde_json::json!([]),
        "zizmor findings:\n{}",
        serde_json::to_string_pretty(&findings).unwrap()
    );
    assert!(
        output.status.success(),
        "zizmor failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn workflow_paths(dir: &Path, names: &[&str]) -> Vec<std::path::PathBuf> {
    names
        .iter()
        .map(|name| dir.join(".github/workflows").join(name))
        .collect()
}

#[test]
fn example_stack_workflows_match_the_goldens_pass_the_schema_and_zizmor() {
    let test = example();
    let dir = test.dir().join("shop");
    ci_github(&test, &["--write"])
        .status(0)
        .stderr_empty()
        .stdout_is(
            &EXAMPLE_FILES
                .iter()
                .map(|f| format!("wrote .github/workflows/{f}\n"))
                .collect::<String>(),
        );
    let goldens = repo_path("fixtures/ci/example");
    let update = std::env::var_os("UPDATE_GOLDENS").is_some();
    for name in EXAMPLE_FILES {
        let written = read(&dir.join(".github/workflows").join(name));
        if update {
            std::fs::write(goldens.join(name), &written).expect("write golden");
        }
        assert_eq!(written, read(&goldens.join(name)), "golden {name}");
    }
    assert_schema_valid(&workflow_paths(&dir, EXAMPLE_FILES));
    assert_zizmor_clean(&dir.join(".github/workflows"));

    // Without --write the same text goes to stdout, each file headed by its path.
    let stream = EXAMPLE_FILES
        .iter()
        .map(|f| format!("# .github/workflows/{f}\n{}", read(&goldens.join(f))))
        .collect::<Vec<_>>()
        .join("---\n");
    ci_github(&test, &[])
        .status(0)
        .stderr_empty()
        .stdout_is(&stream);
}

#[test]
fn a_three_stage_pipeline_with_its_account_in_parity_toml_passes_the_schema_and_zizmor() {
    let test = Test::new()
        .compose("services:\n  web:\n    build: .\n    ports: [\"8000:8000\"]\n")
        .toml(
            "app = \"shop\"\n\n[environments.qa]\nregion = \"eu-west-1\"\naccount_id = \"111111111111\"\n\n\
             [environments.prod]\nregion = \"eu-central-1\"\naccount_id = \"222222222222\"\npromotes_from = \"qa\"\n\n\
             [environments.dr]\nregion = \"us-east-1\"\naccount_id = \"222222222222\"\npromotes_from = \"prod\"\n",
        );
    run(&test, &["ci", "github", "--write"])
        .status(0)
        .stderr_empty()
        .stdout_contains("wrote .github/workflows/parity-promote.yml");
    let dir = test.dir();
    assert_schema_valid(&workflow_paths(dir, EXAMPLE_FILES));
    assert_zizmor_clean(&dir.join(".github/workflows"));

    let deploy = read(&dir.join(".github/workflows/parity-deploy.yml"));
    assert!(deploy.contains("run: parity deploy qa\n"), "{deploy}");
    assert!(
        deploy.contains("role-to-assume: \"arn:aws:iam::111111111111:role/parity-shop-qa-deploy\""),
        "{deploy}"
    );
    assert!(!deploy.contains("AWS_ACCOUNT_ID"), "{deploy}");
    assert!(!deploy.contains("COMPOSE_FILE"), "{deploy}");
    let promote = read(&dir.join(".github/workflows/parity-promote.yml"));
    for needle in [
        "run: parity promote --from qa --to prod\n",
        "run: parity promote --from prod --to dr\n",
        "environment: production\n",
        "environment: dr\n",
        "aws-region: \"us-east-1\"",
        "role-to-assume: \"arn:aws:iam::222222222222:role/parity-shop-dr-deploy\"",
    ] {
        assert!(promote.contains(needle), "{needle:?} in\n{promote}");
    }
    let pull_request = read(&dir.join(".github/workflows/parity-pull-request.yml"));
    for env in ["qa", "prod", "dr"] {
        assert!(
            pull_request.contains(&format!("run: parity plan {env} --offline\n")),
            "{pull_request}"
        );
    }
}

#[test]
fn write_never_replaces_an_edited_workflow_without_force() {
    let test = example();
    let dir = test.dir().join("shop");
    ci_github(&test, &["--write"])
        .status(0)
        .stderr_empty()
        .stdout_contains("wrote .github/workflows/parity-deploy.yml");
    let pull_request = dir.join(".github/workflows/parity-pull-request.yml");
    let deploy = dir.join(".github/workflows/parity-deploy.yml");
    let edited = read(&pull_request).replace("exit 1", "cargo test");
    std::fs::write(&pull_request, &edited).unwrap();
    std::fs::remove_file(&deploy).unwrap();

    ci_github(&test, &["--write"])
    .status(2)
    .stdout_empty()
    .stderr_says(
        ".github/workflows/parity-pull-request.yml exists with other contents; nothing was written",
    )
    .stderr_contains("--force");
    assert_eq!(read(&pull_request), edited, "the edit is kept");
    assert!(!deploy.exists(), "a refusal writes nothing");

    run(
        &test,
        &[
            "-f",
            "compose.example.yml",
            "ci",
            "github",
            "--write",
            "--force",
        ],
    )
    .status(0)
    .stderr_empty()
    .stdout_is(
        "wrote .github/workflows/parity-pull-request.yml\n\
         wrote .github/workflows/parity-deploy.yml\n\
         unchanged .github/workflows/parity-promote.yml\n\
         unchanged .github/workflows/parity-review-apps.yml\n",
    );
    assert_eq!(
        read(&pull_request),
        read(&repo_path("fixtures/ci/example/parity-pull-request.yml"))
    );
}

#[test]
fn bad_parity_toml_is_exit_2_naming_the_line_and_nothing_is_written() {
    let test = Test::new()
        .compose("services:\n  web:\n    build: .\n")
        .toml("app = \"shop\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nregoin = \"x\"\n");
    run(&test, &["ci", "github", "--write"])
        .status(2)
        .stdout_empty()
        .stderr_contains("regoin")
        .stderr_contains("parity.toml:5:1");
    assert!(!test.dir().join(".github").exists());

    let test = Test::new()
        .compose("services:\n  web:\n    build: .\n")
        .toml("app = \"Shop!\"\n\n[environments.staging]\nregion = \"eu-west-1\"\n");
    run(&test, &["ci", "github"])
        .status(2)
        .stdout_empty()
        .stderr_says("invalid app `Shop!`");
}
