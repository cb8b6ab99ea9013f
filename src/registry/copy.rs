//! Copies an image between registries byte for byte: every blob, then the
//! manifest's exact bytes, so the digest is the same on both sides (promote
//! into an environment whose registry differs). Indexes (multi-platform
//! images) are copied with every manifest they list.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use super::client::{Manifest, Registry, RegistryClient};
use crate::cloud::image_ref::Digest;
use crate::error::{Error, Result};

/// What one copy did, for the summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CopyStats {
    pub(crate) blobs_copied: usize,
    pub(crate) blobs_present: usize,
    pub(crate) bytes: u64,
}

/// Copies `from_repo@digest` in `from` to `to_repo@digest` in `to` and tags it `tag`.
pub(crate) async fn copy_image(
    client: &RegistryClient,
    from: &Registry,
    from_repo: &str,
    to: &Registry,
    to_repo: &str,
    digest: &Digest,
    tag: Option<&str>,
) -> Result<CopyStats> {
    let mut stats = CopyStats::default();
    let manifest = copy_manifest(client, from, from_repo, to, to_repo, digest, &mut stats).await?;
    if let Some(tag) = tag {
        client.put_manifest(to, to_repo, tag, &manifest).await?;
    }
    Ok(stats)
}

fn copy_manifest<'a>(
    client: &'a RegistryClient,
    from: &'a Registry,
    from_repo: &'a str,
    to: &'a Registry,
    to_repo: &'a str,
    digest: &'a Digest,
    stats: &'a mut CopyStats,
) -> Pin<Box<dyn Future<Output = Result<Manifest>> + Send + 'a>> {
    Box::pin(async move {
        let manifest = client
            .manifest(from, from_repo, digest.as_str())
            .await?
            .ok_or_else(|| {
                Error::failed(format!(
                    "registry {} has no manifest {from_repo}@{digest}",
                    from.host
                ))
            })?;
        if manifest.digest != *digest {
            return Err(Error::failed(format!(
                "registry {} served {from_repo}@{digest} with digest {}; refusing to copy",
                from.host, manifest.digest
            )));
        }
        let parsed: Value = serde_json::from_slice(&manifest.bytes).map_err(|e| {
            Error::failed(format!("manifest {from_repo}@{digest} is not JSON: {e}"))
        })?;
        if let Some(children) = parsed["manifests"].as_array() {
            for child in children {
                let child = child["digest"].as_str().and_then(|d| Digest::parse(d).ok());
                if let Some(child) = child {
                    copy_manifest(client, from, from_repo, to, to_repo, &child, stats).await?;
                }
            }
        } else {
            let mut blobs: Vec<&str> = Vec::new();
            if let Some(config) = parsed["config"]["digest"].as_str() {
                blobs.push(config);
            }
            for layer in parsed["layers"].as_array().into_iter().flatten() {
                if let Some(d) = layer["digest"].as_str() {
                    blobs.push(d);
                }
            }
            for blob in blobs {
                if client.has_blob(to, to_repo, blob).await? {
                    stats.blobs_present += 1;
                    continue;
                }
                let bytes = client.blob(from, from_repo, blob).await?;
                if Digest::of(&bytes).as_str() != blob {
                    return Err(Error::failed(format!(
                        "blob {blob} from {} does not hash to its digest; refusing to copy",
                        from.host
                    )));
                }
                stats.bytes += bytes.len() as u64;
                stats.blobs_copied += 1;
                client.put_blob(to, to_repo, blob, bytes).await?;
            }
        }
        client
            .put_manifest(to, to_repo, digest.as_str(), &manifest)
            .await?;
        Ok(manifest)
    })
}
