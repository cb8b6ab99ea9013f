//! Image registries: the OCI distribution API (manifests and blobs by digest)
//! and pushing what the Docker Engine built.
//!
//! Adapters only. `client` speaks HTTP to a registry (ECR or any host),
//! `copy` moves an image between registries byte for byte so its digest never
//! changes (promote), `push` drives the engine's push and returns the digest.
//! Owns no deploy rules.

pub(crate) mod client;
pub(crate) mod copy;
pub(crate) mod push;
pub(crate) mod retry;
