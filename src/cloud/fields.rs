//! The field inventory: the one fate each Compose Specification service
//! property has in the cloud. `plan` never drops information silently, so
//! every property is here, and a test walks the spec's own JSON schema
//! (fixtures/compose-spec/compose-spec.json) to keep it that way.
//!
//! Owns: the table, the reasons the plan prints for refused and noted fields,
//! and its rendering for the README. The translation itself lives in
//! `container.rs` (per container), `plan.rs` (per task and service),
//! `healthcheck.rs`, `variables.rs` and `unsupported.rs`.

/// What happens to one compose field in the cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Becomes this part of the ECS request (and what of it Fargate refuses).
    Ecs(&'static str),
    /// Fargate cannot express it: refused before any AWS call, unless the
    /// service lists it in `x-parity.cloud_ignore` (then a note says so).
    Refused(&'static str),
    /// Not in the request; the plan's notes say so whenever it is set.
    Noted(&'static str),
    /// A local concern the cloud answers its own way; not carried, no note.
    Local(&'static str),
    /// Its sub-fields each have their own fate.
    Parts,
}

/// One row: a dotted path below `services.<name>` and its fate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) path: &'static str,
    pub(crate) fate: Fate,
}

const fn row(path: &'static str, fate: Fate) -> Field {
    Field { path, fate }
}

use Fate::{Ecs, Local, Noted, Parts, Refused};

/// Every service property of the Compose Specification, sorted by path.
pub(crate) const FIELDS: &[Field] = &[
    row(
        "annotations",
        Noted("ECS containers have no annotations (labels become dockerLabels)"),
    ),
    row(
        "attach",
        Local("which logs `up` prints; CloudWatch Logs receives every container's output"),
    ),
    row(
        "blkio_config",
        Refused("Fargate has no block-I/O weights or limits"),
    ),
    row(
        "build",
        Ecs("image: deploy builds once, pushes, and registers it by digest"),
    ),
    row(
        "cap_add",
        Ecs("linuxParameters.capabilities.add; Fargate adds only SYS_PTRACE, others are refused"),
    ),
    row("cap_drop", Ecs("linuxParameters.capabilities.drop")),
    row("cgroup", Refused("Fargate chooses the cgroup namespace")),
    row(
        "cgroup_parent",
        Refused("Fargate tasks have no host cgroup hierarchy"),
    ),
    row("command", Ecs("command")),
    row(
        "configs",
        Refused("parity has no Fargate mapping for compose configs (bake them into the image)"),
    ),
    row(
        "container_name",
        Local("ECS names the container after the service"),
    ),
    row(
        "cpu_count",
        Refused("a Windows CPU count; size Linux tasks with `cpus`"),
    ),
    row(
        "cpu_percent",
        Refused("a Windows CPU percentage; size Linux tasks with `cpus`"),
    ),
    row(
        "cpu_period",
        Refused("Fargate sets the CFS period; size tasks with `cpus`"),
    ),
    row(
        "cpu_quota",
        Refused("Fargate sets the CFS quota from the task size; use `cpus`"),
    ),
    row(
        "cpu_rt_period",
        Refused("Fargate has no real-time scheduling"),
    ),
    row(
        "cpu_rt_runtime",
        Refused("Fargate has no real-time scheduling"),
    ),
    row(
        "cpu_shares",
        Ecs("container cpu (relative shares, 1024 = one vCPU), counted in the task size"),
    ),
    row(
        "cpus",
        Ecs("task cpu: the smallest Fargate size that covers it (as deploy.resources.limits.cpus)"),
    ),
    row("cpuset", Refused("Fargate does not pin tasks to host CPUs")),
    row(
        "credential_spec",
        Refused("gMSA credential specs are for Windows containers"),
    ),
    row(
        "depends_on",
        Ecs(
            "dependsOn inside a task (sidecars); across services a note (ECS does not order services)",
        ),
    ),
    row("deploy", Parts),
    row(
        "deploy.endpoint_mode",
        Local("Swarm's VIP/DNSRR choice; each awsvpc task has its own address"),
    ),
    row(
        "deploy.labels",
        Noted("Swarm service labels; ECS services are tagged by parity"),
    ),
    row(
        "deploy.mode",
        Ecs(
            "replicated is an ECS REPLICA service; global is refused (Fargate has no DAEMON services)",
        ),
    ),
    row(
        "deploy.placement",
        Noted("Fargate places tasks across the environment's subnets"),
    ),
    row(
        "deploy.replicas",
        Ecs("desiredCount (parity.toml's desired_count wins)"),
    ),
    row("deploy.resources", Parts),
    row("deploy.resources.limits", Parts),
    row(
        "deploy.resources.limits.cpus",
        Ecs("task cpu: the smallest Fargate size that covers it"),
    ),
    row(
        "deploy.resources.limits.memory",
        Ecs("container memory (hard limit), counted in the task size"),
    ),
    row(
        "deploy.resources.limits.pids",
        Noted("Fargate has no PID limit"),
    ),
    row("deploy.resources.reservations", Parts),
    row(
        "deploy.resources.reservations.cpus",
        Ecs("task cpu when no limit is set"),
    ),
    row(
        "deploy.resources.reservations.devices",
        Refused("Fargate has no GPUs or other devices"),
    ),
    row(
        "deploy.resources.reservations.generic_resources",
        Refused("Fargate has no generic resources"),
    ),
    row(
        "deploy.resources.reservations.memory",
        Ecs("container memoryReservation, counted in the task size"),
    ),
    row(
        "deploy.restart_policy",
        Noted("an ECS service always replaces a stopped task; the release task runs once"),
    ),
    row(
        "deploy.rollback_config",
        Noted("ECS rolls back with its circuit breaker (parity.toml [deploy])"),
    ),
    row(
        "deploy.update_config",
        Noted("ECS rolls out by parity.toml's [deploy] minimum/maximum percent"),
    ),
    row(
        "develop",
        Local("watch rules (`develop.watch`), applied by `parity up --watch` and `parity watch`"),
    ),
    row(
        "device_cgroup_rules",
        Refused("Fargate gives containers no host devices"),
    ),
    row(
        "devices",
        Refused("Fargate gives containers no host devices"),
    ),
    row("dns", Refused("awsvpc tasks use the VPC's resolver")),
    row("dns_opt", Refused("awsvpc tasks use the VPC's resolver")),
    row("dns_search", Refused("awsvpc tasks use the VPC's resolver")),
    row(
        "domainname",
        Refused("awsvpc tasks cannot set a domain name"),
    ),
    row("entrypoint", Ecs("entryPoint")),
    row(
        "env_file",
        Ecs("environment (the loader folds the files into `environment`)"),
    ),
    row(
        "environment",
        Ecs(
            "environment, minus x-parity.local_only and secrets, with parity.toml's variables on top",
        ),
    ),
    row(
        "expose",
        Local("in awsvpc every container port is reachable as the security groups allow"),
    ),
    row(
        "extends",
        Local("resolved by the loader before translation"),
    ),
    row(
        "external_links",
        Refused("awsvpc has no container links; use service discovery"),
    ),
    row(
        "extra_hosts",
        Refused("awsvpc tasks cannot add /etc/hosts entries"),
    ),
    row("gpus", Refused("Fargate has no GPUs")),
    row(
        "group_add",
        Refused("ECS takes a user and group in `user`, not supplementary groups"),
    ),
    row("healthcheck", Parts),
    row("healthcheck.disable", Ecs("no healthCheck")),
    row(
        "healthcheck.interval",
        Ecs("healthCheck.interval, brought within 5-300 s (a note says how)"),
    ),
    row(
        "healthcheck.retries",
        Ecs("healthCheck.retries, brought within 1-10 (a note says how)"),
    ),
    row(
        "healthcheck.start_interval",
        Noted("ECS has no start interval"),
    ),
    row(
        "healthcheck.start_period",
        Ecs("healthCheck.startPeriod, brought within 0-300 s"),
    ),
    row("healthcheck.test", Ecs("healthCheck.command")),
    row(
        "healthcheck.timeout",
        Ecs("healthCheck.timeout, brought within 2-60 s and below the interval"),
    ),
    row("hostname", Refused("awsvpc tasks cannot set a hostname")),
    row(
        "image",
        Ecs("image (pinned to its registry digest by deploy)"),
    ),
    row("init", Ecs("linuxParameters.initProcessEnabled")),
    row("ipc", Refused("Fargate does not support an IPC mode")),
    row(
        "isolation",
        Refused("container isolation is a Windows setting"),
    ),
    row(
        "label_file",
        Noted("labels read from files are not carried; put them in `labels`"),
    ),
    row("labels", Ecs("dockerLabels")),
    row(
        "links",
        Refused("awsvpc has no container links; use service discovery"),
    ),
    row(
        "logging",
        Noted("the cloud sends logs to CloudWatch Logs (awslogs), not the compose driver"),
    ),
    row(
        "mac_address",
        Refused("awsvpc assigns the network interface"),
    ),
    row(
        "mem_limit",
        Ecs("container memory (hard limit), counted in the task size"),
    ),
    row(
        "mem_reservation",
        Ecs("container memoryReservation, counted in the task size"),
    ),
    row("mem_swappiness", Refused("Fargate tasks have no swap")),
    row("memswap_limit", Refused("Fargate tasks have no swap")),
    row(
        "models",
        Noted("Docker Model Runner models are local; the cloud container gets no model endpoints"),
    ),
    row(
        "network_mode",
        Refused("Fargate tasks use awsvpc only (a sidecar's `service:<task's main>` is allowed)"),
    ),
    row(
        "networks",
        Local("one awsvpc network per task; the security groups decide who reaches it"),
    ),
    row(
        "oom_kill_disable",
        Refused("Fargate always kills a container over its memory"),
    ),
    row(
        "oom_score_adj",
        Refused("Fargate does not expose the OOM score"),
    ),
    row(
        "pid",
        Refused("Fargate does not share a PID namespace with the host or a service"),
    ),
    row("pids_limit", Noted("Fargate has no PID limit")),
    row(
        "platform",
        Ecs("runtimePlatform (linux/amd64 or linux/arm64)"),
    ),
    row(
        "ports",
        Ecs(
            "portMappings (hostPort = containerPort in awsvpc; a different published port is noted); protocols other than tcp/udp are refused",
        ),
    ),
    row("post_start", Noted("ECS has no container lifecycle hooks")),
    row("pre_stop", Noted("ECS has no container lifecycle hooks")),
    row(
        "privileged",
        Refused("Fargate does not run privileged containers"),
    ),
    row(
        "profiles",
        Local("profiles choose what `up` starts; the cloud runs every cloud service"),
    ),
    row(
        "provider",
        Refused(
            "a provider service is run by a Compose plugin; mark it `x-parity: { cloud: false }`",
        ),
    ),
    row(
        "pull_policy",
        Local("ECS pulls the pinned digest whenever a task starts"),
    ),
    row(
        "pull_refresh_after",
        Local("ECS pulls the pinned digest whenever a task starts"),
    ),
    row("read_only", Ecs("readonlyRootFilesystem")),
    row(
        "restart",
        Local("an ECS service replaces stopped tasks; the release task runs once"),
    ),
    row("runtime", Refused("Fargate chooses the container runtime")),
    row(
        "scale",
        Ecs("desiredCount (parity.toml's desired_count wins)"),
    ),
    row(
        "secrets",
        Ecs("secrets from Secrets Manager, as variables named after the target"),
    ),
    row(
        "security_opt",
        Refused("Fargate does not take Docker security options"),
    ),
    row("shm_size", Refused("Fargate does not set /dev/shm's size")),
    row("stdin_open", Ecs("interactive")),
    row(
        "stop_grace_period",
        Ecs("stopTimeout (whole seconds, at most 120)"),
    ),
    row(
        "stop_signal",
        Refused("ECS always stops containers with SIGTERM, then SIGKILL"),
    ),
    row(
        "storage_opt",
        Refused("Fargate's ephemeral storage takes no driver options"),
    ),
    row(
        "sysctls",
        Ecs("systemControls for net.*; Fargate refuses other kernel parameters"),
    ),
    row("tmpfs", Refused("Fargate does not support tmpfs")),
    row("tty", Ecs("pseudoTerminal")),
    row("ulimits", Ecs("ulimits")),
    row(
        "use_api_socket",
        Refused("Fargate tasks have no Docker API socket"),
    ),
    row("user", Ecs("user")),
    row("userns_mode", Refused("Fargate chooses the user namespace")),
    row(
        "uts",
        Refused("Fargate does not share the host's UTS namespace"),
    ),
    row(
        "volumes",
        Ecs(
            "anonymous volumes: the task's ephemeral storage (volumes + mountPoints, noted); bind mounts, tmpfs and named volumes are refused: no host paths, no tmpfs, no persistent storage (use EFS or a managed service)",
        ),
    ),
    row("volumes_from", Refused("parity maps no volumes to Fargate")),
    row("working_dir", Ecs("workingDirectory")),
];

/// The fate of a field (a dotted path), if the table has it.
pub(crate) fn fate(path: &str) -> Option<Fate> {
    FIELDS.iter().find(|f| f.path == path).map(|f| f.fate)
}

/// The README's field-fate table (the translation section shows exactly this;
/// a test compares them).
#[cfg(test)]
pub(crate) fn markdown() -> String {
    let mut out =
        String::from("| compose field | fate in the cloud | ECS field / reason |\n|---|---|---|\n");
    for field in FIELDS {
        let (fate, text) = match field.fate {
            Ecs(text) => ("translated", text),
            Refused(text) => ("refused unless `cloud_ignore`", text),
            Noted(text) => ("left out, noted in the plan", text),
            Local(text) => ("local only", text),
            Parts => continue,
        };
        out.push_str(&format!("| `{}` | {fate} | {text} |\n", field.path));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// The vendored Compose Specification schema (see fixtures/compose-spec/README.md).
    const SCHEMA: &str = include_str!("../../fixtures/compose-spec/compose-spec.json");

    /// Resolves `{"$ref": "#/definitions/x"}` one level.
    fn resolve<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.trim_start_matches("#/definitions/");
                &schema["definitions"][name]
            }
            None => node,
        }
    }

    /// Every property path below `node`, descending where the table says `Parts`.
    fn walk(
        schema: &Value,
        node: &Value,
        prefix: &str,
        missing: &mut Vec<String>,
        seen: &mut Vec<String>,
    ) {
        let Some(properties) = resolve(schema, node)["properties"].as_object() else {
            return;
        };
        for (key, child) in properties {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            seen.push(path.clone());
            match fate(&path) {
                None => missing.push(path),
                Some(Parts) => walk(schema, child, &path, missing, seen),
                Some(_) => {}
            }
        }
    }

    #[test]
    fn every_service_property_of_the_compose_spec_has_a_fate() {
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        let service = &schema["definitions"]["service"];
        let (mut missing, mut seen) = (Vec::new(), Vec::new());
        walk(&schema, service, "", &mut missing, &mut seen);
        assert!(seen.len() > 100, "walked only {} properties", seen.len());
        for named in [
            "develop",
            "post_start",
            "pre_stop",
            "label_file",
            "scale",
            "gpus",
            "platform",
            "cpus",
            "mem_limit",
            "sysctls",
            "deploy.resources.limits.memory",
        ] {
            assert!(seen.iter().any(|s| s == named), "the walk missed `{named}`");
        }
        assert!(
            missing.is_empty(),
            "compose fields with no fate in src/cloud/fields.rs: {missing:?}"
        );
        let stale: Vec<&str> = FIELDS
            .iter()
            .map(|f| f.path)
            .filter(|p| !seen.iter().any(|s| s == p))
            .collect();
        assert!(
            stale.is_empty(),
            "fates for fields the spec does not have: {stale:?}"
        );
    }

    #[test]
    fn the_table_is_sorted_and_has_no_duplicates() {
        for pair in FIELDS.windows(2) {
            assert!(
                pair[0].path < pair[1].path,
                "{} before {}",
                pair[0].path,
                pair[1].path
            );
        }
    }

    #[test]
    fn cloud_ignore_accepts_exactly_the_fields_that_can_be_refused() {
        use crate::compose::x_parity::IGNORABLE;
        for field in FIELDS {
            if let Refused(_) = field.fate {
                assert!(
                    IGNORABLE.contains(&field.path),
                    "`{}` is refused but cannot be ignored",
                    field.path
                );
            }
        }
        for ignorable in IGNORABLE {
            match fate(ignorable) {
                Some(Refused(_)) => {}
                Some(Ecs(text)) if text.contains("refuse") => {}
                other => panic!("cloud_ignore accepts `{ignorable}`, whose fate is {other:?}"),
            }
        }
    }

    #[test]
    fn the_readme_shows_this_table() {
        let readme = include_str!("../../README.md");
        let table = markdown();
        assert!(
            readme.contains(&table),
            "README.md's field-fate table is not the one in src/cloud/fields.rs; replace it with:\n{table}"
        );
    }
}
