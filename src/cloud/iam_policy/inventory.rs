//! parity's AWS API-call inventory: for each command, the IAM actions it
//! needs and what each is scoped to. `parity iam` builds its policy from this
//! table and nothing else, and two tests keep the table honest: a unit test
//! scans `src/aws` for every SDK operation parity calls (each must be here,
//! and each SDK entry here must still be called), and the integration test
//! (tests/it/iam.rs) runs the commands with `-v` (the per-operation call
//! count of `aws::calls`) and checks every operation it saw is in the
//! policy of the command that made it.
//!
//! An SDK operation's IAM action has the same name (`ecs:UpdateService`);
//! the others are marked by [`Via`]: the registry protocol's ECR actions
//! (`docker push` does not go through the SDK) and actions AWS checks as a
//! side effect of another call (`iam:PassRole` when a task definition names
//! roles, `ecs:TagResource` when a resource is created with tags).

use serde::Serialize;

/// A parity command that talks to AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub(crate) enum Command {
    SecretsSync,
    SecretsList,
    Deploy,
    Promote,
    Rollback,
    Status,
    Plan,
    Ps,
    Logs,
    Run,
    Exec,
    Db,
    EnvApply,
    EnvDestroy,
    Review,
}

impl Command {
    /// Every command, in the order the README lists them.
    pub(crate) const ALL: &'static [Command] = &[
        Command::SecretsSync,
        Command::SecretsList,
        Command::Deploy,
        Command::Promote,
        Command::Rollback,
        Command::Status,
        Command::Plan,
        Command::Ps,
        Command::Logs,
        Command::Run,
        Command::Exec,
        Command::Db,
        Command::EnvApply,
        Command::EnvDestroy,
        Command::Review,
    ];

    /// The command line that names it (`secrets sync`).
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::SecretsSync => "secrets sync",
            Self::SecretsList => "secrets list",
            Self::Deploy => "deploy",
            Self::Promote => "promote",
            Self::Rollback => "rollback",
            Self::Status => "status",
            Self::Plan => "plan",
            Self::Ps => "ps",
            Self::Logs => "logs",
            Self::Run => "run",
            Self::Exec => "exec",
            Self::Db => "db",
            Self::EnvApply => "env apply",
            Self::EnvDestroy => "env destroy",
            Self::Review => "review",
        }
    }

    /// `env apply` and `env destroy` create and delete what the stack holds
    /// (a VPC, IAM roles, a load balancer): an administrator's job, never
    /// the deployer's, so the deployer's policy leaves them out. `review`
    /// is left out too, for now: its load-balancer rules, target groups and
    /// task-definition families are not scoped yet (its actions are listed
    /// here on `*`, so the source scan still holds them to the code).
    pub(crate) fn is_admin(self) -> bool {
        matches!(self, Self::EnvApply | Self::EnvDestroy | Self::Review)
    }
}

/// What an action is allowed on. Each becomes one statement of the policy,
/// its ARNs computed from the names the rest of parity uses (`iam_policy::arns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub(crate) enum Scope {
    /// `"*"`: the action has no resource type (IAM checks nothing narrower).
    Anything,
    /// The environment's ECS cluster.
    Cluster,
    /// `"*"` on the condition `ecs:cluster` = the environment's cluster: listing
    /// tasks, which IAM scopes by container instance (Fargate has none).
    ClusterListing,
    /// The app's ECS services in the cluster (`<app>-*`, and any renamed in parity.toml).
    Services,
    /// The environment's task definition families (`<app>-<env>-*`), any revision.
    TaskDefinitions,
    /// Tasks in the environment's cluster.
    Tasks,
    /// The cluster and its tasks together: ECS Exec checks both.
    ExecSessions,
    /// Application Auto Scaling's scalable targets: their ARNs carry random ids,
    /// not the service's name, so any of the account's in the region.
    ScalableTargets,
    /// The environment's deploy lock parameter (`/parity-locks/<app>/<env>`).
    Lock,
    /// The SSM parameters under the environment's prefix.
    Parameters,
    /// The environment's Secrets Manager secrets (`<app>/<env>/*`) and the referenced ones.
    Secrets,
    /// The environment's log group.
    LogGroup,
    /// The log streams in the environment's log group.
    LogStreams,
    /// The environment's ECR repositories.
    Repositories,
    /// The cluster of the environment `promotes_from` names (promote reads it).
    SourceCluster,
    /// The services of that environment.
    SourceServices,
    /// The repositories of that environment (promote copies images out of them).
    SourceRepositories,
    /// The stack of that environment (promote completes it from its outputs).
    SourceStack,
    /// The environment's CloudFormation stack.
    Stack,
    /// The environment's EventBridge schedules (`parity-<app>-<env>-*`).
    Schedules,
    /// The execution role and the task role.
    TaskRoles,
    /// The role EventBridge Scheduler runs jobs with.
    SchedulerRole,
}

/// How parity comes to need the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum Via {
    /// An AWS SDK call of the same name (counted by `aws::calls`).
    Sdk,
    /// The registry (OCI distribution) protocol against ECR: push and pull.
    Registry,
    /// Checked by AWS as part of another call (PassRole, tag-on-create).
    Implied,
}

/// When an environment needs the action at all; the policy leaves out what
/// the project cannot use (no jobs: no scheduler actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub(crate) enum Needs {
    Always,
    /// Secrets in SSM Parameter Store (`secrets_store = "ssm"`, the default).
    SsmStore,
    /// Secrets in Secrets Manager: the store, or a reference into it.
    SecretsManager,
    /// A job (`x-parity.schedule`).
    Jobs,
    /// Auto scaling (`x-parity.scale`).
    Scaling,
    /// ECS Exec (`exec`, or a managed database `parity db` connects to).
    Exec,
    /// Images pushed to ECR (no `registry` of another host in parity.toml).
    Ecr,
    /// `promotes_from`.
    Promotion,
    /// `promotes_from`, with images in ECR: promote copies out of the source's repositories.
    PromotionEcr,
    /// A domain: the certificate and its DNS records.
    Domain,
}

/// One action one or more commands need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Entry {
    /// `service:Action`, as IAM and `-v`'s call count spell it.
    pub(crate) action: &'static str,
    pub(crate) scope: Scope,
    pub(crate) via: Via,
    pub(crate) needs: Needs,
    pub(crate) commands: &'static [Command],
}

use Command::{
    Db, Deploy, EnvApply, EnvDestroy, Exec, Logs, Plan, Promote, Ps, Review, Rollback, Run,
    SecretsList, SecretsSync, Status,
};
use Needs::{Always, Domain, Ecr, Jobs, Promotion, Scaling, SecretsManager, SsmStore};
use Scope::{
    Anything, Cluster, LogGroup, LogStreams, Parameters, Repositories, SchedulerRole, Secrets,
    Services, SourceCluster, SourceRepositories, SourceServices, Stack, TaskDefinitions, TaskRoles,
    Tasks,
};

/// Every command that connects to an environment.
const ONLINE: &[Command] = &[
    SecretsSync,
    SecretsList,
    Deploy,
    Promote,
    Rollback,
    Status,
    Plan,
    Ps,
    Logs,
    Run,
    Exec,
    Db,
    EnvApply,
    EnvDestroy,
];
/// Commands that complete an environment from its stack's outputs.
const READS_STACK: &[Command] = &[
    Deploy, Promote, Rollback, Status, Plan, Ps, Logs, Run, Exec, Db, EnvApply, EnvDestroy,
];
/// Commands that change the environment under its deploy lock.
const LOCKED: &[Command] = &[Deploy, Promote, Rollback, EnvApply, EnvDestroy];
/// Commands that roll out task definitions and services.
const SHIP: &[Command] = &[Deploy, Promote];
/// Commands that look at what the services run.
const OBSERVE: &[Command] = &[Deploy, Promote, Rollback, Status, Plan, Exec];

const fn sdk(action: &'static str, scope: Scope, commands: &'static [Command]) -> Entry {
    Entry {
        action,
        scope,
        via: Via::Sdk,
        needs: Always,
        commands,
    }
}

const fn when(mut entry: Entry, needs: Needs) -> Entry {
    entry.needs = needs;
    entry
}

const fn via(mut entry: Entry, via: Via) -> Entry {
    entry.via = via;
    entry
}

/// The inventory. Order is irrelevant: the policy sorts.
pub(crate) const INVENTORY: &[Entry] = &[
    // The account id, when parity.toml does not name it.
    sdk("sts:GetCallerIdentity", Anything, ONLINE),
    sdk("cloudformation:DescribeStacks", Stack, READS_STACK),
    // The deploy lock.
    sdk("ssm:PutParameter", Scope::Lock, LOCKED),
    sdk("ssm:GetParameter", Scope::Lock, LOCKED),
    sdk("ssm:DeleteParameter", Scope::Lock, LOCKED),
    // Secrets: SSM Parameter Store.
    when(
        sdk(
            "ssm:DescribeParameters",
            Anything,
            &[SecretsSync, SecretsList, Deploy, Promote, EnvApply],
        ),
        Always,
    ),
    when(
        sdk(
            "ssm:GetParametersByPath",
            Parameters,
            &[SecretsSync, SecretsList],
        ),
        SsmStore,
    ),
    when(
        sdk("ssm:PutParameter", Parameters, &[SecretsSync, EnvApply]),
        SsmStore,
    ),
    when(
        sdk(
            "ssm:AddTagsToResource",
            Parameters,
            &[SecretsSync, EnvApply],
        ),
        SsmStore,
    ),
    when(
        sdk("ssm:DeleteParameters", Parameters, &[SecretsSync]),
        SsmStore,
    ),
    when(
        sdk("ssm:GetParameter", Parameters, &[Db, EnvApply]),
        SsmStore,
    ),
    // Secrets: Secrets Manager.
    when(
        sdk(
            "secretsmanager:ListSecrets",
            Anything,
            &[SecretsSync, SecretsList],
        ),
        SecretsManager,
    ),
    when(
        sdk(
            "secretsmanager:DescribeSecret",
            Secrets,
            &[SecretsSync, SecretsList, Deploy, Promote, EnvApply],
        ),
        SecretsManager,
    ),
    when(
        sdk(
            "secretsmanager:GetSecretValue",
            Secrets,
            &[SecretsSync, Db, EnvApply],
        ),
        SecretsManager,
    ),
    when(
        sdk(
            "secretsmanager:CreateSecret",
            Secrets,
            &[SecretsSync, EnvApply],
        ),
        SecretsManager,
    ),
    when(
        sdk(
            "secretsmanager:PutSecretValue",
            Secrets,
            &[SecretsSync, EnvApply],
        ),
        SecretsManager,
    ),
    when(
        sdk(
            "secretsmanager:TagResource",
            Secrets,
            &[SecretsSync, EnvApply],
        ),
        SecretsManager,
    ),
    when(
        sdk("secretsmanager:RestoreSecret", Secrets, &[SecretsSync]),
        SecretsManager,
    ),
    when(
        sdk("secretsmanager:DeleteSecret", Secrets, &[SecretsSync]),
        SecretsManager,
    ),
    // ECS: the cluster, services, task definitions and tasks.
    sdk(
        "ecs:DescribeClusters",
        Cluster,
        &[Deploy, Promote, Rollback, Status, Ps],
    ),
    sdk("ecs:DescribeServices", Services, OBSERVE),
    sdk("ecs:CreateService", Services, SHIP),
    sdk("ecs:UpdateService", Services, &[Deploy, Promote, Rollback]),
    sdk(
        "ecs:RegisterTaskDefinition",
        TaskDefinitions,
        &[Deploy, Promote, Db],
    ),
    sdk(
        "ecs:DescribeTaskDefinition",
        Anything,
        &[Deploy, Promote, Rollback, Status, Plan, Run],
    ),
    sdk(
        "ecs:ListTaskDefinitions",
        Anything,
        &[Deploy, Promote, Rollback, Status, Plan],
    ),
    sdk("ecs:TagResource", TaskDefinitions, SHIP),
    // Created with tags: ECS checks TagResource on the new resource too.
    via(sdk("ecs:TagResource", Services, SHIP), Via::Implied),
    via(
        sdk("ecs:TagResource", Tasks, &[Deploy, Promote, Run, Db]),
        Via::Implied,
    ),
    sdk("ecs:RunTask", TaskDefinitions, &[Deploy, Promote, Run, Db]),
    sdk(
        "ecs:DescribeTasks",
        Tasks,
        &[Deploy, Promote, Status, Ps, Run, Exec, Db],
    ),
    sdk("ecs:StopTask", Tasks, &[Run, Db]),
    sdk("ecs:ListTasks", Scope::ClusterListing, &[Status, Ps, Exec]),
    when(
        sdk("ecs:ExecuteCommand", Scope::ExecSessions, &[Exec, Db]),
        Needs::Exec,
    ),
    // A task definition names the execution and task roles; ECS checks the
    // caller may pass them.
    via(
        sdk("iam:PassRole", TaskRoles, &[Deploy, Promote, Run, Db]),
        Via::Implied,
    ),
    // Logs.
    sdk("logs:CreateLogGroup", LogGroup, SHIP),
    sdk("logs:FilterLogEvents", LogGroup, &[Logs, Run]),
    sdk("logs:GetLogEvents", LogStreams, &[Deploy, Promote, Run]),
    // Images: ECR through the registry protocol.
    when(
        sdk("ecr:GetAuthorizationToken", Anything, &[Deploy, Promote]),
        Ecr,
    ),
    when(
        via(
            sdk("ecr:BatchCheckLayerAvailability", Repositories, SHIP),
            Via::Registry,
        ),
        Ecr,
    ),
    when(
        via(
            sdk("ecr:InitiateLayerUpload", Repositories, SHIP),
            Via::Registry,
        ),
        Ecr,
    ),
    when(
        via(
            sdk("ecr:UploadLayerPart", Repositories, SHIP),
            Via::Registry,
        ),
        Ecr,
    ),
    when(
        via(
            sdk("ecr:CompleteLayerUpload", Repositories, SHIP),
            Via::Registry,
        ),
        Ecr,
    ),
    when(
        via(sdk("ecr:PutImage", Repositories, SHIP), Via::Registry),
        Ecr,
    ),
    when(
        via(sdk("ecr:BatchGetImage", Repositories, SHIP), Via::Registry),
        Ecr,
    ),
    // Promote reads the source environment and copies its images.
    when(
        sdk(
            "cloudformation:DescribeStacks",
            Scope::SourceStack,
            &[Promote],
        ),
        Promotion,
    ),
    when(
        sdk("ecs:DescribeClusters", SourceCluster, &[Promote]),
        Promotion,
    ),
    when(
        sdk("ecs:DescribeServices", SourceServices, &[Promote]),
        Promotion,
    ),
    when(
        via(
            sdk("ecr:BatchGetImage", SourceRepositories, &[Promote]),
            Via::Registry,
        ),
        Needs::PromotionEcr,
    ),
    when(
        via(
            sdk("ecr:GetDownloadUrlForLayer", SourceRepositories, &[Promote]),
            Via::Registry,
        ),
        Needs::PromotionEcr,
    ),
    when(
        via(
            sdk(
                "ecr:BatchCheckLayerAvailability",
                SourceRepositories,
                &[Promote],
            ),
            Via::Registry,
        ),
        Needs::PromotionEcr,
    ),
    // Jobs: EventBridge Scheduler. Every deploy removes the schedules of jobs
    // the compose file no longer names, so listing, reading and deleting the
    // environment's schedules is needed with or without a job today.
    sdk("scheduler:ListSchedules", Anything, SHIP),
    sdk("scheduler:GetSchedule", Scope::Schedules, SHIP),
    sdk("scheduler:DeleteSchedule", Scope::Schedules, SHIP),
    when(
        sdk(
            "scheduler:GetSchedule",
            Scope::Schedules,
            &[Deploy, Promote, Rollback, Status],
        ),
        Jobs,
    ),
    when(
        sdk("scheduler:CreateSchedule", Scope::Schedules, SHIP),
        Jobs,
    ),
    when(
        sdk(
            "scheduler:UpdateSchedule",
            Scope::Schedules,
            &[Deploy, Promote, Rollback],
        ),
        Jobs,
    ),
    when(
        via(
            sdk("iam:PassRole", SchedulerRole, &[Deploy, Promote, Rollback]),
            Via::Implied,
        ),
        Jobs,
    ),
    // Auto scaling: scalable targets are named by random ids in their ARNs.
    // Every deploy removes the policies of metrics `x-parity.scale` no longer
    // names (and the target with the last), so those calls are always needed.
    sdk(
        "application-autoscaling:DescribeScalingPolicies",
        Anything,
        SHIP,
    ),
    sdk(
        "application-autoscaling:DeleteScalingPolicy",
        Scope::ScalableTargets,
        SHIP,
    ),
    sdk(
        "application-autoscaling:DeregisterScalableTarget",
        Scope::ScalableTargets,
        SHIP,
    ),
    when(
        sdk(
            "application-autoscaling:RegisterScalableTarget",
            Scope::ScalableTargets,
            SHIP,
        ),
        Scaling,
    ),
    when(
        sdk(
            "application-autoscaling:PutScalingPolicy",
            Scope::ScalableTargets,
            SHIP,
        ),
        Scaling,
    ),
    when(
        sdk(
            "application-autoscaling:DescribeScalableTargets",
            Anything,
            &[Deploy, Promote, Status],
        ),
        Scaling,
    ),
    // Review apps (not in the deployer's policy yet: see `Command::is_admin`).
    sdk("ecs:ListTaskDefinitionFamilies", Anything, &[Review]),
    sdk("ecs:DeregisterTaskDefinition", Anything, &[Review]),
    sdk("ecs:DeleteTaskDefinitions", Anything, &[Review]),
    sdk("elasticloadbalancing:AddTags", Anything, &[Review]),
    sdk("elasticloadbalancing:CreateRule", Anything, &[Review]),
    sdk(
        "elasticloadbalancing:CreateTargetGroup",
        Anything,
        &[Review],
    ),
    sdk("elasticloadbalancing:DeleteRule", Anything, &[Review]),
    sdk(
        "elasticloadbalancing:DeleteTargetGroup",
        Anything,
        &[Review],
    ),
    sdk(
        "elasticloadbalancing:DescribeListeners",
        Anything,
        &[Review],
    ),
    sdk("elasticloadbalancing:DescribeRules", Anything, &[Review]),
    sdk("elasticloadbalancing:DescribeTags", Anything, &[Review]),
    sdk(
        "elasticloadbalancing:DescribeTargetGroups",
        Anything,
        &[Review],
    ),
    sdk(
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        Anything,
        &[Review],
    ),
    // The environment stack (administrators only: see `Command::is_admin`).
    sdk("cloudformation:CreateChangeSet", Stack, &[EnvApply]),
    sdk("cloudformation:DescribeChangeSet", Stack, &[EnvApply]),
    sdk("cloudformation:ExecuteChangeSet", Stack, &[EnvApply]),
    sdk("cloudformation:DeleteChangeSet", Stack, &[EnvApply]),
    sdk(
        "cloudformation:DescribeStackEvents",
        Stack,
        &[EnvApply, EnvDestroy],
    ),
    sdk(
        "cloudformation:UpdateTerminationProtection",
        Stack,
        &[EnvApply, EnvDestroy],
    ),
    sdk("cloudformation:DeleteStack", Stack, &[EnvDestroy]),
    sdk(
        "cloudformation:DescribeStackResources",
        Stack,
        &[EnvApply, EnvDestroy],
    ),
    sdk("cloudformation:GetTemplate", Stack, &[EnvApply]),
    sdk("ecs:ListServices", Anything, &[EnvDestroy]),
    sdk("ecs:DeleteService", Services, &[EnvDestroy]),
    when(sdk("acm:ListCertificates", Anything, &[EnvApply]), Domain),
    when(sdk("acm:RequestCertificate", Anything, &[EnvApply]), Domain),
    when(
        sdk("acm:DescribeCertificate", Anything, &[EnvApply]),
        Domain,
    ),
    when(
        sdk("route53:ListHostedZonesByName", Anything, &[EnvApply]),
        Domain,
    ),
    when(
        sdk("route53:ChangeResourceRecordSets", Anything, &[EnvApply]),
        Domain,
    ),
];

/// Why an action may only be granted on `"*"`: printed beside the statement.
pub(crate) fn why_anything(action: &str) -> &'static str {
    match action {
        "sts:GetCallerIdentity" => "answers only who the caller is (the account id)",
        "ecr:GetAuthorizationToken" => "a registry login token for the whole account's registry",
        "ecs:DescribeTaskDefinition" | "ecs:ListTaskDefinitions" => {
            "ECS has no resource-level permission for reading task definitions"
        }
        "ecs:ListTasks" => {
            "IAM scopes it by container instance, which Fargate has none of; the condition ecs:cluster keeps it to the cluster"
        }
        "ecs:ListServices" => "lists names only; ECS has no narrower resource",
        "ssm:DescribeParameters" => "metadata only, never values; SSM has no narrower resource",
        "secretsmanager:ListSecrets" => "metadata only, never values; no narrower resource",
        "scheduler:ListSchedules" => "lists names only; no narrower resource",
        action if action.starts_with("application-autoscaling:Describe") => {
            "reads only; Application Auto Scaling has no resource type for it"
        }
        action if action.starts_with("acm:") || action.starts_with("route53:") => {
            "the certificate and hosted zone are found by name at run time"
        }
        _ => "no narrower resource type",
    }
}
