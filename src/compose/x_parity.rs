//! parity's own per-service extension, `x-parity`.
//!
//! It says what the compose file alone cannot: which services go to the cloud,
//! which one is the release phase, which variables are secrets there, and what
//! is left out on purpose. Unknown keys are errors, so a typo never silently
//! turns a secret into a plain variable. Owns the syntax and the checks that
//! need only the compose project; the cloud mapping lives in `crate::cloud`.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::model::{Project, Service};
use crate::error::{Error, Result};
use crate::settings::Seconds;

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

/// Health-check values for ECS, each in whole seconds (`10` or `"10s"`).
/// A field left out keeps the compose value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CloudHealthcheck {
    #[serde(default)]
    pub(crate) interval: Option<Seconds>,
    #[serde(default)]
    pub(crate) timeout: Option<Seconds>,
    #[serde(default)]
    pub(crate) retries: Option<u64>,
    #[serde(default)]
    pub(crate) start_period: Option<Seconds>,
}

/// The key under which the extension lives in a service.
pub(crate) const KEY: &str = "x-parity";

/// Compose fields a service may list in `cloud_ignore`: the ones Fargate cannot
/// express (wholly or in part; `cloud::fields` has each one's reason, and a
/// test keeps the two lists equal). Anything else in the list is an error.
pub(crate) const IGNORABLE: &[&str] = &[
    "blkio_config",
    "cap_add",
    "cgroup",
    "cgroup_parent",
    "configs",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpuset",
    "credential_spec",
    "deploy.mode",
    "deploy.resources.reservations.devices",
    "deploy.resources.reservations.generic_resources",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "hostname",
    "ipc",
    "isolation",
    "links",
    "mac_address",
    "mem_swappiness",
    "memswap_limit",
    "network_mode",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "ports",
    "privileged",
    "provider",
    "runtime",
    "security_opt",
    "shm_size",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "use_api_socket",
    "userns_mode",
    "uts",
    "volumes",
    "volumes_from",
];

impl XParity {
    /// Reads a service's `x-parity` block; the error names the service and the bad key.
    pub(crate) fn of(service: &Service) -> Result<Self> {
        let parsed = match service.extensions.get(KEY) {
            None | Some(serde_json::Value::Null) => Self::default(),
            Some(value) => serde_json::from_value(value.clone()).map_err(|e| {
                Error::input(format!("service `{}`: {KEY}: {e}", service.name)).with_help(
                    "x-parity keys: cloud, release, secrets, sidecar_of, local_only, plain, healthcheck, cloud_ignore",
                )
            })?,
        };
        parsed.check_alone(&service.name)?;
        Ok(parsed)
    }

    /// Checks that need only this block.
    fn check_alone(&self, service: &str) -> Result<()> {
        let bad = |key: &str, what: String| {
            Err(Error::input(format!(
                "service `{service}`: {KEY}.{key}: {what}"
            )))
        };
        if self.release && !self.cloud {
            return bad(
                "release",
                "the release service runs before every rollout, so it cannot be `cloud: false`"
                    .into(),
            )
            .map_err(|e: Error| {
                e.with_help("remove `cloud: false`, or move the release phase to a cloud service")
            });
        }
        if self.release && self.sidecar_of.is_some() {
            return bad(
                "sidecar_of",
                "the release service runs as its own one-off task; it cannot be a sidecar".into(),
            );
        }
        for (list, names) in [
            ("secrets", &self.secrets),
            ("local_only", &self.local_only),
            ("plain", &self.plain),
        ] {
            if let Some(name) = names.iter().find(|n| !valid_variable_name(n)) {
                return bad(list, format!("`{name}` is not a variable name"));
            }
        }
        for name in &self.secrets {
            if self.local_only.contains(name) {
                return bad(
                    "secrets",
                    format!("`{name}` is also listed in local_only; pick one"),
                );
            }
            if self.plain.contains(name) {
                return bad(
                    "secrets",
                    format!("`{name}` is also listed in plain; pick one"),
                );
            }
        }
        if let Some(field) = self
            .cloud_ignore
            .iter()
            .find(|f| !IGNORABLE.contains(&f.as_str()))
        {
            let suggestion = IGNORABLE
                .iter()
                .min_by_key(|k| strsim::levenshtein(k, field))
                .filter(|k| strsim::levenshtein(k, field) <= 3);
            let mut err = Error::input(format!(
                "service `{service}`: {KEY}.cloud_ignore: `{field}` is not a field Fargate cannot express"
            ));
            if let Some(suggestion) = suggestion {
                err = err.with_help(format!("did you mean `{suggestion}`?"));
            } else {
                err = err.with_help(format!(
                    "fields that can be ignored: {}",
                    IGNORABLE.join(", ")
                ));
            }
            return Err(err);
        }
        Ok(())
    }
}

/// A POSIX-ish environment variable name.
fn valid_variable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// All services' `x-parity` blocks, by service name.
pub(crate) type XParityMap = IndexMap<String, XParity>;

/// Reads and cross-checks every service's block: one release service at most,
/// and `sidecar_of` names an existing cloud service that is not itself a sidecar.
pub(crate) fn read_all(project: &Project) -> Result<XParityMap> {
    let mut map = XParityMap::new();
    for (name, service) in &project.services {
        let mut named = service.clone();
        name.clone_into(&mut named.name);
        map.insert(name.clone(), XParity::of(&named)?);
    }
    let releases: Vec<&String> = map
        .iter()
        .filter(|(_, x)| x.release)
        .map(|(n, _)| n)
        .collect();
    if releases.len() > 1 {
        return Err(Error::input(format!(
            "services {} are all marked `{KEY}.release`; there is one release phase",
            releases
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    for (name, x) in &map {
        let Some(target) = &x.sidecar_of else {
            continue;
        };
        let Some(target_x) = map.get(target) else {
            let known: Vec<&str> = map.keys().map(String::as_str).collect();
            return Err(Error::input(format!(
                "service `{name}`: {KEY}.sidecar_of: no service `{target}` in the compose file (services: {})",
                known.join(", ")
            )));
        };
        if target == name {
            return Err(Error::input(format!(
                "service `{name}`: {KEY}.sidecar_of: a service cannot be its own sidecar"
            )));
        }
        if x.cloud && !target_x.cloud {
            return Err(Error::input(format!(
                "service `{name}`: {KEY}.sidecar_of: `{target}` is `cloud: false`, so there is no task for this sidecar to join"
            )));
        }
        if target_x.sidecar_of.is_some() {
            return Err(Error::input(format!(
                "service `{name}`: {KEY}.sidecar_of: `{target}` is itself a sidecar; name the service whose task it joins"
            )));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn project(services: &[(&str, serde_json::Value)]) -> Project {
        let mut project = Project::default();
        for (name, x) in services {
            let mut service = Service::default();
            (*name).clone_into(&mut service.name);
            service.extensions.insert(KEY.into(), x.clone());
            project.services.insert((*name).to_owned(), service);
        }
        project
    }

    fn message(project: &Project) -> String {
        read_all(project)
            .expect_err("accepted")
            .message()
            .to_owned()
    }

    #[test]
    fn absent_block_means_a_plain_cloud_service() {
        let map = read_all(&project(&[("web", serde_json::Value::Null)])).unwrap();
        assert_eq!(map["web"], XParity::default());
        assert!(map["web"].cloud);
    }

    #[test]
    fn unknown_keys_name_the_service() {
        let m = message(&project(&[("web", json!({"secret": ["A"]}))]));
        assert!(
            m.starts_with("service `web`: x-parity: unknown field `secret`"),
            "{m}"
        );
    }

    #[test]
    fn one_release_phase_only() {
        let m = message(&project(&[
            ("a", json!({"release": true})),
            ("b", json!({"release": true})),
        ]));
        assert!(m.contains("`a`, `b`"), "{m}");
    }

    #[test]
    fn a_variable_is_secret_or_plain_not_both() {
        let m = message(&project(&[(
            "web",
            json!({"secrets": ["A"], "plain": ["A"]}),
        )]));
        assert!(
            m.contains("x-parity.secrets: `A` is also listed in plain"),
            "{m}"
        );
    }

    #[test]
    fn sidecars_need_a_cloud_main_service() {
        let m = message(&project(&[
            ("db", json!({"cloud": false})),
            ("exporter", json!({"sidecar_of": "db"})),
        ]));
        assert!(
            m.contains("service `exporter`: x-parity.sidecar_of: `db` is `cloud: false`"),
            "{m}"
        );
        let m = message(&project(&[
            ("a", json!({"sidecar_of": "b"})),
            ("b", json!({"sidecar_of": "c"})),
            ("c", json!({})),
        ]));
        assert!(m.contains("`b` is itself a sidecar"), "{m}");
    }

    #[test]
    fn cloud_ignore_typos_suggest_the_field() {
        let err = read_all(&project(&[("web", json!({"cloud_ignore": ["volume"]}))])).unwrap_err();
        assert!(format!("{err:?}").contains("did you mean `volumes`"));
    }

    #[test]
    fn cloud_healthcheck_takes_integers_or_durations() {
        let map = read_all(&project(&[(
            "web",
            json!({"healthcheck": {"interval": "10s", "timeout": 5, "retries": 3}}),
        )]))
        .unwrap();
        let hc = map["web"].healthcheck.clone().unwrap();
        assert_eq!(
            (hc.interval.unwrap().get(), hc.timeout.unwrap().get()),
            (10, 5)
        );
    }
}
