//! The hook through which `plan`, `deploy`, `promote`, `rollback` and
//! `status` see the environment `parity env apply` built: before they run,
//! each named environment that parity.toml leaves without subnets or an
//! execution role is completed from its stack's outputs
//! (`cloud::stack_outputs::fill`; values set in parity.toml win). Without a
//! stack the environment is left as it is, and the command's own check says
//! what is missing and to run `parity env apply ENV`.

use crate::aws::{AwsContext, AwsTarget, cloudformation};
use crate::cloud::stack;
use crate::cloud::stack_outputs::{fill, needs_stack};
use crate::compose::model::Project;
use crate::error::Result;
use crate::settings::Settings;

/// Completes the named environments of `settings` from their stacks.
pub(crate) fn resolve(settings: &mut Settings, project: &Project, names: &[&str]) -> Result<()> {
    for name in names {
        let environment = settings.environment(name)?;
        if !needs_stack(environment) {
            continue;
        }
        let data = stack::stack_data(project, settings, name)?;
        let target = AwsTarget::for_environment(environment);
        let outputs = crate::commands::block_on(async {
            let ctx = AwsContext::connect(&target).await?;
            cloudformation::describe(&ctx, &data.stack_name).await
        })?
        .map(|found| found.outputs)
        .unwrap_or_default();
        if outputs.is_empty() {
            continue;
        }
        let filled = fill(environment, &outputs, &data);
        if let Some(slot) = settings.environments.get_mut(*name) {
            *slot = filled;
        }
    }
    Ok(())
}
