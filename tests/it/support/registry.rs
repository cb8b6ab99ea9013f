//! A real OCI registry for the deploy tests: Debian's `docker-registry serve`
//! on 127.0.0.1 with a free port and temp storage, one per environment.
//! The Docker Engine pushes to 127.0.0.0/8 over plain HTTP without settings.

use std::process::{Child, Command, Stdio};

use super::http;

/// A running registry; stopped when dropped.
pub struct Registry {
    child: Child,
    _storage: tempfile::TempDir,
    addr: String,
}

/// The manifest media types a registry may hold for a pushed image.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

impl Registry {
    /// Starts `docker-registry serve`; panics (the test fails) when it cannot.
    pub fn start() -> Self {
        let storage = tempfile::tempdir().expect("registry storage dir");
        let port = http::free_port();
        let addr = format!("127.0.0.1:{port}");
        let config = storage.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
                storage.path().join("data").display()
            ),
        )
        .expect("write registry config");
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start docker-registry ({e}); run scripts/setup to install it")
            });
        http::wait_for_port(&addr, "docker-registry", &mut child);
        Self {
            child,
            _storage: storage,
            addr,
        }
    }

    /// `127.0.0.1:PORT`, the registry host for image names.
    pub fn host(&self) -> &str {
        &self.addr
    }

    /// GETs a manifest by tag or digest; `None` when the registry has none.
    pub fn manifest(&self, repository: &str, reference: &str) -> Option<Vec<u8>> {
        let response = http::request(
            &self.addr,
            "GET",
            &format!("/v2/{repository}/manifests/{reference}"),
            &[("Accept", MANIFEST_ACCEPT)],
            b"",
        );
        (response.status == 200).then_some(response.body)
    }

    /// The repositories the registry holds.
    pub fn repositories(&self) -> Vec<String> {
        let response = http::request(&self.addr, "GET", "/v2/_catalog", &[], b"");
        response.json()["repositories"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `sha256:<hex>` of bytes, as registries name manifests.
pub fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
