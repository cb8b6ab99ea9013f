//! The environment stack's data: everything the CloudFormation template needs,
//! computed from the compose project and one environment of parity.toml. The
//! template only lays it out; every decision (which services are public, which
//! builds share a repository, which ARNs the roles may touch) is made here,
//! where a unit test can see it.

use serde::Serialize;

use super::iam::{ExecutionPolicy, SchedulerPolicy};
use super::load_balancer::LoadBalancer;
use super::network::NetworkData;
use super::repositories::Repository;
use crate::cloud::backing::{Backing, backing_services};
use crate::cloud::tags;
use crate::compose::model::Project;
use crate::error::Result;
use crate::settings::Settings;

/// One environment's stack, ready to render.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct StackData {
    pub(crate) app: String,
    pub(crate) environment: String,
    /// `parity-<app>-<env>`: the CloudFormation stack's name.
    pub(crate) stack_name: String,
    pub(crate) description: String,
    /// `parity:app` and `parity:environment`, on the stack and every taggable resource.
    pub(crate) tags: Vec<Tag>,
    pub(crate) network: NetworkData,
    pub(crate) cluster_name: String,
    pub(crate) log_group: LogGroup,
    /// ECR repositories, one per distinct build.
    pub(crate) repositories: Vec<Repository>,
    /// The repositories' lifecycle policy (JSON text): untagged images expire.
    pub(crate) lifecycle_policy: String,
    pub(crate) execution_policy: ExecutionPolicy,
    /// The role EventBridge Scheduler runs the jobs with (none without a job).
    pub(crate) scheduler: Option<SchedulerPolicy>,
    /// Managed policy ARNs of the task role (empty: a role with no permissions).
    pub(crate) task_role_policies: Vec<String>,
    /// The task role may open ECS Exec sessions (`iam::task_exec`).
    pub(crate) task_exec: bool,
    /// The ALB, when a cloud service is public.
    pub(crate) load_balancer: Option<LoadBalancer>,
    /// The Cloud Map namespace Service Connect registers the services in.
    pub(crate) namespace: String,
    /// Environments that others promote from are not; those promoted to (prod) are protected.
    pub(crate) termination_protection: bool,
    /// Managed services replacing `cloud: rds|elasticache` compose services.
    pub(crate) backing: Vec<Backing>,
    pub(crate) database: DatabaseSize,
    pub(crate) cache_node_type: String,
}

/// The size and safety of every RDS instance of the environment (parity.toml `database`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DatabaseSize {
    pub(crate) instance_class: String,
    pub(crate) storage_gb: u32,
    pub(crate) multi_az: bool,
    pub(crate) backup_retention_days: u32,
    /// On environments promoted to (prod): deletion protection, and a final
    /// snapshot when CloudFormation deletes or replaces the instance.
    pub(crate) protected: bool,
}

/// A CloudFormation tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Tag {
    pub(crate) key: String,
    pub(crate) value: String,
}

/// The environment's log group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct LogGroup {
    pub(crate) name: String,
    pub(crate) retention_days: u32,
}

/// Untagged images expire two weeks after their push. Every deploy pushes a tag
/// and promote copies tagged images, so what a task definition references stays.
const LIFECYCLE_POLICY: &str = r#"{"rules":[{"rulePriority":1,"description":"Expire untagged images 14 days after push; tagged (deployed) images are kept","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}"#;

/// The stack name of an environment: `parity-<app>-<env>`.
pub(crate) fn stack_name(app: &str, environment: &str) -> String {
    format!("parity-{app}-{environment}")
}

/// Computes the stack's data for environment `env_name`.
pub(crate) fn stack_data(
    project: &Project,
    settings: &Settings,
    env_name: &str,
) -> Result<StackData> {
    let environment = settings.environment(env_name)?;
    let app = settings.app().to_owned();
    let network = NetworkData::of(environment);
    let repositories = super::repositories::repositories(project, settings, environment)?;
    let load_balancer = super::load_balancer::load_balancer(project, environment)?;
    let references = project
        .services
        .values()
        .filter(|s| s.x_parity.cloud)
        .flat_map(|s| s.x_parity.secrets.references().map(|(_, r)| r));
    let execution_policy = ExecutionPolicy::of(environment, &repositories, references);
    let jobs: Vec<String> = project
        .services
        .iter()
        .filter(|(_, s)| s.x_parity.cloud && s.x_parity.is_job())
        .map(|(name, _)| name.clone())
        .collect();
    let scheduler = SchedulerPolicy::of(environment, &jobs);
    let backing = backing_services(project, environment)?;
    // A variable naming a managed service in a form parity cannot rewrite is
    // refused here too, so `env apply` stops before anything is created.
    crate::cloud::backing::wiring::wiring(project, environment, &backing)?;
    let protected = environment.promotes_from().is_some();
    Ok(StackData {
        stack_name: stack_name(&app, env_name),
        description: format!(
            "parity environment `{env_name}` of app `{app}`: network, cluster, logs, registry, roles{}{}",
            if load_balancer.is_some() {
                ", load balancer"
            } else {
                ""
            },
            if backing.is_empty() {
                ""
            } else {
                ", backing services"
            }
        ),
        tags: vec![
            Tag {
                key: tags::APP.to_owned(),
                value: app.clone(),
            },
            Tag {
                key: tags::ENVIRONMENT.to_owned(),
                value: env_name.to_owned(),
            },
        ],
        network,
        cluster_name: environment.cluster(),
        log_group: LogGroup {
            name: environment.log_group(),
            retention_days: environment.log_retention_days(),
        },
        repositories,
        lifecycle_policy: LIFECYCLE_POLICY.to_owned(),
        execution_policy,
        scheduler,
        task_role_policies: environment
            .task_role_policies()
            .map(str::to_owned)
            .collect(),
        task_exec: super::iam::task_exec(project, environment),
        load_balancer,
        namespace: format!("{app}-{env_name}"),
        termination_protection: protected,
        backing,
        database: DatabaseSize {
            instance_class: environment.database.instance_class().to_owned(),
            storage_gb: environment.database.storage_gb(),
            multi_az: environment.database.multi_az,
            backup_retention_days: environment.database.backup_retention_days(),
            protected,
        },
        cache_node_type: environment.cache.node_type().to_owned(),
        app,
        environment: env_name.to_owned(),
    })
}
