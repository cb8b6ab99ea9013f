//! `parity config`: the normalized compose model, like `docker compose config`.
//!
//! Values of variables a service declares secret (`x-parity.secrets`) are
//! masked unless `--reveal`: the output is often pasted into issues and CI logs.

use std::process::ExitCode;

use crate::cli::{ConfigArgs, DataFormat, GlobalArgs};
use crate::compose::model::Project;
use crate::compose::{self, emit};
use crate::error::{Error, Result};

/// What a masked value prints as.
const MASK: &str = "********";

pub(crate) fn run(global: &GlobalArgs, args: &ConfigArgs) -> Result<ExitCode> {
    let mut project = super::load_project(global, &args.services)?;
    if !args.services.is_empty() {
        compose::select_services(&mut project, &args.services)?;
    }
    let mut out = String::new();
    if args.list_services {
        for name in project.services.keys() {
            out.push_str(name);
            out.push('\n');
        }
    } else {
        if !args.reveal {
            mask_secrets(&mut project);
        }
        let mut value = serde_json::to_value(&project)
            .map_err(|e| Error::failed(format!("cannot serialize the project: {e}")))?;
        escape_dollars(&mut value);
        out = match args.format {
            DataFormat::Json => {
                let mut text = serde_json::to_string_pretty(&value)
                    .map_err(|e| Error::failed(format!("cannot serialize the project: {e}")))?;
                text.push('\n');
                text
            }
            DataFormat::Yaml => emit::yaml(&value),
        };
    }
    if !args.reveal {
        // A secret interpolated into another field (a command, a label) is masked there too.
        out = crate::redact::scrub_with(&out, |_| MASK.to_owned()).into_owned();
    }
    crate::output::write_stdout(out.as_bytes());
    Ok(ExitCode::SUCCESS)
}

/// Replaces the values of each service's declared secret variables.
fn mask_secrets(project: &mut Project) {
    for service in project.services.values_mut() {
        let secrets: Vec<String> = service.x_parity.secrets.names().cloned().collect();
        for variable in &secrets {
            if let Some(Some(value)) = service.environment.get_mut(variable) {
                *value = MASK.to_owned();
            }
            if let Some(build) = &mut service.build
                && let Some(Some(value)) = build.args.get_mut(variable)
            {
                *value = MASK.to_owned();
            }
        }
    }
}

/// A literal `$` prints as `$$`, as `docker compose config` prints it, so
/// the output is itself a compose file that reads back to the same values.
fn escape_dollars(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) if text.contains('$') => {
            *text = text.replace('$', "$$");
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(escape_dollars),
        serde_json::Value::Object(map) => map.values_mut().for_each(escape_dollars),
        _ => {}
    }
}
