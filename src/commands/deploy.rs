//! `parity deploy`.

use std::process::ExitCode;

use crate::cli::{DeployArgs, GlobalArgs};
use crate::error::{Error, Result};

/// Not available yet: says so and exits 2 rather than printing anything fake.
pub(crate) fn run(_global: &GlobalArgs, _args: &DeployArgs) -> Result<ExitCode> {
    Err(Error::not_available("deploy"))
}
