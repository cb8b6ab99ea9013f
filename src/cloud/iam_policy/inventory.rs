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
    IamApply,
    UpLike,
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
        Command::IamApply,
        Command::UpLike,
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
            Self::IamApply => "iam --apply",
            Self::UpLike => "up --like --secrets-from-aws",
        }
    }

    /// `env apply` and `env destroy` create and delete what the stack holds
    /// (a VPC, IAM roles, a load balancer), and `iam --apply` creates the
    /// deployer role itself: an administrator's job, never the deployer's
    /// (a principal that may create roles may grant itself anything), so
    /// the deployer's policy leaves them out.
    pub(crate) fn is_admin(self) -> bool {
        matches!(self, Self::EnvApply | Self::EnvDestroy | Self::IamApply)
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
    /// tasks (AWS checks `*` unless a container instance is named, and Fargate
    /// has none) and services (no resource type).
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
    /// Review apps' task definition families (`<app>-<review>-<service>`, any review app).
    ReviewTaskDefinitions,
    /// Review apps' deploy locks (`/parity-locks/<app>/<review>`).
    ReviewLocks,
    /// Review apps' target groups: `<review>-<hash of app, base, service>`,
    /// one pattern per public service of the base.
    ReviewTargetGroups,
    /// A listener of the base's load balancer, for a rule tagged as a review
    /// app of this environment (`aws:RequestTag`).
    ReviewListener,
    /// Listener rules tagged as review apps of this environment (`aws:ResourceTag`).
    ReviewRules,
    /// Listener rules, tagged only as they are created (`elasticloadbalancing:CreateAction`).
    ReviewRuleTags,
    /// The SSM parameters the compose file references (`x-parity.secrets` of `ssm:`).
    ReferencedParameters,
    /// GitHub's OIDC provider in the account (`iam --apply`).
    OidcProvider,
    /// The deployer role (`iam --apply`).
    DeployerRole,
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
    /// The environment can be a review apps' base (no `promotes_from`, secrets in SSM).
    ReviewBase,
    /// A service references an SSM parameter of its own naming.
    SsmReferences,
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
    Db, Deploy, EnvApply, EnvDestroy, Exec, IamApply, Logs, Plan, Promote, Ps, Review, Rollback,
    Run, SecretsList, SecretsSync, Status, UpLike,
};
use Needs::{Always, Domain, Ecr, Jobs, Promotion, ReviewBase, Scaling, SecretsManager, SsmStore};
use Scope::{
    Anything, Cluster, LogGroup, LogStreams, Parameters, Repositories, ReviewTaskDefinitions,
    SchedulerRole, Secrets, Services, SourceCluster, SourceRepositories, SourceServices, Stack,
    TaskDefinitions, TaskRoles, Tasks,
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
    Review,
    IamApply,
];
/// Commands that complete an environment from its stack's outputs
/// (`review` reads its base's).
const READS_STACK: &[Command] = &[
    Deploy, Promote, Rollback, Status, Plan, Ps, Logs, Run, Exec, Db, EnvApply, EnvDestroy, Review,
];
/// Commands that change the environment under its deploy lock.
const LOCKED: &[Command] = &[Deploy, Promote, Rollback, EnvApply, EnvDestroy];
/// Commands that roll out task definitions and services: `review deploy`
/// is `deploy` of an environment derived from the base (`cloud::review`),
/// in the base's cluster, with its log group, roles and repositories.
const SHIP: &[Command] = &[Deploy, Promote, Review];
/// Commands that make schedules and scaling policies: a review plan has
/// neither (`cloud::review::adapt_plan`), though it removes stale ones like any ship.
const SHIP_JOBS_AND_SCALING: &[Command] = &[Deploy, Promote];
/// Commands that look at what the services run.
const OBSERVE: &[Command] = &[Deploy, Promote, Rollback, Status, Plan, Exec, Review];

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
            &[SecretsSync, SecretsList, Deploy, Promote, EnvApply, Review],
        ),
        Always,
    ),
    when(
        sdk(
            "ssm:GetParametersByPath",
            Parameters,
            &[SecretsSync, SecretsList, Review],
        ),
        SsmStore,
    ),
    when(
        sdk(
            "ssm:PutParameter",
            Parameters,
            &[SecretsSync, EnvApply, Review],
        ),
        SsmStore,
    ),
    when(
        sdk(
            "ssm:AddTagsToResource",
            Parameters,
            &[SecretsSync, EnvApply, Review],
        ),
        SsmStore,
    ),
    when(
        sdk("ssm:DeleteParameters", Parameters, &[SecretsSync, Review]),
        SsmStore,
    ),
    when(
        sdk("ssm:GetParameter", Parameters, &[Db, EnvApply, UpLike]),
        SsmStore,
    ),
    // `up --like ENV --secrets-from-aws` reads referenced parameters too.
    when(
        sdk("ssm:GetParameter", Scope::ReferencedParameters, &[UpLike]),
        Needs::SsmReferences,
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
            &[SecretsSync, Db, EnvApply, UpLike],
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
        &[Deploy, Promote, Rollback, Status, Ps, Review],
    ),
    sdk("ecs:DescribeServices", Services, OBSERVE),
    sdk("ecs:CreateService", Services, SHIP),
    sdk(
        "ecs:UpdateService",
        Services,
        &[Deploy, Promote, Rollback, Review],
    ),
    sdk(
        "ecs:RegisterTaskDefinition",
        TaskDefinitions,
        &[Deploy, Promote, Db],
    ),
    sdk(
        "ecs:DescribeTaskDefinition",
        Anything,
        &[Deploy, Promote, Rollback, Status, Plan, Run, Review],
    ),
    sdk(
        "ecs:ListTaskDefinitions",
        Anything,
        &[Deploy, Promote, Rollback, Status, Plan, Review],
    ),
    sdk("ecs:TagResource", TaskDefinitions, SHIP),
    // Created with tags: ECS checks TagResource on the new resource too.
    via(sdk("ecs:TagResource", Services, SHIP), Via::Implied),
    via(
        sdk(
            "ecs:TagResource",
            Tasks,
            &[Deploy, Promote, Run, Db, Review],
        ),
        Via::Implied,
    ),
    sdk("ecs:RunTask", TaskDefinitions, &[Deploy, Promote, Run, Db]),
    sdk(
        "ecs:DescribeTasks",
        Tasks,
        &[Deploy, Promote, Status, Ps, Run, Exec, Db, Review],
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
        sdk(
            "iam:PassRole",
            TaskRoles,
            &[Deploy, Promote, Run, Db, Review],
        ),
        Via::Implied,
    ),
    // Logs.
    sdk("logs:CreateLogGroup", LogGroup, SHIP),
    sdk("logs:FilterLogEvents", LogGroup, &[Logs, Run]),
    sdk(
        "logs:GetLogEvents",
        LogStreams,
        &[Deploy, Promote, Run, Review],
    ),
    // Images: ECR through the registry protocol.
    when(
        sdk(
            "ecr:GetAuthorizationToken",
            Anything,
            &[Deploy, Promote, Review],
        ),
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
        sdk(
            "scheduler:CreateSchedule",
            Scope::Schedules,
            SHIP_JOBS_AND_SCALING,
        ),
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
            SHIP_JOBS_AND_SCALING,
        ),
        Scaling,
    ),
    when(
        sdk(
            "application-autoscaling:PutScalingPolicy",
            Scope::ScalableTargets,
            SHIP_JOBS_AND_SCALING,
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
    // Review apps (`review deploy|destroy|list|prune`), in the base's
    // cluster and behind its load balancer; their own task definition
    // families, lock, target groups and listener rules.
    when(
        sdk(
            "ecs:RegisterTaskDefinition",
            ReviewTaskDefinitions,
            &[Review],
        ),
        ReviewBase,
    ),
    when(
        sdk("ecs:RunTask", ReviewTaskDefinitions, &[Review]),
        ReviewBase,
    ),
    when(
        sdk("ecs:TagResource", ReviewTaskDefinitions, &[Review]),
        ReviewBase,
    ),
    when(
        sdk(
            "ecs:DeleteTaskDefinitions",
            ReviewTaskDefinitions,
            &[Review],
        ),
        ReviewBase,
    ),
    when(
        sdk("ecs:DeregisterTaskDefinition", Anything, &[Review]),
        ReviewBase,
    ),
    when(
        sdk("ecs:ListTaskDefinitionFamilies", Anything, &[Review]),
        ReviewBase,
    ),
    when(
        sdk("ecs:ListServices", Scope::ClusterListing, &[Review]),
        ReviewBase,
    ),
    when(
        sdk("ssm:PutParameter", Scope::ReviewLocks, &[Review]),
        ReviewBase,
    ),
    when(
        sdk("ssm:GetParameter", Scope::ReviewLocks, &[Review]),
        ReviewBase,
    ),
    when(
        sdk("ssm:DeleteParameter", Scope::ReviewLocks, &[Review]),
        ReviewBase,
    ),
    when(
        sdk(
            "elasticloadbalancing:DescribeListeners",
            Anything,
            &[Review],
        ),
        ReviewBase,
    ),
    when(
        sdk("elasticloadbalancing:DescribeRules", Anything, &[Review]),
        ReviewBase,
    ),
    when(
        sdk("elasticloadbalancing:DescribeTags", Anything, &[Review]),
        ReviewBase,
    ),
    when(
        sdk(
            "elasticloadbalancing:DescribeTargetGroups",
            Anything,
            &[Review],
        ),
        ReviewBase,
    ),
    when(
        sdk(
            "elasticloadbalancing:CreateTargetGroup",
            Scope::ReviewTargetGroups,
            &[Review],
        ),
        ReviewBase,
    ),
    when(
        sdk(
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            Scope::ReviewTargetGroups,
            &[Review],
        ),
        ReviewBase,
    ),
    when(
        sdk(
            "elasticloadbalancing:DeleteTargetGroup",
            Scope::ReviewTargetGroups,
            &[Review],
        ),
        ReviewBase,
    ),
    when(
        sdk(
            "elasticloadbalancing:AddTags",
            Scope::ReviewTargetGroups,
            &[Review],
        ),
        ReviewBase,
    ),
    when(
        sdk(
            "elasticloadbalancing:CreateRule",
            Scope::ReviewListener,
            &[Review],
        ),
        ReviewBase,
    ),
    // A rule is created with its tags: ELB checks AddTags on the new rule.
    when(
        via(
            sdk(
                "elasticloadbalancing:AddTags",
                Scope::ReviewRuleTags,
                &[Review],
            ),
            Via::Implied,
        ),
        ReviewBase,
    ),
    when(
        sdk(
            "elasticloadbalancing:DeleteRule",
            Scope::ReviewRules,
            &[Review],
        ),
        ReviewBase,
    ),
    // The deployer role and GitHub's OIDC provider (administrators only).
    sdk("iam:ListOpenIDConnectProviders", Anything, &[IamApply]),
    sdk(
        "iam:GetOpenIDConnectProvider",
        Scope::OidcProvider,
        &[IamApply],
    ),
    sdk(
        "iam:CreateOpenIDConnectProvider",
        Scope::OidcProvider,
        &[IamApply],
    ),
    sdk(
        "iam:AddClientIDToOpenIDConnectProvider",
        Scope::OidcProvider,
        &[IamApply],
    ),
    sdk("iam:GetRole", Scope::DeployerRole, &[IamApply]),
    sdk("iam:CreateRole", Scope::DeployerRole, &[IamApply]),
    via(
        sdk("iam:TagRole", Scope::DeployerRole, &[IamApply]),
        Via::Implied,
    ),
    sdk(
        "iam:UpdateAssumeRolePolicy",
        Scope::DeployerRole,
        &[IamApply],
    ),
    sdk("iam:GetRolePolicy", Scope::DeployerRole, &[IamApply]),
    sdk("iam:PutRolePolicy", Scope::DeployerRole, &[IamApply]),
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
    sdk("ecs:DeleteService", Services, &[EnvDestroy, Review]),
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
            "AWS checks it against * unless a container instance is named, and Fargate has none; the condition ecs:cluster keeps it to the cluster"
        }
        "ecs:ListServices" => {
            "lists names only; ECS has no resource type for it, the condition ecs:cluster keeps it to the cluster"
        }
        "ecs:DeregisterTaskDefinition" => {
            "ECS has no resource-level permission for deregistering (DeleteTaskDefinitions, which removes them, is scoped)"
        }
        "ecs:ListTaskDefinitionFamilies" => "lists family names only; no resource type",
        action if action.starts_with("elasticloadbalancing:Describe") => {
            "Elastic Load Balancing has no resource-level permission for its Describe calls"
        }
        "iam:ListOpenIDConnectProviders" => "lists the account's providers; no resource type",
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
