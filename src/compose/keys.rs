//! The keys the Compose Specification allows, per object. Unknown keys (other
//! than `x-*`) are errors with a "did you mean"; every key listed here is
//! accepted, so a valid file is never rejected.
//!
//! Owns: the key lists. Taken from the spec's JSON schema (compose-spec.json).

pub(crate) const TOP_LEVEL: &[&str] = &[
    "version", "name", "include", "services", "networks", "volumes", "secrets", "configs", "models",
];

/// The service keys whose value may be null (`command:` with nothing after
/// it): compose-go's schema allows null for these and refuses it for every
/// other key, so `image:` with no value is an error, not "not set".
pub(crate) const SERVICE_NULLABLE: &[&str] = &["command", "entrypoint", "pid", "develop", "deploy"];

pub(crate) const SERVICE: &[&str] = &[
    "annotations",
    "attach",
    "blkio_config",
    "build",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "label_file",
    "labels",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "models",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "post_start",
    "pre_start",
    "pre_stop",
    "privileged",
    "profiles",
    "provider",
    "pull_policy",
    "pull_refresh_after",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "use_api_socket",
    "user",
    "userns_mode",
    "uts",
    "volumes",
    "volumes_from",
    "working_dir",
];

pub(crate) const BUILD: &[&str] = &[
    "context",
    "dockerfile",
    "dockerfile_inline",
    "entitlements",
    "args",
    "ssh",
    "labels",
    "cache_from",
    "cache_to",
    "no_cache",
    "no_cache_filter",
    "additional_contexts",
    "network",
    "provenance",
    "sbom",
    "pull",
    "target",
    "shm_size",
    "extra_hosts",
    "isolation",
    "privileged",
    "secrets",
    "tags",
    "ulimits",
    "platforms",
];

pub(crate) const HEALTHCHECK: &[&str] = &[
    "disable",
    "interval",
    "retries",
    "test",
    "timeout",
    "start_period",
    "start_interval",
];

pub(crate) const DEPENDS_ON: &[&str] = &["condition", "restart", "required"];

pub(crate) const DEPLOY: &[&str] = &[
    "mode",
    "endpoint_mode",
    "replicas",
    "labels",
    "rollback_config",
    "update_config",
    "resources",
    "restart_policy",
    "placement",
];

pub(crate) const RESOURCES: &[&str] = &["limits", "reservations"];

pub(crate) const RESOURCE_AMOUNTS: &[&str] =
    &["cpus", "memory", "pids", "devices", "generic_resources"];

pub(crate) const DEVELOP: &[&str] = &["watch"];

pub(crate) const WATCH: &[&str] = &[
    "path",
    "action",
    "target",
    "ignore",
    "include",
    "exec",
    "initial_sync",
];

pub(crate) const PORT: &[&str] = &[
    "name",
    "mode",
    "host_ip",
    "target",
    "published",
    "protocol",
    "app_protocol",
];

pub(crate) const VOLUME_MOUNT: &[&str] = &[
    "type",
    "source",
    "target",
    "read_only",
    "consistency",
    "bind",
    "volume",
    "tmpfs",
    "image",
];

pub(crate) const SERVICE_NETWORK: &[&str] = &[
    "aliases",
    "interface_name",
    "ipv4_address",
    "ipv6_address",
    "link_local_ips",
    "mac_address",
    "driver_opts",
    "priority",
    "gw_priority",
];

pub(crate) const LOGGING: &[&str] = &["driver", "options"];

pub(crate) const FILE_REF: &[&str] = &["source", "target", "uid", "gid", "mode"];

pub(crate) const ULIMIT: &[&str] = &["soft", "hard"];

pub(crate) const ENV_FILE: &[&str] = &["path", "required", "format"];

pub(crate) const EXTENDS: &[&str] = &["service", "file"];

pub(crate) const INCLUDE: &[&str] = &["path", "env_file", "project_directory"];

pub(crate) const NETWORK: &[&str] = &[
    "name",
    "driver",
    "driver_opts",
    "ipam",
    "external",
    "internal",
    "enable_ipv4",
    "enable_ipv6",
    "attachable",
    "labels",
];

pub(crate) const VOLUME: &[&str] = &["name", "driver", "driver_opts", "external", "labels"];

pub(crate) const FILE_OBJECT: &[&str] = &[
    "name",
    "content",
    "environment",
    "file",
    "external",
    "labels",
    "driver",
    "driver_opts",
    "template_driver",
];
