//! `sync`: changed files into a running container through the engine's
//! archive API (one tar per batch, extracted at `/`), and files deleted on the
//! host removed in the container with one `rm -rf` exec, as Docker Compose v2
//! does (`internal/sync/tar.go`). Never rebuilds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::query_parameters::UploadToContainerOptions;
use futures_util::StreamExt;

use crate::error::Error;
use crate::local::engine::{self, Engine};

/// What one sync did.
#[derive(Debug, Default)]
pub(crate) struct Synced {
    pub(crate) copied: usize,
    pub(crate) deleted: usize,
}

/// Copies the files that exist on the host and removes the others, in `container`.
/// `files` maps container path to host path; a host directory is copied whole.
pub(crate) async fn sync(
    engine: &Engine,
    service: &str,
    container: &str,
    files: &BTreeMap<String, PathBuf>,
) -> Result<Synced, Error> {
    let files = files.clone();
    let (tar, copied, deleted) = tokio::task::spawn_blocking(move || pack(&files))
        .await
        .map_err(|e| Error::failed(format!("{service}: packing the changed files: {e}")))??;
    if copied > 0 {
        engine
            .docker
            .upload_to_container(
                container,
                Some(UploadToContainerOptions {
                    path: "/".into(),
                    ..UploadToContainerOptions::default()
                }),
                bollard::body_full(tar.into()),
            )
            .await
            .map_err(|e| engine::failed(format!("{service}: copying into the container"), &e))?;
    }
    if !deleted.is_empty() {
        let mut command = vec!["rm".to_string(), "-rf".to_string()];
        command.extend(deleted.iter().cloned());
        let (code, output) = run(engine, container, command).await.map_err(|e| {
            Error::failed(format!(
                "{service}: removing {} in the container: {}",
                deleted.join(", "),
                e.message()
            ))
            .with_help("the container needs an `rm` program for deletions to reach it")
        })?;
        if code != 0 {
            return Err(Error::failed(format!(
                "{service}: `rm -rf {}` exited with {code}: {}",
                deleted.join(" "),
                output.trim_end()
            )));
        }
    }
    Ok(Synced {
        copied,
        deleted: deleted.len(),
    })
}

/// The tar of the files that exist (named by their container path, without
/// the leading `/`), how many files it holds, and the container paths to delete.
fn pack(files: &BTreeMap<String, PathBuf>) -> Result<(Vec<u8>, usize, Vec<String>), Error> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let mut copied = 0;
    let mut deleted = Vec::new();
    let read_error = |path: &Path, e: std::io::Error| {
        Error::failed(format!("cannot read {}: {e}", path.display()))
    };
    for (target, host) in files {
        let name = target.trim_start_matches('/');
        match std::fs::symlink_metadata(host) {
            Ok(meta) if meta.is_dir() => {
                copied += append_dir(&mut builder, host, name).map_err(|e| read_error(host, e))?;
            }
            Ok(_) => {
                builder
                    .append_path_with_name(host, name)
                    .map_err(|e| read_error(host, e))?;
                copied += 1;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => deleted.push(target.clone()),
            Err(e) => return Err(read_error(host, e)),
        }
    }
    let tar = builder
        .into_inner()
        .map_err(|e| read_error(Path::new("."), e))?;
    Ok((tar, copied, deleted))
}

/// A directory and everything under it; returns how many files it added.
fn append_dir(
    builder: &mut tar::Builder<Vec<u8>>,
    dir: &Path,
    name: &str,
) -> std::io::Result<usize> {
    builder.append_dir(name, dir)?;
    let mut count = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let child = format!("{name}/{}", entry.file_name().to_string_lossy());
        if entry.file_type()?.is_dir() {
            count += append_dir(builder, &entry.path(), &child)?;
        } else {
            builder.append_path_with_name(entry.path(), &child)?;
            count += 1;
        }
    }
    Ok(count)
}

/// Runs a command in the container without a terminal; its exit code and output.
pub(crate) async fn run(
    engine: &Engine,
    container: &str,
    command: Vec<String>,
) -> Result<(i64, String), Error> {
    let created = engine
        .docker
        .create_exec(
            container,
            CreateExecOptions {
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                cmd: Some(command),
                ..CreateExecOptions::default()
            },
        )
        .await
        .map_err(|e| engine::failed("creating the exec", &e))?;
    let started = engine
        .docker
        .start_exec(&created.id, None)
        .await
        .map_err(|e| engine::failed("starting the exec", &e))?;
    let mut text = Vec::new();
    if let StartExecResults::Attached { mut output, .. } = started {
        while let Some(Ok(chunk)) = output.next().await {
            text.extend_from_slice(chunk.as_ref());
        }
    }
    let inspected = engine
        .docker
        .inspect_exec(&created.id)
        .await
        .map_err(|e| engine::failed("reading the exec's exit code", &e))?;
    Ok((
        inspected.exit_code.unwrap_or(-1),
        String::from_utf8_lossy(&text).into_owned(),
    ))
}
