//! `parity build` against the real Docker Engine: BuildKit through the
//! engine's API (checked in the image's own history, where BuildKit marks
//! every layer it made), a local base image resolved without a registry, a
//! warm build served from BuildKit's cache, a failed step's own output, the
//! classic builder only as a fallback the output names, and one build path
//! shared with `up --build`. No timings are asserted (see scripts/bench-build).

use crate::support::docker::{Stack, demo_image, docker};
use crate::support::{Run, Test};

/// A multi-stage Dockerfile on the demo image (local only: no registry is reachable).
fn dockerfile(base: &str, last_step: &str) -> String {
    format!(
        "FROM {base} AS assets\nCOPY page.txt /srv/page.txt\n\
         FROM {base}\nCOPY --from=assets /srv/page.txt /srv/files/page.txt\n{last_step}\n"
    )
}

fn project(last_step: &str) -> Test {
    Test::new()
        .file("Dockerfile", &dockerfile(demo_image(), last_step))
        .file("page.txt", "hello\n")
        .compose(
            r#"
services:
  web:
    build: .
    command: ["web", "--port", "8080"]
  tool:
    build:
      context: .
      target: assets
  db:
    image: parity-it-demo:latest
"#,
        )
}

#[track_caller]
fn build(test: &Test, stack: &Stack, args: &[&str]) -> Run {
    let mut all = vec!["-p", stack.name(), "build"];
    all.extend(args);
    let output = test.command().args(&all).output().expect("run parity");
    Run::new(output)
}

/// The comment on the image's newest layer: BuildKit writes `buildkit.dockerfile.v0`.
fn newest_layer_comment(image: &str) -> String {
    docker(&["history", "--no-trunc", "--format", "{{.Comment}}", image])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// `(cached, steps)` of every `with BuildKit, C of S steps cached` in the output.
fn cached_counts(stderr: &str) -> Vec<(usize, usize)> {
    stderr
        .split("with BuildKit, ")
        .skip(1)
        .filter_map(|rest| {
            let words: Vec<&str> = rest.split_whitespace().take(3).collect();
            match words[..] {
                [cached, "of", steps] => Some((cached.parse().ok()?, steps.parse().ok()?)),
                _ => None,
            }
        })
        .collect()
}

#[test]
fn build_uses_buildkit_and_a_warm_build_comes_from_its_cache() {
    let stack = Stack::new("bkit");
    let test = project(r#"RUN ["/app", "exit", "0", "--say", "step ran"]"#);
    let first = build(&test, &stack, &[]).status(0).stdout_empty();
    let stderr = first.stderr();
    assert!(stderr.contains("with BuildKit"), "{stderr}");
    assert!(!stderr.contains("classic builder"), "{stderr}");
    let web = format!("{}-web", stack.name());
    let tool = format!("{}-tool", stack.name());
    // The engine's own record: BuildKit made the layers, from the local base image.
    assert_eq!(newest_layer_comment(&web), "buildkit.dockerfile.v0");
    assert_eq!(newest_layer_comment(&tool), "buildkit.dockerfile.v0");
    let files = docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Config.Entrypoint}}",
        &web,
    ]);
    assert!(files.contains("/app"), "{files}");
    // `db` runs a ready-made image: nothing to build, and it is not mentioned.
    assert!(!stderr.contains("db "), "{stderr}");

    // Nothing changed: nothing is rebuilt, both images stay as they were, and
    // web's build (the one with a RUN) is served whole from BuildKit's cache.
    // `tool`'s one step is shared with web's first stage; the two builds run
    // at once, and BuildKit may report that shared step as cached to only one
    // of them, so tool's count is not asserted.
    let ids = |image: &str| docker(&["image", "inspect", "--format", "{{.Id}}", image]);
    let (web_before, tool_before) = (ids(&web), ids(&tool));
    let warm = build(&test, &stack, &[]).status(0).stdout_empty();
    let stderr = warm.stderr();
    let counts = cached_counts(&stderr);
    assert_eq!(counts.len(), 2, "one line per build: {stderr}");
    let web_line = stderr
        .lines()
        .find(|line| line.contains(&format!("built {web} ")))
        .unwrap_or_else(|| panic!("no line for web: {stderr}"));
    let (cached, steps) = cached_counts(web_line)[0];
    assert!(steps >= 3 && cached == steps, "{stderr}");
    assert!(!stderr.contains("step ran"), "a step ran again: {stderr}");
    assert_eq!(web_before, ids(&web), "a warm build gave another web image");
    assert_eq!(
        tool_before,
        ids(&tool),
        "a warm build gave another tool image"
    );
}

#[test]
fn build_named_services_only_and_unknown_names_are_refused() {
    let stack = Stack::new("bnamed");
    let test = project(r#"RUN ["/app", "exit", "0"]"#);
    let run = build(&test, &stack, &["tool", "db"])
        .status(0)
        .stdout_empty();
    let stderr = run.stderr();
    assert!(stderr.contains("tool"), "{stderr}");
    assert!(
        stderr.contains("nothing to build (it runs the image `parity-it-demo:latest`)"),
        "{stderr}"
    );
    let images = docker(&[
        "images",
        "--format",
        "{{.Repository}}",
        "--filter",
        &format!("reference={}-*", stack.name()),
    ]);
    assert_eq!(images.trim(), format!("{}-tool", stack.name()));

    build(&test, &stack, &["wbe"])
        .status(2)
        .stdout_empty()
        .stderr_says("did you mean `web`");
}

#[test]
fn a_failed_step_shows_its_own_output() {
    let stack = Stack::new("bfail");
    let test =
        project(r#"RUN ["/app", "exit", "3", "--say", "migration check failed: no such table"]"#);
    let run = build(&test, &stack, &["web"]).status(1).stdout_empty();
    let stderr = run.stderr_flat();
    assert!(
        stderr.contains("building the image for `web` failed"),
        "{stderr}"
    );
    assert!(stderr.contains("exit code: 3"), "{stderr}");
    assert!(
        stderr.contains("migration check failed: no such table"),
        "{stderr}"
    );
    assert!(
        stderr.contains("RUN [\"/app\", \"exit\", \"3\""),
        "{stderr}"
    );
}

#[test]
fn docker_buildkit_0_falls_back_to_the_classic_builder_and_says_so() {
    let stack = Stack::new("bclassic");
    let test = project(r#"RUN ["/app", "exit", "0"]"#).env("DOCKER_BUILDKIT", "0");
    let run = build(&test, &stack, &["web"]).status(0).stdout_empty();
    let stderr = run.stderr_flat();
    assert!(
        stderr.contains("building with the engine's classic builder, not BuildKit: DOCKER_BUILDKIT=0 asks for it"),
        "{stderr}"
    );
    assert!(stderr.contains("with the classic builder"), "{stderr}");
    let web = format!("{}-web", stack.name());
    assert_eq!(newest_layer_comment(&web), "");
}

#[test]
fn up_build_goes_through_the_same_buildkit_path() {
    let stack = Stack::new("bup");
    let test = project(r#"RUN ["/app", "exit", "0"]"#);
    let output = test
        .command()
        .args(["-p", stack.name(), "up", "--build", "--detach", "web"])
        .output()
        .expect("run parity");
    let run = Run::new(output).status(0);
    let stderr = run.stderr();
    assert!(stderr.contains("with BuildKit"), "{stderr}");
    let stdout = run.stdout();
    assert!(stdout.contains("web"), "{stdout}");
    let web = format!("{}-web", stack.name());
    assert_eq!(newest_layer_comment(&web), "buildkit.dockerfile.v0");
    let running = stack.running();
    assert!(
        running.len() == 1 && running[0].ends_with("-web-1"),
        "{running:?}"
    );
}
