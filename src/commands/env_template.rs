//! `parity env template ENV`: the environment's rendered CloudFormation
//! template on stdout, for review or for teams that apply templates through
//! their own pipeline. Reads only files: no AWS call, no credentials needed.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{EnvTemplateArgs, GlobalArgs};
use crate::cloud::stack;
use crate::error::Result;

pub(crate) fn run(global: &GlobalArgs, args: &EnvTemplateArgs) -> Result<ExitCode> {
    let project = super::load_project(global, &[])?;
    let settings = super::load_settings(global, &project)?;
    let data = stack::stack_data(&project, &settings, &args.env)?;
    let template = stack::render(&data)?;
    // What a team applying the template elsewhere must pass (stderr: stdout is the template).
    if data.needs_certificate() {
        eprintln!(
            "note: parameter {} is required: an issued ACM certificate in {} covering {}",
            stack::CERTIFICATE_PARAMETER,
            settings.environment(&args.env)?.region(),
            data.hosts().join(", ")
        );
    }
    eprintln!(
        "note: parameter {} defaults to `enabled` (Cloud Map namespace for Service Connect); apply with CAPABILITY_IAM",
        stack::SERVICE_CONNECT_PARAMETER
    );
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (`parity env template prod | head`) is not an error.
    let _ = stdout.write_all(template.as_bytes());
    let _ = stdout.flush();
    Ok(ExitCode::SUCCESS)
}
