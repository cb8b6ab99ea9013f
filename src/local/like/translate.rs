//! The plan's task definitions as engine containers: what `parity up --like
//! ENV` runs. Reads only what `cloud::plan` produced (the same JSON `deploy`
//! registers), never the compose file's container fields, so a difference
//! between compose and ECS shows up locally exactly as it would on Fargate.
//!
//! Pure: the plan, the project (for names and local-only services) and the
//! secret values in; create requests, start order and one line per field
//! left out. No engine calls.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, HealthConfig, HostConfig, PortBinding, ResourcesUlimits,
};
use serde_json::Value;

use super::super::labels;
use super::super::spec::{self, ContainerSpec};
use crate::cloud::{ImageInput, ImageRefs, Plan, PlanInputs};
use crate::compose::model::{Condition, Project};
use crate::compose::x_parity::{self, XParity};
use crate::error::Result;
use crate::settings::Settings;

/// parity's label on everything `up --like` creates: the environment it emulates.
pub(crate) const LIKE: &str = "dev.parity.like";
/// parity's label on a task's containers: the ECS service (task) they belong to.
pub(crate) const TASK: &str = "dev.parity.task";

/// A container `dependsOn` condition, as ECS names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DependsOn {
    /// The dependency has started.
    Start,
    /// It has exited, whatever its code.
    Complete,
    /// It has exited 0.
    Success,
    /// Its health check passed.
    Healthy,
}

impl DependsOn {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "START" => Some(Self::Start),
            "COMPLETE" => Some(Self::Complete),
            "SUCCESS" => Some(Self::Success),
            "HEALTHY" => Some(Self::Healthy),
            _ => None,
        }
    }

    /// The compose condition the observer waits for (`Complete` has none: any exit).
    pub(crate) fn condition(self) -> Option<Condition> {
        match self {
            Self::Start => Some(Condition::Started),
            Self::Complete => None,
            Self::Success => Some(Condition::CompletedSuccessfully),
            Self::Healthy => Some(Condition::Healthy),
        }
    }
}

/// One container of a task definition.
#[derive(Debug, Clone)]
pub(crate) struct TaskContainer {
    /// The container definition's name (its compose service).
    pub(crate) name: String,
    pub(crate) essential: bool,
    pub(crate) depends_on: Vec<(String, DependsOn)>,
    pub(crate) healthcheck: bool,
    /// `stopTimeout`, seconds (ECS's default 30 when unset).
    pub(crate) stop_timeout: i32,
    /// `startTimeout`: how long its dependencies may take, seconds.
    pub(crate) start_timeout: Option<u64>,
    /// The create request; `network_mode` is set when the holder exists.
    pub(crate) spec: ContainerSpec,
}

/// One task: its network holder and containers, in definition order.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    /// The compose service whose task this is.
    pub(crate) service: String,
    pub(crate) release: bool,
    /// The holder's create request (networks, Service Connect names, ports, sysctls).
    pub(crate) holder: ContainerSpec,
    pub(crate) containers: Vec<TaskContainer>,
}

/// Everything `up --like` runs.
#[derive(Debug, Clone)]
pub(crate) struct LikeRun {
    pub(crate) environment: String,
    /// Long-running tasks (ECS services), in plan order.
    pub(crate) tasks: Vec<Task>,
    /// The release task, run to completion first.
    pub(crate) release: Option<Task>,
    /// Compose services with no task definition that still run locally:
    /// `cloud: false` ones and the stand-ins of managed services.
    pub(crate) local: Vec<String>,
    /// The plan's warnings (shown as `plan` shows them).
    pub(crate) warnings: Vec<String>,
    /// One line per thing the plan or this run leaves out.
    pub(crate) left_out: Vec<String>,
}

/// ECS's `stopTimeout` when the definition has none.
const ECS_STOP_TIMEOUT: i32 = 30;

/// The placeholder account and roles a local plan is made with when the
/// environment does not name them yet (nothing local uses them).
const LOCAL_ACCOUNT: &str = "000000000000";

/// The plan `deploy` would register, for a local run: the images are the
/// ones the engine has, settings only the cloud needs (roles, subnets, the
/// account) get placeholders when unset, and managed services' endpoints are
/// their local stand-ins (reached by their compose name).
pub(crate) fn local_plan(
    project: &Project,
    settings: &Settings,
    environment: &str,
    images: &HashMap<String, (String, bool)>,
) -> Result<Plan> {
    let mut settings = settings.clone();
    let xs = x_parity::by_service(project);
    if let Some(env) = settings
        .environments
        .iter_mut()
        .find(|(name, _)| name.get_ref() == environment)
        .map(|(_, env)| env)
    {
        env.execution_role_arn
            .get_or_insert_with(|| format!("arn:aws:iam::{LOCAL_ACCOUNT}:role/local"));
        if env.subnets.is_empty() {
            env.subnets.push("subnet-local".into());
        }
        let managed: indexmap::IndexMap<String, String> = xs
            .iter()
            .filter(|(_, x)| x.placement.is_managed())
            .map(|(name, _)| (name.clone(), name.clone()))
            .collect();
        if !managed.is_empty() {
            env.backing_endpoints = Some(managed);
        }
    }
    let account = settings
        .environment(environment)?
        .account_id()
        .unwrap_or(LOCAL_ACCOUNT)
        .to_owned();
    let inputs = PlanInputs {
        account_id: account,
        images: images
            .iter()
            .map(|(service, (reference, healthcheck))| {
                (
                    service.clone(),
                    ImageInput {
                        reference: reference.clone(),
                        architecture: None,
                        has_healthcheck: *healthcheck,
                    },
                )
            })
            .collect::<ImageRefs>(),
        compose_hash: crate::cloud::tags::compose_hash(project),
        git_commit: None,
    };
    crate::cloud::plan(project, &settings, environment, &inputs)
}

/// What [`translate`] reads besides the plan.
pub(crate) struct Input<'a> {
    pub(crate) project: &'a Project,
    pub(crate) plan: &'a Plan,
    /// A secret's value by variable name (the environment's, else the local one).
    pub(crate) secret: &'a dyn Fn(&str, &str) -> Option<String>,
    /// ECS services to run (with the release); all when empty.
    pub(crate) only: &'a [String],
}

/// The plan as engine containers. See the module doc.
pub(crate) fn translate(input: &Input<'_>) -> LikeRun {
    let Input { project, plan, .. } = input;
    let xs = x_parity::by_service(project);
    let mut run = LikeRun {
        environment: plan.environment.clone(),
        tasks: Vec::new(),
        release: None,
        local: Vec::new(),
        warnings: plan.warnings.clone(),
        left_out: plan.notes.iter().map(|n| format!("plan: {n}")).collect(),
    };
    for task in &plan.task_definitions {
        let x = &xs[&task.service];
        if x.schedule.is_some() {
            run.left_out.push(format!(
                "job `{}` runs on its schedule in the cloud; not started (run it with `parity run {}`)",
                task.service, task.service
            ));
            continue;
        }
        if !x.release && !input.only.is_empty() && !input.only.contains(&task.service) {
            continue;
        }
        let ecs = plan.services.iter().find(|s| s.service == task.service);
        let built = task_of(
            input,
            &task.service,
            &task.request,
            ecs.map(|s| &s.request),
            x.release,
            &mut run.left_out,
        );
        if x.release {
            run.release = Some(built);
        } else {
            run.tasks.push(built);
        }
    }
    run.local = project
        .services
        .keys()
        .filter(|name| {
            xs.get(*name)
                .is_some_and(|x| !x.cloud && x.sidecar_of.is_none())
        })
        .cloned()
        .collect();
    run
}

/// One task definition (and its ECS service, when it is one).
fn task_of(
    input: &Input<'_>,
    service: &str,
    request: &Value,
    ecs: Option<&Value>,
    release: bool,
    left_out: &mut Vec<String>,
) -> Task {
    let project = input.project;
    let definitions: Vec<&Value> = request["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let start_timeouts: Vec<Option<u64>> = definitions
        .iter()
        .map(|d| d["startTimeout"].as_u64())
        .collect();
    let mut containers = Vec::new();
    let mut sysctls = HashMap::new();
    for (definition, start_timeout) in definitions.iter().zip(start_timeouts) {
        let name = definition["name"].as_str().unwrap_or_default().to_owned();
        for control in definition["systemControls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let (Some(key), Some(value)) =
                (control["namespace"].as_str(), control["value"].as_str())
            {
                sysctls.insert(key.to_owned(), value.to_owned());
            }
        }
        let body = container_body(input, service, &name, definition, left_out);
        containers.push(TaskContainer {
            essential: definition["essential"].as_bool().unwrap_or(true),
            depends_on: definition["dependsOn"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| {
                    Some((
                        d["containerName"].as_str()?.to_owned(),
                        DependsOn::parse(d["condition"].as_str()?)?,
                    ))
                })
                .collect(),
            healthcheck: definition.get("healthCheck").is_some(),
            stop_timeout: definition["stopTimeout"]
                .as_i64()
                .and_then(|s| i32::try_from(s).ok())
                .unwrap_or(ECS_STOP_TIMEOUT),
            start_timeout,
            spec: ContainerSpec {
                name: container_name(project, &name),
                config_hash: hex_hash(&definition.to_string()),
                body,
                extra_networks: Vec::new(),
                platform: None,
            },
            name,
        });
    }
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    if let Some(ecs) = ecs {
        let desired = ecs["desiredCount"].as_u64().unwrap_or(1);
        if desired != 1 {
            left_out.push(format!(
                "service `{service}`: desiredCount {desired}: one task runs locally"
            ));
        }
        if ecs.get("loadBalancers").is_some() {
            left_out.push(format!(
                "service `{service}`: loadBalancers: no load balancer locally; the compose file's published ports are published on the task instead"
            ));
        }
    }
    if request.get("taskRoleArn").is_some() {
        left_out.push(format!(
            "service `{service}`: taskRoleArn: the containers get no AWS credentials locally"
        ));
    }
    left_out.push(format!(
        "service `{service}`: task size cpu {} / memory {} MiB: not enforced locally (container-level cpu and memory are)",
        request["cpu"].as_str().unwrap_or("?"),
        request["memory"].as_str().unwrap_or("?"),
    ));
    Task {
        service: service.to_owned(),
        release,
        holder: holder(
            project,
            service,
            &names,
            ecs,
            sysctls,
            &input.plan.environment,
        ),
        containers,
    }
}

/// The container keys this run carries out (everything else is said to be left out).
const CARRIED: &[&str] = &[
    "name",
    "image",
    "cpu",
    "memory",
    "memoryReservation",
    "portMappings",
    "essential",
    "entryPoint",
    "command",
    "environment",
    "mountPoints",
    "linuxParameters",
    "secrets",
    "dependsOn",
    "startTimeout",
    "stopTimeout",
    "user",
    "workingDirectory",
    "readonlyRootFilesystem",
    "interactive",
    "pseudoTerminal",
    "dockerLabels",
    "ulimits",
    "healthCheck",
    "systemControls",
];

/// One container definition as a create request.
fn container_body(
    input: &Input<'_>,
    task: &str,
    name: &str,
    definition: &Value,
    left_out: &mut Vec<String>,
) -> ContainerCreateBody {
    let strings = |value: &Value| -> Option<Vec<String>> {
        value.as_array().map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
    };
    let mut env: Vec<String> = definition["environment"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| Some(format!("{}={}", v["name"].as_str()?, v["value"].as_str()?)))
        .collect();
    for secret in definition["secrets"].as_array().into_iter().flatten() {
        let Some(variable) = secret["name"].as_str() else {
            continue;
        };
        match (input.secret)(name, variable) {
            Some(value) => env.push(format!("{variable}={value}")),
            None => left_out.push(format!(
                "service `{name}`: secret {variable}: no value in the environment's dotenv file or the compose file; left unset"
            )),
        }
    }
    let mut container_labels: HashMap<String, String> = definition["dockerLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect();
    container_labels.extend(common_labels(input.project, name, &input.plan.environment));
    container_labels.insert(TASK.into(), task.to_owned());
    container_labels.insert(
        labels::CONFIG_HASH.into(),
        hex_hash(&definition.to_string()),
    );
    let linux = &definition["linuxParameters"];
    let capabilities = &linux["capabilities"];
    let ulimits: Vec<ResourcesUlimits> = definition["ulimits"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| ResourcesUlimits {
            name: u["name"].as_str().map(str::to_owned),
            soft: u["softLimit"].as_i64(),
            hard: u["hardLimit"].as_i64(),
        })
        .collect();
    let mib = |key: &str| definition[key].as_i64().map(|m| m * 1024 * 1024);
    let mounts: Vec<bollard::models::Mount> = definition["mountPoints"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| bollard::models::Mount {
            typ: Some(bollard::models::MountType::VOLUME),
            target: m["containerPath"].as_str().map(str::to_owned),
            read_only: m["readOnly"].as_bool(),
            ..bollard::models::Mount::default()
        })
        .collect();
    let host_config = HostConfig {
        readonly_rootfs: definition["readonlyRootFilesystem"].as_bool(),
        init: linux["initProcessEnabled"].as_bool(),
        cap_add: strings(&capabilities["add"]),
        cap_drop: strings(&capabilities["drop"]),
        ulimits: (!ulimits.is_empty()).then_some(ulimits),
        memory: mib("memory"),
        memory_reservation: mib("memoryReservation"),
        cpu_shares: definition["cpu"].as_i64(),
        mounts: (!mounts.is_empty()).then_some(mounts),
        ..HostConfig::default()
    };
    if let Some(object) = definition.as_object() {
        for key in object.keys().filter(|k| !CARRIED.contains(&k.as_str())) {
            let why = match key.as_str() {
                "logConfiguration" => "logs stay in the engine (`parity logs`), not CloudWatch",
                _ => "not emulated locally",
            };
            left_out.push(format!("service `{name}`: {key}: {why}"));
        }
    }
    ContainerCreateBody {
        image: definition["image"].as_str().map(str::to_owned),
        entrypoint: strings(&definition["entryPoint"]),
        cmd: strings(&definition["command"]),
        env: (!env.is_empty()).then_some(env),
        user: definition["user"].as_str().map(str::to_owned),
        working_dir: definition["workingDirectory"].as_str().map(str::to_owned),
        open_stdin: definition["interactive"].as_bool(),
        tty: definition["pseudoTerminal"].as_bool(),
        healthcheck: health_config(&definition["healthCheck"]),
        stop_timeout: definition["stopTimeout"].as_i64(),
        labels: Some(container_labels),
        host_config: Some(host_config),
        ..ContainerCreateBody::default()
    }
}

/// ECS's `healthCheck` (whole seconds) in the engine's nanoseconds.
fn health_config(check: &Value) -> Option<HealthConfig> {
    let command: Vec<String> = check["command"]
        .as_array()?
        .iter()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    let nanos = |key: &str| check[key].as_i64().map(|s| s * 1_000_000_000);
    Some(HealthConfig {
        test: Some(command),
        interval: nanos("interval"),
        timeout: nanos("timeout"),
        retries: check["retries"].as_i64(),
        start_period: nanos("startPeriod"),
        start_interval: None,
    })
}

/// The task's network holder: on the networks its containers' compose
/// services are on, under the names Service Connect gives the service (none
/// without a namespace: then nothing reaches it by name, as on ECS), with the
/// compose file's published ports and the task's `systemControls`.
fn holder(
    project: &Project,
    service: &str,
    members: &[&str],
    ecs: Option<&Value>,
    sysctls: HashMap<String, String>,
    environment: &str,
) -> ContainerSpec {
    let aliases: Vec<String> = ecs
        .map(|e| &e["serviceConnectConfiguration"]["services"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|s| s["clientAliases"].as_array().into_iter().flatten())
        .filter_map(|a| a["dnsName"].as_str().map(str::to_owned))
        .fold(Vec::new(), |mut all, alias| {
            if !all.contains(&alias) {
                all.push(alias);
            }
            all
        });
    let mut networks: Vec<String> = Vec::new();
    let mut exposed: Vec<String> = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for member in members {
        let Some(compose) = project.services.get(*member) else {
            continue;
        };
        let keys: Vec<String> = if compose.networks.is_empty() {
            vec!["default".into()]
        } else {
            compose.networks.keys().cloned().collect()
        };
        for key in keys {
            let name = labels::network_name(project, &key);
            if !networks.contains(&name) {
                networks.push(name);
            }
        }
        // The compose file's published ports, bound as `parity up` binds them.
        let mut published = compose.clone();
        published.ports.retain(|p| p.published.is_some());
        let (ports, binds) = spec::ports(&published);
        for key in ports {
            if !exposed.contains(&key) {
                exposed.push(key);
            }
        }
        for (key, list) in binds {
            bindings
                .entry(key)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .extend(list.into_iter().flatten());
        }
    }
    let mut endpoints = networks.iter().map(|name| {
        (
            name.clone(),
            bollard::models::EndpointSettings {
                aliases: (!aliases.is_empty()).then(|| aliases.clone()),
                ..bollard::models::EndpointSettings::default()
            },
        )
    });
    // API 1.41 takes one network at create; the others are joined after it.
    let first = endpoints.next();
    let extra_networks: Vec<_> = endpoints.collect();
    let name = format!("{service}-task");
    let mut holder_labels = common_labels(project, &name, environment);
    holder_labels.insert(TASK.into(), service.to_owned());
    let body = ContainerCreateBody {
        image: Some(super::pause::IMAGE.to_owned()),
        // It waits in pause(2) as PID 1, which ignores SIGTERM: stop it at once.
        stop_signal: Some("SIGKILL".into()),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        labels: Some(holder_labels),
        host_config: Some(HostConfig {
            network_mode: networks.first().cloned(),
            port_bindings: (!bindings.is_empty()).then_some(bindings),
            sysctls: (!sysctls.is_empty()).then_some(sysctls),
            ..HostConfig::default()
        }),
        networking_config: first.map(|endpoint| bollard::models::NetworkingConfig {
            endpoints_config: Some(HashMap::from([endpoint])),
        }),
        ..ContainerCreateBody::default()
    };
    ContainerSpec {
        name: container_name(project, &name),
        config_hash: String::new(),
        body,
        extra_networks,
        platform: None,
    }
}

/// The labels every container of the run carries: Compose's (so `ps`,
/// `logs`, `exec` and `down` see them) and the environment emulated.
fn common_labels(project: &Project, service: &str, environment: &str) -> HashMap<String, String> {
    HashMap::from([
        (labels::PROJECT.into(), project.name.clone()),
        (labels::SERVICE.into(), service.to_owned()),
        (labels::CONTAINER_NUMBER.into(), "1".into()),
        (labels::ONEOFF.into(), "False".into()),
        (labels::VERSION.into(), env!("CARGO_PKG_VERSION").into()),
        (
            labels::WORKING_DIR.into(),
            project.working_dir.display().to_string(),
        ),
        (LIKE.into(), environment.to_owned()),
    ])
}

fn hex_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The container name of a task container or holder: Compose's `<project>-<name>-1`.
pub(crate) fn container_name(project: &Project, name: &str) -> String {
    format!("{}-{name}-1", project.name)
}

/// Which compose services the run needs images for: every member of a task, and the local ones.
pub(crate) fn image_services(project: &Project, only: &[String]) -> Vec<String> {
    let xs = x_parity::by_service(project);
    let host_of = |name: &str, x: &XParity| x.sidecar_of.clone().unwrap_or_else(|| name.to_owned());
    project
        .services
        .keys()
        .filter(|name| {
            let x = &xs[*name];
            let host = host_of(name, x);
            let host_x = xs.get(&host);
            only.is_empty()
                || !x.cloud
                || host_x.is_some_and(|h| h.release || !h.cloud)
                || only.contains(&host)
        })
        .filter(|name| xs[*name].schedule.is_none())
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;
    use crate::compose::model::{Dependency, Port, Service};

    /// An environment that names none of the cloud-only settings (roles, subnets).
    const SETTINGS: &str = r#"
app = "shop"
[environments.staging]
region = "eu-west-1"
[environments.staging.variables]
GREETING = "from-staging"
"#;

    fn service(name: &str, x: serde_json::Value) -> Service {
        let mut service = Service {
            name: name.into(),
            image: Some("demo".into()),
            ..Service::default()
        };
        service.x_parity =
            crate::compose::x_parity::tests::from_json(name, &x).expect("valid x-parity");
        service
    }

    fn project() -> Project {
        let mut api = service("api", json!({}));
        api.ports.push(Port {
            target: 8080,
            published: Some("3000".into()),
            protocol: "tcp".into(),
            ..Port::default()
        });
        api.depends_on.insert(
            "init".into(),
            Dependency {
                condition: Condition::CompletedSuccessfully,
                restart: false,
                required: true,
            },
        );
        api.environment
            .insert("API_KEY".into(), Some("local".into()));
        api.environment
            .insert("GREETING".into(), Some("from-compose".into()));
        api.x_parity =
            crate::compose::x_parity::tests::from_json("api", &json!({"secrets": ["API_KEY"]}))
                .unwrap();
        let init = service("init", json!({"sidecar_of": "api"}));
        let db = service("db", json!({"cloud": false}));
        let services = [("api", api), ("init", init), ("db", db)]
            .into_iter()
            .map(|(n, s)| (n.to_owned(), s))
            .collect();
        Project {
            name: "shop".into(),
            services,
            ..Project::default()
        }
    }

    fn run(project: &Project) -> LikeRun {
        let settings = crate::settings::parse(SETTINGS, Path::new("parity.toml")).unwrap();
        let plan = local_plan(project, &settings, "staging", &HashMap::new()).unwrap();
        translate(&Input {
            project,
            plan: &plan,
            secret: &|_, variable| (variable == "API_KEY").then(|| "from-dotenv".to_owned()),
            only: &[],
        })
    }

    #[test]
    fn a_task_is_its_containers_around_one_holder_with_the_plans_values() {
        let project = project();
        let like = run(&project);
        assert_eq!(like.local, ["db"]);
        assert_eq!(like.tasks.len(), 1);
        let task = &like.tasks[0];
        let names: Vec<&str> = task.containers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["api", "init"]);
        assert!(task.containers[0].essential && !task.containers[1].essential);
        assert_eq!(
            task.containers[0].depends_on,
            [("init".to_owned(), DependsOn::Success)]
        );
        let env = task.containers[0].spec.body.env.clone().unwrap();
        assert!(env.contains(&"GREETING=from-staging".to_owned()), "{env:?}");
        assert!(env.contains(&"API_KEY=from-dotenv".to_owned()), "{env:?}");
        // The holder owns the network and the compose file's published port; no
        // name reaches it without Service Connect.
        let holder = &task.holder;
        assert_eq!(holder.name, "shop-api-task-1");
        let host = holder.body.host_config.as_ref().unwrap();
        assert_eq!(host.network_mode.as_deref(), Some("shop_default"));
        let binding = &host.port_bindings.as_ref().unwrap()["8080/tcp"]
            .as_ref()
            .unwrap()[0];
        assert_eq!(binding.host_port.as_deref(), Some("3000"));
        let endpoints = holder
            .body
            .networking_config
            .as_ref()
            .unwrap()
            .endpoints_config
            .as_ref()
            .unwrap();
        assert_eq!(endpoints["shop_default"].aliases, None);
        // No label carries a secret; what is left out is said.
        for container in &task.containers {
            let labels = serde_json::to_string(&container.spec.body.labels).unwrap();
            assert!(!labels.contains("from-dotenv"), "{labels}");
        }
        assert!(
            like.left_out
                .iter()
                .any(|l| l == "service `api`: logConfiguration: logs stay in the engine (`parity logs`), not CloudWatch"),
            "{:#?}",
            like.left_out
        );
    }

    #[test]
    fn service_connect_names_the_holder_and_a_secret_without_value_is_said() {
        let project = project();
        let mut settings = crate::settings::parse(SETTINGS, Path::new("parity.toml")).unwrap();
        for env in settings.environments.values_mut() {
            env.service_connect_namespace = Some("shop.local".into());
        }
        let plan = local_plan(&project, &settings, "staging", &HashMap::new()).unwrap();
        let like = translate(&Input {
            project: &project,
            plan: &plan,
            secret: &|_, _| None,
            only: &[],
        });
        let endpoints = like.tasks[0]
            .holder
            .body
            .networking_config
            .clone()
            .unwrap()
            .endpoints_config
            .unwrap();
        assert_eq!(
            endpoints["shop_default"].aliases.as_deref(),
            Some(&["api".to_owned()][..])
        );
        assert!(
            like.left_out
                .iter()
                .any(|l| l.contains("secret API_KEY: no value")),
            "{:#?}",
            like.left_out
        );
    }

    #[test]
    fn conditions_parse_as_ecs_names_them() {
        assert_eq!(DependsOn::parse("COMPLETE"), Some(DependsOn::Complete));
        assert_eq!(DependsOn::Complete.condition(), None);
        assert_eq!(
            DependsOn::parse("HEALTHY").and_then(DependsOn::condition),
            Some(Condition::Healthy)
        );
        assert_eq!(DependsOn::parse("later"), None);
    }
}
