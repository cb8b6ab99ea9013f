//! `parity __complete services|environments` (hidden): the names the
//! completion scripts of `parity completions` offer, one per line. Quiet by
//! design: a compose file or parity.toml that does not load lists nothing
//! and exits 0, because a completion must never print an error mid-line.

use std::process::ExitCode;

use crate::cli::{CompleteArgs, CompleteWhat, GlobalArgs};
use crate::error::Result;

pub(crate) fn run(global: &GlobalArgs, args: &CompleteArgs) -> Result<ExitCode> {
    for name in names(global, args.what) {
        println!("{name}");
    }
    Ok(ExitCode::SUCCESS)
}

fn names(global: &GlobalArgs, what: CompleteWhat) -> Vec<String> {
    let Ok(project) = super::load_project(global, &[]) else {
        return Vec::new();
    };
    match what {
        CompleteWhat::Services => project.services.keys().cloned().collect(),
        CompleteWhat::Environments => super::load_settings(global, &project)
            .map(|settings| settings.environment_names().map(str::to_owned).collect())
            .unwrap_or_default(),
    }
}
