//! The stack's network, from the environment's `network` mode: which network
//! resources the template creates (none for an existing VPC), where tasks and
//! the load balancer go, and whether tasks need a public IP for egress.

use serde::Serialize;

use crate::settings::{Environment, Network};

/// What the template needs to know about the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct NetworkData {
    /// `public`, `private` or `existing`.
    pub(crate) mode: &'static str,
    /// The stack creates the VPC, subnets, internet gateway and routes.
    pub(crate) create_vpc: bool,
    /// The stack creates private subnets behind one NAT gateway (mode `private`).
    pub(crate) nat: bool,
    /// An existing VPC's id (mode `existing`).
    pub(crate) vpc_id: Option<String>,
    /// An existing VPC's subnets for the tasks.
    pub(crate) subnets: Vec<String>,
    /// An existing VPC's subnets for the load balancer (default: `subnets`).
    pub(crate) public_subnets: Vec<String>,
    /// Tasks get a public IP: their only way out in mode `public` (no NAT).
    pub(crate) assign_public_ip: bool,
}

impl NetworkData {
    pub(crate) fn of(environment: &Environment) -> Self {
        let network = environment.network();
        match network {
            Network::Public | Network::Private => {
                Self::created(network.mode(), matches!(network, Network::Private))
            }
            Network::Existing(existing) => {
                let subnets: Vec<String> = existing
                    .subnets
                    .iter()
                    .map(|s| s.get_ref().clone())
                    .collect();
                let public_subnets = if existing.public_subnets.is_empty() {
                    subnets.clone()
                } else {
                    existing
                        .public_subnets
                        .iter()
                        .map(|s| s.get_ref().clone())
                        .collect()
                };
                Self {
                    mode: network.mode(),
                    create_vpc: false,
                    nat: false,
                    vpc_id: Some(existing.vpc.get_ref().clone()),
                    subnets,
                    public_subnets,
                    // The VPC's owner knows whether its subnets route out through
                    // a NAT; parity.toml's `assign_public_ip` says so.
                    assign_public_ip: environment.assign_public_ip,
                }
            }
        }
    }

    fn created(mode: &'static str, nat: bool) -> Self {
        Self {
            mode,
            create_vpc: true,
            nat,
            vpc_id: None,
            subnets: Vec::new(),
            public_subnets: Vec::new(),
            assign_public_ip: !nat,
        }
    }
}
