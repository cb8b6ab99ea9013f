//! Which compose files, which project directory, which project name, and
//! which variables: the inputs `docker compose` works out before reading YAML.
//!
//! - files: `-f` (repeatable), else `COMPOSE_FILE` (split on
//!   `COMPOSE_PATH_SEPARATOR`, default `:`), else the first of `compose.yaml`,
//!   `compose.yml`, `docker-compose.yaml`, `docker-compose.yml` found in the
//!   working directory or a parent, plus its `*.override.*` partner;
//! - project directory: `--project-directory`, else the first file's directory;
//! - variables: `.env` in the project directory, or instead the `--env-file`
//!   files; the process environment wins over both;
//! - project name: `-p`, `COMPOSE_PROJECT_NAME`, `name:`, or the directory's
//!   name made valid (lowercase, `[a-z0-9_-]`).
//!
//! Owns: those decisions and reading input files as text. Must not parse YAML.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;

use super::yaml::Source;
use super::{dotenv, paths};
use crate::error::{Error, Location, Result};

const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Makes `path` absolute against `cwd`.
pub(crate) fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    paths::clean(&cwd.join(path))
}

/// Looks for a default compose file in `dir` and its parents; returns it and
/// its override partner when present.
pub(crate) fn discover(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut current = Some(dir);
    while let Some(candidate_dir) = current {
        for name in DEFAULT_FILES {
            let path = candidate_dir.join(name);
            if path.is_file() {
                let mut files = vec![path];
                let (stem, ext) = name.rsplit_once('.').unwrap_or((name, "yaml"));
                let override_path = candidate_dir.join(format!("{stem}.override.{ext}"));
                if override_path.is_file() {
                    files.push(override_path);
                }
                return Ok(files);
            }
        }
        current = candidate_dir.parent();
    }
    Err(Error::input(format!(
        "no compose file found in {} or its parents",
        dir.display()
    ))
    .with_help("create compose.yaml, or name one with -f FILE"))
}

/// Splits `COMPOSE_FILE`.
pub(crate) fn compose_file_var(
    value: &str,
    env: &IndexMap<String, String>,
    base: &Path,
) -> Vec<PathBuf> {
    let separator = env
        .get("COMPOSE_PATH_SEPARATOR")
        .map_or(":", String::as_str);
    value
        .split(separator)
        .filter(|part| !part.is_empty())
        .map(|part| absolute(base, Path::new(part)))
        .collect()
}

/// Reads a dotenv file as interpolation variables.
pub(crate) fn read_dotenv(
    path: &Path,
    lookup: &IndexMap<String, String>,
) -> Result<IndexMap<String, String>> {
    let text = read_text(path)?;
    dotenv::parse_with_lookup(&text, path, &|name| lookup.get(name).cloned())
}

/// The interpolation environment: the env files (or `.env` in `dir`), then the
/// process environment on top.
pub(crate) fn environment(
    env_files: &[PathBuf],
    dir: &Path,
    process: &IndexMap<String, String>,
) -> Result<IndexMap<String, String>> {
    let mut env = IndexMap::new();
    if env_files.is_empty() {
        let default = dir.join(".env");
        if default.is_file() {
            env.extend(read_dotenv(&default, process)?);
        }
    } else {
        for file in env_files {
            env.extend(read_dotenv(file, process)?);
        }
    }
    env.extend(process.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(env)
}

/// Where the env files of [`environment`] write `name`, when its value comes
/// from one of them (the last that sets it) rather than the process
/// environment: a refused value can then be pointed at (`.env:3:1`). Only
/// asked on the error path, so the common load reads each file once.
pub(crate) fn dotenv_origin(
    env_files: &[PathBuf],
    dir: &Path,
    process: &IndexMap<String, String>,
    name: &str,
) -> Option<Location> {
    if process.contains_key(name) {
        return None;
    }
    let default = [dir.join(".env")];
    let files = if env_files.is_empty() {
        &default[..]
    } else {
        env_files
    };
    files.iter().rev().find_map(|file| {
        let text = read_text(file).ok()?;
        let mut vars = dotenv::parse_located(&text, file, &|n| process.get(n).cloned()).ok()?;
        vars.swap_remove(name).map(|(_, location)| location)
    })
}

/// Reads a file as UTF-8 text; errors name the file (and the first bad byte).
pub(crate) fn read_text(path: &Path) -> Result<String> {
    let bytes = super::limits::read_file(path).map_err(|err| {
        let what = if err.kind() == std::io::ErrorKind::NotFound {
            "does not exist".to_owned()
        } else {
            format!("cannot be read: {err}")
        };
        Error::input(format!("{} {what}", path.display()))
            .with_help("check the path and its permissions")
    })?;
    String::from_utf8(bytes).map_err(|err| {
        let good = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        let good = String::from_utf8_lossy(good);
        let line = good.matches('\n').count() + 1;
        let column = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Error::input("this is not a UTF-8 text file")
            .at(Location::new(path, line, column))
            .with_help("compose files and env files must be UTF-8 text")
    })
}

/// Reads a compose file into a [`Source`] whose relative paths resolve against `base_dir`.
pub(crate) fn source(path: &Path, base_dir: &Path) -> Result<Arc<Source>> {
    let text = read_text(path)?;
    Ok(Arc::new(Source {
        path: path.to_owned(),
        text: text.into(),
        base_dir: base_dir.to_owned(),
    }))
}

/// Checks an explicit project name (`-p`, `COMPOSE_PROJECT_NAME`, `name:`).
pub(crate) fn valid_project_name(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// A project name from a directory name: lowercase, invalid characters dropped.
pub(crate) fn name_from_dir(dir: &Path) -> String {
    let raw = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    normalize_project_name(&raw)
}

/// Lowercase, characters other than `[a-z0-9_-]` dropped, no leading `_`/`-`:
/// what compose-go does to a directory name and to the `name:` key (a `-p`
/// flag or `COMPOSE_PROJECT_NAME` must already be valid).
pub(crate) fn normalize_project_name(raw: &str) -> String {
    let cleaned: String = raw
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    cleaned.trim_start_matches(['_', '-']).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names() {
        assert!(valid_project_name("my-app_2"));
        assert!(!valid_project_name("MyApp"));
        assert!(!valid_project_name("-x"));
        assert_eq!(name_from_dir(Path::new("/src/My App.v2")), "myappv2");
        assert_eq!(name_from_dir(Path::new("/src/_x")), "x");
    }

    #[test]
    fn compose_file_variable_splits() {
        let env = IndexMap::new();
        assert_eq!(
            compose_file_var("a.yml:sub/b.yml", &env, Path::new("/p")),
            [PathBuf::from("/p/a.yml"), PathBuf::from("/p/sub/b.yml")]
        );
    }
}
