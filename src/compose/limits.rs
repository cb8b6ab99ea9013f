//! The limits parity holds every input file to, in one place.
//!
//! Each exists so that no input, however written, can overflow the stack,
//! take super-linear time or exhaust memory; each is set far above anything a
//! real compose file, dotenv file or parity.toml needs, so only a mistake or a
//! hostile file reaches one. Exceeding a limit is bad input (exit 2) naming
//! the file, line and column and the limit. The README's "Reliability"
//! section lists them with the same values.

/// Largest input file read (compose file, dotenv file, parity.toml), in bytes.
/// Files are read through a cap, so an endless file (`/dev/zero`, a FIFO)
/// ends in this error, not in running out of memory. The largest real compose
/// files are a few hundred kilobytes.
pub(crate) const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Deepest YAML nesting of sequences and mappings. Compose files nest about
/// six levels (services.web.deploy.resources.limits.cpus).
pub(crate) const MAX_YAML_DEPTH: usize = 128;

/// Most nodes YAML aliases may copy in one file, counted by expanded size (an
/// alias of an anchor of 100 nodes counts 100), so nested aliases ("billion
/// laughs") and long `<<` merge chains stop here. Real files copy a few
/// thousand nodes at most.
pub(crate) const MAX_ALIASED_NODES: usize = 100_000;

/// Deepest nesting of interpolation defaults (`${A:-${B:-...}}`). Real files
/// nest two or three.
pub(crate) const MAX_INTERPOLATION_DEPTH: usize = 64;

/// Longest value interpolation may produce, in bytes: dotenv variables that
/// double each other (`B=${A}${A}`) stop here. Real values (certificates
/// included) are a few kilobytes.
pub(crate) const MAX_INTERPOLATED_BYTES: usize = 1024 * 1024;

/// Longest `extends` chain (service extends service extends ...). Real chains
/// are two or three long.
pub(crate) const MAX_EXTENDS_CHAIN: usize = 64;

/// Deepest `include` chain (file includes file includes ...). Real projects
/// include one or two levels.
pub(crate) const MAX_INCLUDE_DEPTH: usize = 64;

/// Most compose files one load may read (every `-f` file, included file and
/// `extends.file`, each counted once however often it is named, since loaded
/// files are cached). Real projects read a handful.
pub(crate) const MAX_FILES_LOADED: usize = 1_000;

/// Most ports one project's services may hold once `ports:` ranges are
/// expanded (as Compose expands them, one port per number): every port
/// number twice, once for TCP and once for UDP. Media servers publish ranges
/// of ten to sixteen thousand ports; a few items of full ranges past this
/// would hold gigabytes and take minutes.
pub(crate) const MAX_EXPANDED_PORTS: usize = 2 * 65_536;

/// Widest part of a line shown in an error snippet, in characters: a longer
/// line is shown as a window around the column the error points at.
pub(crate) const MAX_SNIPPET_CHARS: usize = 160;

/// Reads a whole file, at most [`MAX_FILE_BYTES`] of it: a larger or endless
/// file (`/dev/zero`) is an error saying so after reading one byte past the
/// limit, never an attempt to hold it all in memory.
pub(crate) fn read_file(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "it is larger than {} MiB, the limit for an input file",
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// [`read_file`] as UTF-8 text; invalid UTF-8 is an `InvalidData` error,
/// as with `std::fs::read_to_string`.
pub(crate) fn read_utf8(path: &std::path::Path) -> std::io::Result<String> {
    String::from_utf8(read_file(path)?).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}
