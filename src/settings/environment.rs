//! One environment of `parity.toml` (`[environments.<name>]`) and its
//! per-service and deploy sub-tables. Unknown keys are rejected by serde
//! (`deny_unknown_fields`), so a typo is an error, never an ignored setting.

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use super::{Network, Seconds};

/// One deployment target: an AWS account/region/cluster and how each compose
/// service runs there. Defaults that depend on the app or environment name
/// (`cluster`, `ssm_prefix`, `log_group`, service names) are computed by the
/// accessors, so the file only says what differs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Environment {
    /// The key under `[environments]`; filled in by the loader.
    #[serde(skip)]
    pub(crate) name: String,
    /// The top-level `app`; filled in by the loader.
    #[serde(skip)]
    pub(crate) app: String,
    /// AWS region. Required: parity never guesses a region.
    pub(crate) region: Spanned<String>,
    /// 12-digit AWS account id. When absent, online commands ask STS.
    #[serde(default)]
    pub(crate) account_id: Option<Spanned<String>>,
    /// Endpoint override for every AWS API (e.g. a local emulator).
    #[serde(default)]
    pub(crate) endpoint: Option<String>,
    /// ECS cluster. Default `<app>-<env>`.
    #[serde(default)]
    pub(crate) cluster: Option<Spanned<String>>,
    /// awsvpc subnets the tasks run in.
    #[serde(default)]
    pub(crate) subnets: Vec<String>,
    /// awsvpc security groups.
    #[serde(default)]
    pub(crate) security_groups: Vec<String>,
    /// Give tasks a public IP. Off by default: tasks sit in private subnets.
    #[serde(default)]
    pub(crate) assign_public_ip: bool,
    /// The role ECS uses to pull images, write logs and read SSM secrets.
    #[serde(default)]
    pub(crate) execution_role_arn: Option<String>,
    /// The role the app's own code runs as.
    #[serde(default)]
    pub(crate) task_role_arn: Option<String>,
    /// The role EventBridge Scheduler runs the environment's jobs with
    /// (`x-parity.schedule`); the environment stack makes it.
    #[serde(default)]
    pub(crate) scheduler_role_arn: Option<String>,
    /// `app/<name>/<id>`: the load balancer, from the environment stack
    /// (Application Auto Scaling's request-count metric names it).
    #[serde(skip)]
    pub(crate) load_balancer_full_name: Option<String>,
    /// Image registry host. Default: the account's ECR
    /// (`<account>.dkr.ecr.<region>.amazonaws.com`); any host for self-hosted registries.
    #[serde(default)]
    pub(crate) registry: Option<String>,
    /// SSM Parameter Store path for secrets. Default `/<app>/<env>/`.
    #[serde(default)]
    pub(crate) ssm_prefix: Option<Spanned<String>>,
    /// KMS key for SecureString parameters. Default: the account's `alias/aws/ssm`.
    #[serde(default)]
    pub(crate) kms_key_id: Option<String>,
    /// Where `secrets sync` keeps the secrets parity owns. Default `ssm`.
    #[serde(default)]
    pub(crate) secrets_store: Option<Spanned<SecretsStore>>,
    /// CloudWatch Logs group. Default `/<app>/<env>`.
    #[serde(default)]
    pub(crate) log_group: Option<String>,
    /// The Cloud Map namespace (name or ARN) of ECS Service Connect: every
    /// service reaches another as `http://<compose name>:<port>`. Default:
    /// the environment stack's; none (no Service Connect) without one.
    #[serde(default)]
    pub(crate) service_connect_namespace: Option<String>,
    /// CPU architecture assumed when the image to deploy is not known yet
    /// (`X86_64` or `ARM64`); deploy uses the built image's own.
    #[serde(default)]
    pub(crate) architecture: Option<Spanned<String>>,
    /// Non-secret variables for every cloud service; they override compose values.
    #[serde(default)]
    pub(crate) variables: IndexMap<String, String>,
    /// Per compose service settings, by compose service name.
    #[serde(default)]
    pub(crate) services: IndexMap<Spanned<String>, ServiceSettings>,
    /// Rollout knobs; unset ones fall back to the top-level `[deploy]`.
    #[serde(default)]
    pub(crate) deploy: DeployKnobs,
    /// The environment whose running images `parity promote` brings here.
    #[serde(default)]
    pub(crate) promotes_from: Option<Spanned<String>>,
    /// A URL that receives a JSON POST after each deploy/promote/rollback.
    #[serde(default)]
    pub(crate) notify_webhook: Option<String>,
    /// Where the environment stack puts the tasks and the load balancer. Default `public`.
    #[serde(default)]
    pub(crate) network: Option<Spanned<Network>>,
    /// The environment's domain (`staging.example.com`): certificate, HTTPS, host rules.
    #[serde(default)]
    pub(crate) domain: Option<Spanned<String>>,
    /// The Route 53 hosted zone (name or `Z...` id) that holds the domain's records.
    #[serde(default)]
    pub(crate) hosted_zone: Option<Spanned<String>>,
    /// Days CloudWatch Logs keeps the environment's log group. Default 30.
    #[serde(default)]
    pub(crate) log_retention_days: Option<Spanned<u32>>,
    /// Managed policy ARNs the task role (the app's own code) gets. Default none.
    #[serde(default)]
    pub(crate) task_role_policies: Vec<Spanned<String>>,
    /// ECS Exec (`parity exec --env`) for every cloud service of the environment;
    /// `x-parity: { exec: true }` turns it on for one service. Default off.
    #[serde(default)]
    pub(crate) exec: bool,
    /// The RDS instances replacing `cloud: rds` services (README "Backing services").
    #[serde(default)]
    pub(crate) database: super::backing::DatabaseSettings,
    /// The ElastiCache groups replacing `cloud: elasticache` services.
    #[serde(default)]
    pub(crate) cache: super::backing::CacheSettings,
    /// Host names of the managed services (compose service -> endpoint), from
    /// the stack's outputs (`cloud::stack_outputs::fill`); `None` when no
    /// stack was read (`plan --offline`).
    #[serde(skip)]
    pub(crate) backing_endpoints: Option<IndexMap<String, String>>,
}

/// The store an environment's own secrets live in (`secrets_store`). A value
/// other than these two is a serde error at its `parity.toml:line:col`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SecretsStore {
    /// SSM Parameter Store SecureStrings under `ssm_prefix`.
    #[default]
    Ssm,
    /// AWS Secrets Manager secrets named `<app>/<env>/<NAME>`.
    Secretsmanager,
}

impl SecretsStore {
    /// How messages name the store.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Ssm => "SSM",
            Self::Secretsmanager => "Secrets Manager",
        }
    }
}

/// `[environments.<env>.services.<service>]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceSettings {
    /// ECS service name. Default `<app>-<service>`.
    #[serde(default)]
    pub(crate) name: Option<Spanned<String>>,
    /// Desired task count. Default: compose `deploy.replicas`, else 1.
    #[serde(default)]
    pub(crate) desired_count: Option<u32>,
    /// Variables for this service only; they win over the environment's.
    #[serde(default)]
    pub(crate) variables: IndexMap<String, String>,
    /// An Application/Network Load Balancer target group in front of the service.
    #[serde(default)]
    pub(crate) load_balancer: Option<LoadBalancer>,
}

/// A target group the ECS service registers its tasks in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoadBalancer {
    pub(crate) target_group_arn: String,
    /// The container port the target group sends traffic to.
    pub(crate) container_port: Spanned<u16>,
    /// Container that receives the traffic. Default: the service's own container.
    #[serde(default)]
    pub(crate) container_name: Option<String>,
    /// Seconds ECS ignores failing load-balancer health checks after a task starts.
    #[serde(default)]
    pub(crate) grace_period: Option<Seconds>,
}

/// Rollout knobs, each optional so environments inherit the top-level ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeployKnobs {
    /// Default container `stopTimeout` (a service's `stop_grace_period` wins). Fargate max 120 s.
    #[serde(default)]
    pub(crate) stop_timeout: Option<Spanned<Seconds>>,
    /// Default container `startTimeout` for dependency waits.
    #[serde(default)]
    pub(crate) start_timeout: Option<Spanned<Seconds>>,
    /// `deploymentConfiguration.minimumHealthyPercent` (0-100, default 100).
    #[serde(default)]
    pub(crate) minimum_healthy_percent: Option<Spanned<u32>>,
    /// `deploymentConfiguration.maximumPercent` (>= 100, default 200).
    #[serde(default)]
    pub(crate) maximum_percent: Option<Spanned<u32>>,
    /// The deployment circuit breaker with rollback (default on).
    #[serde(default)]
    pub(crate) circuit_breaker: Option<bool>,
    /// How long deploy waits for a rollout to complete (default 600 s).
    #[serde(default)]
    pub(crate) wait_timeout: Option<Seconds>,
}

impl DeployKnobs {
    /// Fills every unset knob from `defaults`.
    pub(crate) fn or(&self, defaults: &DeployKnobs) -> DeployKnobs {
        DeployKnobs {
            stop_timeout: self
                .stop_timeout
                .clone()
                .or_else(|| defaults.stop_timeout.clone()),
            start_timeout: self
                .start_timeout
                .clone()
                .or_else(|| defaults.start_timeout.clone()),
            minimum_healthy_percent: self
                .minimum_healthy_percent
                .clone()
                .or_else(|| defaults.minimum_healthy_percent.clone()),
            maximum_percent: self
                .maximum_percent
                .clone()
                .or_else(|| defaults.maximum_percent.clone()),
            circuit_breaker: self.circuit_breaker.or(defaults.circuit_breaker),
            wait_timeout: self.wait_timeout.or(defaults.wait_timeout),
        }
    }

    /// The default container stop timeout in seconds, when the file sets one.
    pub(crate) fn stop_timeout(&self) -> Option<u64> {
        self.stop_timeout.as_ref().map(|s| s.get_ref().get())
    }

    /// The default container start timeout in seconds, when the file sets one.
    pub(crate) fn start_timeout(&self) -> Option<u64> {
        self.start_timeout.as_ref().map(|s| s.get_ref().get())
    }

    pub(crate) fn minimum_healthy_percent(&self) -> u32 {
        self.minimum_healthy_percent
            .as_ref()
            .map_or(100, |s| *s.get_ref())
    }

    pub(crate) fn maximum_percent(&self) -> u32 {
        self.maximum_percent.as_ref().map_or(200, |s| *s.get_ref())
    }

    pub(crate) fn circuit_breaker(&self) -> bool {
        self.circuit_breaker.unwrap_or(true)
    }

    /// Seconds deploy waits for a rollout before giving up.
    pub(crate) fn wait_timeout(&self) -> u64 {
        self.wait_timeout.map_or(600, Seconds::get)
    }
}

impl Environment {
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn region(&self) -> &str {
        self.region.get_ref()
    }

    /// The account id from the file, if given (else ask STS when online).
    pub(crate) fn account_id(&self) -> Option<&str> {
        self.account_id.as_ref().map(|a| a.get_ref().as_str())
    }

    pub(crate) fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    pub(crate) fn cluster(&self) -> String {
        match &self.cluster {
            Some(cluster) => cluster.get_ref().clone(),
            None => format!("{}-{}", self.app, self.name),
        }
    }

    pub(crate) fn kms_key_id(&self) -> Option<&str> {
        self.kms_key_id.as_deref()
    }

    /// The store the environment's own secrets live in (`ssm` unless set).
    pub(crate) fn secrets_store(&self) -> SecretsStore {
        self.secrets_store
            .as_ref()
            .map_or(SecretsStore::Ssm, |s| *s.get_ref())
    }

    /// The Secrets Manager name prefix of the environment's own secrets: `<app>/<env>/`.
    pub(crate) fn secrets_manager_prefix(&self) -> String {
        format!("{}/{}/", self.app, self.name)
    }

    /// The Secrets Manager ARN (without the random suffix, which ECS and
    /// IAM patterns do not need) of a secret by name.
    pub(crate) fn secrets_manager_arn(&self, account_id: &str, name: &str) -> String {
        format!(
            "arn:aws:secretsmanager:{}:{account_id}:secret:{name}",
            self.region()
        )
    }

    /// The `valueFrom` of one of the environment's own secrets, in its store.
    pub(crate) fn owned_secret_arn(&self, account_id: &str, variable: &str) -> String {
        match self.secrets_store() {
            SecretsStore::Ssm => self.ssm_parameter_arn(account_id, variable),
            SecretsStore::Secretsmanager => self.secrets_manager_arn(
                account_id,
                &format!("{}{variable}", self.secrets_manager_prefix()),
            ),
        }
    }

    /// The name of a secret parity itself keeps for the environment (a managed
    /// database's master password, a composed `DATABASE_URL`), in the chosen
    /// store: `<ssm_prefix>parity/<path>` or `<app>/<env>/parity/<path>`. One
    /// level below where `secrets sync` looks, so `--prune` never sees it.
    pub(crate) fn parity_secret_name(&self, path: &str) -> String {
        match self.secrets_store() {
            SecretsStore::Ssm => format!("{}parity/{path}", self.ssm_prefix()),
            SecretsStore::Secretsmanager => {
                format!("{}parity/{path}", self.secrets_manager_prefix())
            }
        }
    }

    /// The `valueFrom` ARN of a secret [`Self::parity_secret_name`] named.
    pub(crate) fn parity_secret_arn(&self, account_id: &str, name: &str) -> String {
        match self.secrets_store() {
            SecretsStore::Ssm => self.ssm_arn_of(account_id, name),
            SecretsStore::Secretsmanager => self.secrets_manager_arn(account_id, name),
        }
    }

    /// The SSM path secrets live under, always starting and ending with `/`.
    pub(crate) fn ssm_prefix(&self) -> String {
        match &self.ssm_prefix {
            Some(prefix) => {
                let prefix = prefix.get_ref();
                if prefix.ends_with('/') {
                    prefix.clone()
                } else {
                    format!("{prefix}/")
                }
            }
            None => format!("/{}/{}/", self.app, self.name),
        }
    }

    /// The SSM parameter name for a secret variable, e.g. `/shop/staging/API_KEY`.
    pub(crate) fn ssm_parameter_name(&self, variable: &str) -> String {
        parameter_name(&self.ssm_prefix(), variable)
    }

    /// The parameter's ARN. The name's leading `/` is not repeated after
    /// `parameter` (ECS and IAM expect `parameter/app/env/NAME`, never `parameter//`).
    pub(crate) fn ssm_parameter_arn(&self, account_id: &str, variable: &str) -> String {
        self.ssm_arn_of(account_id, &self.ssm_parameter_name(variable))
    }

    /// The ARN of the parameter named `name` (a full `/...` name) in this environment's region.
    pub(crate) fn ssm_arn_of(&self, account_id: &str, name: &str) -> String {
        format!(
            "arn:aws:ssm:{}:{account_id}:parameter/{}",
            self.region(),
            name.trim_start_matches('/')
        )
    }

    /// The registry host images are pushed to: the file's, else the account's ECR.
    pub(crate) fn registry(&self, account_id: &str) -> String {
        match &self.registry {
            Some(registry) => registry.trim_end_matches('/').to_owned(),
            None => format!("{account_id}.dkr.ecr.{}.amazonaws.com", self.region()),
        }
    }

    pub(crate) fn log_group(&self) -> String {
        self.log_group
            .clone()
            .unwrap_or_else(|| format!("/{}/{}", self.app, self.name))
    }

    /// The architecture assumed for images not built yet (`X86_64` unless set).
    pub(crate) fn architecture(&self) -> &str {
        self.architecture
            .as_ref()
            .map_or("X86_64", |a| a.get_ref().as_str())
    }

    /// The settings of one compose service (defaults when the file has none).
    pub(crate) fn service(&self, service: &str) -> Option<&ServiceSettings> {
        self.services.get(service)
    }

    /// The ECS service name for a compose service: the file's, else `<app>-<service>`.
    pub(crate) fn service_name(&self, service: &str) -> String {
        self.service(service)
            .and_then(|s| s.name.as_ref())
            .map_or_else(
                || format!("{}-{service}", self.app),
                |n| n.get_ref().clone(),
            )
    }

    /// The task definition family for a compose service: `<app>-<env>-<service>`.
    pub(crate) fn family(&self, service: &str) -> String {
        format!("{}-{}-{service}", self.app, self.name)
    }

    /// The desired count the file sets for a service, if any.
    pub(crate) fn desired_count(&self, service: &str) -> Option<u32> {
        self.service(service).and_then(|s| s.desired_count)
    }

    /// The environment's variables merged with the service's own (service wins).
    pub(crate) fn variables_for(&self, service: &str) -> IndexMap<String, String> {
        let mut merged = self.variables.clone();
        if let Some(settings) = self.service(service) {
            for (key, value) in &settings.variables {
                merged.insert(key.clone(), value.clone());
            }
        }
        merged
    }

    pub(crate) fn load_balancer(&self, service: &str) -> Option<&LoadBalancer> {
        self.service(service).and_then(|s| s.load_balancer.as_ref())
    }

    /// Rollout knobs with the top-level defaults already applied.
    pub(crate) fn deploy(&self) -> &DeployKnobs {
        &self.deploy
    }

    pub(crate) fn promotes_from(&self) -> Option<&str> {
        self.promotes_from.as_ref().map(|p| p.get_ref().as_str())
    }

    pub(crate) fn notify_webhook(&self) -> Option<&str> {
        self.notify_webhook.as_deref()
    }

    /// The network mode (`public` unless the file says otherwise).
    pub(crate) fn network(&self) -> &Network {
        const PUBLIC: &Network = &Network::Public;
        self.network.as_ref().map_or(PUBLIC, Spanned::get_ref)
    }

    pub(crate) fn domain(&self) -> Option<&str> {
        self.domain.as_ref().map(|d| d.get_ref().as_str())
    }

    pub(crate) fn hosted_zone(&self) -> Option<&str> {
        self.hosted_zone.as_ref().map(|z| z.get_ref().as_str())
    }

    /// Days the log group keeps events (30 unless set).
    pub(crate) fn log_retention_days(&self) -> u32 {
        self.log_retention_days
            .as_ref()
            .map_or(30, |d| *d.get_ref())
    }

    pub(crate) fn task_role_policies(&self) -> impl Iterator<Item = &str> {
        self.task_role_policies.iter().map(|p| p.get_ref().as_str())
    }
}

/// `<prefix><VARIABLE>` (the prefix ends in `/`): the one way a secret's SSM
/// parameter name is built, for a prefix already in hand.
pub(crate) fn parameter_name(prefix: &str, variable: &str) -> String {
    format!("{prefix}{variable}")
}
