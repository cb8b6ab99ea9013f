//! The environment's ECR repositories: one per distinct build of the cloud
//! services (services that share a `build:` share a repository).
//!
//! The grouping itself is a stand-in until the foundation's shared function
//! (one build -> its repository and the services sharing it) is on main.

use serde::Serialize;

use super::names;
use crate::compose::model::{Build, Project};
use crate::compose::x_parity;
use crate::error::Result;
use crate::settings::{Environment, Settings};

/// One ECR repository of the stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Repository {
    /// `<app>/<name>`.
    pub(crate) name: String,
    /// The resource's logical id and the output key of its URI.
    pub(crate) logical_id: String,
    /// The compose services whose image it holds.
    pub(crate) services: Vec<String>,
    /// This stack creates it; `false` when the environment promotes from one in
    /// the same account and region, whose stack already owns it.
    pub(crate) create: bool,
}

/// The repositories of `environment`, in compose order of their first service.
pub(crate) fn repositories(
    project: &Project,
    settings: &Settings,
    environment: &Environment,
) -> Result<Vec<Repository>> {
    let xs = x_parity::read_all(project)?;
    let mut builds: Vec<(&Build, Vec<String>)> = Vec::new();
    for (name, service) in &project.services {
        let (Some(build), Some(x)) = (&service.build, xs.get(name)) else {
            continue;
        };
        if !x.cloud {
            continue;
        }
        match builds.iter_mut().find(|(b, _)| *b == build) {
            Some((_, services)) => services.push(name.clone()),
            None => builds.push((build, vec![name.clone()])),
        }
    }
    let create = !shares_registry_with_source(settings, environment);
    let repositories: Vec<Repository> = builds
        .into_iter()
        .map(|(_, services)| {
            let name = environment.repository(&services[0]);
            Repository {
                logical_id: names::repository_output(&name),
                name,
                services,
                create,
            }
        })
        .collect();
    names::check_distinct(
        "repositories",
        repositories
            .iter()
            .map(|r| (r.name.as_str(), r.logical_id.clone())),
    )?;
    Ok(repositories)
}

/// Repository names are unique per account and region: an environment promoted
/// from another in the same account and region (prod from staging) uses the
/// repositories its source's stack created rather than creating them twice.
fn shares_registry_with_source(settings: &Settings, environment: &Environment) -> bool {
    let Some(source) = environment
        .promotes_from()
        .and_then(|name| settings.environments.get(name))
    else {
        return false;
    };
    source.region() == environment.region()
        && source.account_id() == environment.account_id()
        && source.endpoint() == environment.endpoint()
}
