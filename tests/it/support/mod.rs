//! The `Test` builder: a temp project directory, files, environment and
//! arguments, then assertions on the CLI's stdout, stderr and exit status.

#![allow(dead_code)]

pub mod compose_v2;
pub mod docker;
pub mod ecs_fixture;
pub mod http;
pub mod moto;
pub mod registry;
pub mod secretsmanager;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The parity binary built for this test run.
pub fn parity_bin() -> &'static str {
    env!("CARGO_BIN_EXE_parity")
}

/// A repository path (fixtures, examples).
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// One CLI invocation in a fresh temp directory. `#[must_use]`: a test
/// that builds an invocation and never runs it asserts nothing.
#[must_use]
pub struct Test {
    dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    env_remove: Vec<String>,
    stdin: Option<String>,
    /// Working directory relative to the temp dir (default: the temp dir itself).
    cwd: Option<String>,
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    pub fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("parity-test-")
                .tempdir()
                .expect("temp dir"),
            args: Vec::new(),
            env: Vec::new(),
            env_remove: Vec::new(),
            stdin: None,
            cwd: None,
        }
    }

    /// The project directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file relative to the project directory (parents created).
    pub fn file(self, relative: &str, contents: &str) -> Self {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, contents).expect("write test file");
        self
    }

    /// Writes `compose.yaml`.
    pub fn compose(self, yaml: &str) -> Self {
        self.file("compose.yaml", yaml)
    }

    /// Writes `parity.toml`.
    pub fn toml(self, toml: &str) -> Self {
        self.file("parity.toml", toml)
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn env_remove(mut self, key: &str) -> Self {
        self.env_remove.push(key.into());
        self
    }

    /// Runs parity in a subdirectory of the temp dir, e.g. a copied fixture
    /// whose directory name is the project name under test.
    pub fn cwd(mut self, relative: &str) -> Self {
        self.cwd = Some(relative.into());
        self
    }

    pub fn stdin(mut self, input: &str) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// The command as it will run: cwd = project dir, colour off, and none of
    /// the caller's COMPOSE_* variables leaking in.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(parity_bin());
        let cwd = match &self.cwd {
            Some(relative) => self.dir.path().join(relative),
            None => self.dir.path().to_path_buf(),
        };
        cmd.current_dir(cwd)
            .args(&self.args)
            .env("NO_COLOR", "1")
            .env_remove("COMPOSE_FILE")
            .env_remove("COMPOSE_PROJECT_NAME")
            .env_remove("COMPOSE_PROFILES");
        for key in &self.env_remove {
            cmd.env_remove(key);
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        cmd
    }

    /// Runs to completion.
    #[must_use = "a run's status and output must be checked"]
    pub fn run(&self) -> Run {
        let mut cmd = self.command();
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn parity");
        if let Some(input) = &self.stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write stdin");
        }
        let output = child.wait_with_output().expect("wait for parity");
        Run { output }
    }
}

impl Test {
    /// Runs with stdout a pipe whose reader is already gone, as in
    /// `parity ps | head -0`: every write to stdout fails with EPIPE.
    /// Returns the exit status and stderr.
    pub fn run_with_closed_stdout(&self) -> (i32, String) {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let output = self
            .command()
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("run parity");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

/// The outcome of one run, with assertions that print everything on failure.
pub struct Run {
    pub output: Output,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Stderr without the error renderer's line wrapping and box drawing,
    /// for assertions on long messages.
    pub fn stderr_flat(&self) -> String {
        self.stderr()
            .replace(['│', '×', '╭', '╰', '─'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    /// Asserts the exit status.
    pub fn status(self, expected: i32) -> Self {
        assert_eq!(
            self.code(),
            expected,
            "exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// Asserts stdout parses as JSON equal to `expected`.
    pub fn stdout_json(self, expected: &serde_json::Value) -> Self {
        let actual: serde_json::Value = serde_json::from_str(&self.stdout())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout()));
        assert_eq!(
            &actual,
            expected,
            "stdout JSON\n--- actual\n{}\n--- expected\n{}",
            serde_json::to_string_pretty(&actual).unwrap(),
            serde_json::to_string_pretty(expected).unwrap()
        );
        self
    }

    /// Parses stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout()))
    }

    pub fn stdout_contains(self, needle: &str) -> Self {
        assert!(
            self.stdout().contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout()
        );
        self
    }

    pub fn stderr_contains(self, needle: &str) -> Self {
        assert!(
            self.stderr().contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr()
        );
        self
    }

    /// Asserts `needle` appears nowhere in stdout or stderr (secret canaries).
    pub fn never_prints(self, needle: &str) -> Self {
        assert!(
            !self.stdout().contains(needle) && !self.stderr().contains(needle),
            "output leaks {needle:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}
