//! The environment's application load balancer: which cloud services are
//! public, the target group of each (container port, health-check path), the
//! hosts each answers on, and the Route 53 records when a zone is given.
//!
//! A cloud service of its own (not the release phase, not a sidecar) is public
//! when `x-parity.public` says so, else when it publishes a TCP port in compose;
//! its first TCP port is the target group's port. Hosts: `x-parity.host` (a full
//! name, or a label prefixed to the domain); else the first such public service
//! (in the model's order: by name, as `parity config` lists them) takes the
//! environment's `domain`, unless a service names it as its host, and the
//! others `<service>.<domain>`. One
//! service may go without a host (it gets the listener's default action);
//! ECS attaches a service only to a target group a listener forwards to, so a
//! second one without a host is refused, naming it.

use serde::Serialize;

use super::names;
use crate::compose::model::{Project, Service};
use crate::error::{Error, Result};
use crate::settings::{Environment, is_zone_id};

/// The ALB and everything behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct LoadBalancer {
    /// HTTPS on 443 with the certificate parameter, and 80 redirecting to it
    /// (the environment has a domain). Else HTTP on 80 only.
    pub(crate) https: bool,
    /// Public services in compose order.
    pub(crate) services: Vec<PublicService>,
    /// The target group of the listener's default action.
    pub(crate) default_target_group: String,
    /// `https://<domain>` when the default service has one; else the template
    /// builds `http://<load balancer DNS name>`.
    pub(crate) url: Option<String>,
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
    /// Listener rule priority: stable per service name ([`priorities`]).
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
    environment: &Environment,
) -> Result<Option<LoadBalancer>> {
    let domain = environment.domain();
    let mut domain_taken = project.services.values().any(|s| {
        s.x_parity
            .host
            .as_deref()
            .is_some_and(|h| Some(h) == domain)
    });
    let mut without_host: Option<&str> = None;
    let mut services: Vec<PublicService> = Vec::new();
    for (name, service) in &project.services {
        let Some(port) = public_port(name, service)? else {
            continue;
        };
        let x = &service.x_parity;
        let hosts: Vec<String> = match (&x.host, domain) {
            (Some(host), _) if host.contains('.') => vec![host.clone()],
            (Some(label), Some(domain)) => vec![format!("{label}.{domain}")],
            (Some(label), None) => {
                return Err(x
                    .error(
                        "host",
                        format!("`{label}` is a label of the environment's domain, and environment `{}` has no domain", environment.name()),
                    )
                    .with_help(format!(
                        "write the full host name, or set domain = \"...\" in [environments.{}] of parity.toml",
                        environment.name()
                    )));
            }
            (None, Some(domain)) if !domain_taken => {
                domain_taken = true;
                vec![domain.to_owned()]
            }
            (None, Some(domain)) => vec![format!("{}.{domain}", host_label(name))],
            (None, None) => {
                if let Some(first) = without_host {
                    return Err(second_without_host(environment, first, service));
                }
                without_host = Some(name);
                Vec::new()
            }
        };
        services.push(PublicService {
            target_group: names::target_group_output(name),
            rule: names::logical_id("ListenerRule", name),
            service: name.clone(),
            port,
            health_check_path: x
                .health_check_path
                .clone()
                .unwrap_or_else(|| "/".to_owned()),
            hosts: hosts
                .into_iter()
                .map(|host| Host {
                    record: names::logical_id("Record", &host),
                    name: host,
                })
                .collect(),
            priority: 0,
        });
    }
    priorities(&mut services);
    if services.is_empty() {
        return Ok(None);
    }
    check_hosts_distinct(project, &services)?;
    names::check_distinct_at(
        "services",
        services
            .iter()
            .map(|s| (s.service.as_str(), s.target_group.clone())),
        |name, message| project.services[name].error_at("", message),
    )?;
    let default = services
        .iter()
        .find(|s| s.hosts.iter().any(|h| Some(h.name.as_str()) == domain))
        .or_else(|| services.iter().find(|s| s.hosts.is_empty()))
        .unwrap_or(&services[0]);
    let https = domain.is_some();
    let url = match (https, default.hosts.first()) {
        (true, Some(host)) => Some(format!("https://{}", host.name)),
        _ => None,
    };
    let default_target_group = default.target_group.clone();
    let mut ports: Vec<u16> = services.iter().map(|s| s.port).collect();
    ports.sort_unstable();
    ports.dedup();
    Ok(Some(LoadBalancer {
        https,
        services,
        default_target_group,
        url,
        ports,
        hosted_zone: environment.hosted_zone().map(hosted_zone),
    }))
}

/// The highest listener rule priority an ALB accepts.
const MAX_PRIORITY: u32 = 50_000;

/// Gives each service with hosts a listener rule priority derived from its
/// name alone (SHA-256, into 1..=50000), so adding, removing or reordering
/// other services never moves it. A priority follows the service: no update
/// creates a rule on a priority another rule still holds, which ELB refuses
/// (`PriorityInUse`) because CloudFormation creates new rules before it
/// updates or deletes old ones. Hosts are distinct, so the order of the
/// priorities does not matter for routing. Two names landing on one value
/// (about 0.4 % for 20 public services) are separated by taking the next
/// free value in name order; only then can a later addition move a rule.
fn priorities(services: &mut [PublicService]) {
    use sha2::{Digest, Sha256};
    let mut taken = std::collections::BTreeSet::new();
    let mut order: Vec<usize> = (0..services.len()).collect();
    order.sort_by(|a, b| services[*a].service.cmp(&services[*b].service));
    for i in order {
        if services[i].hosts.is_empty() {
            continue;
        }
        let digest = Sha256::digest(services[i].service.as_bytes());
        let word = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        let mut priority = word % MAX_PRIORITY + 1;
        while !taken.insert(priority) {
            priority = priority % MAX_PRIORITY + 1;
        }
        services[i].priority = priority;
    }
}

/// The target group's port when `service` is public; a service declared public
/// without a TCP port is bad input naming it.
fn public_port(name: &str, service: &Service) -> Result<Option<u16>> {
    let x = &service.x_parity;
    let port = crate::compose::x_parity::public_port(service);
    match (port, x.public) {
        (None, Some(true)) => Err(x
            .error(
                "public",
                format!("service `{name}` is public but publishes no TCP port for the load balancer to send traffic to"),
            )
            .with_help("add the container port the service listens on, e.g. `ports: [\"3000\"]`")),
        _ => Ok(port),
    }
}

/// A service name as a DNS label: lowercase, `_` as `-`.
fn host_label(service: &str) -> String {
    service.to_ascii_lowercase().replace('_', "-")
}

/// Located at the second service's ports, which make it public.
fn second_without_host(environment: &Environment, first: &str, service: &Service) -> Error {
    let name = &service.name;
    service.error_at("ports", format!(
        "service `{name}` publishes a port, so it is public like `{first}`; without a domain the load balancer can route only one service without a host"
    ))
    .with_help(format!(
        "set domain = \"...\" in [environments.{}] of parity.toml (`{name}` then answers on {}.<domain>), give it `x-parity.host`, or `x-parity.public: false` if it is internal",
        environment.name(),
        host_label(name)
    ))
}

/// Two services may not answer on one host (located at the second one's
/// `x-parity.host`, else its name).
fn check_hosts_distinct(project: &Project, services: &[PublicService]) -> Result<()> {
    for (i, service) in services.iter().enumerate() {
        for host in &service.hosts {
            if let Some(other) = services[..i]
                .iter()
                .find(|s| s.hosts.iter().any(|h| h.name == host.name))
            {
                let at = &project.services[&service.service];
                return Err(at
                    .error_at(
                        "x-parity.host",
                        format!(
                            "services `{}` and `{}` both answer on host `{}`",
                            other.service, service.service, host.name
                        ),
                    )
                    .with_help("give one of them another `x-parity.host`"));
            }
        }
    }
    Ok(())
}

fn hosted_zone(zone: &str) -> HostedZone {
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
}
