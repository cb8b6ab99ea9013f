//! parity's own per-service extension, `x-parity`: read once, here, while the
//! compose file is loaded, into the typed [`XParity`] on each
//! [`Service`](super::model::Service).
//!
//! It says what the compose file alone cannot: which services go to the cloud,
//! which one is the release phase, which variables are secrets there, and what
//! is left out on purpose. Unknown keys are errors, so a typo never silently
//! turns a secret into a plain variable. Every command (`config`, `up`, `plan`,
//! `deploy`, ...) reads the same typed value, so a bad block is the same error,
//! at the same `file:line:col`, whatever command met it. Owns the syntax and the
//! checks that need only the compose project; the cloud mapping lives in
//! `crate::cloud`.
//!
//! Adding a key (`schedule`, `exec`, `public`, ...) is one change here: a field
//! of [`XParity`] with its doc comment and type. serde (through
//! [`node_de`](super::node_de)) reads it from the YAML node with located errors,
//! the unknown-key check and its "did you mean" list it automatically, and
//! [`Origin`] records where it is written, so any later layer can point an
//! error at it with [`XParity::error`]. A rule that needs only the block goes in
//! [`XParity::check_alone`]; one that needs other services, in [`check_services`].

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::model::{Project, Service};
use super::node_de;
pub(crate) use super::secret_refs::{SecretRef, SecretSource, Secrets};
use super::spans::Spans;
use super::yaml::Node;
use crate::error::{Error, Result};
use crate::settings::Seconds;

/// The parsed `x-parity` block of one service. Absent means all defaults.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct XParity {
    /// `cloud:` as written: `true` (default, an ECS task), `false` (local
    /// only), or the managed service the environment stack creates in its
    /// place (`rds`, `elasticache`; `crate::cloud::backing` maps the image).
    #[serde(rename = "cloud")]
    pub(crate) placement: Placement,
    /// Runs as an ECS task in the cloud (`cloud: true`); derived from
    /// [`Self::placement`] when the block is read, so every layer asking
    /// "is there a task?" reads one bool.
    #[serde(skip)]
    pub(crate) cloud: bool,
    /// The release phase (migrations): run once to completion before dependants start
    /// locally, and as a one-off task before the rollout in the cloud.
    pub(crate) release: bool,
    /// Variables that come from a secret in the cloud: the environment's own
    /// (a list, or `NAME: true`) or a reference to one parity does not own.
    pub(crate) secrets: Secrets,
    /// Joins this service's task definition as a non-essential container.
    pub(crate) sidecar_of: Option<String>,
    /// A sidecar the task cannot run without (a proxy that carries all its
    /// traffic): ECS `essential`, so its exit stops the task as the main
    /// container's does. Meaningful only with `sidecar_of`; the main container
    /// is always essential.
    pub(crate) essential: bool,
    /// Variables that never reach the cloud (e.g. `DEBUG`).
    pub(crate) local_only: Vec<String>,
    /// Variables whose names look secret but are not.
    pub(crate) plain: Vec<String>,
    /// Cloud health-check values where the local ones are outside ECS's bounds.
    pub(crate) healthcheck: Option<CloudHealthcheck>,
    /// Fields Fargate cannot express, left out of the cloud on purpose (the plan says so).
    pub(crate) cloud_ignore: Vec<String>,
    /// Behind the environment's load balancer. Default: when the service
    /// publishes a TCP port (its first one is the target group's port).
    pub(crate) public: Option<bool>,
    /// The host the load balancer routes to this service: a full name
    /// (`api.example.com`), or one label (`api`) prefixed to the environment's domain.
    pub(crate) host: Option<String>,
    /// The load balancer's health-check path (default `/`).
    pub(crate) health_check_path: Option<String>,
    /// A job: `rate(1 hour)` or `cron(0 3 * * ? *)`. `up` does not start it;
    /// in the cloud an EventBridge Scheduler schedule runs its task (no ECS service).
    pub(crate) schedule: Option<String>,
    /// Application Auto Scaling of the service's desired count.
    pub(crate) scale: Option<Scale>,
    /// ECS Exec (`parity exec --env`) into the service's tasks: deploy sets
    /// enableExecuteCommand, the environment stack's task role may open sessions.
    pub(crate) exec: bool,
    /// Where the block and each of its keys is written; not a key.
    #[serde(skip)]
    pub(crate) origin: Origin,
}

impl Default for XParity {
    fn default() -> Self {
        Self {
            placement: Placement::Task,
            cloud: true,
            release: false,
            secrets: Secrets::default(),
            sidecar_of: None,
            essential: false,
            local_only: Vec::new(),
            plain: Vec::new(),
            healthcheck: None,
            cloud_ignore: Vec::new(),
            public: None,
            host: None,
            health_check_path: None,
            schedule: None,
            scale: None,
            exec: false,
            origin: Origin::default(),
        }
    }
}

/// Where a service's block came from: the spans that let any layer point an
/// error at a key, and the block as written, which `config` prints verbatim.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Origin {
    /// `services.<name>.x-parity`: how messages name the block.
    path: String,
    /// Positions by key path relative to the block: `""` is the block itself,
    /// `healthcheck.interval` a key, `secrets[API_KEY]` a list item.
    spans: Spans,
    /// The block as written (after interpolation); `None` when there is none.
    written: Option<serde_json::Value>,
}

/// `config` prints the block as it was written, as `docker compose config`
/// prints every `x-` key.
impl Serialize for XParity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.origin.written.serialize(s)
    }
}
/// Where a service runs in the cloud: `cloud: true|false|rds|elasticache`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub(crate) enum Placement {
    /// An ECS task (the default).
    #[default]
    #[serde(rename = "true")]
    Task,
    /// Local only; nothing replaces it (the cloud value comes from parity.toml or a secret).
    #[serde(rename = "false")]
    Local,
    /// An RDS instance the environment stack creates (postgres, mysql, mariadb images).
    #[serde(rename = "rds")]
    Rds,
    /// An ElastiCache replication group the environment stack creates (redis, valkey images).
    #[serde(rename = "elasticache")]
    Elasticache,
}

impl Placement {
    /// The managed service replacing the compose service, when there is one.
    pub(crate) fn is_managed(self) -> bool {
        matches!(self, Self::Rds | Self::Elasticache)
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

/// `scale:`: the range of the desired count and the target-tracking metrics
/// that move it (at least one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scale {
    pub(crate) min: u64,
    pub(crate) max: u64,
    /// Average CPU utilisation to hold, in percent (1-100).
    #[serde(default)]
    pub(crate) cpu: Option<u64>,
    /// Average memory utilisation to hold, in percent (1-100).
    #[serde(default)]
    pub(crate) memory: Option<u64>,
    /// Load-balancer requests per task to hold (public services only).
    #[serde(default)]
    pub(crate) requests_per_target: Option<u64>,
}

/// Application Auto Scaling's ceiling for an ECS service's capacity we accept.
const MAX_CAPACITY: u64 = 1000;

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
    /// Whether the block as written sets `key`, even to its default value
    /// (`cloud: true` is a decision `init` must not propose over).
    pub(crate) fn writes(&self, key: &str) -> bool {
        self.origin
            .written
            .as_ref()
            .is_some_and(|block| block.get(key).is_some())
    }

    /// Reads service `service`'s block (`None`: the service has none) and
    /// checks what needs only the block. Errors are located.
    pub(crate) fn read(service: &str, node: Option<&Node>) -> Result<Self> {
        let path = format!("services.{service}.{KEY}");
        let Some(node) = node else {
            return Ok(Self {
                origin: Origin {
                    path,
                    ..Origin::default()
                },
                ..Self::default()
            });
        };
        let mut parsed: Self = if node.is_null() {
            Self::default()
        } else {
            node_de::from_node(node, &path)?
        };
        parsed.cloud = parsed.placement == Placement::Task;
        parsed.origin = Origin {
            path,
            spans: Spans::record(&node.pos, node),
            written: Some(node.to_json()),
        };
        parsed.check_alone()?;
        Ok(parsed)
    }

    /// Whether the service has no block at all (nothing for `config` to print).
    pub(crate) fn is_absent(&self) -> bool {
        self.origin.written.is_none()
    }

    /// A bad-input error about `key` of this block, named and located the one
    /// way every x-parity error is: `services.web.x-parity.key: message` at the key.
    pub(crate) fn error(&self, key: &str, message: impl std::fmt::Display) -> Error {
        self.located(key, key, message)
    }

    /// Like [`Self::error`], pointed at one item of the list under `key`.
    pub(crate) fn item_error(
        &self,
        key: &str,
        item: &str,
        message: impl std::fmt::Display,
    ) -> Error {
        let list_item = format!("{key}[{item}]");
        let map_key = format!("{key}.{item}");
        let span = if self.origin.spans.has(&list_item) {
            list_item
        } else {
            map_key
        };
        self.located(key, &span, message)
    }

    fn located(&self, key: &str, span: &str, message: impl std::fmt::Display) -> Error {
        self.origin
            .spans
            .error(span, format!("{}.{key}: {message}", self.origin.path))
    }

    /// Checks that need only this block.
    fn check_alone(&self) -> Result<()> {
        self.check_managed_keys()?;
        if self.release && !self.cloud {
            return Err(self
                .error(
                    "release",
                    "the release service runs before every rollout, so it cannot be `cloud: false`",
                )
                .with_help("remove `cloud: false`, or move the release phase to a cloud service"));
        }
        if self.release && self.sidecar_of.is_some() {
            return Err(self.error(
                "sidecar_of",
                "the release service runs as its own one-off task; it cannot be a sidecar",
            ));
        }
        if self.essential && (self.sidecar_of.is_none() || !self.cloud) {
            return Err(self
                .error(
                    "essential",
                    "only a cloud sidecar (`sidecar_of`) can be marked essential; a service's own container is always essential in its task",
                )
                .with_help("remove `essential`, or add `sidecar_of: <service>` to run it in that service's task"));
        }
        let secrets: Vec<String> = self.secrets.names().cloned().collect();
        for (list, names) in [
            ("secrets", &secrets),
            ("local_only", &self.local_only),
            ("plain", &self.plain),
        ] {
            if let Some(name) = names.iter().find(|n| !valid_variable_name(n)) {
                return Err(self.item_error(
                    list,
                    name,
                    format!("`{name}` is not a variable name"),
                ));
            }
        }
        for name in &secrets {
            for (other, names) in [("local_only", &self.local_only), ("plain", &self.plain)] {
                if names.contains(name) {
                    return Err(self.item_error(
                        "secrets",
                        name,
                        format!("`{name}` is also listed in {other}; pick one"),
                    ));
                }
            }
        }
        self.check_load_balancer_keys()?;
        self.check_job_keys()?;
        self.check_scale()?;
        if let Some(field) = self
            .cloud_ignore
            .iter()
            .find(|f| !IGNORABLE.contains(&f.as_str()))
        {
            let error = self.item_error(
                "cloud_ignore",
                field,
                format!("`{field}` is not a field Fargate cannot express"),
            );
            return Err(match crate::suggest::did_you_mean(field, IGNORABLE) {
                Some(help) => error.with_help(help),
                None => error.with_help(format!(
                    "fields that can be ignored: {}",
                    IGNORABLE.join(", ")
                )),
            });
        }
        Ok(())
    }
}

impl XParity {
    /// A service a managed service replaces (`cloud: rds|elasticache`) has no
    /// task, so the keys that shape a task or its traffic cannot apply to it.
    fn check_managed_keys(&self) -> Result<()> {
        let written = match self.placement {
            Placement::Rds => "rds",
            Placement::Elasticache => "elasticache",
            Placement::Task | Placement::Local => return Ok(()),
        };
        for (key, set) in [
            ("release", self.release),
            ("sidecar_of", self.sidecar_of.is_some()),
            ("public", self.public.is_some()),
            ("host", self.host.is_some()),
            ("health_check_path", self.health_check_path.is_some()),
            ("healthcheck", self.healthcheck.is_some()),
            ("secrets", !self.secrets.is_empty()),
            ("schedule", self.schedule.is_some()),
            ("scale", self.scale.is_some()),
        ] {
            if set {
                return Err(self
                    .error(
                        key,
                        format!("the service is `cloud: {written}`: a managed service replaces it in the cloud, so it has no task for `{key}`"),
                    )
                    .with_help(format!("remove `{key}`, or make the service `cloud: true`")));
            }
        }
        Ok(())
    }

    /// `public`, `host`, `health_check_path`: only a cloud service of its own
    /// (not the release phase, not a sidecar) can be public.
    fn check_load_balancer_keys(&self) -> Result<()> {
        let own_service = self.cloud && !self.release && self.sidecar_of.is_none();
        if self.public == Some(true) && !own_service {
            let why = if !self.cloud {
                "`cloud: false`"
            } else if self.release {
                "the release phase, a one-off task"
            } else {
                "a sidecar, which runs in another service's task"
            };
            return Err(self.error(
                "public",
                format!("the service is {why}; the load balancer sends traffic to services only"),
            ));
        }
        for (key, set) in [
            ("host", self.host.is_some()),
            ("health_check_path", self.health_check_path.is_some()),
        ] {
            if set && (self.public == Some(false) || !own_service) {
                return Err(self
                    .error(
                        key,
                        "only a public service has a load balancer host and health check",
                    )
                    .with_help(
                        "remove the key, or make the service public (`public: true` and a port)",
                    ));
            }
        }
        if let Some(host) = &self.host
            && !crate::settings::is_host_name(host)
        {
            return Err(self
                .error("host", format!("`{host}` is not a host name"))
                .with_help(
                    "a full name like `api.example.com`, or one label like `api` for api.<domain>",
                ));
        }
        if let Some(path) = &self.health_check_path
            && (!path.starts_with('/') || path.len() > 1024 || path.contains(char::is_whitespace))
        {
            return Err(self
                .error("health_check_path", format!("`{path}` is not a URL path"))
                .with_help("a path starting with `/`, e.g. `/healthz` (at most 1024 characters)"));
        }
        Ok(())
    }
}

impl XParity {
    /// Whether the service is a job (`schedule:`): run on a schedule, never kept running.
    pub(crate) fn is_job(&self) -> bool {
        self.schedule.is_some()
    }

    /// `schedule`: an expression EventBridge Scheduler accepts, on a service
    /// that has a task of its own and no traffic or replicas to keep.
    fn check_job_keys(&self) -> Result<()> {
        let Some(expression) = &self.schedule else {
            return Ok(());
        };
        super::schedule::check(expression).map_err(|why| {
            self.error("schedule", why).with_help(
                "`rate(1 hour)`, `rate(15 minutes)`, or six cron fields `cron(0 3 * * ? *)` (minutes hours day-of-month month day-of-week year; one of the two day fields is `?`)",
            )
        })?;
        for (key, set, why) in [
            (
                "cloud",
                !self.cloud,
                "a job runs in the cloud as its own task",
            ),
            (
                "release",
                self.release,
                "the release phase runs on every deploy, a job on its schedule",
            ),
            (
                "sidecar_of",
                self.sidecar_of.is_some(),
                "a job runs as its own task",
            ),
            (
                "public",
                self.public == Some(true),
                "a job receives no traffic",
            ),
            (
                "scale",
                self.scale.is_some(),
                "a job has no ECS service to scale",
            ),
        ] {
            if set {
                return Err(self
                    .error(key, format!("the service is a job (`schedule`): {why}"))
                    .with_help(format!("remove `{key}`, or remove `schedule`")));
            }
        }
        Ok(())
    }

    /// `scale`: min <= max, target percentages within 1-100, at least one metric.
    fn check_scale(&self) -> Result<()> {
        let Some(scale) = &self.scale else {
            return Ok(());
        };
        if self.release || self.sidecar_of.is_some() || !self.cloud {
            return Err(self
                .error("scale", "only a service of its own (not the release phase, a sidecar or `cloud: false`) has a desired count to scale")
                .with_help("remove `scale`"));
        }
        if scale.min > scale.max {
            return Err(self
                .error(
                    "scale.min",
                    format!("min {} is above max {}", scale.min, scale.max),
                )
                .with_help("min is the fewest tasks to keep, max the most; min <= max"));
        }
        if scale.max == 0 || scale.max > MAX_CAPACITY {
            return Err(self
                .error(
                    "scale.max",
                    format!("max {} is not from 1 to {MAX_CAPACITY}", scale.max),
                )
                .with_help("the most tasks the service may run"));
        }
        for (key, value) in [("cpu", scale.cpu), ("memory", scale.memory)] {
            if let Some(v) = value
                && !(1..=100).contains(&v)
            {
                return Err(self
                    .error(
                        &format!("scale.{key}"),
                        format!("{v} is not a percentage from 1 to 100"),
                    )
                    .with_help(format!(
                        "the average {key} utilisation to hold, e.g. `{key}: 60`"
                    )));
            }
        }
        if scale.requests_per_target == Some(0) {
            return Err(self
                .error(
                    "scale.requests_per_target",
                    "0 requests per task cannot be held",
                )
                .with_help(
                    "the requests per task per minute to hold, e.g. `requests_per_target: 1000`",
                ));
        }
        if scale.cpu.is_none() && scale.memory.is_none() && scale.requests_per_target.is_none() {
            return Err(self.error("scale", "no metric to scale on").with_help(
                "add `cpu: 60`, `memory: 70` or (public services) `requests_per_target: 1000`",
            ));
        }
        Ok(())
    }
}

/// The container port the load balancer sends `service`'s traffic to, when
/// it is public: `x-parity.public` says so, else its first TCP port does
/// (`public: false`, the release phase, sidecars and local services never are).
pub(crate) fn public_port(service: &Service) -> Option<u16> {
    let x = &service.x_parity;
    if !x.cloud || x.release || x.sidecar_of.is_some() || x.public == Some(false) || x.is_job() {
        return None;
    }
    service
        .ports
        .iter()
        .find(|p| p.protocol.is_empty() || p.protocol == "tcp")
        .map(|p| p.target)
}

/// A POSIX-ish environment variable name.
fn valid_variable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// All services' blocks, by service name (a view of the typed values).
pub(crate) type XParityMap = IndexMap<String, XParity>;

/// The active services' blocks, by service name.
pub(crate) fn by_service(project: &Project) -> XParityMap {
    project
        .services
        .iter()
        .map(|(name, service)| (name.clone(), service.x_parity.clone()))
        .collect()
}

/// The checks across services, run by the loader on the active services:
/// one release service at most, and `sidecar_of` names an existing cloud
/// service that is not itself a sidecar.
pub(crate) fn check_services(services: &IndexMap<String, Service>) -> Result<()> {
    let releases: Vec<(&String, &XParity)> = services
        .iter()
        .filter(|(_, s)| s.x_parity.release)
        .map(|(n, s)| (n, &s.x_parity))
        .collect();
    if let [.., (_, last)] = releases.as_slice()
        && releases.len() > 1
    {
        let names: Vec<String> = releases.iter().map(|(n, _)| format!("`{n}`")).collect();
        return Err(last
            .error(
                "release",
                format!(
                    "services {} are all marked as the release phase; there is one",
                    names.join(", ")
                ),
            )
            .with_help("keep `release: true` on the one service that runs the migrations"));
    }
    for service in services.values() {
        let x = &service.x_parity;
        if x.scale
            .as_ref()
            .is_some_and(|s| s.requests_per_target.is_some())
            && public_port(service).is_none()
        {
            return Err(x
                .error(
                    "scale.requests_per_target",
                    "the service is not behind the load balancer, so it has no requests per target to scale on",
                )
                .with_help("scale it on `cpu` or `memory`, or make it public (a TCP port, `public: true`)"));
        }
        if x.is_job()
            && let Some((dependant, _)) = services
                .iter()
                .find(|(_, s)| s.depends_on.contains_key(&service.name))
        {
            return Err(x
                .error(
                    "schedule",
                    format!("`{dependant}` depends on this job, which `up` does not start and the cloud runs only on its schedule"),
                )
                .with_help(format!("remove `{}` from the depends_on of `{dependant}`", service.name)));
        }
    }
    for (name, service) in services {
        let x = &service.x_parity;
        let Some(target) = &x.sidecar_of else {
            continue;
        };
        let Some(target_service) = services.get(target) else {
            let known: Vec<&str> = services.keys().map(String::as_str).collect();
            let error = x.error(
                "sidecar_of",
                format!(
                    "no service `{target}` in the compose file (services: {})",
                    known.join(", ")
                ),
            );
            return Err(match crate::suggest::did_you_mean(target, &known) {
                Some(help) => error.with_help(help),
                None => error,
            });
        };
        let target_x = &target_service.x_parity;
        if target == name {
            return Err(x.error("sidecar_of", "a service cannot be its own sidecar"));
        }
        if x.cloud && !target_x.cloud {
            return Err(x.error(
                "sidecar_of",
                format!(
                    "`{target}` is `cloud: false`, so there is no task for this sidecar to join"
                ),
            ));
        }
        if target_x.sidecar_of.is_some() {
            return Err(x.error(
                "sidecar_of",
                format!("`{target}` is itself a sidecar; name the service whose task it joins"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::compose::yaml::{self, Source};

    /// A node parsed from `text` (JSON is YAML), as the loader would see it.
    fn node(text: &str) -> Node {
        let source = Arc::new(Source {
            path: "compose.yaml".into(),
            text: text.into(),
            base_dir: ".".into(),
        });
        yaml::parse(&source)
            .expect("test YAML parses")
            .into_iter()
            .next()
            .expect("one document")
    }

    /// The typed block for `value`, read the way the loader reads it.
    pub(crate) fn from_json(service: &str, value: &serde_json::Value) -> Result<XParity> {
        XParity::read(service, Some(&node(&value.to_string())))
    }

    fn services(blocks: &[(&str, serde_json::Value)]) -> Result<IndexMap<String, Service>> {
        let mut services = IndexMap::new();
        for (name, value) in blocks {
            let service = Service {
                name: (*name).to_owned(),
                x_parity: from_json(name, value)?,
                ..Service::default()
            };
            services.insert((*name).to_owned(), service);
        }
        check_services(&services)?;
        Ok(services)
    }

    fn message(blocks: &[(&str, serde_json::Value)]) -> String {
        services(blocks).expect_err("accepted").message().to_owned()
    }

    #[test]
    fn absent_block_means_a_plain_cloud_service() {
        let x = XParity::read("web", None).unwrap();
        assert!(x.cloud && !x.release && x.is_absent());
        assert_eq!(x, XParity::read("web", None).unwrap());
    }

    #[test]
    fn unknown_keys_are_located_and_suggest_the_key() {
        let text = "services:\n  web:\n    image: nginx\n    x-parity:\n      secret: [A]\n";
        let root = node(text);
        let block = root
            .get("services")
            .and_then(|s| s.get("web"))
            .and_then(|w| w.get(KEY));
        let err = XParity::read("web", block).unwrap_err();
        assert_eq!(
            err.message(),
            "services.web.x-parity: unknown key `secret`",
            "{err:?}"
        );
        let at = err.location().expect("located");
        assert_eq!((at.line, at.column), (5, 7));
        assert!(
            format!("{err:?}").contains("did you mean `secrets`"),
            "{err:?}"
        );
    }

    #[test]
    fn wrong_types_name_the_key_path() {
        let err = from_json("web", &json!({"healthcheck": {"retries": "many"}})).unwrap_err();
        assert!(
            err.message()
                .contains("`services.web.x-parity.healthcheck.retries` must be a whole number"),
            "{err:?}"
        );
    }

    #[test]
    fn one_release_phase_only() {
        let m = message(&[
            ("a", json!({"release": true})),
            ("b", json!({"release": true})),
        ]);
        assert!(m.contains("`a`, `b`"), "{m}");
    }

    #[test]
    fn a_variable_is_secret_or_plain_not_both() {
        let err = from_json("web", &json!({"secrets": ["A"], "plain": ["A"]})).unwrap_err();
        assert_eq!(
            err.message(),
            "services.web.x-parity.secrets: `A` is also listed in plain; pick one"
        );
        assert!(err.location().is_some());
    }

    #[test]
    fn secrets_as_a_map_own_with_true_and_reference_with_a_string() {
        let x = from_json(
            "web",
            &json!({"secrets": {"OWN": true, "DB": "secretsmanager:rds!db-1:password", "K": "ssm:/a/b"}}),
        )
        .unwrap();
        assert_eq!(x.secrets.owned().collect::<Vec<_>>(), ["OWN"]);
        let refs: Vec<String> = x
            .secrets
            .references()
            .map(|(n, r)| format!("{n}={r}"))
            .collect();
        assert_eq!(refs, ["DB=secretsmanager:rds!db-1:password", "K=ssm:/a/b"]);
        let err = from_json("web", &json!({"secrets": {"DB": "vault:x"}})).unwrap_err();
        assert!(
            err.message().starts_with(
                "services.web.x-parity.secrets.DB: `vault:x` is not a secret reference"
            ),
            "{}",
            err.message()
        );
        assert!(err.location().is_some());
        let err = from_json("web", &json!({"secrets": {"bad name": true}})).unwrap_err();
        assert!(
            err.message().contains("is not a variable name"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn essential_is_only_for_a_cloud_sidecar() {
        for block in [
            json!({"essential": true}),
            json!({"essential": true, "sidecar_of": "web", "cloud": false}),
        ] {
            let err = from_json("proxy", &block).unwrap_err();
            assert!(
                err.message().starts_with(
                    "services.proxy.x-parity.essential: only a cloud sidecar (`sidecar_of`) can be marked essential"
                ),
                "{}",
                err.message()
            );
            assert!(err.location().is_some());
        }
        let x = from_json("proxy", &json!({"essential": true, "sidecar_of": "web"})).unwrap();
        assert!(x.essential);
    }

    #[test]
    fn sidecars_need_a_cloud_main_service() {
        let m = message(&[
            ("db", json!({"cloud": false})),
            ("exporter", json!({"sidecar_of": "db"})),
        ]);
        assert!(
            m.contains("services.exporter.x-parity.sidecar_of: `db` is `cloud: false`"),
            "{m}"
        );
        let m = message(&[
            ("a", json!({"sidecar_of": "b"})),
            ("b", json!({"sidecar_of": "c"})),
            ("c", json!({})),
        ]);
        assert!(m.contains("`b` is itself a sidecar"), "{m}");
    }

    #[test]
    fn cloud_names_a_managed_replacement() {
        for (block, placement, cloud) in [
            (json!({}), Placement::Task, true),
            (json!({"cloud": true}), Placement::Task, true),
            (json!({"cloud": false}), Placement::Local, false),
            (json!({"cloud": "rds"}), Placement::Rds, false),
            (
                json!({"cloud": "elasticache"}),
                Placement::Elasticache,
                false,
            ),
        ] {
            let x = from_json("db", &block).unwrap();
            assert_eq!((x.placement, x.cloud), (placement, cloud), "{block}");
        }
        let err = from_json("db", &json!({"cloud": "aurora"})).unwrap_err();
        assert!(err.message().contains("x-parity.cloud"), "{err}");
        assert!(err.message().contains("`rds`"), "{err}");
        let err = from_json("db", &json!({"cloud": "rds", "release": true})).unwrap_err();
        assert!(
            err.message()
                .contains("x-parity.release: the service is `cloud: rds`"),
            "{err}"
        );
        assert!(err.location().is_some());
    }

    #[test]
    fn cloud_ignore_typos_suggest_the_field() {
        let err = from_json("web", &json!({"cloud_ignore": ["volume"]})).unwrap_err();
        assert!(format!("{err:?}").contains("did you mean `volumes`"));
    }

    #[test]
    fn cloud_healthcheck_takes_integers_or_durations() {
        let x = from_json(
            "web",
            &json!({"healthcheck": {"interval": "10s", "timeout": 5, "retries": 3}}),
        )
        .unwrap();
        let hc = x.healthcheck.clone().unwrap();
        assert_eq!(
            (hc.interval.unwrap().get(), hc.timeout.unwrap().get()),
            (10, 5)
        );
        assert!(x.error("healthcheck.interval", "m").location().is_some());
    }

    #[test]
    fn config_prints_the_block_as_written() {
        let x = from_json("web", &json!({"healthcheck": {"interval": "10s"}})).unwrap();
        assert_eq!(
            serde_json::to_value(&x).unwrap(),
            json!({"healthcheck": {"interval": "10s"}})
        );
    }

    #[test]
    fn load_balancer_keys_belong_to_a_public_cloud_service() {
        let x = from_json(
            "web",
            &json!({"public": true, "host": "api", "health_check_path": "/healthz"}),
        )
        .unwrap();
        assert_eq!(
            (x.public, x.host.as_deref(), x.health_check_path.as_deref()),
            (Some(true), Some("api"), Some("/healthz"))
        );
        for (block, expected) in [
            (
                json!({"release": true, "public": true}),
                "x-parity.public: the service is the release phase",
            ),
            (
                json!({"cloud": false, "public": true}),
                "x-parity.public: the service is `cloud: false`",
            ),
            (
                json!({"public": false, "host": "api"}),
                "x-parity.host: only a public service",
            ),
            (
                json!({"host": "Api_1"}),
                "x-parity.host: `Api_1` is not a host name",
            ),
            (
                json!({"health_check_path": "healthz"}),
                "x-parity.health_check_path: `healthz` is not a URL path",
            ),
        ] {
            let err = from_json("web", &block).unwrap_err();
            assert!(err.message().contains(expected), "{block}: {err}");
            assert!(err.location().is_some(), "{block}: not located");
        }
    }

    #[test]
    fn a_schedule_makes_a_job_and_a_bad_expression_is_located() {
        let x = from_json("nightly", &json!({"schedule": "cron(0 3 * * ? *)"})).unwrap();
        assert!(x.is_job());
        assert!(from_json("web", &json!({})).is_ok_and(|x| !x.is_job()));
        for (block, expected) in [
            (
                json!({"schedule": "cron(0 3 * * *)"}),
                "x-parity.schedule: `cron(0 3 * * *)` has 5 field(s)",
            ),
            (
                json!({"schedule": "rate(1 hours)"}),
                "x-parity.schedule: `rate(1 hours)`: the unit is singular",
            ),
            (
                json!({"schedule": "rate(1 hour)", "release": true}),
                "x-parity.release: the service is a job",
            ),
            (
                json!({"schedule": "rate(1 hour)", "public": true}),
                "x-parity.public: the service is a job",
            ),
            (
                json!({"schedule": "rate(1 hour)", "cloud": false}),
                "x-parity.cloud: the service is a job",
            ),
            (
                json!({"schedule": "rate(1 hour)", "scale": {"min": 1, "max": 2, "cpu": 50}}),
                "x-parity.scale: the service is a job",
            ),
        ] {
            let err = from_json("nightly", &block).unwrap_err();
            assert!(err.message().contains(expected), "{block}: {err}");
            assert!(err.location().is_some(), "{block}: not located");
        }
    }

    #[test]
    fn scale_takes_a_range_and_at_least_one_metric_within_bounds() {
        let x = from_json("web", &json!({"scale": {"min": 2, "max": 10, "cpu": 60}})).unwrap();
        let scale = x.scale.unwrap();
        assert_eq!(
            (scale.min, scale.max, scale.cpu, scale.memory),
            (2, 10, Some(60), None)
        );
        for (block, expected) in [
            (
                json!({"scale": {"min": 5, "max": 2, "cpu": 60}}),
                "x-parity.scale.min: min 5 is above max 2",
            ),
            (
                json!({"scale": {"min": 1, "max": 2, "cpu": 0}}),
                "x-parity.scale.cpu: 0 is not a percentage",
            ),
            (
                json!({"scale": {"min": 1, "max": 2, "memory": 101}}),
                "x-parity.scale.memory: 101 is not a percentage",
            ),
            (
                json!({"scale": {"min": 1, "max": 2}}),
                "x-parity.scale: no metric",
            ),
            (
                json!({"scale": {"min": 0, "max": 0, "cpu": 50}}),
                "x-parity.scale.max: max 0",
            ),
            (
                json!({"scale": {"min": 1, "max": 2, "cpus": 50}}),
                "unknown key `cpus`",
            ),
            (
                json!({"release": true, "scale": {"min": 1, "max": 2, "cpu": 50}}),
                "x-parity.scale: only a service of its own",
            ),
        ] {
            let err = from_json("web", &block).unwrap_err();
            assert!(err.message().contains(expected), "{block}: {err}");
            assert!(err.location().is_some(), "{block}: not located");
        }
    }

    #[test]
    fn requests_per_target_needs_a_public_service_and_no_one_depends_on_a_job() {
        let m = message(&[(
            "worker",
            json!({"scale": {"min": 1, "max": 3, "requests_per_target": 100}}),
        )]);
        assert!(
            m.contains("services.worker.x-parity.scale.requests_per_target: the service is not behind the load balancer"),
            "{m}"
        );
        let mut all = services(&[
            ("web", json!({})),
            ("nightly", json!({"schedule": "rate(1 day)"})),
        ])
        .unwrap();
        all["web"].depends_on.insert(
            "nightly".into(),
            crate::compose::model::Dependency {
                condition: crate::compose::model::Condition::Started,
                restart: false,
                required: true,
            },
        );
        let err = check_services(&all).unwrap_err();
        assert!(err.message().contains("`web` depends on this job"), "{err}");
    }
}
