//! `parity init`: the first command in a directory with a compose file. Writes
//! a parity.toml derived from the compose project (the app name, `staging`
//! and `prod` promoting from it, the region) and proposes the `x-parity`
//! blocks the cloud needs (`crate::cloud::proposal` decides them): printed,
//! or with `--write-compose` inserted into the compose file as text.
//! Everything is checked before anything is written: a refusal changes nothing.

mod compose_edit;
mod region;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{GlobalArgs, InitArgs};
use crate::cloud::proposal::{Proposal, propose};
use crate::error::{Error, Result};

/// The commands that follow `init` on a fresh project, in order.
const NEXT: &[&str] = &[
    "parity env apply staging",
    "parity secrets sync staging",
    "parity deploy staging",
];

pub(crate) fn run(global: &GlobalArgs, args: &InitArgs) -> Result<ExitCode> {
    let project = super::load_project(global, &[])?;
    let settings_path = global
        .settings
        .clone()
        .unwrap_or_else(|| project.working_dir.join(crate::settings::FILE_NAME));
    if settings_path.exists() && !args.force {
        return Err(Error::input(format!(
            "{} exists; parity init never overwrites it",
            settings_path.display()
        ))
        .with_help("pass --force to replace it, or edit it by hand"));
    }
    let region = region::resolve(args.region.as_deref())?;
    let settings = settings_text(&project.name, &region);
    let parsed = crate::settings::parse(&settings, &settings_path)
        .map_err(|e| e.context("the parity.toml parity init would write is not valid"))?;
    let proposals = propose(&project, parsed.environment("staging")?);
    let edit = if args.write_compose && !proposals.is_empty() {
        Some(compose_edit_for(&project, &proposals)?)
    } else {
        None
    };
    if let Some((file, before, after)) = &edit {
        write(file, after)?;
        // The edited file must load as the user's did, with the new blocks read.
        if let Err(err) = super::load_project(global, &[]) {
            write(file, before)?;
            return Err(err.context(format!(
                "parity init's edit of {} did not load; the file is restored",
                file.display()
            )));
        }
    }
    write(&settings_path, &settings)?;
    print!(
        "{}",
        report(
            &settings_path,
            &project.name,
            &region,
            &proposals,
            edit.as_ref().map(|e| e.0.as_path())
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// parity.toml for a new project: both environments in one region, every
/// other value from the environment stack (`parity env apply`).
pub(crate) fn settings_text(app: &str, region: &str) -> String {
    let quote = |s: &str| toml::Value::String(s.to_owned()).to_string();
    format!(
        "# Written by `parity init`. Network, cluster, roles and registry come from the\n\
         # environment stack (`parity env apply ENV`); values set here win over it.\n\
         app = {app}\n\
         \n\
         [environments.staging]\n\
         region = {region}\n\
         \n\
         [environments.prod]\n\
         promotes_from = \"staging\"         # `parity promote` brings staging's images here\n\
         region = {region}\n",
        app = quote(app),
        region = quote(region),
    )
}

/// The compose file to edit, its text now and with the blocks inserted.
fn compose_edit_for(
    project: &crate::compose::model::Project,
    proposals: &[Proposal],
) -> Result<(PathBuf, String, String)> {
    if let Some(proposal) = proposals.iter().find(|p| p.has_block) {
        let service = &project.services[&proposal.service];
        return Err(service
            .error_at(
                "x-parity",
                format!(
                    "service `{}` already has an x-parity block; parity init would add {}",
                    proposal.service,
                    proposal.flow()
                ),
            )
            .with_help("add those keys to the block by hand, or run parity init without --write-compose to see them"));
    }
    let file = project
        .files
        .first()
        .cloned()
        .ok_or_else(|| Error::input("the project has no compose file to edit"))?;
    let before = std::fs::read_to_string(&file)
        .map_err(|e| Error::input(format!("cannot read {}: {e}", file.display())))?;
    let blocks: Vec<(String, String, Vec<String>)> = proposals
        .iter()
        .map(|p| (p.service.clone(), p.flow(), p.reasons.clone()))
        .collect();
    let after = compose_edit::insert(&before, &blocks).map_err(|why| {
        Error::input(format!("{}: {why}", file.display()))
            .with_help("run parity init without --write-compose and add the printed blocks by hand")
    })?;
    Ok((file, before, after))
}

/// A path as the user would type it: relative to the working directory when inside it.
fn shown(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|e| Error::failed(format!("cannot write {}: {e}", path.display())))
}

/// What init did and what comes next.
fn report(
    settings: &Path,
    app: &str,
    region: &str,
    proposals: &[Proposal],
    edited: Option<&Path>,
) -> String {
    let mut out = format!(
        "wrote {}: app `{app}`, environments staging and prod (prod promotes from staging), region {region}\n",
        shown(settings)
    );
    match edited {
        _ if proposals.is_empty() => {
            out.push_str("\nthe compose file needs no x-parity block for the cloud\n");
        }
        Some(file) => {
            out.push_str(&format!("\nadded x-parity blocks to {}:\n", shown(file)));
            for p in proposals {
                out.push_str(&format!("  {}: x-parity: {}\n", p.service, p.flow()));
            }
        }
        None => {
            out.push_str(
                "\nsuggested x-parity blocks (add them to the compose file, or run `parity init --write-compose --force`):\n\n",
            );
            for p in proposals {
                out.push_str(&format!("  {}:\n", p.service));
                for reason in &p.reasons {
                    out.push_str(&format!("    # {reason}\n"));
                }
                let merge = if p.has_block {
                    "   # merge into the existing block"
                } else {
                    ""
                };
                out.push_str(&format!("    x-parity: {}{merge}\n", p.flow()));
            }
        }
    }
    out.push_str("\nnext:\n");
    for command in NEXT {
        out.push_str(&format!("  {command}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_text_is_valid_parity_toml() {
        let text = settings_text("shop", "eu-west-1");
        let settings = crate::settings::parse(&text, Path::new("parity.toml")).unwrap();
        assert!(settings.environment("staging").is_ok());
        assert!(settings.environment("prod").is_ok());
    }
}
