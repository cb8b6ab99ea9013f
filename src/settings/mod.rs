//! `parity.toml`: the environments (staging, prod, ...) and how the compose
//! services map onto each one's AWS account. Pure: parsing and validation only;
//! no AWS calls, no compose parsing. Secret values never live in this file.
//!
//! Entry points: [`load`] reads and validates a file; [`Settings::environment`]
//! picks one environment (an unknown name is an input error listing the known ones).

mod backing;
mod environment;
mod example;
mod file;
mod load;
mod network;
mod seconds;
mod stack_keys;
mod validate;

// The public face of the module; commands (plan, secrets, deploy) use these.
#[allow(unused_imports)]
pub(crate) use environment::{
    DeployKnobs, Environment, LoadBalancer, SecretsStore, ServiceSettings, parameter_name,
};
pub(crate) use example::EXAMPLE;
pub(crate) use file::Settings;
#[allow(unused_imports)]
pub(crate) use load::{FILE_NAME, load, parse};
pub(crate) use network::Network;
pub(crate) use seconds::Seconds;
pub(crate) use stack_keys::{is_host_name, is_zone_id};

#[cfg(test)]
mod tests;
