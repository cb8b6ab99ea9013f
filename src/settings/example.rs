//! The example `parity.toml` shown when the file is missing (and in the README).

/// A complete, valid starting point: one staging environment fed by `deploy`,
/// one prod environment fed by `promote`.
pub(crate) const EXAMPLE: &str = r#"app = "shop"                      # prefixes task families, ECS services, SSM paths

[environments.staging]
region = "eu-west-1"
account_id = "123456789012"       # optional when AWS credentials can ask STS
cluster = "shop-staging"
subnets = ["subnet-0a1b2c3d"]
security_groups = ["sg-0a1b2c3d"]
execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
task_role_arn = "arn:aws:iam::123456789012:role/shop-task"
# ssm_prefix = "/shop/staging/"   # default /<app>/<env>/
# registry = "..."                # default: the account's ECR

[environments.staging.variables]  # non-secret, override compose values
LOG_LEVEL = "info"

[environments.staging.services.web]
desired_count = 2
load_balancer = { target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-web/0123456789abcdef", container_port = 3000, grace_period = 30 }

[environments.prod]
promotes_from = "staging"         # `parity promote` brings staging's images here
region = "eu-west-1"
account_id = "123456789012"
cluster = "shop-prod"
subnets = ["subnet-0e1f2a3b"]
security_groups = ["sg-0e1f2a3b"]
execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
"#;
