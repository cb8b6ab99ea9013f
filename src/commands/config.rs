//! `parity config`.

use std::process::ExitCode;

use crate::cli::{ConfigArgs, GlobalArgs};
use crate::error::{Error, Result};

/// Not available yet: says so and exits 2 rather than printing anything fake.
pub(crate) fn run(_global: &GlobalArgs, _args: &ConfigArgs) -> Result<ExitCode> {
    Err(Error::not_available("config"))
}
