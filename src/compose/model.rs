//! The normalized compose model: what `docker compose config` prints.
//!
//! Every value here is already interpolated, merged, extended and in its long
//! form; paths are absolute. Serializing a [`Project`] with serde gives the
//! output of `parity config --format json`. Later stages (local runner, cloud
//! translation) read only this model, never raw YAML.
//!
//! Fields parity interprets are typed; spec-valid fields it merely carries
//! (e.g. `cgroup_parent`, `sysctls`) live in `other` so a valid file is never
//! rejected and nothing is lost.

use std::path::PathBuf;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A loaded, normalized compose project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Project {
    /// Project name (lowercase `[a-z0-9_-]`, starting with a letter or digit).
    pub(crate) name: String,
    /// Absolute project directory; relative paths were resolved against it.
    #[serde(skip)]
    pub(crate) working_dir: PathBuf,
    /// The compose files that were read, in merge order.
    #[serde(skip)]
    pub(crate) files: Vec<PathBuf>,
    /// Active services, sorted by name.
    pub(crate) services: IndexMap<String, Service>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) networks: IndexMap<String, Network>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) volumes: IndexMap<String, Volume>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) secrets: IndexMap<String, FileObject>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) configs: IndexMap<String, FileObject>,
    /// Top-level `x-*` keys, kept verbatim (after interpolation).
    #[serde(flatten)]
    pub(crate) extensions: IndexMap<String, Value>,
}

/// One service, in long form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Service {
    /// The service's key in `services:`; not printed (it is the map key).
    #[serde(skip)]
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) build: Option<Build>,
    /// Exec form. A string in the file was split like a shell would.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) entrypoint: Option<Vec<String>>,
    /// Variables after `env_file` and `environment` were combined (environment wins).
    /// `None` means "declared without a value" (`- FOO`), resolved at run time.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) environment: IndexMap<String, Option<String>>,
    /// The env files that were read (already folded into `environment`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) env_file: Vec<EnvFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) ports: Vec<Port>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) volumes: Vec<VolumeMount>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) depends_on: IndexMap<String, Dependency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) healthcheck: Option<Healthcheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) deploy: Option<Deploy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) develop: Option<Develop>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) labels: IndexMap<String, String>,
    /// Networks the service joins; `default` when the file names none.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) networks: IndexMap<String, Option<ServiceNetwork>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) network_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) profiles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) restart: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) container_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) platform: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stop_signal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stop_grace_period: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) init: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) read_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) privileged: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) tmpfs: Vec<String>,
    /// `host:ip` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) extra_hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) devices: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) cap_add: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) cap_drop: Vec<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) ulimits: IndexMap<String, Ulimit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) logging: Option<Logging>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) secrets: Vec<ServiceFileRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) configs: Vec<ServiceFileRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pull_policy: Option<String>,
    /// Spec-valid keys parity carries but does not interpret, verbatim.
    #[serde(flatten)]
    pub(crate) other: IndexMap<String, Value>,
    /// `x-*` keys of the service other than `x-parity`, verbatim.
    /// Printed inline like `other`; the loader fills it (serde's derived
    /// deserializer would put `x-*` keys in `other` too, so it is not relied on).
    #[serde(flatten)]
    pub(crate) extensions: IndexMap<String, Value>,
    /// parity's own block, read and checked once by the loader; every layer
    /// reads this typed value. Printed as written.
    #[serde(
        rename = "x-parity",
        default,
        skip_serializing_if = "super::x_parity::XParity::is_absent"
    )]
    pub(crate) x_parity: super::x_parity::XParity,
    /// Where each of the service's keys and list items is written, so a later
    /// layer can point a refusal at it (`Service::error_at`).
    #[serde(skip)]
    pub(crate) spans: super::spans::Spans,
}

/// A compose duration, kept in milliseconds; printed the way Go prints
/// durations (`1m30s`), as `docker compose config` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct Duration(pub(crate) u64);

impl Duration {
    pub(crate) fn as_millis(self) -> u64 {
        self.0
    }

    /// Whole seconds, rounded up (ECS takes seconds).
    pub(crate) fn as_secs_ceil(self) -> u64 {
        self.0.div_ceil(1000)
    }
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.0;
        if ms == 0 {
            return f.write_str("0s");
        }
        let hours = ms / 3_600_000;
        let minutes = (ms / 60_000) % 60;
        let seconds = (ms / 1000) % 60;
        let millis = ms % 1000;
        if hours > 0 {
            write!(f, "{hours}h")?;
        }
        if hours > 0 || minutes > 0 {
            write!(f, "{minutes}m")?;
        }
        if ms < 1000 {
            return write!(f, "{millis}ms");
        }
        if millis > 0 {
            let frac = format!("{millis:03}");
            write!(f, "{seconds}.{}s", frac.trim_end_matches('0'))
        } else {
            write!(f, "{seconds}s")
        }
    }
}

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        crate::compose::model::parse_duration(&text)
            .map(Duration)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid duration `{text}`")))
    }
}

/// Parses a Go-style duration (`1h2m3.5s`, `300ms`, `10us`) into milliseconds.
/// A bare number means seconds. `None` when malformed.
pub(crate) fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return seconds.checked_mul(1000);
    }
    let mut total: f64 = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return None;
        }
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "h" => 3_600_000.0,
            "m" => 60_000.0,
            "s" => 1000.0,
            "ms" => 1.0,
            "us" | "µs" => 0.001,
            "ns" => 0.000_001,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * factor;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(total.round() as u64)
}

/// `build:` in long form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Build {
    /// Absolute path (or a URL for remote contexts).
    pub(crate) context: String,
    /// Relative to the context, default `Dockerfile`; empty (and not printed)
    /// when `dockerfile_inline` gives the Dockerfile, as compose does.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) dockerfile: String,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) args: IndexMap<String, Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) target: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) labels: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) platforms: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) cache_from: Vec<String>,
    #[serde(flatten)]
    pub(crate) other: IndexMap<String, Value>,
}

/// An `env_file` entry in long form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EnvFile {
    /// Absolute path.
    pub(crate) path: PathBuf,
    /// A missing optional file is skipped.
    pub(crate) required: bool,
}

/// A port mapping in long form (one per port; ranges are expanded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Port {
    /// `ingress` (default) or `host`.
    pub(crate) mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) host_ip: Option<String>,
    /// Container port.
    pub(crate) target: u16,
    /// Host port (or range `8000-8010`); `None` lets the engine choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) published: Option<String>,
    /// `tcp` (default) or `udp`.
    pub(crate) protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) app_protocol: Option<String>,
}

/// A volume/bind/tmpfs mount in long form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct VolumeMount {
    /// `volume`, `bind`, `tmpfs`, `npipe`, `cluster`, `image`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// Volume name or absolute host path; absent for anonymous volumes and tmpfs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) source: Option<String>,
    pub(crate) target: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) bind: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) volume: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tmpfs: Option<Value>,
    #[serde(flatten)]
    pub(crate) other: IndexMap<String, Value>,
}

/// A `depends_on` entry in long form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Dependency {
    pub(crate) condition: Condition,
    /// Restart the dependant when this dependency is updated (printed only
    /// when true, as compose does).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) restart: bool,
    /// `false`: a missing or disabled dependency is skipped with a warning.
    pub(crate) required: bool,
}

/// The condition a dependency must reach before its dependant starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum Condition {
    #[serde(rename = "service_started")]
    Started,
    #[serde(rename = "service_healthy")]
    Healthy,
    #[serde(rename = "service_completed_successfully")]
    CompletedSuccessfully,
}

/// A health check. `disable: true` (or `test: ["NONE"]`) turns the image's off.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Healthcheck {
    /// `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`; a string became CMD-SHELL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) test: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) interval: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retries: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) start_period: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) start_interval: Option<Duration>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) disable: bool,
}

/// `deploy:`; parity reads `resources` and `replicas`, the rest is carried.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Deploy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) replicas: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) resources: Option<Resources>,
    #[serde(flatten)]
    pub(crate) other: IndexMap<String, Value>,
}

/// `deploy.resources`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) limits: Option<ResourceAmounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reservations: Option<ResourceAmounts>,
}

/// CPU (fractional cores) and memory (bytes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ResourceAmounts {
    /// Cores as written after normalization, e.g. `"0.5"`; printed as a
    /// number, as compose does.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "cpus_as_number"
    )]
    pub(crate) cpus: Option<String>,
    /// Bytes; printed as a decimal string, as compose prints byte sizes.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "bytes_as_string"
    )]
    pub(crate) memory: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pids: Option<i64>,
    #[serde(flatten)]
    pub(crate) other: IndexMap<String, Value>,
}

/// `develop:` (the watch rules used by `parity up --watch`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Develop {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) watch: Vec<WatchRule>,
}

/// One `develop.watch` rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct WatchRule {
    /// `sync`, `rebuild`, `restart`, `sync+restart`, `sync+exec`.
    pub(crate) action: String,
    /// Absolute host path.
    pub(crate) path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) target: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) ignore: Vec<String>,
    #[serde(flatten)]
    pub(crate) other: IndexMap<String, Value>,
}

/// A service's attachment to a network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ServiceNetwork {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ipv4_address: Option<String>,
    #[serde(flatten)]
    pub(crate) other: IndexMap<String, Value>,
}

/// A ulimit; a single number in the file means soft = hard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Ulimit {
    pub(crate) soft: i64,
    pub(crate) hard: i64,
}

/// `logging:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Logging {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) driver: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) options: IndexMap<String, String>,
}

/// A service's reference to a top-level secret or config, long form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ServiceFileRef {
    pub(crate) source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) gid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mode: Option<u32>,
}

/// A top-level network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Network {
    /// Engine-level name (`<project>_<key>` unless `name:` or `external`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) driver: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) external: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) internal: bool,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) labels: IndexMap<String, String>,
    #[serde(flatten)]
    pub(crate) other: IndexMap<String, Value>,
}

/// A top-level named volume.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Volume {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) driver: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) external: bool,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) labels: IndexMap<String, String>,
    #[serde(flatten)]
    pub(crate) other: IndexMap<String, Value>,
}

/// A top-level secret or config: from a file, the environment, or inline content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct FileObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// Absolute path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) content: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) external: bool,
    #[serde(flatten)]
    pub(crate) other: IndexMap<String, Value>,
}

/// `docker compose config` prints `cpus` as a number (compose-go's float).
fn cpus_as_number<S: serde::Serializer>(cpus: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match cpus.as_deref().map(|text| (text, text.parse::<f64>())) {
        // `2`, not `2.0`, as Go prints a whole float.
        Some((_, Ok(number))) if number.fract() == 0.0 && number.abs() < 1e15 => {
            s.serialize_i64(number as i64)
        }
        Some((_, Ok(number))) => s.serialize_f64(number),
        Some((text, Err(_))) => s.serialize_str(text),
        None => s.serialize_none(),
    }
}

/// `docker compose config` prints byte sizes as decimal strings (compose-go's `UnitBytes`).
fn bytes_as_string<S: serde::Serializer>(bytes: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match bytes {
        Some(n) => s.collect_str(n),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_go() {
        assert_eq!(Duration(90_000).to_string(), "1m30s");
        assert_eq!(Duration(500).to_string(), "500ms");
        assert_eq!(Duration(1_500).to_string(), "1.5s");
        assert_eq!(Duration(3_600_000).to_string(), "1h0m0s");
        assert_eq!(Duration(0).to_string(), "0s");
    }

    #[test]
    fn durations_parse_go_forms() {
        assert_eq!(parse_duration("1m30s"), Some(90_000));
        assert_eq!(parse_duration("1.5s"), Some(1_500));
        assert_eq!(parse_duration("300ms"), Some(300));
        assert_eq!(parse_duration("10"), Some(10_000));
        assert_eq!(parse_duration("1x"), None);
        assert_eq!(parse_duration(""), None);
    }
}
