//! Thin adapters over the official AWS SDK: one place that builds the SDK
//! configuration ([`config`]), one that turns SDK errors into one-line
//! explanations ([`explain`]), an API-call counter ([`calls`]), and one module
//! per service (SSM here; ECS, ECR, CloudWatch Logs next to it).
//!
//! Adapters translate between parity's types and the SDK's and own no domain
//! rules; they never print, and never put a secret value into an error.

pub(crate) mod acm;
pub(crate) mod autoscaling;
pub(crate) mod calls;
pub(crate) mod cloudformation;
pub(crate) mod config;
pub(crate) mod deploy_lock;
pub(crate) mod ecr;
pub(crate) mod ecs;
pub(crate) mod ecs_describe;
pub(crate) mod ecs_exec;
pub(crate) mod ecs_review;
pub(crate) mod ecs_tasks;
pub(crate) mod ecs_teardown;
pub(crate) mod elbv2;
pub(crate) mod explain;
pub(crate) mod iam;
pub(crate) mod logs;
pub(crate) mod master_password;
pub(crate) mod parameters;
pub(crate) mod parity_secrets;
#[cfg(test)]
pub(crate) mod request_shapes;
pub(crate) mod route53;
pub(crate) mod scheduler;
pub(crate) mod secretsmanager;
pub(crate) mod ssm;
pub(crate) mod sts;

// The names commands use; the secrets command is the first user.
#[allow(unused_imports)]
pub(crate) use config::{AwsContext, AwsTarget};
