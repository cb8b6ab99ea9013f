//! `parity secrets`.

use std::process::ExitCode;

use crate::cli::{GlobalArgs, SecretsArgs};
use crate::error::{Error, Result};

/// Not available yet: says so and exits 2 rather than printing anything fake.
pub(crate) fn run(_global: &GlobalArgs, _args: &SecretsArgs) -> Result<ExitCode> {
    Err(Error::not_available("secrets"))
}
