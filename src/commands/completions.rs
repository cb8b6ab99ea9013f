//! `parity completions bash|zsh|fish`: clap_complete's script for the
//! commands and flags, followed by a small wrapper that completes compose
//! service names and parity.toml environment names by asking
//! `parity __complete services|environments` (`commands::complete`).
//! clap_complete's own dynamic engine is behind an unstable feature, so the
//! wrapper is ours: which positional of which command takes a service or an
//! environment is read from the clap definition, never listed by hand.

use std::io::Write;
use std::process::ExitCode;

use clap::{ArgAction, CommandFactory};
use clap_complete::{Shell, generate};

use crate::cli::{Cli, CompletionShell, CompletionsArgs};
use crate::error::Result;

pub(crate) fn run(args: &CompletionsArgs) -> Result<ExitCode> {
    let script = script(args.shell);
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(script.as_bytes());
    let _ = stdout.flush();
    Ok(ExitCode::SUCCESS)
}

/// The whole script for `shell`.
pub(crate) fn script(shell: CompletionShell) -> String {
    let mut command = Cli::command();
    let mut out = Vec::new();
    let generated = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    generate(generated, &mut command, "parity", &mut out);
    let mut script = String::from_utf8(out).expect("clap_complete writes UTF-8");
    let table = Table::of(&Cli::command());
    script.push_str(&match shell {
        CompletionShell::Bash => table.bash(),
        CompletionShell::Zsh => table.zsh(),
        CompletionShell::Fish => table.fish(),
    });
    script
}

/// What a command's positionals complete to.
struct Entry {
    /// `secrets sync`: the command words.
    path: String,
    /// One per positional: `services`, `environments` or `-` (nothing dynamic).
    kinds: Vec<&'static str>,
    /// The last positional takes many values.
    variadic: bool,
}

/// Every command with a service or environment positional, the options
/// that take a value (their values are not command words), and those whose
/// value is an environment (`--env`, promote's `--from`/`--to`: value name `ENV`).
struct Table {
    entries: Vec<Entry>,
    valued_options: Vec<String>,
    /// The valued options before any command (`-f`, `--settings`, ...): they
    /// choose the project, so the wrapper passes them on to `__complete`.
    project_options: Vec<String>,
    env_options: Vec<String>,
    /// `(command path, --option)` for each environment-valued option (fish
    /// completes an option's value only from completions on that option).
    env_option_paths: Vec<(String, String)>,
}

impl Table {
    fn of(root: &clap::Command) -> Self {
        let mut table = Table {
            entries: Vec::new(),
            valued_options: Vec::new(),
            project_options: Vec::new(),
            env_options: Vec::new(),
            env_option_paths: Vec::new(),
        };
        table.walk(root, "");
        table.valued_options.sort();
        table.valued_options.dedup();
        table.env_options.sort();
        table.env_options.dedup();
        // Deepest first: `secrets sync` before `secrets`.
        table
            .entries
            .sort_by_key(|e| std::cmp::Reverse(e.path.split(' ').count()));
        table
    }

    fn walk(&mut self, command: &clap::Command, path: &str) {
        let mut kinds = Vec::new();
        let mut variadic = false;
        for arg in command.get_arguments() {
            if arg.is_positional() {
                kinds.push(kind_of(arg.get_id().as_str()));
                variadic = matches!(arg.get_action(), ArgAction::Append);
            } else if matches!(arg.get_action(), ArgAction::Set | ArgAction::Append) {
                let mut names: Vec<String> = arg
                    .get_long()
                    .map(|l| format!("--{l}"))
                    .into_iter()
                    .collect();
                names.extend(arg.get_short().map(|s| format!("-{s}")));
                if path.is_empty() {
                    self.project_options.extend(names.iter().cloned());
                }
                self.valued_options.extend(names);
                if let Some(long) = arg.get_long() {
                    let names_env = arg
                        .get_value_names()
                        .is_some_and(|names| names.iter().any(|n| n.as_str() == "ENV"));
                    if names_env {
                        self.env_options.push(format!("--{long}"));
                        self.env_option_paths
                            .push((path.to_owned(), long.to_owned()));
                    }
                }
            }
        }
        if kinds.iter().any(|k| *k != "-") {
            self.entries.push(Entry {
                path: path.to_owned(),
                kinds,
                variadic,
            });
        }
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            let path = if path.is_empty() {
                sub.get_name().to_owned()
            } else {
                format!("{path} {}", sub.get_name())
            };
            self.walk(sub, &path);
        }
    }

    fn options(&self) -> String {
        self.valued_options.join(" ")
    }

    fn project_options(&self) -> String {
        self.project_options.join(" ")
    }

    fn env_options(&self) -> String {
        self.env_options.join(" ")
    }

    /// One arm per command: `(path, depth, kinds, variadic)` laid out by `arm`.
    fn arms(&self, arm: impl Fn(&str, usize, String, u8) -> String) -> String {
        self.entries
            .iter()
            .map(|e| {
                arm(
                    &e.path,
                    e.path.split(' ').count(),
                    e.kinds.join(" "),
                    u8::from(e.variadic),
                )
            })
            .collect()
    }

    /// bash and zsh alike: `__parity_kind` from the words before the cursor
    /// (`words` from index `first` to before `current`), given `cur` and `prev`.
    fn posix_kind(&self, words: &str, first: usize, current: &str) -> String {
        let arms = self.arms(|p, d, k, v| {
            format!("        \"{p}\"|\"{p} \"*) __parity_pick {d} \"{k}\" {v} ;;\n")
        });
        format!(
            r#"    local __parity_path="" __parity_kind="" word i skip=0
    local -a __parity_project; __parity_project=()
    for (( i = {first}; i < {current}; i++ )); do
        word="${{{words}[i]}}"
        # bash splits `--file=x` at `=`: the value is the word after it.
        if (( skip )); then [[ "$word" == "=" ]] || skip=0; continue; fi
        case " {options} " in *" $word "*)
            skip=1
            if [[ -z "$__parity_path" && " {project_options} " == *" $word "* ]]; then
                local value="${{{words}[i+1]}}"
                [[ "$value" == "=" ]] && value="${{{words}[i+2]}}"
                __parity_project+=("$word" "${{value/#\~/$HOME}}")
            fi
            continue ;;
        esac
        case "$word" in --*=*)
            [[ -z "$__parity_path" && " {project_options} " == *" ${{word%%=*}} "* ]] && __parity_project+=("$word")
            continue ;;
        esac
        case "$word" in -*) ;; *) __parity_path="${{__parity_path:+$__parity_path }}$word" ;; esac
    done
    if [[ " {env_options} " == *" $prev "* ]]; then
        __parity_kind=environments
    elif [[ "$cur" != -* ]]; then
        case "$__parity_path" in
{arms}        esac
    fi
"#,
            options = self.options(),
            project_options = self.project_options(),
            env_options = self.env_options(),
        )
    }

    fn bash(&self) -> String {
        format!(
            r#"
# Compose service and environment names, from `parity __complete` (parity completions).
__parity_pick() {{
    local -a kinds=($2) given=($__parity_path)
    local n=$(( ${{#given[@]}} - $1 ))
    if (( n < ${{#kinds[@]}} )); then __parity_kind=${{kinds[n]}}
    elif (( $3 )); then __parity_kind=${{kinds[${{#kinds[@]}}-1]}}
    fi
}}
_parity_dynamic() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
{kind}    if [[ -n "$__parity_kind" && "$__parity_kind" != "-" ]]; then
        COMPREPLY=($(compgen -W "$(parity "${{__parity_project[@]}}" __complete "$__parity_kind" 2>/dev/null)" -- "$cur"))
        return 0
    fi
    _parity "$@"
}}
complete -F _parity_dynamic -o nosort -o bashdefault -o default parity
"#,
            kind = self.posix_kind("COMP_WORDS", 1, "COMP_CWORD"),
        )
    }

    fn zsh(&self) -> String {
        format!(
            r#"
# Compose service and environment names, from `parity __complete` (parity completions).
# Load with `source <(parity completions zsh)` after compinit.
__parity_pick() {{
    local -a kinds given
    kinds=(${{=2}}); given=(${{=__parity_path}})
    local n=$(( ${{#given}} - $1 + 1 ))
    if (( n <= ${{#kinds}} )); then __parity_kind=${{kinds[n]}}
    elif (( $3 )); then __parity_kind=${{kinds[-1]}}
    fi
}}
_parity_dynamic() {{
    local cur="${{words[CURRENT]}}" prev="${{words[CURRENT-1]}}"
{kind}    if [[ -n "$__parity_kind" && "$__parity_kind" != "-" ]]; then
        compadd -- ${{(f)"$(parity "${{__parity_project[@]}}" __complete $__parity_kind 2>/dev/null)"}}
        return 0
    fi
    _parity "$@"
}}
compdef _parity_dynamic parity
"#,
            kind = self.posix_kind("words", 2, "CURRENT"),
        )
    }

    fn fish(&self) -> String {
        let arms = self.arms(|p, d, k, v| {
            format!("        case '{p}' '{p} *'\n            __parity_pick $path {d} '{k}' {v}; return\n")
        });
        format!(
            r#"
# Compose service and environment names, from `parity __complete` (parity completions).
function __parity_pick
    set -l given (string split ' ' -- $argv[1])
    set -l kinds (string split ' ' -- $argv[3])
    set -l n (math (count $given) - $argv[2] + 1)
    if test $n -le (count $kinds)
        echo $kinds[$n]
    else if test $argv[4] = 1
        echo $kinds[-1]
    end
end
# The project-choosing options typed before the command (`-f FILE`, ...), passed on to `__complete`.
function __parity_project
    set -l words (commandline -opc)
    set -l project_options {project_options}
    set -l i 2
    while test $i -le (count $words)
        set -l word $words[$i]
        if test -n "$word"; and not string match -q -- '-*' $word
            return
        end
        if contains -- $word $project_options
            echo $word
            set i (math $i + 1)
            test $i -le (count $words); and echo $words[$i]
        else if string match -q -- '--*=*' $word; and contains -- (string split -m 1 '=' -- $word)[1] $project_options
            echo $word
        end
        set i (math $i + 1)
    end
end
function __parity_dynamic_kind
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    if contains -- "$words[-1]" {env_options}
        echo environments
        return
    end
    if string match -q -- '-*' "$current"
        return
    end
    set -l options {options}
    set -l path
    set -l skip 0
    for word in $words[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        if contains -- $word $options
            set skip 1
            continue
        end
        if not string match -q -- '-*' $word
            set -a path $word
        end
    end
    set path (string join ' ' -- $path)
    switch "$path"
{arms}    end
end
complete -c parity -n 'string match -q -r "^(services|environments)\$" -- (__parity_dynamic_kind)' -f -a '(parity (__parity_project) __complete (__parity_dynamic_kind) 2>/dev/null)'
"#,
            options = self.options(),
            project_options = self.project_options(),
            env_options = self.env_options(),
        ) + &self.fish_env_options()
    }

    /// One `complete` line per environment-valued option, on its command.
    fn fish_env_options(&self) -> String {
        let mut out = String::new();
        for (path, long) in &self.env_option_paths {
            let condition = path
                .split(' ')
                .map(|word| format!("__fish_seen_subcommand_from {word}"))
                .collect::<Vec<_>>()
                .join("; and ");
            out.push_str(&format!(
                "complete -c parity -n '{condition}' -l {long} -x -a '(parity (__parity_project) __complete environments 2>/dev/null)'\n"
            ));
        }
        out
    }
}

/// The dynamic values a positional argument takes, by its name.
fn kind_of(id: &str) -> &'static str {
    match id {
        "services" | "service" => "services",
        "env" => "environments",
        _ => "-",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(table: &'a Table, path: &str) -> &'a Entry {
        table
            .entries
            .iter()
            .find(|e| e.path == path)
            .unwrap_or_else(|| panic!("no entry for {path}"))
    }

    #[test]
    fn the_table_is_read_from_the_clap_definition() {
        let table = Table::of(&Cli::command());
        assert_eq!(entry(&table, "up").kinds, ["services"]);
        assert!(entry(&table, "up").variadic);
        assert_eq!(entry(&table, "deploy").kinds[0], "environments");
        assert_eq!(entry(&table, "secrets sync").kinds[0], "environments");
        assert_eq!(entry(&table, "db").kinds, ["environments", "services"]);
        assert!(table.valued_options.contains(&"-f".to_owned()));
        assert!(table.valued_options.contains(&"--env".to_owned()));
        assert_eq!(table.env_options, ["--env", "--from", "--like", "--to"]);
        assert!(
            !table
                .entries
                .iter()
                .any(|e| e.path.starts_with("__complete"))
        );
        let depths: Vec<usize> = table
            .entries
            .iter()
            .map(|e| e.path.split(' ').count())
            .collect();
        assert!(depths.windows(2).all(|w| w[0] >= w[1]), "deepest first");
    }
}
