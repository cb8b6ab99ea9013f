//! The hook through which `plan`, `deploy`, `promote`, `rollback` and
//! `status` see the environment `parity env apply` built: before they run,
//! each named environment that parity.toml leaves without subnets or an
//! execution role is completed from its stack's outputs
//! (`cloud::stack_outputs::fill`; values set in parity.toml win). With
//! neither, a command that needs them stops (exit 2) saying to run
//! `parity env apply ENV`; `status` just shows the environment as it is.
//! With managed services (`cloud: rds|elasticache`) the stack is always read:
//! their endpoints exist nowhere else.

use crate::aws::{AwsContext, AwsTarget, cloudformation};
use crate::cloud::stack;
use crate::cloud::stack_outputs::{fill, needs_stack};
use crate::compose::model::Project;
use crate::error::{Error, Result};
use crate::settings::Settings;

/// Completes the named environments of `settings` from their stacks;
/// `required`: an environment with neither settings nor stack is an error.
pub(crate) fn resolve(
    settings: &mut Settings,
    project: &Project,
    names: &[&str],
    required: bool,
) -> Result<()> {
    for name in names {
        let environment = settings.environment(name)?;
        // Managed services' endpoints exist only in the stack.
        let managed = project
            .services
            .values()
            .any(|s| s.x_parity.placement.is_managed());
        if !needs_stack(environment) && !managed {
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
        if outputs.is_empty() && required && needs_stack(environment) {
            return Err(Error::input(format!(
                "environment `{name}` has no subnets or execution role in {}, and no stack {} to read them from",
                settings.path.display(),
                data.stack_name
            ))
            .with_help(format!(
                "run `parity env apply {name}` to build the environment, or set subnets, security_groups and execution_role_arn for it in parity.toml"
            )));
        }
        if outputs.is_empty() && !managed {
            continue;
        }
        let filled = fill(environment, &outputs, &data);
        if let Some(slot) = settings.environments.get_mut(*name) {
            *slot = filled;
        }
    }
    Ok(())
}
