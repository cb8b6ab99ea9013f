//! The environment's application load balancer: which cloud services are
//! public, the target group of each (container port, health-check path), the
//! hosts each answers on, and the Route 53 records when a zone is given.
//!
//! A service is public when it is a cloud service (not the release phase, not a
//! sidecar) that publishes a TCP port in compose. The first public service takes
//! the environment's `domain` and the listener's default action; each further
//! one is routed by host, `<service>.<domain>`. Without a domain only one
//! service can be public: ECS attaches a service only to a target group a
//! listener forwards to, and there would be no host to route the others by.

use serde::Serialize;

use super::names;
use crate::compose::model::Project;
use crate::compose::x_parity;
use crate::error::{Error, Result};
use crate::settings::{Environment, Settings, is_zone_id};

/// The ALB and everything behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct LoadBalancer {
    /// HTTPS on 443 with the certificate parameter, and 80 redirecting to it
    /// (the environment has a domain). Else HTTP on 80 only.
    pub(crate) https: bool,
    /// Public services in compose order; the first is the default action's.
    pub(crate) services: Vec<PublicService>,
    /// Distinct container ports the task security group admits from the ALB.
    pub(crate) ports: Vec<u16>,
    /// Where alias records for the hosts are written, when parity.toml names a zone.
    pub(crate) hosted_zone: Option<HostedZone>,
}

/// One public service: its target group and listener rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PublicService {
    pub(crate) service: String,
    /// The target group's logical id, also the output key of its ARN.
    pub(crate) target_group: String,
    /// The host-based listener rule's logical id.
    pub(crate) rule: String,
    /// The container port the target group sends traffic to.
    pub(crate) port: u16,
    pub(crate) health_check_path: String,
    /// Host names routed to it (empty: reachable through the default action only).
    pub(crate) hosts: Vec<Host>,
    /// Listener rule priority (1-based, compose order).
    pub(crate) priority: u32,
}

/// A host name and the logical id of its alias record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Host {
    pub(crate) name: String,
    pub(crate) record: String,
}

/// A Route 53 hosted zone, by id or by name (with the trailing dot CloudFormation expects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct HostedZone {
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
}

/// The load balancer of `environment`, or `None` when no cloud service is public.
pub(crate) fn load_balancer(
    project: &Project,
    _settings: &Settings,
    environment: &Environment,
) -> Result<Option<LoadBalancer>> {
    let xs = x_parity::read_all(project)?;
    let mut services: Vec<PublicService> = Vec::new();
    for (name, service) in &project.services {
        let Some(x) = xs.get(name) else { continue };
        if !x.cloud || x.release || x.sidecar_of.is_some() {
            continue;
        }
        let Some(port) = service
            .ports
            .iter()
            .find(|p| p.protocol.is_empty() || p.protocol == "tcp")
            .map(|p| p.target)
        else {
            continue;
        };
        let hosts = hosts(environment, name, services.is_empty())?;
        services.push(PublicService {
            target_group: names::target_group_output(name),
            rule: names::logical_id("ListenerRule", name),
            service: name.clone(),
            port,
            health_check_path: "/".to_owned(),
            hosts: hosts
                .into_iter()
                .map(|host| Host {
                    record: names::logical_id("Record", &host),
                    name: host,
                })
                .collect(),
            priority: u32::try_from(services.len() + 1).unwrap_or(u32::MAX),
        });
    }
    if services.is_empty() {
        return Ok(None);
    }
    names::check_distinct(
        "services",
        services
            .iter()
            .map(|s| (s.service.as_str(), s.target_group.clone())),
    )?;
    let mut ports: Vec<u16> = services.iter().map(|s| s.port).collect();
    ports.sort_unstable();
    ports.dedup();
    let hosted_zone = environment.hosted_zone().map(|zone| {
        if is_zone_id(zone) {
            HostedZone {
                id: Some(zone.to_owned()),
                name: None,
            }
        } else {
            HostedZone {
                id: None,
                name: Some(format!("{}.", zone.trim_end_matches('.'))),
            }
        }
    });
    Ok(Some(LoadBalancer {
        https: environment.domain().is_some(),
        services,
        ports,
        hosted_zone,
    }))
}

/// The hosts of a public service: the domain for the first, `<service>.<domain>` after it.
fn hosts(environment: &Environment, service: &str, first: bool) -> Result<Vec<String>> {
    match (environment.domain(), first) {
        (Some(domain), true) => Ok(vec![domain.to_owned()]),
        (Some(domain), false) => Ok(vec![format!(
            "{}.{domain}",
            service.to_ascii_lowercase().replace('_', "-")
        )]),
        (None, true) => Ok(Vec::new()),
        (None, false) => Err(Error::input(format!(
            "service `{service}` publishes a port, so it would be the second public service of environment `{}`; without a domain the load balancer can route only one service",
            environment.name()
        ))
        .with_help(format!(
            "set domain = \"staging.example.com\" in [environments.{}] of parity.toml (`{service}` then answers on {}.<domain>), or remove its `ports:`",
            environment.name(),
            service.to_ascii_lowercase().replace('_', "-")
        ))),
    }
}
