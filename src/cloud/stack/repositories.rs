//! The environment's ECR repositories: one per distinct build of the cloud
//! services, named by [`crate::cloud::image_build`] (the name deploy pushes
//! to and promote copies to), shared by the services that share the build.

use serde::Serialize;

use super::names;
use crate::cloud::image_build::image_builds;
use crate::compose::model::Project;
use crate::error::Result;
use crate::settings::{Environment, Settings};

/// One ECR repository of the stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Repository {
    /// `<app>` or `<app>/<build>`.
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
    let create = !shares_registry_with_source(settings, environment);
    let repositories: Vec<Repository> = image_builds(project, settings.app())
        .into_iter()
        .map(|build| Repository {
            logical_id: names::repository_output(&build.repository),
            name: build.repository,
            services: build.services,
            create,
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
