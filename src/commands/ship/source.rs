//! The git commit the project directory is at: the one function `plan`,
//! `deploy` (tag and `parity:commit`) and every later command read it with,
//! so what plan compares is what deploy recorded. The value's form is
//! `cloud::tags::commit`'s.

use std::path::Path;

/// `cloud::tags::commit` of `dir`'s checkout; `None` outside a git repository.
pub(crate) fn git_commit(dir: &Path) -> Option<String> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let hash = git(&["rev-parse", "--short=12", "HEAD"]).filter(|h| !h.is_empty())?;
    let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    Some(crate::cloud::tags::commit(&hash, dirty))
}
