//! The Docker Engine connection: `DOCKER_HOST`, API version negotiation, and
//! turning engine errors into parity errors people can act on.
//!
//! Owns nothing about compose; every other file in `local` talks to the engine
//! through [`Engine`]. Must not print anything.

use bollard::Docker;

use crate::error::Error;

/// A connected engine and the API version both sides speak.
#[derive(Clone)]
pub(crate) struct Engine {
    pub(crate) docker: Docker,
    /// The negotiated API version, e.g. (1, 41) for Docker 20.10.
    pub(crate) api: (usize, usize),
    /// The address connected to (`unix:///var/run/docker.sock`, `tcp://...`):
    /// BuildKit builds are sent there directly (see `buildkit`).
    pub(crate) host: String,
}

/// The address used when `DOCKER_HOST` is unset.
const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

impl Engine {
    /// Connects to `DOCKER_HOST` (or the default socket) and negotiates the API
    /// version with one `/version` call, which doubles as the reachability check.
    pub(crate) async fn connect() -> Result<Self, Error> {
        let host = std::env::var("DOCKER_HOST")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| DEFAULT_HOST.to_string());
        let docker = Docker::connect_with_host(&host).map_err(|e| unreachable(&host, &e))?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| unreachable(&host, &e))?;
        let version = docker.client_version();
        Ok(Self {
            docker,
            api: (version.major_version, version.minor_version),
            host,
        })
    }

    /// Whether the engine speaks at least API `major.minor` (features such as
    /// `start_interval` are sent only where the engine has them).
    pub(crate) fn supports(&self, major: usize, minor: usize) -> bool {
        self.api >= (major, minor)
    }
}

/// The error for an engine that cannot be reached, with how to fix it.
fn unreachable(host: &str, err: &bollard::errors::Error) -> Error {
    let detail = err.to_string();
    let mut error = Error::failed(format!(
        "cannot reach the Docker Engine at {host}: {detail}"
    ));
    if detail.to_lowercase().contains("permission denied") {
        error = error.with_help(
            "your user may not use the engine's socket: add it to the `docker` group \
             (`sudo usermod -aG docker $USER`, then log in again)",
        );
    }
    error
        .with_help("is the engine running? start it (e.g. `sudo systemctl start docker`)")
        .with_help(
            "parity uses DOCKER_HOST when it is set (e.g. unix:///var/run/docker.sock or \
             tcp://host:2375); unset it to use the default socket",
        )
}

/// The engine's HTTP status for an error, when it answered at all.
pub(crate) fn status_of(err: &bollard::errors::Error) -> Option<u16> {
    match err {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// The engine's own message for an error (without bollard's prefix).
pub(crate) fn message_of(err: &bollard::errors::Error) -> String {
    match err {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Wraps an engine error that has no more specific meaning: "<what>: <engine message>".
pub(crate) fn failed(what: impl std::fmt::Display, err: &bollard::errors::Error) -> Error {
    Error::failed(format!("{what}: {}", message_of(err)))
}
