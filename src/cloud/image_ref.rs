//! Image references: `registry/repository:tag` and `registry/repository@sha256:...`.
//!
//! Pure. After the push everything parity deploys is pinned by digest, so a
//! mutable tag can never change what runs; this module parses and builds those
//! references and nothing else.

use std::fmt;

/// A `sha256:<64 hex>` content digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Digest(String);

impl Digest {
    /// Parses `sha256:` followed by 64 lowercase hex digits.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let hex = text
            .strip_prefix("sha256:")
            .ok_or_else(|| format!("`{text}` is not a sha256 digest"))?;
        if hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(text.to_owned()))
        } else {
            Err(format!("`{text}` is not sha256 followed by 64 hex digits"))
        }
    }

    /// The digest of `bytes` (what a registry names a manifest or blob by).
    pub(crate) fn of(bytes: &[u8]) -> Self {
        use sha2::Digest as _;
        Self(format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(bytes))
        ))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 hex digits, as `docker images` shows them.
    pub(crate) fn short(&self) -> &str {
        &self.0[7..19]
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef {
    /// Registry host (with port), or `None` for Docker Hub short names.
    pub(crate) registry: Option<String>,
    pub(crate) repository: String,
    pub(crate) tag: Option<String>,
    pub(crate) digest: Option<Digest>,
}

impl ImageRef {
    /// Parses `[host[:port]/]path[:tag][@sha256:...]`, following Docker's rule
    /// that the first component is a registry only when it has a `.` or `:` or is `localhost`.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let (name_tag, digest) = match text.split_once('@') {
            Some((head, digest)) => (head, Some(Digest::parse(digest)?)),
            None => (text, None),
        };
        let (name, tag) = match name_tag.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => (name, Some(tag.to_owned())),
            _ => (name_tag, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first.to_owned()), rest.to_owned())
            }
            _ => (None, name.to_owned()),
        };
        if repository.is_empty() || tag.as_deref() == Some("") {
            return Err(format!("`{text}` is not an image reference"));
        }
        Ok(Self {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// `registry/repository` without tag or digest.
    pub(crate) fn name(&self) -> String {
        match &self.registry {
            Some(registry) => format!("{registry}/{}", self.repository),
            None => self.repository.clone(),
        }
    }

    /// The name with Docker Hub's implicit parts written out, so equal images
    /// compare equal: `nginx` = `library/nginx` = `docker.io/library/nginx`.
    pub(crate) fn canonical_name(&self) -> String {
        let registry = match self.registry.as_deref() {
            None | Some("docker.io" | "index.docker.io") => "docker.io",
            Some(other) => other,
        };
        if registry == "docker.io" && !self.repository.contains('/') {
            format!("docker.io/library/{}", self.repository)
        } else {
            format!("{registry}/{}", self.repository)
        }
    }

    /// `registry/repository@digest`: the only form parity deploys.
    pub(crate) fn pinned(&self, digest: &Digest) -> String {
        format!("{}@{digest}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn digest_must_be_sha256_and_64_hex() {
        assert!(Digest::parse(&format!("sha256:{HEX}")).is_ok());
        assert!(Digest::parse(&format!("sha512:{HEX}")).is_err());
        assert!(Digest::parse("sha256:abc").is_err());
        assert!(Digest::parse(&format!("sha256:{}", HEX.to_uppercase())).is_err());
    }

    #[test]
    fn digest_of_bytes_matches_sha256() {
        assert_eq!(
            Digest::of(b"").as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Digest::of(b"").short(), "e3b0c44298fc");
    }

    #[test]
    fn registry_with_port_repository_and_digest() {
        let r = ImageRef::parse(&format!("127.0.0.1:5000/app/web@sha256:{HEX}")).unwrap();
        assert_eq!(r.registry.as_deref(), Some("127.0.0.1:5000"));
        assert_eq!(r.repository, "app/web");
        assert_eq!(r.tag, None);
        assert_eq!(r.digest.unwrap().as_str(), format!("sha256:{HEX}"));
    }

    #[test]
    fn tag_and_digest_together() {
        let r = ImageRef::parse(&format!("localhost/app:v1@sha256:{HEX}")).unwrap();
        assert_eq!(r.registry.as_deref(), Some("localhost"));
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert!(r.digest.is_some());
    }

    #[test]
    fn docker_hub_short_names_have_no_registry() {
        let r = ImageRef::parse("postgres:16").unwrap();
        assert_eq!(r.registry, None);
        assert_eq!(r.repository, "postgres");
        assert_eq!(r.tag.as_deref(), Some("16"));
        let r = ImageRef::parse("library/postgres").unwrap();
        assert_eq!(r.registry, None);
        assert_eq!(r.repository, "library/postgres");
    }

    #[test]
    fn ecr_name_and_pinned_form() {
        let r = ImageRef::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:abc123").unwrap();
        let d = Digest::parse(&format!("sha256:{HEX}")).unwrap();
        assert_eq!(
            r.pinned(&d),
            format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:{HEX}")
        );
    }

    #[test]
    fn docker_hub_names_compare_equal_in_every_spelling() {
        let canonical = |s: &str| ImageRef::parse(s).unwrap().canonical_name();
        assert_eq!(canonical("nginx"), "docker.io/library/nginx");
        assert_eq!(canonical("library/nginx:1"), "docker.io/library/nginx");
        assert_eq!(
            canonical("docker.io/library/nginx"),
            "docker.io/library/nginx"
        );
        assert_eq!(
            canonical("index.docker.io/nginx"),
            "docker.io/library/nginx"
        );
        assert_eq!(canonical("acme/app"), "docker.io/acme/app");
        assert_eq!(canonical("127.0.0.1:5000/app"), "127.0.0.1:5000/app");
    }

    #[test]
    fn rejects_empty_parts() {
        assert!(ImageRef::parse("").is_err());
        assert!(ImageRef::parse("app:").is_err());
        assert!(ImageRef::parse("app@sha256:zz").is_err());
    }
}
