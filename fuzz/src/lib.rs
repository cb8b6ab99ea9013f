//! The fuzz targets' bodies: each takes libFuzzer's bytes to one of parity's
//! input readers and checks the contract of README "Reliability": whatever
//! the input, no panic, no stack overflow, bounded time and memory (libFuzzer's
//! `-timeout` and `-rss_limit_mb` watch those), and a refusal is bad input
//! (exit 2) that says where, and that the error renderer can draw.
//!
//! Why `#[path]` and not a `[lib]` target of parity: the readers are parity's
//! pure core (no I/O beyond reading the files they are pointed at), so they
//! compile on their own with a handful of crates. Including them here keeps
//! parity one bin target with `pub(crate)` items (no crate-layout change for
//! every other module), and keeps the AWS SDK and Tokio out of the
//! instrumented fuzz build, which is then minutes, not tens of minutes. The
//! cost: a new `crate::` dependency of these modules outside this set breaks
//! this build, which CI runs (scripts/fuzz), so it shows at once, and it is
//! the layering rule anyway (the core must not reach into the adapters).

#![allow(dead_code, unreachable_pub, unused_imports)]

#[path = "../../src/compose/mod.rs"]
mod compose;
#[path = "../../src/error.rs"]
mod error;
mod redact;
#[path = "../../src/settings/mod.rs"]
mod settings;
#[path = "../../src/suggest.rs"]
mod suggest;

mod scratch;

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use compose::LoadOptions;
use error::Error;

/// The process environment every compose load sees: a few variables the
/// dictionary's `${...}` names, so interpolation has values to find.
fn environment() -> IndexMap<String, String> {
    [
        ("A", "a"),
        ("EMPTY", ""),
        ("PORT", "8080"),
        ("TAG", "1.0"),
        ("NESTED", "${A}"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A refusal must be bad input that says where (a `file:line:col`, or at
/// least the file, as "does not exist" does, named in the message), and the
/// renderer must draw it. `dir` holds the input files.
fn check_refusal(err: &Error, what: &str, dir: &Path) {
    assert_eq!(
        err.exit_code(),
        2,
        "{what}: a refusal that is not bad input: {err}"
    );
    let rendered = err.render(false);
    assert!(!rendered.is_empty(), "{what}: the error renders as nothing");
    match err.location() {
        Some(location) => assert!(
            location.line >= 1 && location.column >= 1,
            "{what}: a location with a zero line or column: {location}"
        ),
        None => assert!(
            err.message().contains(&*dir.to_string_lossy()),
            "{what}: an error that does not say where: {err}"
        ),
    }
}

/// Loads `files` (as `-f` files, in order) from the scratch directory, and
/// on success serializes the project the way `parity config` prints it.
fn load(dir: &Path, files: &[&str]) {
    let options = LoadOptions {
        files: files.iter().map(PathBuf::from).collect(),
        environment: environment(),
        cwd: dir.to_path_buf(),
        ..LoadOptions::default()
    };
    match compose::load(&options) {
        Ok(project) => {
            let value = serde_json::to_value(&project).expect("a loaded project serializes");
            let _ = compose::emit::yaml(&value);
        }
        Err(err) => check_refusal(&err, "compose load", dir),
    }
}

/// One compose file, `-f compose.yaml`: the bytes are the file (invalid UTF-8
/// included: the loader must refuse it, located).
pub fn compose_file(data: &[u8]) {
    let dir = scratch::dir();
    scratch::write(&dir, &[("compose.yaml", Some(data))]);
    load(&dir, &["compose.yaml"]);
}

/// The files of a multi-file project, NUL-separated, in this order: `.env`,
/// `compose.yaml` and `override.yaml` (the two `-f` files), then `a.yaml`
/// and `b.env`, which the others may name (`include`, `extends.file`,
/// `env_file`). A file the input does not reach is absent.
pub fn compose_project(data: &[u8]) {
    const NAMES: [&str; 5] = [".env", "compose.yaml", "override.yaml", "a.yaml", "b.env"];
    let mut parts = data.splitn(NAMES.len(), |&b| b == 0);
    let files: Vec<(&str, Option<&[u8]>)> = NAMES.iter().map(|n| (*n, parts.next())).collect();
    let dir = scratch::dir();
    scratch::write(&dir, &files);
    if files[2].1.is_some() {
        load(&dir, &["compose.yaml", "override.yaml"]);
    } else {
        load(&dir, &["compose.yaml"]);
    }
}

/// One service's `x-parity` block (the bytes, indented under the key) in a
/// project whose other services give references (`sidecar_of`, `release`)
/// something to name; the loader's cross-service checks run too.
pub fn x_parity(data: &[u8]) {
    let mut file = b"services:\n  web:\n    image: nginx\n    ports: [\"8080:80\"]\n    x-parity:\n"
        .to_vec();
    for line in data.split(|&b| b == b'\n') {
        file.extend_from_slice(b"      ");
        file.extend_from_slice(line);
        file.push(b'\n');
    }
    file.extend_from_slice(
        b"  worker:\n    image: busybox\n    x-parity:\n      sidecar_of: web\n  db:\n    image: postgres\n",
    );
    let dir = scratch::dir();
    scratch::write(&dir, &[("compose.yaml", Some(&file))]);
    load(&dir, &["compose.yaml"]);
}

/// One interpolation template (UTF-8) against [`environment`]. A text
/// without `$` must come back unchanged.
pub fn interpolation(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = environment();
    let mut missing = Vec::new();
    let result = compose::interpolate::substitute(text, &|name| env.get(name).cloned(), &mut |n| {
        missing.push(n.to_owned())
    });
    if !text.contains('$') {
        assert_eq!(result.as_deref(), Ok(text), "a text without `$` changed");
    }
    if let Err(err) = result {
        assert!(!err.message().is_empty(), "an empty interpolation error");
    }
}

/// One dotenv file (UTF-8): its errors point into it.
pub fn dotenv(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/fuzz/.env");
    let env = environment();
    match compose::dotenv::parse_located(text, path, &|name| env.get(name).cloned()) {
        Ok(vars) => {
            for (name, (_, location)) in &vars {
                assert!(
                    location.line >= 1 && location.line <= text.split('\n').count(),
                    "`{name}` located past the end of the file: {location}"
                );
            }
        }
        Err(err) => {
            check_refusal(&err, "dotenv", path);
            assert_eq!(err.location().map(|l| l.file.as_path()), Some(path));
        }
    }
}

/// One parity.toml (UTF-8), parsed and validated: its errors point into it.
pub fn parity_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/fuzz/parity.toml");
    if let Err(err) = settings::parse(text, path) {
        check_refusal(&err, "parity.toml", path);
        assert_eq!(err.location().map(|l| l.file.as_path()), Some(path));
    }
}
