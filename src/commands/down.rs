//! `parity down`.

use std::process::ExitCode;

use crate::cli::{DownArgs, GlobalArgs};
use crate::error::{Error, Result};

/// Not available yet: says so and exits 2 rather than printing anything fake.
pub(crate) fn run(_global: &GlobalArgs, _args: &DownArgs) -> Result<ExitCode> {
    Err(Error::not_available("down"))
}
