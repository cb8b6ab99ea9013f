//! Where a target writes its input files: one directory per fuzzing process
//! (libFuzzer's `-fork`/`-jobs` run several) under TMPDIR (scripts/fuzz
//! points it at a directory on tmpfs it removes afterwards), rewritten for
//! every input, since the loader reads files, not strings.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// This process's scratch directory, created on first use.
pub(crate) fn dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("parity-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the fuzz scratch directory");
        dir
    })
    .clone()
}

/// Writes each named file with its bytes, and removes those given `None`
/// (so nothing of the previous input is left to be read).
pub(crate) fn write(dir: &Path, files: &[(&str, Option<&[u8]>)]) {
    for (name, bytes) in files {
        let path = dir.join(name);
        match bytes {
            Some(bytes) => std::fs::write(&path, bytes).expect("write a fuzz input file"),
            None => match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => panic!("remove {}: {e}", path.display()),
            },
        }
    }
}
