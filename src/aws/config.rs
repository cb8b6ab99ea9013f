//! The one place that builds the AWS SDK configuration.
//!
//! Region comes from the environment in parity.toml and is never defaulted:
//! a deploy to the wrong region is worse than an error. Credentials come from
//! the SDK's standard chain (`AWS_PROFILE`, environment variables, SSO,
//! container and instance roles). The endpoint is the environment's
//! `endpoint` when set, else whatever the standard chain finds
//! (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_SSM`, ... — how emulators such as
//! moto are reached), else AWS. Retries are the SDK's standard mode (which
//! also backs off on throttling) and every call has bounded timeouts, so a
//! dead endpoint fails within seconds instead of hanging.
//!
//! Commands build one [`AwsContext`] and take clients from it; no other file
//! calls `aws_config` or builds a client by hand.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ssm::config::ProvideCredentials;

use super::calls::CallCounter;
use crate::error::{Error, Result};

/// Connection set-up may take this long (the SDK's own default is 3.1 s).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// One HTTP attempt, including reading the response.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// One API call, retries included.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(120);
/// Standard-mode attempts per call; 5 rather than 3 so bursts of writes ride
/// out SSM's low PutParameter rate limit.
pub(crate) const MAX_ATTEMPTS: u32 = 5;
/// Cap on the back-off between attempts, so an unreachable endpoint fails in seconds.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Where an environment's AWS calls go, as parity.toml describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AwsTarget {
    /// The environment's name (for messages).
    pub(crate) environment: String,
    /// The AWS region; required.
    pub(crate) region: Option<String>,
    /// An explicit endpoint URL (an emulator, a VPC endpoint); overrides the chain.
    pub(crate) endpoint: Option<String>,
    /// A named profile from `~/.aws/config`; default: the chain's (`AWS_PROFILE`).
    pub(crate) profile: Option<String>,
}

impl AwsTarget {
    /// The target parity.toml describes for `environment`.
    pub(crate) fn for_environment(environment: &crate::settings::Environment) -> Self {
        Self {
            environment: environment.name().to_string(),
            region: Some(environment.region().to_string()),
            endpoint: environment.endpoint().map(str::to_string),
            profile: None,
        }
    }
}

/// The AWS services parity talks to, with what messages need to name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Ssm,
    Ecs,
    Ecr,
    Logs,
    Sts,
    CloudFormation,
    Acm,
    Route53,
    Scheduler,
    AutoScaling,
    SecretsManager,
    Elbv2,
    Iam,
}

impl Service {
    /// Short name used in messages and call counts ("ssm").
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Ssm => "ssm",
            Self::Ecs => "ecs",
            Self::Ecr => "ecr",
            Self::Logs => "logs",
            Self::Sts => "sts",
            Self::CloudFormation => "cloudformation",
            Self::Acm => "acm",
            Self::Route53 => "route53",
            Self::Scheduler => "scheduler",
            Self::AutoScaling => "application-autoscaling",
            Self::SecretsManager => "secretsmanager",
            Self::Elbv2 => "elasticloadbalancing",
            Self::Iam => "iam",
        }
    }

    /// The service's `AWS_ENDPOINT_URL_<ID>` suffix.
    fn env_id(self) -> &'static str {
        match self {
            Self::Ssm => "SSM",
            Self::Ecs => "ECS",
            Self::Ecr => "ECR",
            Self::Logs => "CLOUDWATCH_LOGS",
            Self::Sts => "STS",
            Self::CloudFormation => "CLOUDFORMATION",
            Self::Acm => "ACM",
            Self::Route53 => "ROUTE_53",
            Self::Scheduler => "SCHEDULER",
            Self::AutoScaling => "APPLICATION_AUTO_SCALING",
            Self::SecretsManager => "SECRETS_MANAGER",
            Self::Elbv2 => "ELASTIC_LOAD_BALANCING_V2",
            Self::Iam => "IAM",
        }
    }

    /// The host prefix of the service's regional AWS endpoint: its label,
    /// but for ECR, whose API lives under `api.`.
    fn host_prefix(self) -> &'static str {
        match self {
            Self::Ecr => "api.ecr",
            other => other.label(),
        }
    }
}

/// Where a call went, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// The URL requests go to.
    pub(crate) url: String,
    /// Whether it was configured (an emulator or a private endpoint) rather than AWS's own.
    pub(crate) configured: bool,
    /// Where the configuration came from ("parity.toml", "AWS_ENDPOINT_URL_SSM").
    pub(crate) source: &'static str,
}

/// The loaded SDK configuration for one environment, and the call counter
/// every client built from it reports to.
#[derive(Debug, Clone)]
pub(crate) struct AwsContext {
    sdk: SdkConfig,
    target: AwsTarget,
    region: String,
    calls: CallCounter,
}

impl AwsContext {
    /// Loads the configuration and checks that credentials resolve, so a
    /// missing login is reported once, clearly, before any request is made.
    pub(crate) async fn connect(target: &AwsTarget) -> Result<Self> {
        let region = target.region.clone().ok_or_else(|| {
            Error::input(format!(
                "environment `{}` has no AWS region in parity.toml",
                target.environment
            ))
            .with_help(format!(
                "add `region = \"eu-west-1\"` (or your region) to the `{}` environment in parity.toml",
                target.environment
            ))
        })?;
        if let Some(endpoint) = &target.endpoint {
            check_endpoint_url(endpoint, &target.environment)?;
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.clone()))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(MAX_ATTEMPTS)
                    .with_max_backoff(MAX_BACKOFF),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .operation_timeout(OPERATION_TIMEOUT)
                    .build(),
            );
        if let Some(endpoint) = &target.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        if let Some(profile) = &target.profile {
            loader = loader.profile_name(profile);
        }
        let sdk = loader.load().await;
        let context = Self {
            sdk,
            target: target.clone(),
            region,
            calls: CallCounter::default(),
        };
        context.check_credentials().await?;
        Ok(context)
    }

    /// A context whose clients send every request to `http` (a
    /// `StaticReplayClient` in request-shape tests) with fixed test credentials.
    #[cfg(test)]
    pub(crate) fn with_http_client(
        http: impl aws_sdk_ecs::config::HttpClient + 'static,
        region: &str,
    ) -> Self {
        let credentials =
            aws_sdk_ecs::config::Credentials::new("AKIDTEST", "secret", None, None, "test");
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .credentials_provider(aws_sdk_ecs::config::SharedCredentialsProvider::new(
                credentials,
            ))
            .http_client(http)
            .build();
        Self {
            sdk,
            target: AwsTarget::default(),
            region: region.to_owned(),
            calls: CallCounter::default(),
        }
    }

    /// Resolves credentials once. The provider's own error text is not shown:
    /// it can quote a malformed credentials file, keys included.
    async fn check_credentials(&self) -> Result<()> {
        let missing = || {
            let profile = self
                .target
                .profile
                .clone()
                .or_else(|| std::env::var("AWS_PROFILE").ok());
            let what = match profile {
                Some(profile) => format!(" (profile `{profile}`)"),
                None => String::new(),
            };
            Error::failed(format!(
                "no usable AWS credentials for environment `{}`{what}",
                self.target.environment
            ))
            .with_help(
                "set AWS_PROFILE (after `aws sso login` for SSO profiles), or AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY, or run where a task or instance role is available",
            )
        };
        let provider = self.sdk.credentials_provider().ok_or_else(missing)?;
        provider
            .provide_credentials()
            .await
            .map(|_| ())
            .map_err(|_| missing())
    }

    /// The region calls go to.
    pub(crate) fn region(&self) -> &str {
        &self.region
    }

    /// The counter every client built here reports to.
    pub(crate) fn calls(&self) -> &CallCounter {
        &self.calls
    }

    /// Where `service`'s requests go, following the SDK's precedence:
    /// parity.toml, then `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, then AWS.
    pub(crate) fn endpoint(&self, service: Service) -> Endpoint {
        if let Some(url) = &self.target.endpoint {
            return Endpoint {
                url: url.clone(),
                configured: true,
                source: "parity.toml",
            };
        }
        let service_var = format!("AWS_ENDPOINT_URL_{}", service.env_id());
        for (var, source) in [
            (
                service_var.as_str(),
                "a service-specific AWS_ENDPOINT_URL_*",
            ),
            ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL"),
        ] {
            if let Ok(url) = std::env::var(var)
                && !url.is_empty()
            {
                return Endpoint {
                    url,
                    configured: true,
                    source,
                };
            }
        }
        // IAM is global: one endpoint for every region (of the partition).
        let url = match service {
            Service::Iam => "https://iam.amazonaws.com".to_owned(),
            _ => format!(
                "https://{}.{}.amazonaws.com",
                service.host_prefix(),
                self.region
            ),
        };
        Endpoint {
            url,
            configured: false,
            source: "the region",
        }
    }

    /// A Systems Manager (Parameter Store) client.
    pub(crate) fn ssm(&self) -> aws_sdk_ssm::Client {
        let config = aws_sdk_ssm::config::Builder::from(&self.sdk)
            .interceptor(self.calls.for_service(Service::Ssm.label()))
            .build();
        aws_sdk_ssm::Client::from_conf(config)
    }

    /// A Secrets Manager client.
    pub(crate) fn secretsmanager(&self) -> aws_sdk_secretsmanager::Client {
        let config = aws_sdk_secretsmanager::config::Builder::from(&self.sdk)
            .interceptor(self.calls.for_service(Service::SecretsManager.label()))
            .build();
        aws_sdk_secretsmanager::Client::from_conf(config)
    }

    /// An ECS client.
    pub(crate) fn ecs(&self) -> aws_sdk_ecs::Client {
        let config = aws_sdk_ecs::config::Builder::from(&self.sdk)
            .interceptor(self.calls.for_service(Service::Ecs.label()))
            .build();
        aws_sdk_ecs::Client::from_conf(config)
    }

    /// An ECR client.
    pub(crate) fn ecr(&self) -> aws_sdk_ecr::Client {
        let config = aws_sdk_ecr::config::Builder::from(&self.sdk)
            .interceptor(self.calls.for_service(Service::Ecr.label()))
            .build();
        aws_sdk_ecr::Client::from_conf(config)
    }

    /// A CloudWatch Logs client.
    pub(crate) fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        let config = aws_sdk_cloudwatchlogs::config::Builder::from(&self.sdk)
            .interceptor(self.calls.for_service(Service::Logs.label()))
            .build();
        aws_sdk_cloudwatchlogs::Client::from_conf(config)
    }

    /// An STS client (account id via GetCallerIdentity).
    pub(crate) fn sts(&self) -> aws_sdk_sts::Client {
        let config = aws_sdk_sts::config::Builder::from(&self.sdk)
            .interceptor(self.calls.for_service(Service::Sts.label()))
            .build();
        aws_sdk_sts::Client::from_conf(config)
    }

    /// A CloudFormation client (the environment stack).
    pub(crate) fn cloudformation(&self) -> aws_sdk_cloudformation::Client {
        let config = aws_sdk_cloudformation::config::Builder::from(&self.sdk)
            .interceptor(self.calls.for_service(Service::CloudFormation.label()))
            .build();
        aws_sdk_cloudformation::Client::from_conf(config)
    }

    /// An ACM client (the environment's certificate).
    pub(crate) fn acm(&self) -> aws_sdk_acm::Client {
        let config = aws_sdk_acm::config::Builder::from(&self.sdk)
            .interceptor(self.calls.for_service(Service::Acm.label()))
            .build();
        aws_sdk_acm::Client::from_conf(config)
    }

    /// A Route 53 client (the certificate's validation records).
    pub(crate) fn route53(&self) -> aws_sdk_route53::Client {
        let config = aws_sdk_route53::config::Builder::from(&self.sdk)
            .interceptor(self.calls.for_service(Service::Route53.label()))
            .build();
        aws_sdk_route53::Client::from_conf(config)
    }

    /// An EventBridge Scheduler client (the jobs' schedules).
    pub(crate) fn scheduler(&self) -> aws_sdk_scheduler::Client {
        let config = aws_sdk_scheduler::config::Builder::from(&self.sdk)
            .interceptor(self.calls.for_service(Service::Scheduler.label()))
            .build();
        aws_sdk_scheduler::Client::from_conf(config)
    }

    /// An Application Auto Scaling client (`x-parity.scale`).
    pub(crate) fn autoscaling(&self) -> aws_sdk_applicationautoscaling::Client {
        let config = aws_sdk_applicationautoscaling::config::Builder::from(&self.sdk)
            .interceptor(self.calls.for_service(Service::AutoScaling.label()))
            .build();
        aws_sdk_applicationautoscaling::Client::from_conf(config)
    }

    /// An Elastic Load Balancing v2 client (review apps' target groups and listener rules).
    pub(crate) fn elbv2(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        let config = aws_sdk_elasticloadbalancingv2::config::Builder::from(&self.sdk)
            .interceptor(self.calls.for_service(Service::Elbv2.label()))
            .build();
        aws_sdk_elasticloadbalancingv2::Client::from_conf(config)
    }

    /// An IAM client (`parity iam --for ci --apply`: the OIDC provider and the deployer role).
    pub(crate) fn iam(&self) -> aws_sdk_iam::Client {
        let config = aws_sdk_iam::config::Builder::from(&self.sdk)
            .interceptor(self.calls.for_service(Service::Iam.label()))
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }
}

/// An endpoint must be an absolute http(s) URL; anything else is a typo in parity.toml.
fn check_endpoint_url(url: &str, environment: &str) -> Result<()> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(()),
        _ => Err(Error::input(format!(
            "environment `{environment}`: endpoint `{url}` is not an http(s) URL"
        ))
        .with_help(
            "write it like `http://127.0.0.1:5000` or `https://ssm.eu-west-1.amazonaws.com`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_hosts_are_the_service_label_but_ecr_under_api() {
        assert_eq!(Service::Ecr.host_prefix(), "api.ecr");
        assert_eq!(Service::Ssm.host_prefix(), "ssm");
        assert_eq!(
            Service::AutoScaling.host_prefix(),
            "application-autoscaling"
        );
    }

    #[test]
    fn endpoint_must_be_an_http_url() {
        assert!(check_endpoint_url("http://127.0.0.1:5000", "staging").is_ok());
        assert!(check_endpoint_url("https://ssm.eu-west-1.amazonaws.com", "staging").is_ok());
        let err = check_endpoint_url("127.0.0.1:5000", "staging").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.message().contains("127.0.0.1:5000"));
        assert!(check_endpoint_url("http://", "staging").is_err());
    }

    #[test]
    fn missing_region_is_bad_input_naming_the_environment() {
        let target = AwsTarget {
            environment: "staging".into(),
            ..AwsTarget::default()
        };
        let err = crate::commands::block_on(AwsContext::connect(&target)).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.message().contains("`staging`"), "{}", err.message());
    }
}
