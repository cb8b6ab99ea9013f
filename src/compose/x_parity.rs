//! parity's own per-service extension, `x-parity`.
//!
//! It says what the compose file alone cannot: which services go to the cloud,
//! which one is the release phase, which variables are secrets there, and what
//! is left out on purpose. Unknown keys are errors, so a typo never silently
//! turns a secret into a plain variable.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::model::Service;

/// The parsed `x-parity` block of one service. Absent means all defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct XParity {
    /// `false`: local only; a managed service (e.g. RDS) replaces it in the cloud.
    pub(crate) cloud: bool,
    /// The release phase (migrations): run once to completion before dependants start
    /// locally, and as a one-off task before the rollout in the cloud.
    pub(crate) release: bool,
    /// Variables that come from the environment's SSM parameters in the cloud.
    pub(crate) secrets: Vec<String>,
    /// Joins this service's task definition as a non-essential container.
    pub(crate) sidecar_of: Option<String>,
    /// Variables that never reach the cloud (e.g. `DEBUG`).
    pub(crate) local_only: Vec<String>,
    /// Variables whose names look secret but are not.
    pub(crate) plain: Vec<String>,
    /// Cloud health-check values where the local ones are outside ECS's bounds.
    pub(crate) healthcheck: Option<CloudHealthcheck>,
    /// Fields Fargate cannot express, left out of the cloud on purpose (the plan says so).
    pub(crate) cloud_ignore: Vec<String>,
}

impl Default for XParity {
    fn default() -> Self {
        Self {
            cloud: true,
            release: false,
            secrets: Vec::new(),
            sidecar_of: None,
            local_only: Vec::new(),
            plain: Vec::new(),
            healthcheck: None,
            cloud_ignore: Vec::new(),
        }
    }
}

/// Health-check values for ECS, each in whole seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CloudHealthcheck {
    pub(crate) interval: Option<String>,
    pub(crate) timeout: Option<String>,
    pub(crate) retries: Option<u64>,
    pub(crate) start_period: Option<String>,
}

/// The key under which the extension lives in a service.
pub(crate) const KEY: &str = "x-parity";

impl XParity {
    /// Reads a service's `x-parity` block. The error names the bad key; the
    /// loader has already checked the YAML, so this only fails on parity's own keys.
    pub(crate) fn of(service: &Service) -> Result<Self, String> {
        match service.extensions.get(KEY) {
            None | Some(serde_json::Value::Null) => Ok(Self::default()),
            Some(value) => serde_json::from_value(value.clone()).map_err(|e| e.to_string()),
        }
    }
}

/// All services' `x-parity` blocks, by service name.
pub(crate) type XParityMap = IndexMap<String, XParity>;
