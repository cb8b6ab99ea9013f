//! Bad input: every case under `fixtures/invalid/` must exit 2 with a message
//! that names the exact `file:line:col` (or the file, where there is no line)
//! and a key phrase, and must never panic.
//!
//! A case is a directory holding the broken input and `expect.json`:
//! `{"args": [...], "location": "compose.yaml:3:5", "phrase": "..."}`; `args`
//! go before `config`. The case is copied to a temp dir and run there.

use std::path::Path;

use serde_json::Value;

use crate::support::{Test, repo_path};

/// The issue asks for at least this many broken inputs.
const MIN_CASES: usize = 30;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create case copy dir");
    for entry in std::fs::read_dir(from).expect("read case dir") {
        let entry = entry.expect("case dir entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != "expect.json" {
            std::fs::copy(entry.path(), &target).expect("copy case file");
        }
    }
}

#[test]
fn every_invalid_input_exits_2_naming_file_line_column_and_what_is_wrong() {
    let root = repo_path("fixtures/invalid");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures/invalid")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= MIN_CASES, "only {} invalid cases", dirs.len());
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 name");
        let expect: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("expect.json")).expect("expect.json"),
        )
        .unwrap_or_else(|e| panic!("{name}/expect.json: {e}"));
        let args: Vec<String> = expect["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|a| a.as_str().expect("string arg").to_owned())
            .collect();
        let location = expect["location"].as_str().expect("location");
        let phrase = expect["phrase"].as_str().expect("phrase");

        let test = Test::new();
        copy_dir(dir, test.dir());
        let base = std::fs::canonicalize(test.dir()).expect("canonical temp dir");
        let run = test.args(args).args(["config"]).run();
        let stderr = run.stderr();
        let wanted = format!("{}/{location}", base.display());
        let mut problems = Vec::new();
        if run.code() != 2 {
            problems.push(format!("exit {} (expected 2)", run.code()));
        }
        if stderr.contains("panicked") {
            problems.push("panicked".to_owned());
        }
        if !run.stdout().is_empty() {
            problems.push("printed on stdout".to_owned());
        }
        // The location must be followed by a delimiter, so `:3:1` does not match `:3:12`.
        let located = stderr
            .match_indices(&wanted)
            .any(|(at, _)| !stderr[at + wanted.len()..].starts_with(|c: char| c.is_ascii_digit()));
        if !located {
            problems.push(format!("does not name {location}"));
        }
        if !stderr.contains(phrase) {
            problems.push(format!("lacks {phrase:?}"));
        }
        if !problems.is_empty() {
            failures.push(format!("{name}: {}\n{stderr}", problems.join(", ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} invalid cases failed:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}

/// Two environments, enough for every cloud command to get as far as reading
/// the compose file.
const SETTINGS: &str = r#"app = "shop"

[environments.staging]
region = "eu-west-1"
account_id = "123456789012"
subnets = ["subnet-0a1b2c3d"]
security_groups = ["sg-0a1b2c3d"]
execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"

[environments.prod]
region = "eu-west-1"
account_id = "123456789012"
subnets = ["subnet-0a1b2c3d"]
security_groups = ["sg-0a1b2c3d"]
execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
"#;

/// `x-parity` is read once, by the loader: a bad block is the same error at
/// the same `file:line:col` whatever command reads the file, and none of them
/// gets as far as Docker or AWS (`config --reveal` included).
#[test]
fn a_bad_x_parity_is_the_same_located_error_under_every_command() {
    let cases = [
        (
            "services:\n  web:\n    image: nginx\n    x-parity:\n      secret: [API_KEY]\n",
            "compose.yaml:5:7",
            "services.web.x-parity: unknown key `secret`",
        ),
        (
            "services:\n  web:\n    image: nginx\n  proxy:\n    image: envoy\n    x-parity: { sidecar_of: api }\n",
            "compose.yaml:6:17",
            "services.proxy.x-parity.sidecar_of: no service `api`",
        ),
    ];
    let commands: &[&[&str]] = &[
        &["config"],
        &["config", "--reveal"],
        &["config", "--services"],
        &["up", "--detach"],
        &["down"],
        &["ps"],
        &["logs"],
        &["plan", "staging", "--offline"],
        &["secrets", "list", "staging"],
        &["secrets", "sync", "staging"],
        &["deploy", "staging"],
        &["promote", "--from", "staging", "--to", "prod"],
        &["rollback", "staging"],
        &["status"],
    ];
    let mut failures = Vec::new();
    for (compose, location, message) in cases {
        for command in commands {
            let test = Test::new().compose(compose).toml(SETTINGS);
            let base = std::fs::canonicalize(test.dir()).expect("canonical temp dir");
            let wanted = format!("{}/{location}", base.display());
            // Nothing may reach a real service: point AWS at a closed port.
            let run = test
                .env("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
                .args(command.iter().copied())
                .run();
            let stderr = run.stderr();
            if run.code() != 2
                || !stderr.contains(&wanted)
                || !stderr.contains(message)
                || !run.stdout().is_empty()
            {
                failures.push(format!(
                    "parity {}: exit {}, wanted 2 with {message:?} at {location}\n{stderr}",
                    command.join(" "),
                    run.code()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs `args` in `test` and checks the limits contract: exit 2 (nothing
/// printed on stdout, no panic), `file:line:col` named, `phrase` said.
fn refused_at(test: Test, args: &[&str], location: &str, phrase: &str) {
    let base = std::fs::canonicalize(test.dir()).expect("canonical temp dir");
    let run = test.args(args.iter().copied()).run();
    let stderr = run.stderr();
    let wanted = format!("{}/{location}", base.display());
    assert!(
        run.code() == 2 && run.stdout().is_empty() && !stderr.contains("panicked"),
        "exit {}, wanted 2:\n{stderr}",
        run.code()
    );
    assert!(
        stderr.contains(&wanted),
        "does not name {location}:\n{stderr}"
    );
    assert!(stderr.contains(phrase), "lacks {phrase:?}:\n{stderr}");
}

/// A label past column 65,535 once made miette panic (exit 101): the snippet
/// is now a window around the column, and the header keeps the real column.
#[test]
fn an_error_past_column_65535_is_located_not_a_panic() {
    let compose = format!(
        "services:\n  web: {{image: nginx,{}bogus: 1}}\n",
        " ".repeat(70_000)
    );
    refused_at(
        Test::new().compose(&compose),
        &["config"],
        "compose.yaml:2:70022",
        "unknown key `bogus`",
    );
    let toml = format!("{SETTINGS}\nnote = \"{}\" oops\n", "y".repeat(70_000));
    refused_at(
        Test::new()
            .compose("services:\n  web:\n    image: nginx\n")
            .toml(&toml),
        &["plan", "staging", "--offline"],
        "parity.toml:17:70011",
        "parity.toml",
    );
}

/// Thousands of nested defaults once overflowed the stack (exit 134).
#[test]
fn deeply_nested_interpolation_defaults_stop_at_the_limit() {
    let nested = format!("{}x{}", "${A:-".repeat(5_000), "}".repeat(5_000));
    refused_at(
        Test::new().compose(&format!("services:\n  web:\n    image: \"{nested}\"\n")),
        &["config"],
        "compose.yaml:3:12",
        "the limit for nested `${...}`",
    );
}

/// An `include` chain hundreds deep once overflowed the stack.
#[test]
fn a_runaway_include_chain_stops_at_the_limit() {
    let mut test = Test::new().compose("include:\n  - f0.yaml\n");
    for i in 0..400 {
        test = test.file(
            &format!("f{i}.yaml"),
            &format!("include:\n  - f{}.yaml\n", i + 1),
        );
    }
    test = test.file("f400.yaml", "services:\n  web:\n    image: nginx\n");
    refused_at(test, &["config"], "f63.yaml:2:3", "the limit for `include`");
}

/// An `extends` chain thousands long once overflowed the stack.
#[test]
fn a_runaway_extends_chain_stops_at_the_limit() {
    let mut compose = String::from("services:\n");
    for i in 0..3_000 {
        compose.push_str(&format!("  s{i}:\n    extends: s{}\n", i + 1));
    }
    compose.push_str("  s3000:\n    image: nginx\n");
    refused_at(
        Test::new().compose(&compose),
        &["config"],
        "compose.yaml:131:14",
        "the limit for `extends`",
    );
}

/// Each file including the next one twice once took 2^depth loads; loaded
/// includes are cached, so thirty levels of diamonds load thirty files.
#[test]
fn a_file_included_twice_at_every_level_is_loaded_once() {
    let mut test = Test::new().compose("include:\n  - d0.yaml\n");
    for i in 0..30 {
        let next = format!("d{}.yaml", i + 1);
        test = test.file(
            &format!("d{i}.yaml"),
            &format!("include:\n  - {next}\n  - path: {next}\n"),
        );
    }
    test = test.file("d30.yaml", "services:\n  web:\n    image: nginx\n");
    test.args(["config", "--services"])
        .run()
        .status(0)
        .stdout_is("web\n")
        .stderr_unchecked("only the outcome matters here");
}

/// A chain of `<<` merges, each copying the one before, is counted by the
/// nodes it copies and stops at the alias limit.
#[test]
fn a_long_merge_key_chain_stops_at_the_alias_limit() {
    let mut compose = String::from("x-a0: &a0 {k0: v}\n");
    for i in 1..3_000 {
        compose.push_str(&format!("x-a{i}: &a{i}\n  <<: *a{}\n  k{i}: v\n", i - 1));
    }
    compose.push_str("services:\n  web:\n    image: nginx\n");
    refused_at(
        Test::new().compose(&compose),
        &["config"],
        "compose.yaml:1338:7",
        "the limit for aliases",
    );
}

/// An endless file given as `-f` is read up to the size limit, not until
/// memory runs out.
#[test]
fn an_endless_compose_file_stops_at_the_size_limit() {
    Test::new()
        .args(["-f", "/dev/zero", "config"])
        .run()
        .status(2)
        .stdout_empty()
        .stderr_says("/dev/zero cannot be read: it is larger than 16 MiB");
}

/// Many services extending services of one `extends.file` once re-read and
/// copied that file for each of them (minutes, hundreds of MB at 3,000); the
/// file's services are read once.
#[test]
fn many_services_extending_one_file_read_it_once() {
    let count = 1_000;
    let mut base = String::from("services:\n");
    let mut compose = String::from("services:\n");
    for i in 0..count {
        base.push_str(&format!("  b{i}:\n    image: nginx\n"));
        compose.push_str(&format!(
            "  s{i}:\n    extends: {{file: base.yaml, service: b{i}}}\n"
        ));
    }
    let run = Test::new()
        .compose(&compose)
        .file("base.yaml", &base)
        .args(["config", "--services"])
        .run()
        .status(0)
        .stderr_unchecked("only the outcome matters here");
    assert_eq!(run.stdout().lines().count(), count);
}
