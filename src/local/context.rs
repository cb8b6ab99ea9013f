//! The build context: a tar of the context directory that honours
//! `.dockerignore` the way the Docker CLI does (last matching pattern wins,
//! `!` re-includes, a pattern that matches a directory excludes what is under
//! it, the Dockerfile and `.dockerignore` are always sent).
//!
//! Reads the context directory only; no engine calls.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use crate::error::Error;

/// The compiled `.dockerignore` of a context.
#[derive(Debug, Default)]
pub(crate) struct Ignore {
    rules: Vec<(GlobMatcher, bool)>,
    /// The `!` patterns, cleaned: an excluded directory is walked only when one starts with it.
    exceptions: Vec<String>,
}

impl Ignore {
    /// Parses `.dockerignore` text: one pattern per line, `#` comments, `!` exceptions.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut ignore = Self::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exception, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let pattern = clean(pattern);
            if pattern.is_empty() {
                continue;
            }
            let glob = GlobBuilder::new(&pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("bad pattern `{line}`: {e}"))?;
            if exception {
                ignore.exceptions.push(pattern.clone());
            }
            ignore.rules.push((glob.compile_matcher(), exception));
        }
        Ok(ignore)
    }

    /// Whether a context-relative path (with `/` separators) is left out.
    pub(crate) fn excludes(&self, path: &str) -> bool {
        let mut excluded = false;
        for (glob, exception) in &self.rules {
            if matches_or_parent(glob, path) {
                excluded = !exception;
            }
        }
        excluded
    }

    /// Whether an excluded directory must still be walked because an exception
    /// may re-include something under it (the Docker CLI's rule: an exception
    /// pattern that starts with the directory's path).
    fn may_reinclude_under(&self, dir: &str) -> bool {
        let dir_slash = format!("{dir}/");
        self.exceptions
            .iter()
            .any(|p| format!("{p}/").starts_with(&dir_slash))
    }
}

/// A pattern matches a path when it matches the path or one of its parent directories.
fn matches_or_parent(glob: &GlobMatcher, path: &str) -> bool {
    if glob.is_match(path) {
        return true;
    }
    let mut prefix = path;
    while let Some(index) = prefix.rfind('/') {
        prefix = &prefix[..index];
        if glob.is_match(prefix) {
            return true;
        }
    }
    false
}

/// `filepath.Clean` without the leading `/`, as Docker normalizes patterns.
fn clean(pattern: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The tar of a build context, and the Dockerfile's path inside it.
pub(crate) struct Context {
    pub(crate) tar: Vec<u8>,
    pub(crate) dockerfile: String,
}

/// Tars `dir` for a build. `dockerfile` is relative to `dir` or absolute; one
/// outside the context is added under a private name.
pub(crate) fn tar_context(dir: &Path, dockerfile: &str) -> Result<Context, Error> {
    let read_error = |path: &Path, e: std::io::Error| {
        Error::failed(format!(
            "cannot read the build context {}: {e}",
            path.display()
        ))
    };
    if !dir.is_dir() {
        return Err(Error::input(format!(
            "build context {} is not a directory",
            dir.display()
        ))
        .with_help("`build.context` must name a directory (relative to the compose file)"));
    }
    let ignore = match std::fs::read_to_string(dir.join(".dockerignore")) {
        Ok(text) => Ignore::parse(&text)
            .map_err(|e| Error::input(format!("{}: {e}", dir.join(".dockerignore").display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ignore::default(),
        Err(e) => return Err(read_error(&dir.join(".dockerignore"), e)),
    };
    let dockerfile_path = dir.join(dockerfile);
    let inside = relative_inside(dir, &dockerfile_path);
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let mut always: Vec<String> = vec![".dockerignore".into()];
    if let Some(rel) = &inside {
        always.push(rel.clone());
    }
    walk(dir, dir, &ignore, &always, &mut builder).map_err(|e| read_error(dir, e))?;
    let dockerfile = match inside {
        Some(rel) => rel,
        None => {
            let name = ".parity-dockerfile".to_string();
            let text = std::fs::read(&dockerfile_path).map_err(|e| {
                Error::input(format!(
                    "cannot read Dockerfile {}: {e}",
                    dockerfile_path.display()
                ))
            })?;
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, &name, text.as_slice())
                .map_err(|e| read_error(&dockerfile_path, e))?;
            name
        }
    };
    let tar = builder.into_inner().map_err(|e| read_error(dir, e))?;
    Ok(Context { tar, dockerfile })
}

/// `path` relative to `dir` with `/` separators ("" for `dir` itself), when it lies inside it.
pub(crate) fn relative_inside(dir: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(dir).ok()?;
    let mut parts = Vec::new();
    for component in rel.components() {
        match component {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

fn walk(
    root: &Path,
    dir: &Path,
    ignore: &Ignore,
    always: &[String],
    builder: &mut tar::Builder<Vec<u8>>,
) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        let Some(rel) = relative_inside(root, &path) else {
            continue;
        };
        let kind = std::fs::symlink_metadata(&path)?.file_type();
        let excluded = ignore.excludes(&rel) && !always.contains(&rel);
        if kind.is_dir() {
            // An excluded directory is still walked when an exception may re-include something in it.
            if excluded && !ignore.may_reinclude_under(&rel) {
                continue;
            }
            if !excluded {
                builder.append_dir(&rel, &path)?;
            }
            walk(root, &path, ignore, always, builder)?;
        } else if !excluded {
            builder.append_path_with_name(&path, &rel)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(tar: &[u8]) -> Vec<String> {
        let mut archive = tar::Archive::new(tar);
        let mut names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn patterns_follow_docker_rules() {
        let ignore = Ignore::parse("# comment\n*.log\n/target\n!keep.log\nsrc/**/gen\n").unwrap();
        assert!(ignore.excludes("a.log"));
        assert!(!ignore.excludes("keep.log"));
        assert!(ignore.excludes("target"));
        assert!(ignore.excludes("target/debug/app"), "parent match");
        assert!(!ignore.excludes("dir/a.log"), "`*` does not cross `/`");
        assert!(ignore.excludes("src/a/b/gen/x.rs"));
        assert!(!ignore.excludes("src/main.rs"));
    }

    #[test]
    fn context_leaves_out_ignored_files_but_keeps_the_dockerfile() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".dockerignore"), "*\n!bin/app\n").unwrap();
        std::fs::write(root.join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::write(root.join("bin/app"), "binary").unwrap();
        std::fs::write(root.join("bin/other"), "no").unwrap();
        std::fs::create_dir_all(root.join("target/release")).unwrap();
        std::fs::write(root.join("target/release/big"), "no").unwrap();
        let context = tar_context(root, "Dockerfile").unwrap();
        assert_eq!(context.dockerfile, "Dockerfile");
        assert_eq!(
            names(&context.tar),
            [".dockerignore", "Dockerfile", "bin/app"]
        );
    }

    #[test]
    fn dockerfile_outside_the_context_is_sent_under_a_private_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ctx")).unwrap();
        std::fs::write(dir.path().join("ctx/file"), "x").unwrap();
        std::fs::write(dir.path().join("Dockerfile.dev"), "FROM scratch\n").unwrap();
        let dockerfile = dir.path().join("Dockerfile.dev").display().to_string();
        let context = tar_context(&dir.path().join("ctx"), &dockerfile).unwrap();
        assert_eq!(context.dockerfile, ".parity-dockerfile");
        assert_eq!(names(&context.tar), [".parity-dockerfile", "file"]);
    }
}
