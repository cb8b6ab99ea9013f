//! Relative paths in compose files become absolute, against the directory the
//! file's [`Source`](super::yaml::Source) names; `~` is the user's home (from
//! the environment the loader was given).
//!
//! Owns: lexical path resolution. Must not touch the file system.

use std::path::{Component, Path, PathBuf};

use indexmap::IndexMap;

/// Resolves `path` against `base` without touching the disk, removing `.`
/// and `..` the way Go's `filepath.Clean` does.
pub(crate) fn absolute(base: &Path, path: &str, env: &IndexMap<String, String>) -> PathBuf {
    // Already absolute (POSIX or Windows, `C:\\x`, `C:/x`, `\\\\host`): kept
    // as written, trailing slash included, as compose-go keeps it.
    if path.starts_with('/') || is_windows_absolute(path) {
        return PathBuf::from(path);
    }
    let joined = if path == "~" || path.starts_with("~/") {
        let home = env.get("HOME").map_or("/", String::as_str);
        Path::new(home).join(path.trim_start_matches('~').trim_start_matches('/'))
    } else {
        base.join(path)
    };
    clean(&joined)
}

/// `C:\\dir`, `c:/dir` or a UNC path `\\\\host\\share`: absolute on Windows,
/// never joined to the project directory.
fn is_windows_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with("\\\\")
        || (bytes.len() >= 3
            && bytes[0].is_ascii_alphabetic()
            && bytes[1] == b':'
            && (bytes[2] == b'\\' || bytes[2] == b'/'))
}

/// Lexical clean: drops `.`, applies `..`.
pub(crate) fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// A build context that is a URL (git, https) stays as written.
pub(crate) fn is_remote(context: &str) -> bool {
    context.contains("://") || context.starts_with("git@") || context.starts_with("github.com/")
}

/// [`absolute`] as a string, for model fields that hold strings.
pub(crate) fn absolute_string(base: &Path, path: &str, env: &IndexMap<String, String>) -> String {
    absolute(base, path, env).to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_join_and_clean() {
        let env = IndexMap::from([("HOME".to_owned(), "/home/me".to_owned())]);
        let base = Path::new("/proj");
        assert_eq!(absolute(base, "./data", &env), PathBuf::from("/proj/data"));
        assert_eq!(absolute(base, "../x/./y", &env), PathBuf::from("/x/y"));
        assert_eq!(absolute(base, "/abs", &env), PathBuf::from("/abs"));
        assert_eq!(
            absolute(base, "~/cache", &env),
            PathBuf::from("/home/me/cache")
        );
        assert_eq!(absolute(base, ".", &env), PathBuf::from("/proj"));
        assert_eq!(absolute(base, "/etc/x/", &env), PathBuf::from("/etc/x/"));
        assert_eq!(absolute(base, "C:\\data", &env), PathBuf::from("C:\\data"));
        assert_eq!(absolute(base, "z:/data", &env), PathBuf::from("z:/data"));
    }
}
