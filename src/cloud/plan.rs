//! `cloud::plan`: a compose project + one environment of parity.toml -> the
//! RegisterTaskDefinition requests and ECS service descriptions for it.
//!
//! Pure and deterministic: the same inputs give byte-identical JSON. `deploy`
//! registers exactly what this returns (with image digests passed in through
//! [`PlanInputs::images`]), and `plan` prints it, so what is shown is what ships.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::container::{self, Container};
use super::image_build::{ImageBuild, build_of, image_builds};
use super::{fargate, names, resources, service_connect, tags};
use crate::compose::model::{Condition, Project, Service};
use crate::compose::x_parity::{self, XParity, XParityMap};
use crate::error::{Error, Result};
use crate::settings::{Environment, Settings};

/// The image a service's container runs, as the deploy resolved it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ImageInput {
    /// Full reference, ideally pinned: `registry/repo@sha256:...`.
    pub(crate) reference: String,
    /// The image's architecture as Docker reports it (`amd64`, `arm64`), if known.
    pub(crate) architecture: Option<String>,
    /// The image declares its own HEALTHCHECK (which ECS ignores).
    pub(crate) has_healthcheck: bool,
}

/// Images by compose service name. Services without an entry use their compose
/// `image:`, or (for `build:` services) the repository the deploy pushes to.
pub(crate) type ImageRefs = IndexMap<String, ImageInput>;

/// What the plan needs besides the project and settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlanInputs {
    /// The AWS account (from parity.toml or STS).
    pub(crate) account_id: String,
    pub(crate) images: ImageRefs,
    /// [`super::tags::compose_hash`] of the normalized project.
    pub(crate) compose_hash: String,
    /// [`super::tags::commit`]: the git commit the images are built from, when known.
    pub(crate) git_commit: Option<String>,
}

/// One task definition to register.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskDefinition {
    /// The compose service whose task this is (sidecars join it).
    pub(crate) service: String,
    pub(crate) family: String,
    /// The RegisterTaskDefinition request, in the API's JSON form.
    pub(crate) request: Value,
}

/// One ECS service, shaped like a CreateService request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EcsService {
    pub(crate) service: String,
    pub(crate) request: Value,
}

/// ECS's limits on one task definition: containers, and the request's size.
const MAX_CONTAINERS: usize = 10;
const MAX_TASK_DEFINITION_BYTES: usize = 64 * 1024;

/// The release phase: a one-off task run before the rollout.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Release {
    pub(crate) service: String,
    pub(crate) family: String,
    pub(crate) cluster: String,
    /// `networkConfiguration` for RunTask.
    pub(crate) network_configuration: Value,
}

/// Everything an environment should run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    pub(crate) environment: String,
    pub(crate) task_definitions: Vec<TaskDefinition>,
    pub(crate) services: Vec<EcsService>,
    pub(crate) release: Option<Release>,
    /// Jobs (`x-parity.schedule`): a task definition and a schedule each, no ECS service.
    pub(crate) jobs: Vec<super::schedule::Job>,
    /// Which schedules in the environment are parity's (deploy deletes those of removed jobs).
    pub(crate) schedules: super::schedule::Owner,
    /// Application Auto Scaling of the services that have `x-parity.scale`.
    pub(crate) scaling: Vec<super::scaling::Scaling>,
    /// Deliberate differences from local (left out on purpose, mapped differently).
    pub(crate) notes: Vec<String>,
    /// Likely mistakes that do not stop the plan.
    pub(crate) warnings: Vec<String>,
}

impl Plan {
    /// `{"environment", "taskDefinitions", "services"}`, with `"schedules"`,
    /// `"scaling"` and `"release"` when the plan has them.
    pub(crate) fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("environment".into(), json!(self.environment));
        out.insert(
            "taskDefinitions".into(),
            Value::Array(
                self.task_definitions
                    .iter()
                    .map(|t| t.request.clone())
                    .collect(),
            ),
        );
        out.insert(
            "services".into(),
            Value::Array(self.services.iter().map(|s| s.request.clone()).collect()),
        );
        if !self.jobs.is_empty() {
            out.insert(
                "schedules".into(),
                self.jobs.iter().map(|j| j.request(&j.family)).collect(),
            );
        }
        if !self.scaling.is_empty() {
            out.insert(
                "scaling".into(),
                self.scaling
                    .iter()
                    .map(|s| {
                        json!({
                            "resourceId": s.resource_id,
                            "minCapacity": s.min,
                            "maxCapacity": s.max,
                            "policies": s.policies.iter().map(|p| json!({
                                "policyName": p.name,
                                "predefinedMetricType": p.metric,
                                "targetValue": p.target,
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect(),
            );
        }
        if let Some(release) = &self.release {
            out.insert(
                "release".into(),
                json!({
                    "cluster": release.cluster,
                    "taskDefinition": release.family,
                    "launchType": "FARGATE",
                    "networkConfiguration": release.network_configuration,
                }),
            );
        }
        Value::Object(out)
    }

    /// The task definition of a compose service, if it has one.
    pub(crate) fn task_definition(&self, service: &str) -> Option<&TaskDefinition> {
        self.task_definitions.iter().find(|t| t.service == service)
    }
}

/// Builds the plan for environment `env_name`.
pub(crate) fn plan(
    project: &Project,
    settings: &Settings,
    env_name: &str,
    inputs: &PlanInputs,
) -> Result<Plan> {
    let environment = settings.environment(env_name)?;
    let app = settings.app();
    let xs = x_parity::by_service(project);
    let cloud_services: Vec<&str> = project
        .services
        .keys()
        .filter(|n| {
            xs.get(*n)
                .is_some_and(|x| x.cloud && x.sidecar_of.is_none())
        })
        .map(String::as_str)
        .collect();
    settings.check_service_names(cloud_services.iter().copied())?;
    super::schedule::check_names(project, environment)?;
    let execution_role = environment.execution_role_arn.as_deref().ok_or_else(|| {
        Error::input(format!(
            "environment `{env_name}`: execution_role_arn is not set; Fargate needs it to pull images, write logs and read SSM secrets"
        ))
        .at(settings.location(environment.region.span()))
        .with_help(format!("run `parity env apply {env_name}` (parity builds the role and reads it from the stack), or set execution_role_arn = \"arn:aws:iam::<account>:role/ecsTaskExecutionRole\" in the environment"))
    })?;
    if environment.subnets.is_empty() {
        return Err(Error::input(format!(
            "environment `{env_name}`: subnets is empty; Fargate tasks need at least one awsvpc subnet"
        ))
        .at(settings.location(environment.region.span()))
        .with_help(format!("run `parity env apply {env_name}` (parity builds the network and reads it from the stack), or set subnets = [\"subnet-...\"] in the environment")));
    }
    let mut plan = Plan {
        environment: env_name.to_owned(),
        task_definitions: Vec::new(),
        services: Vec::new(),
        release: None,
        jobs: Vec::new(),
        schedules: super::schedule::Owner::new(environment, &inputs.account_id),
        scaling: Vec::new(),
        notes: Vec::new(),
        warnings: Vec::new(),
    };
    let (wired, warnings) = super::backing::wired_variables(project, environment)?;
    plan.warnings.extend(warnings);
    let network = network_configuration(environment);
    let builds = image_builds(project, app);
    let sidecars = super::sidecars::by_host(&xs);
    let local_hosts = super::local_hosts::LocalHosts::new(project, &xs);
    shared_build_notes(&builds, environment, inputs, &mut plan);
    for (name, service) in &project.services {
        let x = &xs[name];
        if !x.cloud || x.sidecar_of.is_some() {
            if x.placement.is_managed() {
                plan.notes.push(format!(
                    "service `{name}`: replaced by a managed service (x-parity.cloud), which `parity env apply` creates; no task definition"
                ));
            } else if !x.cloud {
                plan.notes.push(format!(
                    "service `{name}`: local only (x-parity.cloud: false), no task definition"
                ));
            }
            continue;
        }
        let ctx = Context {
            project,
            xs: &xs,
            environment,
            app,
            inputs,
            execution_role,
            builds: &builds,
            wired: &wired,
            sidecars: &sidecars,
            local_hosts: &local_hosts,
        };
        names::ecs_name(service, "ECS cluster", &environment.cluster())?;
        let mut task = task_definition(&ctx, name, service, &mut plan)?;
        if x.release {
            plan.release = Some(Release {
                service: name.clone(),
                family: task.family.clone(),
                cluster: environment.cluster(),
                network_configuration: network.clone(),
            });
        } else if let Some(expression) = &x.schedule {
            plan.jobs.push(super::schedule::Job::new(
                environment,
                &inputs.account_id,
                name,
                &task.family,
                expression,
            ));
        } else {
            names::ecs_name(service, "ECS service name", &environment.service_name(name))?;
            let mut ecs = ecs_service(settings, environment, name, service, &task, &network)?;
            if let Some(namespace) = &environment.service_connect_namespace {
                service_connect::name_ports(&mut task.request, name);
                ecs.request["serviceConnectConfiguration"] =
                    service_connect::configuration(namespace, &task.request, name);
            }
            plan.services.push(ecs);
            let (scaling, warning) = super::scaling::scaling(environment, name, x.scale.as_ref());
            plan.scaling.extend(scaling);
            plan.warnings.extend(warning);
        }
        plan.task_definitions.push(task);
    }
    check_settings_references(environment, &xs, &mut plan);
    check_no_secret_values(project, &plan)?;
    Ok(plan)
}

/// A secret's value interpolated into a plain field (a command, a label, a
/// plain variable) would sit in the task definition for anyone with
/// `ecs:DescribeTaskDefinition` to read, and in the plan's output: refused,
/// naming the variable, at the compose field that carries it when it is a
/// container's.
fn check_no_secret_values(project: &Project, plan: &Plan) -> Result<()> {
    let text = plan.to_json().to_string();
    let notes = plan.notes.join("\n") + &plan.warnings.join("\n");
    let Some(variable) = crate::redact::find(&text).or_else(|| crate::redact::find(&notes)) else {
        return Ok(());
    };
    let message = format!(
        "the plan would carry the value of secret {variable} in plain text (it is interpolated into a field that is not a secret)"
    );
    let mut containers = plan
        .task_definitions
        .iter()
        .filter_map(|t| t.request["containerDefinitions"].as_array())
        .flatten();
    let carrier = containers.find_map(|container| {
        let service = project.services.get(container["name"].as_str()?)?;
        Some((service, leaking_field(container)?))
    });
    let error = match carrier {
        Some((service, path)) => service.error_at(&path, message),
        None => Error::input(message),
    };
    Err(error
        .with_help(format!(
            "read {variable} as a variable in the container instead of interpolating `${{{variable}}}` into the compose file"
        )))
}

/// The compose field (a spans path) of the first part of a container
/// definition that holds a secret's value, if one does.
fn leaking_field(container: &Value) -> Option<String> {
    let holds = |value: &Value| crate::redact::find(&value.to_string()).is_some();
    if let Some(variable) = container["environment"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| holds(&v["value"]))
    {
        return Some(format!("environment.{}", variable["name"].as_str()?));
    }
    const FIELDS: &[(&str, &str)] = &[
        ("command", "command"),
        ("entryPoint", "entrypoint"),
        ("dockerLabels", "labels"),
        ("healthCheck", "healthcheck"),
        ("user", "user"),
        ("workingDirectory", "working_dir"),
        ("image", "image"),
    ];
    let Some((key, path)) = FIELDS.iter().find(|(key, _)| holds(&container[*key])) else {
        return holds(container).then(String::new);
    };
    // The item of a list (`command.2`) or the key of a map (`labels.TEAM`).
    let part = match &container[*key] {
        Value::Array(items) => items.iter().position(holds).map(|i| i.to_string()),
        Value::Object(map) => map.iter().find(|(_, v)| holds(v)).map(|(k, _)| k.clone()),
        _ => None,
    };
    Some(part.map_or_else(|| (*path).to_owned(), |part| format!("{path}.{part}")))
}

/// One note per image that several services share, naming them and where it goes.
fn shared_build_notes(
    builds: &[ImageBuild],
    environment: &Environment,
    inputs: &PlanInputs,
    plan: &mut Plan,
) {
    for build in builds.iter().filter(|b| b.services.len() > 1) {
        let services: Vec<String> = build.services.iter().map(|s| format!("`{s}`")).collect();
        plan.notes.push(format!(
            "services {} share one image, built once from {} and pushed to {}/{}",
            services.join(", "),
            build.source,
            environment.registry(&inputs.account_id),
            build.repository
        ));
    }
}

/// What every task definition's construction reads.
struct Context<'a> {
    project: &'a Project,
    xs: &'a XParityMap,
    environment: &'a Environment,
    app: &'a str,
    inputs: &'a PlanInputs,
    execution_role: &'a str,
    /// The distinct image builds, and the repository each is pushed to.
    builds: &'a [ImageBuild],
    /// Variables rewritten for managed services.
    wired: &'a super::backing::WiredMap,
    /// The cloud sidecars of each host ([`super::sidecars::by_host`]).
    sidecars: &'a HashMap<&'a str, Vec<&'a str>>,
    /// Local-only services by host name ([`super::local_hosts::LocalHosts`]).
    local_hosts: &'a super::local_hosts::LocalHosts<'a>,
}

impl Context<'_> {
    fn image(&self, name: &str, service: &Service) -> Result<String> {
        if let Some(image) = self.inputs.images.get(name) {
            return Ok(image.reference.clone());
        }
        if let Some(build) = build_of(self.builds, name) {
            return Ok(format!(
                "{}/{}",
                self.environment.registry(&self.inputs.account_id),
                build.repository
            ));
        }
        service.image.clone().ok_or_else(|| {
            service.error_at(
                "",
                format!("service `{name}` has neither `image` nor `build`"),
            )
        })
    }

    /// `X86_64` or `ARM64`: the deployed image's, else compose `platform`, else parity.toml's.
    fn architecture(&self, name: &str, service: &Service) -> Result<String> {
        let known = self
            .inputs
            .images
            .get(name)
            .and_then(|i| i.architecture.clone());
        let from_platform = service
            .platform
            .as_deref()
            .map(|p| p.split('/').nth(1).unwrap_or(p).to_owned());
        let Some(arch) = known.or(from_platform) else {
            return Ok(self.environment.architecture().to_owned());
        };
        match arch.as_str() {
            "amd64" | "x86_64" | "X86_64" => Ok("X86_64".into()),
            "arm64" | "aarch64" | "ARM64" => Ok("ARM64".into()),
            other => Err(service.error_at("platform", format!(
                "service `{name}`: platform architecture `{other}`: Fargate runs linux/amd64 or linux/arm64"
            ))),
        }
    }
}

/// The task definition of `name` and its sidecars.
fn task_definition(
    ctx: &Context<'_>,
    name: &str,
    service: &Service,
    plan: &mut Plan,
) -> Result<TaskDefinition> {
    let family = ctx.environment.family(name);
    names::ecs_name(service, "task definition family", &family)?;
    let mut members: Vec<(&str, &Service, &XParity)> = vec![(name, service, &ctx.xs[name])];
    for &other in ctx.sidecars.get(name).into_iter().flatten() {
        members.push((other, &ctx.project.services[other], &ctx.xs[other]));
    }
    if members.len() > MAX_CONTAINERS {
        let names: Vec<&str> = members.iter().map(|(m, _, _)| *m).collect();
        return Err(service.error_at("", format!(
            "service `{name}`: its task would hold {} containers ({}); ECS allows at most {MAX_CONTAINERS} in one task definition",
            members.len(),
            names.join(", ")
        ))
        .with_help("make some of the sidecars services of their own"));
    }
    let mut containers: Vec<Container> = Vec::new();
    let mut cpu_need = 0_u64;
    let mut memory_need = 0_u64;
    for (index, (member, member_service, x)) in members.iter().enumerate() {
        let mut named = (*member_service).clone();
        (*member).clone_into(&mut named.name);
        names::ecs_name(member_service, "container name", member)?;
        if let (None, Some(image)) = (&member_service.build, &member_service.image) {
            names::image(member_service, image)?;
        }
        let image_input = ctx.inputs.images.get(*member);
        let container = container::translate(&container::Input {
            service: &named,
            x,
            environment: ctx.environment,
            account_id: &ctx.inputs.account_id,
            app: ctx.app,
            image: ctx.image(member, member_service)?,
            essential: index == 0 || x.essential,
            image_has_healthcheck: image_input.is_some_and(|i| i.has_healthcheck),
            wired: ctx.wired,
        })?;
        cpu_need += container.asks.task_cpu();
        memory_need += container.asks.task_memory();
        plan.notes.extend(container.notes.iter().cloned());
        plan.warnings.extend(container.warnings.iter().cloned());
        local_references(ctx, member, &container, plan);
        containers.push(container);
    }
    // Ports are shared by every container of an awsvpc task.
    let mut seen_ports: IndexMap<&(u16, String), &str> = IndexMap::new();
    for (container, (member, member_service, _)) in containers.iter().zip(&members) {
        for port in &container.ports {
            if let Some(first) = seen_ports.insert(port, member) {
                let at = member_service
                    .ports
                    .iter()
                    .position(|p| (p.target, &p.protocol) == (port.0, &port.1))
                    .map_or_else(|| "ports".to_owned(), |index| format!("ports.{index}"));
                return Err(member_service.error_at(&at, format!(
                    "service `{member}`: ports: container port {}/{} is also used by `{first}`; containers of one awsvpc task share the network",
                    port.0, port.1
                )));
            }
        }
    }
    shared_sysctls(name, &containers, plan);
    let depends = depends_on(&members, &containers, ctx, plan)?;
    let size = fargate::smallest(cpu_need, memory_need).map_err(|too| {
        let what = match too {
            fargate::TooLarge::Cpu => format!(
                "deploy.resources asks for {} vCPU in total; Fargate offers at most 16 vCPU",
                resources::format_vcpu(cpu_need)
            ),
            fargate::TooLarge::Memory => format!(
                "deploy.resources asks for {} of memory in total; Fargate offers at most 120 GiB",
                resources::format_mib(memory_need)
            ),
        };
        service.error_at("deploy.resources", format!("service `{name}`: {what}"))
    })?;
    let architecture = ctx.architecture(name, service)?;
    let mut definitions = Vec::new();
    for (container, depends) in containers.into_iter().zip(depends) {
        let mut definition = container.definition;
        if !depends.is_empty() {
            definition = insert_before(
                definition,
                "dependsOn",
                Value::Array(depends),
                &[
                    "startTimeout",
                    "stopTimeout",
                    "user",
                    "workingDirectory",
                    "readonlyRootFilesystem",
                    "interactive",
                    "pseudoTerminal",
                    "dockerLabels",
                    "ulimits",
                    "logConfiguration",
                ],
            );
        }
        definitions.push(Value::Object(definition));
    }
    let mut request = Map::new();
    request.insert("family".into(), json!(family));
    if let Some(role) = &ctx.environment.task_role_arn {
        request.insert("taskRoleArn".into(), json!(role));
    }
    request.insert("executionRoleArn".into(), json!(ctx.execution_role));
    request.insert("networkMode".into(), json!("awsvpc"));
    let volumes: Vec<Value> = definitions
        .iter()
        .filter_map(|d| d["mountPoints"].as_array())
        .flatten()
        .map(|m| json!({"name": m["sourceVolume"]}))
        .collect();
    request.insert("containerDefinitions".into(), Value::Array(definitions));
    if !volumes.is_empty() {
        request.insert("volumes".into(), Value::Array(volumes));
    }
    request.insert("requiresCompatibilities".into(), json!(["FARGATE"]));
    request.insert("cpu".into(), json!(size.cpu.to_string()));
    request.insert("memory".into(), json!(size.memory_mib.to_string()));
    let mut tags = vec![
        json!({"key": tags::APP, "value": ctx.app}),
        json!({"key": tags::ENVIRONMENT, "value": ctx.environment.name()}),
        json!({"key": tags::SERVICE, "value": name}),
        json!({"key": tags::COMPOSE_HASH, "value": ctx.inputs.compose_hash}),
    ];
    if let Some(commit) = &ctx.inputs.git_commit {
        tags.push(json!({"key": tags::COMMIT, "value": commit}));
    }
    request.insert("tags".into(), Value::Array(tags));
    request.insert(
        "runtimePlatform".into(),
        json!({"cpuArchitecture": architecture, "operatingSystemFamily": "LINUX"}),
    );
    let request = Value::Object(request);
    let size = request.to_string().len();
    if size > MAX_TASK_DEFINITION_BYTES {
        return Err(service.error_at("", format!(
            "service `{name}`: its task definition would be {size} bytes; ECS accepts at most {MAX_TASK_DEFINITION_BYTES}"
        ))
        .with_help("move long values out of `environment`, `command` and `labels` (into the image, or SSM via x-parity.secrets)"));
    }
    Ok(TaskDefinition {
        service: name.to_owned(),
        family,
        request,
    })
}

/// In awsvpc a task's containers share one network namespace, so ECS applies
/// whichever container's `systemControls` it starts last: two values for one
/// parameter is a likely mistake (locally each container had its own).
fn shared_sysctls(task: &str, containers: &[Container], plan: &mut Plan) {
    let mut seen: IndexMap<String, (String, String)> = IndexMap::new();
    for container in containers {
        let Some(controls) = container
            .definition
            .get("systemControls")
            .and_then(Value::as_array)
        else {
            continue;
        };
        let owner = container.definition["name"].as_str().unwrap_or_default();
        for control in controls {
            let key = control["namespace"].as_str().unwrap_or_default().to_owned();
            let value = control["value"].as_str().unwrap_or_default().to_owned();
            match seen.get(&key) {
                Some((first, other)) if *other != value => plan.warnings.push(format!(
                    "service `{task}`: sysctls: `{first}` sets {key}={other} and `{owner}` sets {key}={value}; the containers of one task share the network namespace, so only one value holds"
                )),
                Some(_) => {}
                None => {
                    seen.insert(key, (owner.to_owned(), value));
                }
            }
        }
    }
}

/// Rebuilds `map` with `key` placed before the first of `before` present.
fn insert_before(
    map: Map<String, Value>,
    key: &str,
    value: Value,
    before: &[&str],
) -> Map<String, Value> {
    let mut out = Map::new();
    let mut pending = Some(value);
    for (k, v) in map {
        if pending.is_some() && before.contains(&k.as_str()) {
            out.insert(key.to_owned(), pending.take().unwrap_or(Value::Null));
        }
        out.insert(k, v);
    }
    if let Some(value) = pending {
        out.insert(key.to_owned(), value);
    }
    out
}

/// `depends_on` within the task -> container `dependsOn`; outside it -> notes.
fn depends_on(
    members: &[(&str, &Service, &XParity)],
    containers: &[Container],
    ctx: &Context<'_>,
    plan: &mut Plan,
) -> Result<Vec<Vec<Value>>> {
    let mut all = Vec::new();
    for (index, (member, service, _)) in members.iter().enumerate() {
        let mut depends = Vec::new();
        // Sorted by name, so the output does not depend on how the file ordered them.
        let mut sorted: Vec<_> = service.depends_on.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        for (target, dependency) in sorted {
            if let Some(target_index) = members.iter().position(|(m, _, _)| m == target) {
                let condition = match dependency.condition {
                    Condition::Started => "START",
                    Condition::Healthy => {
                        if !containers[target_index].has_health_check {
                            return Err(service.error_at(&format!("depends_on.{target}"), format!(
                                "service `{member}`: depends_on.{target}: condition service_healthy needs a healthcheck on `{target}` in the cloud, and it has none"
                            )));
                        }
                        "HEALTHY"
                    }
                    Condition::CompletedSuccessfully => {
                        // ECS refuses SUCCESS on any essential container.
                        if target_index == 0 || members[target_index].2.essential {
                            return Err(service.error_at(&format!("depends_on.{target}"), format!(
                                "service `{member}`: depends_on.{target}: service_completed_successfully cannot wait for the task's essential container `{target}`"
                            )));
                        }
                        "SUCCESS"
                    }
                };
                depends.push(json!({"containerName": target, "condition": condition}));
                continue;
            }
            let Some(target_x) = ctx.xs.get(target) else {
                continue;
            };
            let note = if target_x.placement.is_managed() {
                format!(
                    "service `{member}`: depends_on.{target}: `{target}` is replaced by a managed service, which the environment stack keeps running"
                )
            } else if !target_x.cloud {
                format!(
                    "service `{member}`: depends_on.{target}: `{target}` is local only; in the cloud its managed replacement must be running"
                )
            } else if target_x.release {
                format!(
                    "service `{member}`: depends_on.{target}: satisfied by the release phase, which completes before the rollout"
                )
            } else {
                format!(
                    "service `{member}`: depends_on.{target}: separate ECS services start independently; ECS does not order them"
                )
            };
            plan.notes.push(note);
        }
        let _ = index;
        all.push(depends);
    }
    Ok(all)
}

/// Values of a cloud container that name a local-only service's host.
fn local_references(ctx: &Context<'_>, member: &str, container: &Container, plan: &mut Plan) {
    for (local, variable) in ctx.local_hosts.referenced_by(&container.compose_values) {
        plan.warnings.push(format!(
            "service `{member}`: variable {variable} points at `{local}`, which is local only (cloud: false); set its cloud value in parity.toml or x-parity.secrets"
        ));
    }
}

/// The environment's awsvpc `networkConfiguration` (services, release and one-off tasks).
pub(crate) fn network_configuration(environment: &Environment) -> Value {
    json!({
        "awsvpcConfiguration": {
            "subnets": environment.subnets,
            "securityGroups": environment.security_groups,
            "assignPublicIp": if environment.assign_public_ip { "ENABLED" } else { "DISABLED" },
        }
    })
}

/// The CreateService-shaped description of one ECS service.
fn ecs_service(
    settings: &Settings,
    environment: &Environment,
    name: &str,
    service: &Service,
    task: &TaskDefinition,
    network: &Value,
) -> Result<EcsService> {
    let desired = environment
        .desired_count(name)
        .map(u64::from)
        .or_else(|| service.deploy.as_ref().and_then(|d| d.replicas))
        .or_else(|| service.other.get("scale").and_then(resources::whole_number))
        .unwrap_or(1);
    let desired = match &service.x_parity.scale {
        Some(scale) => super::scaling::clamp_desired(desired, scale),
        None => desired,
    };
    let mut request = Map::new();
    request.insert("cluster".into(), json!(environment.cluster()));
    request.insert("serviceName".into(), json!(environment.service_name(name)));
    request.insert("taskDefinition".into(), json!(task.family));
    if let Some(lb) = environment.load_balancer(name) {
        let container = lb.container_name.clone().unwrap_or_else(|| name.to_owned());
        let port = *lb.container_port.get_ref();
        let containers = task.request["containerDefinitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let Some(definition) = containers.iter().find(|c| c["name"] == json!(container)) else {
            return Err(Error::input(format!(
                "environment `{}`: services.{name}.load_balancer.container_name: no container `{container}` in the task of `{name}`",
                environment.name()
            ))
            .at(settings.location(lb.container_port.span())));
        };
        let has_port = definition["portMappings"]
            .as_array()
            .is_some_and(|ports| ports.iter().any(|p| p["containerPort"] == json!(port)));
        if !has_port {
            return Err(Error::input(format!(
                "environment `{}`: services.{name}.load_balancer.container_port: `{container}` does not expose port {port} (add it to the service's compose `ports`)",
                environment.name()
            ))
            .at(settings.location(lb.container_port.span())));
        }
        request.insert(
            "loadBalancers".into(),
            json!([{"targetGroupArn": lb.target_group_arn, "containerName": container, "containerPort": port}]),
        );
    }
    request.insert("desiredCount".into(), json!(desired));
    request.insert("launchType".into(), json!("FARGATE"));
    let knobs = environment.deploy();
    request.insert(
        "deploymentConfiguration".into(),
        json!({
            "deploymentCircuitBreaker": {"enable": knobs.circuit_breaker(), "rollback": knobs.circuit_breaker()},
            "maximumPercent": knobs.maximum_percent(),
            "minimumHealthyPercent": knobs.minimum_healthy_percent(),
        }),
    );
    request.insert("networkConfiguration".into(), network.clone());
    if let Some(grace) = environment
        .load_balancer(name)
        .and_then(|lb| lb.grace_period)
    {
        request.insert("healthCheckGracePeriodSeconds".into(), json!(grace.get()));
    }
    request.insert("propagateTags".into(), json!("TASK_DEFINITION"));
    if super::exec::enabled(environment, service) {
        request.insert("enableExecuteCommand".into(), json!(true));
    }
    Ok(EcsService {
        service: name.to_owned(),
        request: Value::Object(request),
    })
}

/// parity.toml settings that point at services with no ECS service.
fn check_settings_references(environment: &Environment, xs: &XParityMap, plan: &mut Plan) {
    for service in environment.services.keys() {
        let service = service.get_ref();
        let message = match xs.get(service) {
            None => format!("no compose service `{service}`"),
            Some(x) if !x.cloud => format!("`{service}` is local only (cloud: false)"),
            Some(x) if x.release => format!(
                "`{service}` is the release phase, which runs as a one-off task, not an ECS service"
            ),
            Some(x) if x.is_job() => format!(
                "`{service}` is a job (x-parity.schedule), which runs as a scheduled task, not an ECS service"
            ),
            Some(x) if x.sidecar_of.is_some() => {
                format!("`{service}` is a sidecar in another service's task")
            }
            Some(_) => continue,
        };
        plan.warnings.push(format!(
            "parity.toml: [environments.{}.services.{service}]: {message}; these settings are not used",
            environment.name()
        ));
    }
}
