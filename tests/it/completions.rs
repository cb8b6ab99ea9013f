//! `parity completions bash|zsh|fish`: the scripts are valid for their shell
//! (`bash -n`, `zsh -n`, `fish -n`), and, sourced in that shell, complete
//! commands and flags (clap_complete's part) and the project's compose
//! services and parity.toml environments (`parity __complete`, asked by the
//! scripts' wrapper) where a command takes them.

use std::process::Command;

use crate::support::{Run, Test, parity_bin};

const COMPOSE: &str =
    "services:\n  web: {image: nginx}\n  worker: {image: nginx}\n  db: {image: 'postgres:16'}\n";
const SETTINGS: &str = "app = \"shop\"\n[environments.staging]\nregion = \"eu-west-1\"\n[environments.prod]\nregion = \"eu-west-1\"\npromotes_from = \"staging\"\n";

fn project() -> Test {
    Test::new().compose(COMPOSE).toml(SETTINGS)
}

/// Runs `script` in `shell` in the project, with parity on PATH as a user has it.
fn shell(test: &Test, shell: &str, script: &str) -> Run {
    let bin_dir = std::path::Path::new(parity_bin())
        .parent()
        .expect("bin dir");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new(shell)
        .args(["-c", script])
        .current_dir(test.dir())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("{shell} must be installed to test its completions: {e}"));
    Run::new(output)
}

fn lines(run: Run) -> Vec<String> {
    let run = run.status(0).stderr_empty();
    let mut lines: Vec<String> = run.stdout().lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

#[test]
fn complete_lists_services_and_environments() {
    let test = project();
    let mut command = test.command();
    command.args(["__complete", "services"]);
    Run::new(command.output().expect("run"))
        .status(0)
        .stderr_empty()
        .stdout_is("db\nweb\nworker\n");
    let mut command = test.command();
    command.args(["__complete", "environments"]);
    Run::new(command.output().expect("run"))
        .status(0)
        .stderr_empty()
        .stdout_is("staging\nprod\n");
    // A project that does not load lists nothing, quietly.
    let broken = Test::new().compose("services: [\n");
    let mut command = broken.command();
    command.args(["__complete", "services"]);
    Run::new(command.output().expect("run"))
        .status(0)
        .stderr_empty()
        .stdout_empty();
}

#[test]
fn the_scripts_are_valid_for_their_shells() {
    let test = project();
    for (name, check) in [("bash", "bash"), ("zsh", "zsh"), ("fish", "fish")] {
        let script =
            format!("parity completions {name} > script && {check} -n script && echo valid");
        shell(&test, "bash", &script)
            .status(0)
            .stderr_empty()
            .stdout_is("valid\n");
    }
}

/// What bash's completion offers for `words` (the last one is being typed).
fn bash_offers(test: &Test, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source <(parity completions bash)\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE=\"${{COMP_WORDS[*]}}\"\nCOMP_POINT=${{#COMP_LINE}}\n_parity_dynamic parity \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" "),
        words.len() - 1
    );
    lines(shell(test, "bash", &script))
}

#[test]
fn bash_completes_commands_flags_services_and_environments() {
    let test = project();
    assert_eq!(
        bash_offers(&test, &["parity", "up", ""]),
        ["db", "web", "worker"]
    );
    assert_eq!(
        bash_offers(&test, &["parity", "up", "web", "w"]),
        ["web", "worker"]
    );
    assert_eq!(
        bash_offers(&test, &["parity", "deploy", ""]),
        ["prod", "staging"]
    );
    assert_eq!(
        bash_offers(
            &test,
            &["parity", "-f", "compose.yaml", "secrets", "sync", "s"]
        ),
        ["staging"]
    );
    assert_eq!(
        bash_offers(&test, &["parity", "logs", "--env", ""]),
        ["prod", "staging"]
    );
    assert_eq!(
        bash_offers(&test, &["parity", "promote", "--from", ""]),
        ["prod", "staging"]
    );
    assert_eq!(
        bash_offers(&test, &["parity", "db", "staging", ""]),
        ["db", "web", "worker"]
    );
    assert!(bash_offers(&test, &["parity", "de"]).contains(&"deploy".to_owned()));
    assert!(bash_offers(&test, &["parity", "init", "--"]).contains(&"--write-compose".to_owned()));
}

#[test]
fn fish_completes_services_and_environments() {
    let test = project();
    let offers = |line: &str| {
        lines(shell(
            &test,
            "fish",
            &format!(
                "parity completions fish | source; complete -C '{line}' | string replace -r '\\t.*' ''; true"
            ),
        ))
    };
    assert_eq!(offers("parity up "), ["db", "web", "worker"]);
    assert_eq!(offers("parity deploy "), ["prod", "staging"]);
    assert_eq!(offers("parity promote --to "), ["prod", "staging"]);
    assert_eq!(offers("parity ps --env "), ["prod", "staging"]);
    assert!(offers("parity dep").contains(&"deploy".to_owned()));
}

#[test]
fn zsh_completes_services_and_environments() {
    let test = project();
    // The wrapper run as zsh's completion system would: `words`/`CURRENT`
    // set, `compadd` receiving the candidates.
    let offers = |words: &str, current: usize| {
        lines(shell(
            &test,
            "zsh",
            &format!(
                "compdef() {{ : }}\ncompadd() {{ [[ $1 == -- ]] && shift; print -l -- \"$@\" }}\nsource <(parity completions zsh)\n_parity() {{ print static }}\nwords=({words})\nCURRENT={current}\n_parity_dynamic"
            ),
        ))
    };
    assert_eq!(offers("parity up ''", 3), ["db", "web", "worker"]);
    assert_eq!(offers("parity env apply ''", 4), ["prod", "staging"]);
    assert_eq!(offers("parity logs --env ''", 4), ["prod", "staging"]);
    assert_eq!(offers("parity --ver", 2), ["static"]);
}

/// A project whose compose file and parity.toml are not the defaults: only
/// the `-f`/`--settings` typed on the command line find them.
fn elsewhere() -> Test {
    Test::new()
        .file(
            "deploy/app.yaml",
            "services:\n  api: {image: nginx}\n  queue: {image: nginx}\n",
        )
        .file(
            "deploy/cloud.toml",
            "app = \"shop\"\n[environments.qa]\nregion = \"eu-west-1\"\n",
        )
}

#[test]
fn the_project_options_typed_before_the_command_choose_what_is_offered() {
    let test = elsewhere();
    // Without them there is no project here: nothing is offered.
    assert!(!bash_offers(&test, &["parity", "up", ""]).contains(&"api".to_owned()));
    assert_eq!(
        bash_offers(&test, &["parity", "-f", "deploy/app.yaml", "up", ""]),
        ["api", "queue"]
    );
    // bash splits `--file=x` at `=`.
    assert_eq!(
        bash_offers(
            &test,
            &["parity", "--file", "=", "deploy/app.yaml", "up", ""]
        ),
        ["api", "queue"]
    );
    assert_eq!(
        bash_offers(
            &test,
            &[
                "parity",
                "-f",
                "deploy/app.yaml",
                "--settings",
                "deploy/cloud.toml",
                "deploy",
                ""
            ]
        ),
        ["qa"]
    );
    let fish = |line: &str| {
        lines(shell(
            &test,
            "fish",
            &format!(
                "parity completions fish | source; complete -C '{line}' | string replace -r '\\t.*' ''; true"
            ),
        ))
    };
    assert_eq!(fish("parity -f deploy/app.yaml up "), ["api", "queue"]);
    assert_eq!(fish("parity --file=deploy/app.yaml up "), ["api", "queue"]);
    assert_eq!(
        fish("parity -f deploy/app.yaml --settings deploy/cloud.toml ps --env "),
        ["qa"]
    );
    let zsh = |words: &str, current: usize| {
        lines(shell(
            &test,
            "zsh",
            &format!(
                "compdef() {{ : }}\ncompadd() {{ [[ $1 == -- ]] && shift; print -l -- \"$@\" }}\nsource <(parity completions zsh)\n_parity() {{ print static }}\nwords=({words})\nCURRENT={current}\n_parity_dynamic"
            ),
        ))
    };
    assert_eq!(zsh("parity -f deploy/app.yaml up ''", 5), ["api", "queue"]);
    assert_eq!(
        zsh("parity --file=deploy/app.yaml up ''", 4),
        ["api", "queue"]
    );
}
