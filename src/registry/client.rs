//! A minimal OCI distribution API client: manifests and blobs by digest.
//!
//! Plain HTTP for loopback hosts (127.0.0.0/8, localhost — the same rule the
//! Docker Engine applies), HTTPS otherwise, over the hyper + rustls (aws-lc-rs)
//! stack the AWS SDK already uses. Authentication is HTTP Basic, which is what
//! ECR's GetAuthorizationToken hands out; anonymous otherwise. Must not know
//! about ECS or deploys.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, LOCATION};
use hyper::{Method, Request, StatusCode};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::retry::{self, Fault, retrying};
use crate::cloud::image_ref::Digest;
use crate::error::{Error, Result};

/// The manifest media types parity reads and copies (single images and indexes).
pub(crate) const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// A registry host and how to authenticate to it.
#[derive(Debug, Clone)]
pub(crate) struct Registry {
    /// `host[:port]`.
    pub(crate) host: String,
    /// `Basic ...` header value, when the registry needs one. Never printed.
    pub(crate) basic_auth: Option<String>,
}

impl Registry {
    pub(crate) fn anonymous(host: &str) -> Self {
        Self {
            host: host.to_owned(),
            basic_auth: None,
        }
    }

    fn base(&self) -> String {
        let host = self.host.split(':').next().unwrap_or("");
        if host == "localhost" || host.starts_with("127.") {
            format!("http://{}", self.host)
        } else {
            format!("https://{}", self.host)
        }
    }
}

/// A manifest as stored: its exact bytes, media type and digest.
#[derive(Debug, Clone)]
pub(crate) struct Manifest {
    pub(crate) bytes: Bytes,
    pub(crate) media_type: String,
    pub(crate) digest: Digest,
}

/// The HTTP client; cheap to clone.
#[derive(Clone)]
pub(crate) struct RegistryClient {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

struct Reply {
    status: StatusCode,
    content_type: Option<String>,
    location: Option<String>,
    body: Bytes,
}

impl RegistryClient {
    pub(crate) fn new() -> Result<Self> {
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider)
            .map_err(|e| Error::failed(format!("cannot load the system's TLS roots: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            http: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// One HTTP exchange. A connection that fails or breaks before the
    /// whole answer is read is a transient fault (retried by the caller's
    /// operation, `super::retry`).
    async fn send(
        &self,
        registry: &Registry,
        method: Method,
        url: &str,
        header: Option<(HeaderName, &str)>,
        body: Bytes,
        with_auth: bool,
    ) -> std::result::Result<Reply, Fault> {
        let mut request = Request::builder().method(method.clone()).uri(url);
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        if let (true, Some(auth)) = (with_auth, &registry.basic_auth) {
            request = request.header(AUTHORIZATION, auth);
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| Error::failed(format!("registry request {method} {url}: {e}")))?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| Fault::Transient(format!("unreachable ({})", cause(&e))))?;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE);
        let location = header(LOCATION);
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| Fault::Transient(format!("the answer was cut off ({e})")))?
            .to_bytes();
        let reply = Reply {
            status,
            content_type,
            location,
            body,
        };
        if retry::transient_status(status) {
            return Err(Fault::Transient(format!("answered {status}")));
        }
        Ok(reply)
    }

    /// Checks that the registry answers the API at all (`GET /v2/`).
    pub(crate) async fn ping(&self, registry: &Registry) -> Result<()> {
        let url = format!("{}/v2/", registry.base());
        let reply = retrying(&registry.host, "GET /v2/", || {
            self.send(registry, Method::GET, &url, None, Bytes::new(), true)
        })
        .await?;
        match reply.status {
            s if s.is_success() => Ok(()),
            StatusCode::UNAUTHORIZED => Err(Error::failed(format!(
                "registry {} refused the credentials (401)",
                registry.host
            ))),
            s => Err(Error::failed(format!(
                "registry {} answered {s} to /v2/",
                registry.host
            ))),
        }
    }

    /// A manifest by tag or digest; `None` when the registry has none.
    pub(crate) async fn manifest(
        &self,
        registry: &Registry,
        repository: &str,
        reference: &str,
    ) -> Result<Option<Manifest>> {
        let url = format!("{}/v2/{repository}/manifests/{reference}", registry.base());
        let what = format!("GET manifest {repository}:{reference}");
        let reply = retrying(&registry.host, &what, || {
            self.send(
                registry,
                Method::GET,
                &url,
                Some((ACCEPT, MANIFEST_ACCEPT)),
                Bytes::new(),
                true,
            )
        })
        .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !reply.status.is_success() {
            return Err(Error::failed(format!(
                "registry {}: {what} answered {}",
                registry.host, reply.status
            )));
        }
        let media_type = reply
            .content_type
            .unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".to_owned());
        Ok(Some(Manifest {
            digest: Digest::of(&reply.body),
            media_type,
            bytes: reply.body,
        }))
    }

    /// Whether the registry holds the blob.
    pub(crate) async fn has_blob(
        &self,
        registry: &Registry,
        repository: &str,
        digest: &str,
    ) -> Result<bool> {
        let url = format!("{}/v2/{repository}/blobs/{digest}", registry.base());
        let what = format!("HEAD blob {digest} of {repository}");
        let reply = retrying(&registry.host, &what, || {
            self.send(registry, Method::HEAD, &url, None, Bytes::new(), true)
        })
        .await?;
        Ok(reply.status.is_success())
    }

    /// A blob's bytes, following one redirect (ECR serves blobs from S3).
    pub(crate) async fn blob(
        &self,
        registry: &Registry,
        repository: &str,
        digest: &str,
    ) -> Result<Bytes> {
        let url = format!("{}/v2/{repository}/blobs/{digest}", registry.base());
        let what = format!("GET blob {digest} of {repository}");
        let reply = retrying(&registry.host, &what, || async {
            let reply = self
                .send(registry, Method::GET, &url, None, Bytes::new(), true)
                .await?;
            if !reply.status.is_redirection() {
                return Ok(reply);
            }
            // The redirect is asked again on every attempt: its URL may be
            // signed for a short while.
            let target = absolute(registry, reply.location.as_deref().unwrap_or_default());
            self.send(registry, Method::GET, &target, None, Bytes::new(), false)
                .await
        })
        .await?;
        if !reply.status.is_success() {
            return Err(Error::failed(format!(
                "registry {}: {what} answered {}",
                registry.host, reply.status
            )));
        }
        Ok(reply.body)
    }

    /// Uploads a blob in one monolithic PUT (start an upload, then PUT with
    /// the digest). A failed attempt starts a new upload session: the PUT
    /// of a session that failed is never sent again.
    pub(crate) async fn put_blob(
        &self,
        registry: &Registry,
        repository: &str,
        digest: &str,
        bytes: Bytes,
    ) -> Result<()> {
        let what = format!("upload blob {digest} to {repository}");
        retrying(&registry.host, &what, || {
            self.upload_session(registry, repository, digest, bytes.clone())
        })
        .await
    }

    /// One upload session: POST to start it, PUT the bytes to its location.
    async fn upload_session(
        &self,
        registry: &Registry,
        repository: &str,
        digest: &str,
        bytes: Bytes,
    ) -> std::result::Result<(), Fault> {
        let url = format!("{}/v2/{repository}/blobs/uploads/", registry.base());
        let reply = self
            .send(registry, Method::POST, &url, None, Bytes::new(), true)
            .await?;
        let location = match (reply.status, reply.location) {
            (StatusCode::ACCEPTED, Some(location)) => absolute(registry, &location),
            (status, _) => {
                return Err(Fault::Fatal(Error::failed(format!(
                    "registry {}: starting a blob upload to {repository} answered {status}",
                    registry.host
                ))));
            }
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{separator}digest={digest}");
        let reply = self
            .send(
                registry,
                Method::PUT,
                &url,
                Some((CONTENT_TYPE, "application/octet-stream")),
                bytes,
                true,
            )
            .await?;
        if reply.status != StatusCode::CREATED {
            return Err(Fault::Fatal(Error::failed(format!(
                "registry {}: uploading blob {digest} to {repository} answered {}",
                registry.host, reply.status
            ))));
        }
        Ok(())
    }

    /// Stores a manifest's exact bytes under `reference` (a tag or its
    /// digest); the same bytes again are harmless, so it is retried as is.
    pub(crate) async fn put_manifest(
        &self,
        registry: &Registry,
        repository: &str,
        reference: &str,
        manifest: &Manifest,
    ) -> Result<()> {
        let url = format!("{}/v2/{repository}/manifests/{reference}", registry.base());
        let what = format!("PUT manifest {repository}:{reference}");
        let reply = retrying(&registry.host, &what, || {
            self.send(
                registry,
                Method::PUT,
                &url,
                Some((CONTENT_TYPE, &manifest.media_type)),
                manifest.bytes.clone(),
                true,
            )
        })
        .await?;
        if reply.status != StatusCode::CREATED {
            return Err(Error::failed(format!(
                "registry {}: storing manifest {reference} in {repository} answered {}",
                registry.host, reply.status
            )));
        }
        Ok(())
    }
}

/// A client error's innermost cause (`connection reset by peer`), which is
/// what tells a person what happened; hyper's own text is generic.
fn cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = error;
    while let Some(source) = inner.source() {
        inner = source;
    }
    inner.to_string()
}

impl RegistryClient {
    /// POSTs a JSON body to any URL (the deploy webhook), on the same HTTP/TLS
    /// stack; a non-2xx answer is an error.
    pub(crate) async fn post_json(&self, url: &str, body: String) -> Result<()> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(url)
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| Error::failed(format!("webhook URL {url}: {e}")))?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| Error::failed(format!("webhook unreachable: {e}")))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(Error::failed(format!(
                "webhook answered {}",
                response.status()
            )))
        }
    }
}

/// Upload and redirect locations may be relative to the registry.
fn absolute(registry: &Registry, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_owned()
    } else {
        format!("{}{location}", registry.base())
    }
}
