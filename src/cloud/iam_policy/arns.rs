//! The ARNs each [`Scope`] of the policy names, built from the names the rest
//! of parity computes (the environment's accessors, the stack's repositories,
//! the lock's parameter, the jobs' schedule names), so the policy and the
//! calls it allows cannot disagree about a name.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::Statement;

use super::inventory::Scope;
use crate::cloud::review::Review;
use crate::cloud::stack::repositories;
use crate::compose::model::Project;
use crate::error::Result;
use crate::settings::{Environment, SecretsStore, Settings};

/// The environment stack's logical ids of the roles
/// (templates/environment/roles.yaml). CloudFormation names a role it creates
/// `<stack>-<logical id>-<random>`, so when parity.toml does not give a
/// role's ARN the policy names the stack's by that pattern.
pub(crate) const EXECUTION_ROLE: &str = "ExecutionRole";
pub(crate) const TASK_ROLE: &str = "TaskRole";
pub(crate) const SCHEDULER_ROLE: &str = "SchedulerRole";

/// Every resource the policy can name, for one environment.
#[derive(Debug, Clone)]
pub(crate) struct Arns {
    /// The account id, or `*` when parity.toml names none.
    pub(crate) account: String,
    partition: &'static str,
    region: String,
    cluster: String,
    services: Vec<String>,
    task_definitions: String,
    stack: String,
    lock: String,
    parameters: String,
    secrets: Vec<String>,
    referenced_parameters: Vec<String>,
    log_group: String,
    repositories: Vec<String>,
    schedules: String,
    task_roles: Vec<String>,
    scheduler_role: String,
    source: Option<Box<Arns>>,
    /// What review apps of this environment name (`None`: it cannot be a base).
    review: Option<ReviewArns>,
    /// The deployer role CI assumes, and GitHub's OIDC provider (`iam --apply`).
    deployer_role: String,
    oidc_provider: String,
}

/// The resources of the review apps an environment hosts, named by the
/// functions `cloud::review` names them with (a review app called `*`).
#[derive(Debug, Clone)]
pub(crate) struct ReviewArns {
    app: String,
    base: String,
    task_definitions: String,
    locks: String,
    target_groups: Vec<String>,
    listeners: Vec<String>,
    rules: Vec<String>,
}

impl Arns {
    /// The ARNs of `environment` (and of the environment it promotes from).
    pub(crate) fn of(
        project: &Project,
        settings: &Settings,
        environment: &Environment,
        account: Option<&str>,
    ) -> Result<Self> {
        let mut arns = Self::own(project, settings, environment, account)?;
        if let Some(source) = environment
            .promotes_from()
            .and_then(|name| settings.environments.get(name))
        {
            let same_account = source.account_id() == environment.account_id();
            let source_account = source.account_id().or(account.filter(|_| same_account));
            arns.source = Some(Box::new(Self::own(
                project,
                settings,
                source,
                source_account,
            )?));
        }
        if crate::cloud::review::check_base(environment).is_ok() {
            arns.review = Some(arns.review_arns(project, settings, environment)?);
        }
        Ok(arns)
    }

    /// Review apps of `environment`: every name at once is the review app `*`.
    fn review_arns(
        &self,
        project: &Project,
        settings: &Settings,
        environment: &Environment,
    ) -> Result<ReviewArns> {
        let any = Review {
            app: settings.app().to_owned(),
            name: "*".to_owned(),
            base: environment.name().to_owned(),
        };
        let (partition, region, account) = (self.partition, &self.region, &self.account);
        let elb = |resource: &str| {
            format!("arn:{partition}:elasticloadbalancing:{region}:{account}:{resource}")
        };
        let public = crate::cloud::stack::stack_data(project, settings, environment.name())?
            .load_balancer
            .map(|lb| lb.services)
            .unwrap_or_default();
        Ok(ReviewArns {
            task_definitions: format!(
                "arn:{partition}:ecs:{region}:{account}:task-definition/{}:*",
                any.service_name("*")
            ),
            locks: environment.ssm_arn_of(
                account,
                &crate::cloud::deploy_lock::parameter_name(&any.app, &any.name),
            ),
            target_groups: public
                .iter()
                .map(|p| {
                    elb(&format!(
                        "targetgroup/{}/*",
                        any.target_group_name(&p.service)
                    ))
                })
                .collect(),
            // Application load balancers' (the stack's is one, named by
            // CloudFormation, which `parity iam` cannot know offline). Network
            // load balancers' too, though they have no rules: the Service
            // Authorization Reference lists both types as CreateRule's and
            // DeleteRule's resources, and parliament wants each named.
            listeners: vec![elb("listener/app/*/*/*"), elb("listener/net/*/*/*")],
            rules: vec![
                elb("listener-rule/app/*/*/*/*"),
                elb("listener-rule/net/*/*/*/*"),
            ],
            app: any.app,
            base: any.base,
        })
    }

    fn own(
        project: &Project,
        settings: &Settings,
        environment: &Environment,
        account: Option<&str>,
    ) -> Result<Self> {
        let account = account
            .or(environment.account_id())
            .unwrap_or("*")
            .to_owned();
        let region = environment.region().to_owned();
        let partition = partition(&region);
        let app = settings.app();
        let cluster = environment.cluster();
        let ecs = |resource: &str| format!("arn:{partition}:ecs:{region}:{account}:{resource}");
        // `<app>-*` holds every service parity names by default; one renamed
        // in parity.toml is named exactly.
        let mut services = vec![ecs(&format!("service/{cluster}/{app}-*"))];
        for (name, service) in &project.services {
            let ecs_name = environment.service_name(name);
            if service.x_parity.cloud && !ecs_name.starts_with(&format!("{app}-")) {
                services.push(ecs(&format!("service/{cluster}/{ecs_name}")));
            }
        }
        let stack_name = crate::cloud::stack::stack_name(app, environment.name());
        let role = |logical_id: &str, configured: Option<&String>| {
            configured.cloned().unwrap_or_else(|| {
                format!("arn:{partition}:iam::{account}:role/{stack_name}-{logical_id}-*")
            })
        };
        let mut secrets = Vec::new();
        if environment.secrets_store() == SecretsStore::Secretsmanager {
            secrets.push(environment.secrets_manager_arn(
                &account,
                &format!("{}*", environment.secrets_manager_prefix()),
            ));
        }
        let mut referenced_parameters = Vec::new();
        for service in project.services.values().filter(|s| s.x_parity.cloud) {
            for (_, reference) in service.x_parity.secrets.references() {
                let arn = reference
                    .iam_resource()
                    .replace("${AWS::Partition}", partition)
                    .replace("${AWS::Region}", &region)
                    .replace("${AWS::AccountId}", &account);
                let list = match reference.store() {
                    SecretsStore::Secretsmanager => &mut secrets,
                    SecretsStore::Ssm => &mut referenced_parameters,
                };
                if !list.contains(&arn) {
                    list.push(arn);
                }
            }
        }
        Ok(Self {
            services,
            task_definitions: ecs(&format!("task-definition/{}:*", environment.family("*"))),
            lock: environment.ssm_arn_of(
                &account,
                &crate::cloud::deploy_lock::parameter_name(app, environment.name()),
            ),
            parameters: environment.ssm_arn_of(&account, &format!("{}*", environment.ssm_prefix())),
            secrets,
            referenced_parameters,
            log_group: format!(
                "arn:{partition}:logs:{region}:{account}:log-group:{}",
                environment.log_group()
            ),
            repositories: repositories(project, settings, environment)?
                .iter()
                .map(|r| {
                    format!(
                        "arn:{partition}:ecr:{region}:{account}:repository/{}",
                        r.name
                    )
                })
                .collect(),
            schedules: format!(
                "arn:{partition}:scheduler:{region}:{account}:schedule/default/{}*",
                crate::cloud::schedule::schedule_name(environment, "")
            ),
            task_roles: vec![
                role(EXECUTION_ROLE, environment.execution_role_arn.as_ref()),
                role(TASK_ROLE, environment.task_role_arn.as_ref()),
            ],
            scheduler_role: role(SCHEDULER_ROLE, environment.scheduler_role_arn.as_ref()),
            stack: format!(
                "arn:{partition}:cloudformation:{region}:{account}:stack/{stack_name}/*"
            ),
            cluster: ecs(&format!("cluster/{cluster}")),
            deployer_role: format!(
                "arn:{partition}:iam::{account}:role/{}",
                super::trust::deployer_role_name(app, environment.name())
            ),
            oidc_provider: format!(
                "arn:{partition}:iam::{account}:oidc-provider/{}",
                super::trust::ISSUER
            ),
            account,
            partition,
            region,
            source: None,
            review: None,
        })
    }

    /// The `Resource` list of `scope`'s statement.
    pub(crate) fn of_scope(&self, scope: Scope) -> Vec<String> {
        let source =
            |pick: fn(&Arns) -> Vec<String>| self.source.as_deref().map(pick).unwrap_or_default();
        let review = |pick: fn(&ReviewArns) -> Vec<String>| {
            self.review.as_ref().map(pick).unwrap_or_default()
        };
        match scope {
            Scope::Anything => vec!["*".to_owned()],
            Scope::Cluster => vec![self.cluster.clone()],
            Scope::ClusterListing => vec!["*".to_owned()],
            Scope::Services => self.services.clone(),
            Scope::TaskDefinitions => vec![self.task_definitions.clone()],
            Scope::Tasks => vec![format!(
                "arn:{}:ecs:{}:{}:task/{}/*",
                self.partition,
                self.region,
                self.account,
                self.cluster.rsplit('/').next().unwrap_or_default()
            )],
            Scope::ExecSessions => {
                let mut both = vec![self.cluster.clone()];
                both.extend(self.of_scope(Scope::Tasks));
                both
            }
            Scope::ScalableTargets => vec![format!(
                "arn:{}:application-autoscaling:{}:{}:scalable-target/*",
                self.partition, self.region, self.account
            )],
            Scope::Lock => vec![self.lock.clone()],
            Scope::Parameters => vec![self.parameters.clone()],
            Scope::Secrets => self.secrets.clone(),
            // The group, and (`:*`) what is in it.
            Scope::LogGroup => vec![self.log_group.clone(), format!("{}:*", self.log_group)],
            Scope::LogStreams => vec![format!("{}:log-stream:*", self.log_group)],
            Scope::Repositories => self.repositories.clone(),
            Scope::SourceCluster => source(|s| vec![s.cluster.clone()]),
            Scope::SourceServices => source(|s| s.services.clone()),
            Scope::SourceRepositories => source(|s| s.repositories.clone()),
            Scope::SourceStack => source(|s| vec![s.stack.clone()]),
            Scope::Stack => vec![self.stack.clone()],
            Scope::Schedules => vec![self.schedules.clone()],
            Scope::TaskRoles => self.task_roles.clone(),
            Scope::SchedulerRole => vec![self.scheduler_role.clone()],
            Scope::ReviewTaskDefinitions => review(|r| vec![r.task_definitions.clone()]),
            Scope::ReviewLocks => review(|r| vec![r.locks.clone()]),
            Scope::ReviewTargetGroups => review(|r| r.target_groups.clone()),
            Scope::ReviewListener => review(|r| r.listeners.clone()),
            Scope::ReviewRules | Scope::ReviewRuleTags => review(|r| r.rules.clone()),
            Scope::ReferencedParameters => self.referenced_parameters.clone(),
            Scope::OidcProvider => vec![self.oidc_provider.clone()],
            Scope::DeployerRole => vec![self.deployer_role.clone()],
        }
    }
}

impl Arns {
    /// A `Deny` of what review apps may do to families and locks, on the
    /// other environments' own: a review app's family is `<app>-<name>-<service>`
    /// for any name, a pattern (`<app>-*-*`) that also covers
    /// `<app>-prod-web`; review app names never start with an environment's
    /// name (`cloud::review::Review::new`), so denying those exactly leaves
    /// every review app's. `None` when the environment hosts no review apps.
    pub(crate) fn other_environments(
        &self,
        settings: &Settings,
        by_scope: &BTreeMap<Scope, BTreeSet<&str>>,
    ) -> Option<Statement> {
        let review = self.review.as_ref()?;
        let actions: BTreeSet<&str> = [Scope::ReviewTaskDefinitions, Scope::ReviewLocks]
            .iter()
            .filter_map(|scope| by_scope.get(scope))
            .flatten()
            .copied()
            .collect();
        let (partition, region, account) = (self.partition, &self.region, &self.account);
        let mut resources = Vec::new();
        for other in settings.environments.values() {
            if other.name() == review.base {
                continue;
            }
            resources.push(format!(
                "arn:{partition}:ecs:{region}:{account}:task-definition/{}:*",
                other.family("*")
            ));
            resources.push(other.ssm_arn_of(
                account,
                &crate::cloud::deploy_lock::parameter_name(&review.app, other.name()),
            ));
        }
        if actions.is_empty() || resources.is_empty() {
            return None;
        }
        Some(Statement {
            sid: "NotTheOtherEnvironmentsFamiliesOrLocks".to_owned(),
            effect: "Deny",
            principal: None,
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            resources,
            condition: None,
        })
    }
}

/// The statement id of a scope: what the statement allows, in a word or five.
pub(crate) fn sid(scope: Scope) -> &'static str {
    match scope {
        Scope::Anything => "NoNarrowerResourceExists",
        Scope::Cluster => "TheCluster",
        Scope::ClusterListing => "ListingInTheClusterOnly",
        Scope::Services => "TheAppsServices",
        Scope::TaskDefinitions => "TheEnvironmentsTaskDefinitionFamilies",
        Scope::Tasks => "TheClustersTasks",
        Scope::ExecSessions => "ExecSessionsInTheClustersTasks",
        Scope::ScalableTargets => "ScalableTargetsTheirArnsNameNoService",
        Scope::Lock => "TheDeployLock",
        Scope::Parameters => "TheEnvironmentsParameters",
        Scope::Secrets => "TheEnvironmentsSecrets",
        Scope::LogGroup => "TheLogGroup",
        Scope::LogStreams => "TheLogStreams",
        Scope::Repositories => "TheRepositories",
        Scope::SourceCluster => "TheSourceEnvironmentsCluster",
        Scope::SourceServices => "TheSourceEnvironmentsServices",
        Scope::SourceRepositories => "TheSourceEnvironmentsRepositories",
        Scope::SourceStack => "TheSourceEnvironmentsStack",
        Scope::Stack => "TheEnvironmentStack",
        Scope::Schedules => "TheJobsSchedules",
        Scope::TaskRoles => "PassTheExecutionAndTaskRolesToEcs",
        Scope::SchedulerRole => "PassTheSchedulerRoleToEventBridge",
        Scope::ReviewTaskDefinitions => "ReviewAppsTaskDefinitionFamilies",
        Scope::ReviewLocks => "ReviewAppsDeployLocks",
        Scope::ReviewTargetGroups => "ReviewAppsTargetGroups",
        Scope::ReviewListener => "ReviewAppsRulesOnAListener",
        Scope::ReviewRules => "ReviewAppsOwnListenerRules",
        Scope::ReviewRuleTags => "TagListenerRulesAsTheyAreCreated",
        Scope::ReferencedParameters => "TheReferencedParameters",
        Scope::OidcProvider => "GitHubsOidcProvider",
        Scope::DeployerRole => "TheDeployerRole",
    }
}

impl Arns {
    /// The statement's condition: a role may be passed only to the service
    /// that uses it; tasks and services may be listed only in the
    /// environment's cluster; listener rules are made and deleted only when
    /// tagged as a review app of this environment, and tagged only as they
    /// are made.
    pub(crate) fn condition(&self, scope: Scope) -> Option<serde_json::Value> {
        let tagged = |kind: &str| {
            self.review.as_ref().map(|r| {
                json!({"StringEquals": {
                    format!("aws:{kind}/{}", crate::cloud::tags::APP): r.app,
                    format!("aws:{kind}/{}", crate::cloud::review::tag::REVIEW_OF): r.base,
                }})
            })
        };
        let service = match scope {
            Scope::ReviewListener => return tagged("RequestTag"),
            Scope::ReviewRules => return tagged("ResourceTag"),
            Scope::ReviewRuleTags => {
                return Some(
                    json!({"StringEquals": {"elasticloadbalancing:CreateAction": "CreateRule"}}),
                );
            }
            Scope::TaskRoles => "ecs-tasks.amazonaws.com",
            Scope::SchedulerRole => "scheduler.amazonaws.com",
            Scope::ClusterListing => {
                return Some(json!({"ArnEquals": {"ecs:cluster": self.cluster}}));
            }
            _ => return None,
        };
        Some(json!({"StringEquals": {"iam:PassedToService": service}}))
    }
}

/// The ARN partition of a region (`aws-cn` in China, `aws-us-gov` in GovCloud).
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}
