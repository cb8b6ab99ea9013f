//! Everything a cloud command starts from: parity.toml, the environment, the
//! compose project and its hash, and the AWS connection for the environment.

use crate::aws::{AwsContext, AwsTarget};
use crate::cli::GlobalArgs;
use crate::cloud::tags::compose_hash;
use crate::compose::model::Project;
use crate::error::Result;
use crate::settings::{Environment, Settings};

/// The inputs, read and validated before anything changes.
pub(crate) struct Inputs {
    pub(crate) settings: Settings,
    pub(crate) project: Project,
    pub(crate) compose_hash: String,
}

impl Inputs {
    /// Reads the compose project and parity.toml (bad input: exit 2).
    pub(crate) fn load(global: &GlobalArgs) -> Result<Self> {
        let project = crate::commands::load_project(global, &[])?;
        let settings = crate::commands::load_settings(global, &project)?;
        Ok(Self {
            settings,
            compose_hash: compose_hash(&project),
            project,
        })
    }

    /// Like [`Self::load`], with the named environments completed from their
    /// stacks' outputs where parity.toml leaves them unset (`parity env apply`).
    pub(crate) fn load_for(global: &GlobalArgs, environments: &[&str]) -> Result<Self> {
        let mut inputs = Self::load(global)?;
        crate::commands::env::resolve(&mut inputs.settings, &inputs.project, environments, true)?;
        // Names AWS would refuse half-way through a change: refused before any AWS call.
        for name in environments {
            let environment = inputs.environment(name)?;
            crate::cloud::schedule::check_names(&inputs.project, environment)?;
        }
        Ok(inputs)
    }

    pub(crate) fn environment(&self, name: &str) -> Result<&Environment> {
        self.settings.environment(name)
    }
}

/// An environment's AWS connection and account.
pub(crate) struct Cloud {
    pub(crate) ctx: AwsContext,
    pub(crate) account_id: String,
}

impl Cloud {
    /// Connects to the environment's region/endpoint; asks STS for the account
    /// when parity.toml does not name it.
    pub(crate) async fn connect(environment: &Environment) -> Result<Self> {
        let ctx = AwsContext::connect(&AwsTarget::for_environment(environment)).await?;
        let account_id = match environment.account_id() {
            Some(id) => id.to_owned(),
            None => crate::aws::sts::account_id(&ctx).await?,
        };
        Ok(Self { ctx, account_id })
    }
}
