//! Tags a built image for the environment's registry and pushes it through the
//! Docker Engine; the pushed digest is then read back from the registry itself,
//! so what parity deploys is what the registry serves, not what the engine said.

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{PushImageOptions, TagImageOptions};
use futures_util::StreamExt;

use super::client::{Registry, RegistryClient};
use super::retry::{Fault, retrying, transient_message};
use crate::cloud::image_ref::Digest;
use crate::error::{Error, Result};

/// Registry credentials for the engine (ECR: user `AWS` and the token's password).
#[derive(Debug, Clone, Default)]
pub(crate) struct PushCredentials {
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
}

/// Tags `image` (a local id or name) as `registry/repository:tag`, pushes it,
/// and returns the digest the registry now serves for that tag.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn push(
    docker: &Docker,
    client: &RegistryClient,
    registry: &Registry,
    credentials: &PushCredentials,
    image: &str,
    repository: &str,
    tag: &str,
) -> Result<Digest> {
    let name = format!("{}/{repository}", registry.host);
    docker
        .tag_image(
            image,
            Some(TagImageOptions {
                repo: Some(name.clone()),
                tag: Some(tag.to_owned()),
            }),
        )
        .await
        .map_err(|e| Error::failed(format!("tagging {image} as {name}:{tag}: {e}")))?;
    let auth = credentials.username.as_ref().map(|user| DockerCredentials {
        username: Some(user.clone()),
        password: credentials.password.clone(),
        serveraddress: Some(registry.host.clone()),
        ..DockerCredentials::default()
    });
    let what = format!("push {name}:{tag} (through the Docker Engine)");
    retrying(&registry.host, &what, || {
        engine_push(docker, &name, tag, auth.clone(), &registry.host)
    })
    .await?;
    let manifest = client
        .manifest(registry, repository, tag)
        .await?
        .ok_or_else(|| {
            Error::failed(format!(
                "the push of {name}:{tag} finished but the registry has no such tag"
            ))
        })?;
    Ok(manifest.digest)
}

/// One push by the engine. The engine retries a layer upload itself but
/// not the manifest, and reports a fault only as text: a registry fault
/// there (`transient_message`) is a transient fault, and pushing again is
/// harmless (the layers already there are skipped).
async fn engine_push(
    docker: &Docker,
    name: &str,
    tag: &str,
    auth: Option<DockerCredentials>,
    host: &str,
) -> std::result::Result<(), Fault> {
    let mut stream = docker.push_image(
        name,
        Some(PushImageOptions {
            tag: Some(tag.to_owned()),
            ..PushImageOptions::default()
        }),
        auth,
    );
    while let Some(item) = stream.next().await {
        // The engine reports a failed push in the stream (an error item, or
        // an item carrying `error_detail`), never as an HTTP status.
        // Any other error is the engine's own connection, not the registry.
        let message = match item {
            Ok(info) => info.error_detail.map(|d| d.message.unwrap_or_default()),
            Err(bollard::errors::Error::DockerStreamError { error }) => Some(error),
            Err(e) => {
                return Err(Fault::Fatal(Error::failed(format!(
                    "pushing {name}:{tag}: {e}"
                ))));
            }
        };
        if let Some(message) = message {
            if transient_message(&message) {
                return Err(Fault::Transient(format!("the engine said: {message}")));
            }
            return Err(Fault::Fatal(
                Error::failed(format!("pushing {name}:{tag}: {message}")).with_help(format!(
                    "is the registry {host} running and reachable from the Docker Engine?"
                )),
            ));
        }
    }
    Ok(())
}
