//! `parity logs`.

use std::process::ExitCode;

use crate::cli::{GlobalArgs, LogsArgs};
use crate::error::{Error, Result};

/// Not available yet: says so and exits 2 rather than printing anything fake.
pub(crate) fn run(_global: &GlobalArgs, _args: &LogsArgs) -> Result<ExitCode> {
    Err(Error::not_available("logs"))
}
