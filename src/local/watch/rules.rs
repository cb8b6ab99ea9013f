//! `develop.watch` decided: which rule a changed host path falls under, where
//! it lands in the container, and what one batch of changes asks each service
//! to do. Ignoring follows Docker Compose v2 (`pkg/compose/watch.go`): a
//! rule's `ignore` and `include` (patterns relative to its `path`), the build
//! context's `.dockerignore`, editors' temporary files, and `.git/`.
//!
//! Pure: the `.dockerignore` text is read by the caller; no I/O here.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::compose::model::{Service, WatchRule};
use crate::error::Error;
use crate::local::context::{Ignore, relative_inside};

/// What a rule does with a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Sync,
    Rebuild,
    Restart,
    SyncRestart,
    SyncExec,
}

impl Kind {
    fn parse(action: &str) -> Option<Self> {
        Some(match action {
            "sync" => Self::Sync,
            "rebuild" => Self::Rebuild,
            "restart" => Self::Restart,
            "sync+restart" => Self::SyncRestart,
            "sync+exec" => Self::SyncExec,
            _ => return None,
        })
    }

    /// Whether the rule copies files into the container.
    pub(crate) fn syncs(self) -> bool {
        matches!(self, Self::Sync | Self::SyncRestart | Self::SyncExec)
    }
}

/// One compiled `develop.watch` rule of one service.
#[derive(Debug)]
pub(crate) struct Trigger {
    pub(crate) service: String,
    pub(crate) kind: Kind,
    /// Absolute host path (a directory or a file).
    pub(crate) path: PathBuf,
    /// Container path the rule's `path` maps to (sync actions).
    pub(crate) target: Option<String>,
    /// `exec.command` of `sync+exec`.
    pub(crate) exec: Vec<String>,
    pub(crate) initial_sync: bool,
    ignore: Ignore,
    include: Option<Ignore>,
    /// The build context and its `.dockerignore`.
    dockerignore: Option<(PathBuf, Ignore)>,
}

/// `services.<name>.develop.watch[<index>]`, for messages.
fn field(service: &str, index: usize) -> String {
    format!("services.{service}.develop.watch[{index}]")
}

impl Trigger {
    /// Compiles rule `index` of `service`; `dockerignore` is the text of its
    /// build context's `.dockerignore` (or `<Dockerfile>.dockerignore`), if any.
    pub(crate) fn compile(
        service: &Service,
        index: usize,
        rule: &WatchRule,
        dockerignore: Option<&str>,
    ) -> Result<Self, Error> {
        let at = field(&service.name, index);
        let kind = Kind::parse(&rule.action).ok_or_else(|| {
            Error::input(format!("{at}: unknown watch action `{}`", rule.action))
                .with_help("use sync, rebuild, restart, sync+restart or sync+exec")
        })?;
        let patterns = |list: &[String], key: &str| {
            Ignore::parse(&list.join("\n")).map_err(|e| Error::input(format!("{at}.{key}: {e}")))
        };
        let ignore = patterns(&rule.ignore, "ignore")?;
        let include = match strings(rule.other.get("include")) {
            list if list.is_empty() => None,
            list => Some(patterns(&list, "include")?),
        };
        let exec = rule
            .other
            .get("exec")
            .and_then(|e| e.get("command"))
            .map(|c| strings(Some(c)))
            .unwrap_or_default();
        let initial_sync = rule
            .other
            .get("initial_sync")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        if kind == Kind::Rebuild && service.build.is_none() {
            return Err(Error::input(format!(
                "{at}: action `rebuild` needs the service to have a `build:` section"
            ))
            .with_help("give the service a `build:`, or use `sync` or `restart`"));
        }
        let dockerignore = match (&service.build, dockerignore) {
            (Some(build), Some(text)) => Some((
                PathBuf::from(&build.context),
                Ignore::parse(text)
                    .map_err(|e| Error::input(format!("{}/.dockerignore: {e}", build.context)))?,
            )),
            _ => None,
        };
        Ok(Self {
            service: service.name.clone(),
            kind,
            path: PathBuf::from(&rule.path),
            target: rule.target.clone(),
            exec,
            initial_sync,
            ignore,
            include,
            dockerignore,
        })
    }

    /// Where `path` lands in the container when this rule takes it: `Some`
    /// (the container path, or "" for a rule without target) or `None` when
    /// the rule does not apply to it or ignores it.
    pub(crate) fn route(&self, path: &Path) -> Option<String> {
        let rel = relative_inside(&self.path, path)?;
        if !rel.is_empty() {
            if self.include.as_ref().is_some_and(|i| !i.excludes(&rel)) {
                return None;
            }
            if self.ignore.excludes(&rel) {
                return None;
            }
        }
        if ignored_by_default(path) {
            return None;
        }
        if let Some((context, ignore)) = &self.dockerignore
            && let Some(in_context) = relative_inside(context, path)
            && !in_context.is_empty()
            && ignore.excludes(&in_context)
        {
            return None;
        }
        let target = self.target.clone().unwrap_or_default();
        Some(if rel.is_empty() {
            target
        } else {
            format!("{}/{rel}", target.trim_end_matches('/'))
        })
    }
}

/// A string or list of strings from the model's free-form part.
fn strings(value: Option<&serde_json::Value>) -> Vec<String> {
    match value {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// `.git/` and editors' temporary files (vim, emacs, JetBrains, kate), as
/// Compose's `EphemeralPathMatcher` and its hard-coded `.git/` ignore.
pub(crate) fn ignored_by_default(path: &Path) -> bool {
    let in_ignored_dir = path
        .components()
        .any(|c| matches!(c, Component::Normal(name) if name == ".git" || name == ".idea"));
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return in_ignored_dir;
    };
    let hidden_with = |suffix: &str| name.starts_with('.') && name.ends_with(suffix);
    in_ignored_dir
        || name == "4913"
        || name.ends_with('~')
        || name.starts_with(".#")
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || [".swp", ".swx", ".swo", ".swn", ".kate-swp"]
            .iter()
            .any(|s| hidden_with(s))
        || name.ends_with("___jb_old___")
        || name.ends_with("___jb_tmp___")
        || name.ends_with("-go-tmp-umask")
}

/// What one batch of changes asks of one service, in the order it is done:
/// rebuild, then sync (copies and deletions), then restart, then exec.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ServiceWork {
    pub(crate) rebuild: bool,
    /// Host path -> container path, one entry per container path.
    pub(crate) files: BTreeMap<String, PathBuf>,
    pub(crate) restart: bool,
    /// `exec.command`s to run after the sync, each once.
    pub(crate) exec: Vec<Vec<String>>,
}

/// Routes a batch of changed host paths through every rule: services in name order.
pub(crate) fn plan(triggers: &[Trigger], changed: &[PathBuf]) -> BTreeMap<String, ServiceWork> {
    let mut work: BTreeMap<String, ServiceWork> = BTreeMap::new();
    for path in changed {
        for trigger in triggers {
            let Some(container_path) = trigger.route(path) else {
                continue;
            };
            let entry = work.entry(trigger.service.clone()).or_default();
            if trigger.kind.syncs() {
                entry.files.insert(container_path, path.clone());
            }
            match trigger.kind {
                Kind::Rebuild => entry.rebuild = true,
                Kind::Restart | Kind::SyncRestart => entry.restart = true,
                Kind::SyncExec if !entry.exec.contains(&trigger.exec) => {
                    entry.exec.push(trigger.exec.clone());
                }
                Kind::Sync | Kind::SyncExec => {}
            }
        }
    }
    // A rebuilt service runs a new container: restarting it again is pointless.
    for entry in work.values_mut() {
        if entry.rebuild {
            entry.restart = false;
        }
    }
    work
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::model::Build;

    fn service(name: &str, build: bool) -> Service {
        Service {
            name: name.into(),
            build: build.then(|| Build {
                context: "/p/web".into(),
                ..Build::default()
            }),
            ..Service::default()
        }
    }

    fn rule(action: &str, path: &str, target: Option<&str>) -> WatchRule {
        WatchRule {
            action: action.into(),
            path: path.into(),
            target: target.map(str::to_string),
            ..WatchRule::default()
        }
    }

    fn compile(service: &Service, rule: &WatchRule, dockerignore: Option<&str>) -> Trigger {
        Trigger::compile(service, 0, rule, dockerignore).unwrap()
    }

    #[test]
    fn paths_map_under_the_target() {
        let t = compile(
            &service("web", true),
            &rule("sync", "/p/web/src", Some("/app/src/")),
            None,
        );
        assert_eq!(
            t.route(Path::new("/p/web/src/a/b.py")).as_deref(),
            Some("/app/src/a/b.py")
        );
        assert_eq!(
            t.route(Path::new("/p/web/src")).as_deref(),
            Some("/app/src/")
        );
        assert_eq!(
            t.route(Path::new("/p/web/srcx/a.py")),
            None,
            "a sibling is not inside"
        );
        assert_eq!(t.route(Path::new("/p/other/a.py")), None);
    }

    #[test]
    fn ignore_include_dockerignore_and_defaults_leave_paths_out() {
        let mut r = rule("sync", "/p/web", Some("/app"));
        r.ignore = vec!["node_modules/".into(), "*.log".into()];
        r.other.insert(
            "include".into(),
            serde_json::json!(["*.py", "*.log", "node_modules"]),
        );
        let t = compile(&service("web", true), &r, Some("secret.py\n"));
        assert!(t.route(Path::new("/p/web/app.py")).is_some());
        assert!(
            t.route(Path::new("/p/web/README.md")).is_none(),
            "not included"
        );
        assert!(t.route(Path::new("/p/web/x.log")).is_none(), "ignored");
        assert!(
            t.route(Path::new("/p/web/node_modules/m/i.py")).is_none(),
            "ignored dir"
        );
        assert!(
            t.route(Path::new("/p/web/secret.py")).is_none(),
            ".dockerignore"
        );
        assert!(t.route(Path::new("/p/web/.git/HEAD.py")).is_none(), ".git");
        assert!(
            t.route(Path::new("/p/web/.app.py.swp")).is_none(),
            "vim swap"
        );
    }

    #[test]
    fn editor_temporary_files_are_ignored() {
        for name in [
            "4913",
            "a.py~",
            ".#a.py",
            "#a.py#",
            ".a.py.swx",
            "a.py___jb_tmp___",
        ] {
            assert!(ignored_by_default(&Path::new("/p").join(name)), "{name}");
        }
        for name in ["a.py", "swp", "#", "a.swp"] {
            assert!(!ignored_by_default(&Path::new("/p").join(name)), "{name}");
        }
    }

    #[test]
    fn a_batch_becomes_one_piece_of_work_per_service() {
        let web = service("web", true);
        let mut exec = rule("sync+exec", "/p/web/conf", Some("/etc/app"));
        exec.other
            .insert("exec".into(), serde_json::json!({"command": ["reload"]}));
        let triggers = vec![
            compile(&web, &rule("sync", "/p/web/src", Some("/app")), None),
            compile(&web, &exec, None),
            compile(
                &web,
                &rule("rebuild", "/p/web/requirements.txt", None),
                None,
            ),
            compile(
                &service("api", false),
                &rule("restart", "/p/shared", None),
                None,
            ),
        ];
        let changed: Vec<PathBuf> = [
            "/p/web/src/a.py",
            "/p/web/src/a.py",
            "/p/web/conf/x",
            "/p/web/conf/y",
            "/p/shared/z",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let work = plan(&triggers, &changed);
        assert_eq!(work.keys().collect::<Vec<_>>(), ["api", "web"]);
        let web_work = &work["web"];
        assert_eq!(web_work.files.len(), 3);
        assert_eq!(
            web_work.files["/app/a.py"],
            PathBuf::from("/p/web/src/a.py")
        );
        assert_eq!(
            web_work.exec,
            vec![vec!["reload".to_string()]],
            "once per batch"
        );
        assert!(!web_work.rebuild && !web_work.restart);
        assert!(work["api"].restart && work["api"].files.is_empty());
        let rebuilt = plan(&triggers, &[PathBuf::from("/p/web/requirements.txt")]);
        assert!(rebuilt["web"].rebuild);
    }

    #[test]
    fn rebuild_needs_a_build_section_and_says_which_rule() {
        let web = service("web", false);
        let error = Trigger::compile(&web, 2, &rule("rebuild", "/p", None), None).unwrap_err();
        assert!(
            error.message().contains("services.web.develop.watch[2]"),
            "{}",
            error.message()
        );
        assert!(error.message().contains("`build:`"));
        assert_eq!(error.exit_code(), 2);
    }
}
