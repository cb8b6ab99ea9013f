//! The environment stack (`parity env`): a compose project + one environment of
//! parity.toml -> the data of the environment's CloudFormation stack
//! `parity-<app>-<env>`, and its template rendered from `templates/environment/`.
//! Pure: no AWS calls; the same inputs give the same template byte for byte.
//!
//! Interface for the commands (`parity env template|apply|show|destroy`, deploy):
//! [`stack_data`] computes a [`StackData`] (stack name, tags, termination
//! protection, the hosts a certificate must cover, ...); [`render`] turns it
//! into the template body. The template takes two parameters:
//! [`CERTIFICATE_PARAMETER`] (required when [`StackData::needs_certificate`]:
//! the ACM certificate ARN the caller requested for [`StackData::hosts`]) and
//! [`SERVICE_CONNECT_PARAMETER`] (`enabled` by default; `disabled` only for an
//! emulator without Cloud Map, e.g. moto). IAM roles are unnamed, so applying
//! needs `CAPABILITY_IAM` (not `CAPABILITY_NAMED_IAM`).
//!
//! Outputs (what deploy reads): `VpcId`, `ClusterName`, `ClusterArn`,
//! `Subnets` and `PublicSubnets` (comma-separated), `AssignPublicIp`
//! (`ENABLED`/`DISABLED`), `TaskSecurityGroup`, `ExecutionRoleArn`,
//! `TaskRoleArn`, `LogGroupName`, `ServiceConnectNamespace` (when enabled);
//! one output per repository (its URI) keyed by [`repositories::Repository::logical_id`];
//! with a load balancer `LoadBalancerSecurityGroup`, `LoadBalancerDnsName`,
//! `LoadBalancerUrl` and one per public service (its target group ARN) keyed
//! by [`load_balancer::PublicService::target_group`]. ECR repositories and the log group are
//! retained when the stack is deleted.
//!
//! Backing services (`x-parity: { cloud: rds|elasticache }`, see
//! `crate::cloud::backing`): a DB subnet group / cache subnet group in the
//! task subnets, per service a security group admitting only
//! `TaskSecurityGroup` on the engine port, the RDS instance (encrypted,
//! backups on, never public; with `promotes_from`: deletion protection and a
//! final snapshot) or the ElastiCache replication group, and the output
//! [`crate::cloud::backing::Backing::address_output`] (the endpoint's host).
//! The RDS master password is a `{{resolve:ssm-secure:...}}` reference to the
//! parameter `parity env apply` puts first; the template never holds it.

mod data;
mod iam;
mod load_balancer;
mod names;
mod network;
mod render;
mod repositories;

#[cfg(test)]
mod tests;

pub(crate) use data::{StackData, stack_data};
pub(crate) use load_balancer::LoadBalancer;
#[cfg(test)]
pub(crate) use load_balancer::{Host, PublicService};
pub(crate) use names::{check_distinct, logical_id};
pub(crate) use render::{check_size, error_chain, render, template_environment};

// `parity iam` names the stack, its repositories and whether tasks open ECS Exec sessions as the stack does.
pub(crate) use data::stack_name;
pub(crate) use iam::task_exec;
pub(crate) use repositories::repositories;

/// Template parameter: the ACM certificate ARN for the HTTPS listener.
pub(crate) const CERTIFICATE_PARAMETER: &str = "CertificateArn";
/// Template parameter: `enabled` (default) or `disabled` (no Cloud Map namespace).
pub(crate) const SERVICE_CONNECT_PARAMETER: &str = "ServiceConnect";

impl StackData {
    /// The HTTPS listener needs a certificate (the environment has a domain).
    pub(crate) fn needs_certificate(&self) -> bool {
        self.load_balancer.as_ref().is_some_and(|lb| lb.https)
    }

    /// Every host name the load balancer answers on (the certificate's names).
    pub(crate) fn hosts(&self) -> Vec<&str> {
        self.load_balancer
            .iter()
            .flat_map(|lb| &lb.services)
            .flat_map(|s| &s.hosts)
            .map(|h| h.name.as_str())
            .collect()
    }
}
