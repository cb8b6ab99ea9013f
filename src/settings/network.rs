//! `network = ...` in an environment: where the environment stack puts the
//! tasks and the load balancer. Three shapes, one key:
//!
//! - `"public"` (default): a new VPC, public subnets only; tasks get a public IP for egress;
//! - `"private"`: a new VPC, public subnets for the load balancer, private
//!   subnets behind one NAT gateway for the tasks;
//! - `{ vpc = "vpc-…", subnets = [...], public_subnets = [...] }`: an existing
//!   VPC; the stack creates no network resources.
//!
//! Syntax only; the cross-field checks (a `vpc` needs `subnets`) are in
//! [`super::validate`] so they point at the key with file:line:col.

use serde::{Deserialize, Deserializer};
use toml::Spanned;

/// The network mode of one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Network {
    Public,
    Private,
    Existing(ExistingVpc),
}

/// `network = { vpc, subnets, public_subnets }`: infrastructure someone else owns.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExistingVpc {
    /// The VPC the security groups and target groups are created in.
    pub(crate) vpc: Spanned<String>,
    /// Subnets the tasks run in. Required (checked with the key's location).
    #[serde(default)]
    pub(crate) subnets: Vec<Spanned<String>>,
    /// Subnets the load balancer listens in. Default: `subnets`.
    #[serde(default)]
    pub(crate) public_subnets: Vec<Spanned<String>>,
}

impl Network {
    /// The mode's name as users write it (`public`, `private`, `existing`).
    pub(crate) fn mode(&self) -> &'static str {
        match self {
            Network::Public => "public",
            Network::Private => "private",
            Network::Existing(_) => "existing",
        }
    }
}

impl<'de> Deserialize<'de> for Network {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Network;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "\"public\", \"private\" or { vpc = \"vpc-...\", subnets = [...], public_subnets = [...] }",
                )
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Network, E> {
                match v {
                    "public" => Ok(Network::Public),
                    "private" => Ok(Network::Private),
                    other => Err(E::custom(format!(
                        "unknown network mode `{other}`: expected \"public\" (the default), \"private\" or an existing VPC as {{ vpc = \"vpc-...\", subnets = [\"subnet-...\"] }}"
                    ))),
                }
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Network, A::Error> {
                ExistingVpc::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(Network::Existing)
            }
        }
        d.deserialize_any(Visitor)
    }
}
