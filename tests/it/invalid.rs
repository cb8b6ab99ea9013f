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
