//! `parity watch` and `parity up --watch` against the real Docker Engine:
//! edits synced into the running container (deletions removed, ignored files
//! left out), a rebuild that replaces the container, a failing rebuild that
//! keeps the old one, restart, sync+exec and initial_sync; and the failure report that
//! shows a whole Python traceback with its lines unwrapped. Each test has its
//! own project; files are read back through the engine (`docker cp`).

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::docker::{Stack, demo_image};
use crate::support::{Run, Test};

/// A parity process that keeps running (watch), its output gathered as it comes.
pub(crate) struct Watching {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Watching {
    pub(crate) fn start(test: &Test, args: &[&str]) -> Self {
        let mut child = test
            .command()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn parity");
        let gather = |mut pipe: Box<dyn Read + Send>| {
            let text = Arc::new(Mutex::new(String::new()));
            let sink = Arc::clone(&text);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
            text
        };
        let stdout = gather(Box::new(child.stdout.take().expect("stdout")));
        let stderr = gather(Box::new(child.stderr.take().expect("stderr")));
        Self {
            child,
            stdout,
            stderr,
        }
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stderr says `needle`.
    #[track_caller]
    pub(crate) fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while !self.stderr().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "never said {needle:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Ctrl-C; the exit code, stdout and stderr.
    pub(crate) fn stop(mut self) -> (Option<i32>, String, String) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("wait for parity");
        std::thread::sleep(Duration::from_millis(200));
        let stdout = self.stdout.lock().unwrap().clone();
        (status.code(), stdout, self.stderr())
    }
}

/// The file's content in the service's container (`docker cp`), or None when it is absent.
fn in_container(stack: &Stack, service: &str, path: &str) -> Option<String> {
    let id = stack.container_id(service)?;
    let output = Command::new("docker")
        .args(["cp", &format!("{id}:{path}"), "-"])
        .output()
        .expect("docker cp");
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Polls until `check` holds, for at most 30 s.
#[track_caller]
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes `text` to `path` until the container holds it (the watcher may still be starting).
#[track_caller]
fn edit_until_synced(stack: &Stack, host: &Path, container_path: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        std::fs::write(host, text).unwrap();
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until {
            if in_container(stack, "web", container_path).is_some_and(|t| t.contains(text)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            Instant::now() < deadline,
            "{container_path} never held {text:?}"
        );
    }
}

/// `parity -p STACK up --wait`, run to completion.
fn up_wait(test: &Test, stack: &Stack) -> Run {
    let output = test
        .command()
        .args(["-p", stack.name(), "up", "--wait"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run parity up");
    Run::new(output)
}

#[track_caller]
fn up_detached(test: &Test, stack: &Stack) {
    up_wait(test, stack)
        .status(0)
        .stdout_contains("web")
        .stderr_contains("✔ web");
}

#[test]
fn watch_syncs_edits_removes_deletions_and_leaves_ignored_files_out() {
    let stack = Stack::new("wsync");
    let yaml = format!(
        r#"
services:
  web:
    image: {}
    command: ["web", "--port", "8080", "--files", "/srv/src"]
    init: true
    stop_grace_period: 2s
    develop:
      watch:
        - action: sync
          path: ./src
          target: /srv/src
          ignore: ["*.tmp"]
"#,
        demo_image()
    );
    let test = Test::new()
        .compose(&yaml)
        .file("src/keep.txt", "kept\n")
        .file("src/gone.txt", "to be deleted\n");
    up_detached(&test, &stack);
    let src = test.dir().join("src");
    let watching = Watching::start(&test, &["-p", stack.name(), "watch"]);
    edit_until_synced(
        &stack,
        &src.join("page.txt"),
        "/srv/src/page.txt",
        "version 1\n",
    );
    edit_until_synced(
        &stack,
        &src.join("page.txt"),
        "/srv/src/page.txt",
        "version 2\n",
    );
    // Deleted on the host: removed in the container.
    std::fs::write(src.join("gone.txt"), "to be deleted\n").unwrap();
    eventually("gone.txt synced", || {
        in_container(&stack, "web", "/srv/src/gone.txt").is_some()
    });
    std::fs::remove_file(src.join("gone.txt")).unwrap();
    eventually("gone.txt removed in the container", || {
        in_container(&stack, "web", "/srv/src/gone.txt").is_none()
    });
    // Ignored by the rule, an editor's swap file, and .git: never copied.
    std::fs::write(src.join("scratch.tmp"), "ignored\n").unwrap();
    std::fs::write(src.join(".page.txt.swp"), "vim\n").unwrap();
    std::fs::create_dir_all(src.join(".git")).unwrap();
    std::fs::write(src.join(".git/HEAD"), "ref\n").unwrap();
    edit_until_synced(
        &stack,
        &src.join("page.txt"),
        "/srv/src/page.txt",
        "version 3\n",
    );
    for ignored in ["scratch.tmp", ".page.txt.swp", ".git/HEAD"] {
        assert_eq!(
            in_container(&stack, "web", &format!("/srv/src/{ignored}")),
            None,
            "{ignored} was synced"
        );
    }
    assert_eq!(
        in_container(&stack, "web", "/srv/src/keep.txt"),
        None,
        "only changed files are copied (keep.txt never changed)"
    );
    let (code, stdout, stderr) = watching.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.is_empty(),
        "parity watch prints nothing on stdout: {stdout}"
    );
    assert!(stderr.contains("⟳ watch"), "{stderr}");
    assert!(stderr.contains("⟳ web       synced 1 file in "), "{stderr}");
    assert!(stderr.contains("removed 1"), "{stderr}");
    assert_eq!(stack.running().len(), 1, "watch never stops the project");
}

#[test]
fn up_watch_rebuilds_into_a_new_container_and_a_failing_rebuild_keeps_the_old_one() {
    let stack = Stack::new("wrebuild");
    let dockerfile = format!("FROM {}\nCOPY version.txt /version.txt\n", demo_image());
    let yaml = format!(
        r#"
services:
  web:
    build: ./app
    command: ["web", "--port", "8080"]
    init: true
    stop_grace_period: 2s
    develop:
      watch:
        - action: rebuild
          path: ./app
  worker:
    image: {image}
    command: ["sleep"]
    init: true
    stop_grace_period: 2s
    depends_on:
      web: {{ condition: service_started, restart: true }}
"#,
        image = demo_image()
    );
    let test = Test::new()
        .compose(&yaml)
        .file("app/Dockerfile", &dockerfile)
        .file("app/version.txt", "one\n");
    let watching = Watching::start(&test, &["-p", stack.name(), "up", "--watch"]);
    watching.wait_for("⟳ watch");
    let first = stack.container_id("web").expect("web runs");
    let first_image = stack.inspect("web")["Image"].clone();
    let worker_started = stack.inspect("worker")["State"]["StartedAt"].clone();
    std::fs::write(test.dir().join("app/version.txt"), "two\n").unwrap();
    watching.wait_for("⟳ web       rebuilt in ");
    watching.wait_for("⟳ worker    restarted (web was rebuilt)");
    assert_ne!(
        stack.inspect("worker")["State"]["StartedAt"],
        worker_started,
        "depends_on restart: true restarts the dependant"
    );
    let second = stack.container_id("web").expect("web runs again");
    assert_ne!(first, second, "the container was recreated");
    assert_ne!(
        stack.inspect("web")["Image"],
        first_image,
        "from the new image"
    );
    assert_eq!(
        in_container(&stack, "web", "/version.txt").map(|t| t.contains("two")),
        Some(true)
    );
    // A broken Dockerfile: the build fails, the running container stays.
    std::fs::write(
        test.dir().join("app/Dockerfile"),
        format!("FROM {}\nCOPY no-such-file /x\n", demo_image()),
    )
    .unwrap();
    watching.wait_for("rebuild failed; the old container keeps running");
    watching.wait_for("COPY no-such-file /x");
    assert_eq!(stack.container_id("web").as_deref(), Some(second.as_str()));
    assert_eq!(stack.running().len(), 2);
    let (code, stdout, stderr) = watching.stop();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stdout.contains("web"), "the attached logs: {stdout}");
    assert!(
        stderr.contains("building the image for `web` failed"),
        "{stderr}"
    );
    assert!(stack.running().is_empty(), "Ctrl-C stops the project");
}

#[test]
fn restart_sync_exec_and_initial_sync_act_on_the_running_container() {
    let stack = Stack::new("wrestart");
    let yaml = format!(
        r#"
services:
  web:
    image: {}
    command: ["web", "--port", "8080"]
    init: true
    stop_grace_period: 2s
    develop:
      watch:
        - action: restart
          path: ./conf
        - action: sync+exec
          path: ./hooks
          target: /srv/hooks
          exec:
            command: ["/app", "exit", "0", "--say", "reloaded"]
        - action: sync
          path: ./seed
          target: /srv/seed
          initial_sync: true
"#,
        demo_image()
    );
    let test = Test::new()
        .compose(&yaml)
        .file("conf/app.conf", "a\n")
        .file("hooks/h.txt", "a\n")
        .file("seed/s.txt", "seeded\n");
    up_detached(&test, &stack);
    let id = stack.container_id("web").expect("web runs");
    let started = stack.inspect("web")["State"]["StartedAt"].clone();
    assert_eq!(in_container(&stack, "web", "/srv/seed/s.txt"), None);
    let watching = Watching::start(&test, &["-p", stack.name(), "watch"]);
    watching.wait_for("⟳ watch");
    // initial_sync: the rule's files are copied when watching starts, unedited.
    assert_eq!(
        in_container(&stack, "web", "/srv/seed/s.txt").map(|t| t.contains("seeded")),
        Some(true)
    );
    std::fs::write(test.dir().join("conf/app.conf"), "b\n").unwrap();
    watching.wait_for("⟳ web       restarted in ");
    assert_eq!(
        stack.container_id("web").as_deref(),
        Some(id.as_str()),
        "same container"
    );
    assert_ne!(
        stack.inspect("web")["State"]["StartedAt"],
        started,
        "started again"
    );
    std::fs::write(test.dir().join("hooks/h.txt"), "b\n").unwrap();
    watching.wait_for("ran `/app exit 0 --say reloaded`");
    assert_eq!(
        in_container(&stack, "web", "/srv/hooks/h.txt").map(|t| t.contains('b')),
        Some(true)
    );
    let (code, stdout, stderr) = watching.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("synced 1 file in "), "{stderr}");
}

#[test]
fn a_failing_release_shows_its_whole_traceback_with_lines_unwrapped() {
    let stack = Stack::new("traceback");
    let frames: String = (0..20)
        .map(|i| {
            format!(
                "  File \"/app/step{i}.py\", line {i}, in step{i}\n    step{}()\n",
                i + 1
            )
        })
        .collect();
    let code = format!(
        "    settings = load_settings({})",
        "option_value, ".repeat(10)
    );
    let marker = format!("               {}", "^".repeat(code.len() - 15));
    let story = format!(
        "starting\n\nTraceback (most recent call last):\n{frames}{code}\n{marker}\nValueError: no DATABASE_URL"
    );
    let yaml = format!(
        "services:\n  migrate:\n    image: {}\n    command: {}\n    x-parity: {{ release: true }}\n",
        demo_image(),
        serde_json::json!(["exit", "1", "--say", story])
    );
    let test = Test::new().compose(&yaml);
    let run = up_wait(&test, &stack)
        .status(1)
        .stdout_empty()
        .stderr_contains("Traceback (most recent call last):")
        .stderr_contains("ValueError: no DATABASE_URL");
    let stderr = run.stderr();
    let lines: Vec<&str> = stderr.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.ends_with(&code))
        .unwrap_or_else(|| panic!("the long line is not whole:\n{stderr}"));
    assert!(
        lines[at + 1].ends_with(&marker),
        "the markers follow their line:\n{stderr}"
    );
    assert_eq!(
        lines[at].chars().count() - code.chars().count(),
        lines[at + 1].chars().count() - marker.chars().count(),
        "under the code they point at:\n{stderr}"
    );
}
