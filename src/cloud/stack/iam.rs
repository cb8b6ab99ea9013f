//! What the execution role may touch: exactly the environment's repositories,
//! its log group, its SSM parameters (and its KMS key when one is set), with
//! the Secrets Manager store its secrets `<app>/<env>/*`, and exactly the
//! secrets the cloud services reference (`x-parity.secrets` references). ARNs
//! are `Fn::Sub` strings over `AWS::Partition`, `AWS::Region` and
//! `AWS::AccountId`, so the template needs no account id typed by hand.
//! And whether the task role may open ECS Exec sessions ([`task_exec`]).

use serde::Serialize;

use std::collections::BTreeSet;

use super::repositories::Repository;
use crate::compose::model::Project;
use crate::compose::x_parity::SecretRef;
use crate::settings::{Environment, SecretsStore};

/// The execution role's resources, each a `Fn::Sub` string (or a literal ARN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ExecutionPolicy {
    /// `arn:…:ecr:…:repository/<app>/<name>` of each repository.
    pub(crate) repository_arns: Vec<String>,
    /// `arn:…:logs:…:log-group:<name>:*` (the group and its streams).
    pub(crate) log_group_arn: String,
    /// `arn:…:ssm:…:parameter/<app>/<env>/*`.
    pub(crate) parameters_arn: String,
    /// `kms:Decrypt` on the environment's key, when parity.toml names one.
    pub(crate) kms: Option<KmsGrant>,
    /// `arn:…:secretsmanager:…:secret:<app>/<env>/*` with the Secrets Manager store.
    pub(crate) own_secrets_arn: Option<String>,
    /// Referenced Secrets Manager secrets (each exactly, `NAME-??????`), sorted.
    pub(crate) referenced_secret_arns: Vec<String>,
    /// Referenced SSM parameters outside the environment's prefix, sorted.
    pub(crate) referenced_parameter_arns: Vec<String>,
}

/// `kms:Decrypt`, only through SSM, on one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct KmsGrant {
    /// The key's ARN, or every key of the account when the key is named by alias
    /// (then `alias` narrows it through the `kms:ResourceAliases` condition).
    pub(crate) resource: String,
    pub(crate) alias: Option<String>,
    /// The services the key may decrypt through (`kms:ViaService`): `ssm`, and
    /// `secretsmanager` when secrets are read from there (the Secrets Manager
    /// store writes under the same key; an RDS master password parity's
    /// backing services made is kept under it too).
    pub(crate) via: Vec<&'static str>,
}

const ARN: &str = "arn:${AWS::Partition}";
const REGION_ACCOUNT: &str = "${AWS::Region}:${AWS::AccountId}";

impl ExecutionPolicy {
    /// `references`: every reference a cloud service's `x-parity.secrets` makes.
    pub(crate) fn of<'r>(
        environment: &Environment,
        repositories: &[Repository],
        references: impl Iterator<Item = &'r SecretRef>,
    ) -> Self {
        let mut referenced_secret_arns = BTreeSet::new();
        let mut referenced_parameter_arns = BTreeSet::new();
        for reference in references {
            match reference.store() {
                SecretsStore::Secretsmanager => {
                    referenced_secret_arns.insert(reference.iam_resource());
                }
                SecretsStore::Ssm => {
                    referenced_parameter_arns.insert(reference.iam_resource());
                }
            }
        }
        let through_secrets_manager = environment.secrets_store() == SecretsStore::Secretsmanager
            || !referenced_secret_arns.is_empty();
        Self {
            kms: environment.kms_key_id().map(|key| {
                let mut grant = kms_grant(key);
                if through_secrets_manager {
                    grant.via.push("secretsmanager");
                }
                grant
            }),
            own_secrets_arn: (environment.secrets_store() == SecretsStore::Secretsmanager).then(
                || {
                    format!(
                        "{ARN}:secretsmanager:{REGION_ACCOUNT}:secret:{}*",
                        environment.secrets_manager_prefix()
                    )
                },
            ),
            referenced_secret_arns: referenced_secret_arns.into_iter().collect(),
            referenced_parameter_arns: referenced_parameter_arns.into_iter().collect(),
            repository_arns: repositories
                .iter()
                .map(|r| format!("{ARN}:ecr:{REGION_ACCOUNT}:repository/{}", r.name))
                .collect(),
            log_group_arn: format!(
                "{ARN}:logs:{REGION_ACCOUNT}:log-group:{}:*",
                environment.log_group()
            ),
            parameters_arn: format!(
                "{ARN}:ssm:{REGION_ACCOUNT}:parameter/{}*",
                environment.ssm_prefix().trim_start_matches('/')
            ),
        }
    }
}

/// A key given as ARN, alias ARN, `alias/name` or key id.
fn kms_grant(key: &str) -> KmsGrant {
    let any_key = || format!("{ARN}:kms:{REGION_ACCOUNT}:key/*");
    if let Some(alias) = key.find(":alias/").map(|i| &key[i + 1..]) {
        return KmsGrant {
            resource: any_key(),
            alias: Some(alias.to_owned()),
            via: vec!["ssm"],
        };
    }
    if key.starts_with("alias/") {
        return KmsGrant {
            resource: any_key(),
            alias: Some(key.to_owned()),
            via: vec!["ssm"],
        };
    }
    if key.starts_with("arn:") {
        return KmsGrant {
            resource: key.to_owned(),
            alias: None,
            via: vec!["ssm"],
        };
    }
    KmsGrant {
        resource: format!("{ARN}:kms:{REGION_ACCOUNT}:key/{key}"),
        alias: None,
        via: vec!["ssm"],
    }
}

/// Whether the task role gets the `ssmmessages` channels ECS Exec sessions run
/// over: when a cloud service of the environment has ECS Exec on
/// (`crate::cloud::exec::enabled`), or a compose service is replaced by a
/// managed one (`parity db` opens its client in a task with this role
/// through ECS Exec). Without either the role keeps no permissions. The
/// channels alone open nothing: a session also needs a task started with
/// ECS Exec on and a caller allowed `ecs:ExecuteCommand`.
pub(crate) fn task_exec(project: &Project, environment: &Environment) -> bool {
    project.services.values().any(|s| {
        (s.x_parity.cloud && crate::cloud::exec::enabled(environment, s))
            || s.x_parity.placement.is_managed()
    })
}

/// What the scheduler's role may do: run exactly the jobs' task definitions
/// (any revision of their families) in the environment's cluster, tag the tasks
/// it starts, and pass exactly the execution and task roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SchedulerPolicy {
    /// `arn:…:ecs:…:task-definition/<family>:*` of each job.
    pub(crate) task_definition_arns: Vec<String>,
    /// `arn:…:ecs:…:task/<cluster>/*`: the tasks it starts (tags propagate).
    pub(crate) task_arns: String,
}

impl SchedulerPolicy {
    /// `None` when the project has no job (`x-parity.schedule`): no role then.
    pub(crate) fn of(environment: &Environment, jobs: &[String]) -> Option<Self> {
        if jobs.is_empty() {
            return None;
        }
        Some(Self {
            task_definition_arns: jobs
                .iter()
                .map(|job| {
                    format!(
                        "{ARN}:ecs:{REGION_ACCOUNT}:task-definition/{}:*",
                        environment.family(job)
                    )
                })
                .collect(),
            task_arns: format!(
                "{ARN}:ecs:{REGION_ACCOUNT}:task/{}/*",
                environment.cluster()
            ),
        })
    }
}
