//! The `Test` builder: a temp project directory, files, environment and
//! arguments, then assertions on the CLI's stdout, stderr and exit status.

#![allow(dead_code)]

pub mod compose_v2;
pub mod docker;
pub mod ecs_fixture;
pub mod engine_proxy;
pub mod fault_proxy;
pub mod http;
pub mod moto;
pub mod registry;
pub mod secretsmanager;
pub mod webhook;

/// The account id the emulated AWS answers with (moto's default).
pub const ACCOUNT: &str = "123456789012";

/// The project the cloud tests ship: a release service (migrations) and a
/// public web service with a secret, both built from the demo's Dockerfile.
pub const RELEASE_AND_WEB: &str = r#"
services:
  migrate:
    build: .
    command: ["/app", "migrate"]
    x-parity:
      release: true
  web:
    build: .
    command: ["/app", "serve"]
    ports: ["3000:3000"]
    environment:
      API_KEY: local-only-value
    x-parity:
      secrets: [API_KEY]
"#;

use std::cell::Cell;
use std::panic::Location;
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
    #[track_caller]
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
        Run::new(output)
    }
}

impl Test {
    /// Runs with stdout a pipe whose reader is already gone, as in
    /// `parity ps | head -0`: every write to stdout fails with EPIPE.
    /// Nothing can be read from that stdout, so the run counts it as looked
    /// at; the test still has to check stderr.
    #[track_caller]
    pub fn run_with_closed_stdout(&self) -> Run {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let output = self
            .command()
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("run parity");
        let run = Run::new(output);
        run.stdout_read.set(true);
        run
    }
}

/// The outcome of one run, with assertions that print everything on failure.
///
/// A test must look at what parity printed: dropping a `Run` whose stdout or
/// stderr no accessor or assertion read fails the test (as casey/just's
/// `Test` compares both streams on every run), so a run cannot silently
/// print a warning, a panic or a leaked value nobody checked. A test that
/// really does not care says so, with a reason, through
/// [`Run::stdout_unchecked`], [`Run::stderr_unchecked`] or
/// [`Run::output_unchecked`] (`grep -rn _unchecked tests/` lists them).
pub struct Run {
    output: Output,
    /// Where the run was made, for the message when it goes unchecked.
    at: &'static Location<'static>,
    stdout_read: Cell<bool>,
    stderr_read: Cell<bool>,
}

impl Run {
    /// Wraps the output of a parity process a test spawned itself.
    #[track_caller]
    pub fn new(output: Output) -> Self {
        Self {
            output,
            at: Location::caller(),
            stdout_read: Cell::new(false),
            stderr_read: Cell::new(false),
        }
    }

    pub fn stdout(&self) -> String {
        self.stdout_read.set(true);
        text(&self.output.stdout)
    }

    pub fn stderr(&self) -> String {
        self.stderr_read.set(true);
        text(&self.output.stderr)
    }

    /// Stderr as one line without the error renderer's box drawing and line
    /// wrapping (it breaks long messages at spaces and after hyphens), so an
    /// assertion does not depend on where a name of some length made a line wrap.
    pub fn stderr_flat(&self) -> String {
        let mut flat = String::new();
        for line in self.stderr().lines() {
            let line = line.replace(['│', '×', '╭', '╰', '─'], " ");
            for (index, word) in line.split_whitespace().enumerate() {
                if !(flat.is_empty() || (index == 0 && flat.ends_with('-'))) {
                    flat.push(' ');
                }
                flat.push_str(word);
            }
        }
        flat
    }

    /// Asserts the flattened stderr (see [`Run::stderr_flat`]) holds `needle`.
    #[track_caller]
    pub fn stderr_says(self, needle: &str) -> Self {
        let flat = self.stderr_flat();
        assert!(
            flat.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.both()
        );
        self
    }

    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    /// Both streams, for failure messages; reading them this way is not looking.
    fn both(&self) -> String {
        format!(
            "--- stdout\n{}\n--- stderr\n{}",
            text(&self.output.stdout),
            text(&self.output.stderr)
        )
    }

    /// Asserts the exit status.
    #[track_caller]
    pub fn status(self, expected: i32) -> Self {
        assert_eq!(self.code(), expected, "exit status\n{}", self.both());
        self
    }

    /// Asserts stdout parses as JSON equal to `expected`.
    #[track_caller]
    pub fn stdout_json(self, expected: &serde_json::Value) -> Self {
        let actual = self.json();
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
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        let stdout = self.stdout();
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{stdout}"))
    }

    #[track_caller]
    pub fn stdout_contains(self, needle: &str) -> Self {
        let stdout = self.stdout();
        assert!(
            stdout.contains(needle),
            "stdout lacks {needle:?}:\n{stdout}"
        );
        self
    }

    #[track_caller]
    pub fn stderr_contains(self, needle: &str) -> Self {
        let stderr = self.stderr();
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
        self
    }

    /// Asserts `needle` is not in stdout.
    #[track_caller]
    pub fn stdout_lacks(self, needle: &str) -> Self {
        let stdout = self.stdout();
        assert!(
            !stdout.contains(needle),
            "stdout holds {needle:?}:\n{stdout}"
        );
        self
    }

    /// Asserts `needle` is not in stderr.
    #[track_caller]
    pub fn stderr_lacks(self, needle: &str) -> Self {
        let stderr = self.stderr();
        assert!(
            !stderr.contains(needle),
            "stderr holds {needle:?}:\n{stderr}"
        );
        self
    }

    /// Asserts stdout is exactly `expected`.
    #[track_caller]
    pub fn stdout_is(self, expected: &str) -> Self {
        assert_eq!(self.stdout(), expected, "stdout\n{}", self.both());
        self
    }

    /// Asserts stderr is exactly `expected`.
    #[track_caller]
    pub fn stderr_is(self, expected: &str) -> Self {
        assert_eq!(self.stderr(), expected, "stderr\n{}", self.both());
        self
    }

    /// Asserts parity printed nothing on stdout.
    #[track_caller]
    pub fn stdout_empty(self) -> Self {
        self.stdout_is("")
    }

    /// Asserts parity printed nothing on stderr (no warning, no progress).
    #[track_caller]
    pub fn stderr_empty(self) -> Self {
        self.stderr_is("")
    }

    /// Asserts `needle` appears nowhere in stdout or stderr (secret canaries).
    /// Looks at both streams.
    #[track_caller]
    pub fn never_prints(self, needle: &str) -> Self {
        let (stdout, stderr) = (self.stdout(), self.stderr());
        assert!(
            !stdout.contains(needle) && !stderr.contains(needle),
            "output leaks {needle:?}\n{}",
            self.both()
        );
        self
    }

    /// The test does not care what stdout holds; `why` says why (it is the
    /// reason a reader of the test needs, so it is not optional).
    pub fn stdout_unchecked(self, why: &str) -> Self {
        assert!(!why.trim().is_empty(), "say why stdout does not matter");
        self.stdout_read.set(true);
        self
    }

    /// The test does not care what stderr holds; `why` says why.
    pub fn stderr_unchecked(self, why: &str) -> Self {
        assert!(!why.trim().is_empty(), "say why stderr does not matter");
        self.stderr_read.set(true);
        self
    }

    /// The test does not care what parity printed at all; `why` says why.
    pub fn output_unchecked(self, why: &str) -> Self {
        self.stdout_unchecked(why).stderr_unchecked(why)
    }
}

/// A run nobody looked at fails the test (unless it already fails).
impl Drop for Run {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let unread: Vec<&str> = [
            ("stdout", self.stdout_read.get()),
            ("stderr", self.stderr_read.get()),
        ]
        .into_iter()
        .filter(|(_, read)| !read)
        .map(|(name, _)| name)
        .collect();
        if !unread.is_empty() {
            panic!(
                "the parity run at {} ended without the test looking at its {}: assert what it \
                 should print (stdout_contains, stderr_is, stderr_empty, ...), or say why it does \
                 not matter with .stdout_unchecked(why) / .stderr_unchecked(why)\n{}",
                self.at,
                unread.join(" and "),
                self.both()
            );
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
