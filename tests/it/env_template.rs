//! `parity env template`: every variant of the environment stack (network
//! modes; with and without load balancer, domain, hosted zone, NAT, task-role
//! policies, KMS key; one and several public services; a promoted environment;
//! backing services: RDS PostgreSQL, RDS MySQL, ElastiCache Redis)
//! is pinned byte for byte by a golden file and passes `cfn-lint` (AWS's
//! CloudFormation linter, against the resource specification) with zero
//! errors and warnings, and is applied on moto_server and checked there; bad
//! environment settings exit 2 naming parity.toml line:col or the compose
//! service, with nothing on stdout.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::moto::Moto;
use crate::support::{Test, repo_path};

fn cases(area: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo_path(area))
        .unwrap_or_else(|e| panic!("read {area}: {e}"))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A project holding a fixture's compose.yaml and parity.toml.
fn project_from(case: &Path) -> Test {
    let read = |name: &str| {
        std::fs::read_to_string(case.join(name))
            .unwrap_or_else(|e| panic!("{}: {e}", case.join(name).display()))
    };
    Test::new()
        .compose(&read("compose.yaml"))
        .toml(&read("parity.toml"))
}

fn environment_of(case: &Path) -> String {
    std::fs::read_to_string(case.join("env"))
        .map_or_else(|_| "staging".to_owned(), |e| e.trim().to_owned())
}

/// Stderr without the renderer's line wrapping and box drawing.
fn flat(text: &str) -> String {
    text.replace(['│', '×', '╭', '╰', '─', '[', ']'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn every_stack_variant_matches_its_golden_and_passes_cfn_lint() {
    let cases = cases("fixtures/stack/golden");
    assert!(cases.len() >= 9, "only {} stack variants", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let run = project_from(case)
            .args(["env", "template", &environment_of(case)])
            .run();
        if run.code() != 0 {
            failures.push(format!(
                "{name}: exit {}\n{}\n{}",
                run.code(),
                run.stderr(),
                run.stdout()
            ));
            continue;
        }
        // The compose files' local passwords are canaries: no template may hold them.
        if run.stdout().contains("CANARY") || run.stderr().contains("CANARY") {
            failures.push(format!("{name}: a local password reached the output"));
        }
        let expected = std::fs::read_to_string(case.join("template.yaml")).unwrap();
        if run.stdout() != expected {
            failures.push(format!(
                "{name}: template differs from template.yaml\n--- actual\n{}",
                run.stdout()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    // The goldens equal the output, so linting them lints what parity prints.
    let templates: Vec<PathBuf> = cases.iter().map(|c| c.join("template.yaml")).collect();
    let output = Command::new("cfn-lint")
        // Informational findings count too: the goldens have none of any level.
        .args(["--include-checks", "I", "--format", "parseable", "--"])
        .args(&templates)
        .output()
        .unwrap_or_else(|e| {
            panic!("cfn-lint is required for this test ({e}); scripts/setup installs it")
        });
    assert!(
        output.status.success(),
        "cfn-lint found problems (exit {:?}):\n{}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// moto's CloudFormation builds every variant (with `ServiceConnect=disabled`:
/// it has no Cloud Map), and what it built is what the template promises: the
/// tasks' security group admits groups only, never an address range; the load
/// balancer's is open on 80/443 only; the execution role's SSM statement is
/// scoped to the environment's prefix and `Resource: *` appears only where AWS
/// allows nothing narrower; repositories and log group as declared.
#[test]
fn every_stack_variant_applies_on_moto_as_declared() {
    let moto = Moto::start();
    let templates: Vec<PathBuf> = cases("fixtures/stack/golden")
        .iter()
        .map(|c| c.join("template.yaml"))
        .collect();
    let output = Command::new("python3")
        .arg(repo_path("scripts/check-stack-on-moto.py"))
        .args(["--endpoint", &moto.endpoint()])
        .args(&templates)
        .output()
        .expect("run python3 scripts/check-stack-on-moto.py (scripts/setup installs boto3)");
    assert!(
        output.status.success(),
        "{}{}\n--- moto log\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        moto.log()
    );
}

#[test]
fn bad_environment_settings_exit_2_naming_the_place() {
    let cases = cases("fixtures/stack/refused");
    assert!(cases.len() >= 10, "only {} refused cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expected = std::fs::read_to_string(case.join("expected-error")).unwrap();
        let run = project_from(case)
            .args(["env", "template", "staging"])
            .run();
        let stderr = flat(&run.stderr());
        let missing: Vec<&str> = expected
            .lines()
            .filter(|line| !line.trim().is_empty() && !stderr.contains(line.trim()))
            .collect();
        if run.code() != 2 || !missing.is_empty() || !run.stdout().is_empty() {
            failures.push(format!(
                "{name}: exit {}, expected 2 with {missing:?}\n--- stderr\n{}\n--- stdout\n{}",
                run.code(),
                run.stderr(),
                run.stdout()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn an_unknown_environment_is_bad_input_listing_the_known_ones() {
    let case = repo_path("fixtures/stack/golden/public-one-service");
    let run = project_from(&case)
        .args(["env", "template", "stagin"])
        .run()
        .status(2);
    let stderr = flat(&run.stderr());
    assert!(stderr.contains("unknown environment `stagin`"), "{stderr}");
    assert!(stderr.contains("did you mean `staging`?"), "{stderr}");
    assert!(run.stdout().is_empty());
}
