//! `parity db ENV [SERVICE] [--url [--reveal]]`: an environment's managed
//! database or cache (`x-parity: {cloud: rds}`). Without `--url`, its own
//! client (`psql`, `mysql`, `redis-cli`) in a one-off task inside the
//! environment, through ECS Exec (`session`). With `--url`, the connection
//! string: the endpoint read from the environment stack and the master
//! password from the environment's store. The only command that prints the
//! password, and only with `--reveal`; without it the password is masked.

mod session;

use std::process::ExitCode;

use crate::aws::{AwsContext, AwsTarget, master_password};
use crate::cli::{DbArgs, GlobalArgs};
use crate::cloud::backing::{Backing, backing_services};
use crate::commands::ship::session::Inputs;
use crate::error::{Error, Result};
use crate::settings::Environment;

/// What stands in for the password without `--reveal`.
const MASK: &str = "********";

pub(crate) fn run(global: &GlobalArgs, args: &DbArgs) -> Result<ExitCode> {
    let inputs = Inputs::load(global)?;
    let environment = inputs.environment(&args.env)?;
    let backing = chosen(
        backing_services(&inputs.project, environment)?,
        args.service.as_deref(),
    )?;
    if !args.url {
        // The compose service's own image has the engine's client.
        let image = inputs.project.services[&backing.service]
            .image
            .clone()
            .unwrap_or_default();
        return session::run(global, args, &backing, &image);
    }
    let inputs = Inputs::load_for(global, &[&args.env])?;
    let environment = inputs.environment(&args.env)?;
    let endpoint = endpoint(environment, &backing)?;
    let url = if backing.password_secret.is_none() {
        backing.url(endpoint, "")
    } else if args.reveal {
        let password = crate::commands::block_on(async {
            let ctx = AwsContext::connect(&AwsTarget::for_environment(environment)).await?;
            master_password::read(&ctx, environment, &backing).await
        })?
        .ok_or_else(|| {
            Error::failed(format!(
                "the master password of `{}` is not in {} ({})",
                backing.service,
                environment.secrets_store().label(),
                backing.password_secret.as_deref().unwrap_or_default()
            ))
        })?;
        backing.url(endpoint, password.expose())
    } else {
        eprintln!("the password is masked; add --reveal to print it");
        backing.url(endpoint, MASK)
    };
    super::env::print_stdout(&url);
    Ok(ExitCode::SUCCESS)
}

/// The endpoint of `backing` the environment stack reports.
fn endpoint<'a>(environment: &'a Environment, backing: &Backing) -> Result<&'a str> {
    environment
        .backing_endpoints
        .as_ref()
        .and_then(|e| e.get(&backing.service))
        .map(String::as_str)
        .ok_or_else(|| {
            Error::input(format!(
                "environment `{}` has no managed service for `{}` yet",
                environment.name(),
                backing.service
            ))
            .with_help(format!(
                "run `parity env apply {}` to create it",
                environment.name()
            ))
        })
}

/// The managed service `service` names, or the only one.
fn chosen(mut all: Vec<Backing>, service: Option<&str>) -> Result<Backing> {
    let names: Vec<String> = all.iter().map(|b| format!("`{}`", b.service)).collect();
    let index = match service {
        Some(name) => all.iter().position(|b| b.service == name).ok_or_else(|| {
            Error::input(format!(
                "`{name}` is not a managed service (x-parity cloud: rds|elasticache); managed: {}",
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ))
        })?,
        None if all.len() == 1 => 0,
        None if all.is_empty() => {
            return Err(Error::input(
                "no compose service is replaced by a managed service",
            )
            .with_help("mark the database service `x-parity: {cloud: rds}` (or the cache `cloud: elasticache`) and run `parity env apply`"));
        }
        None => {
            return Err(Error::input(format!(
                "several managed services ({}); name one",
                names.join(", ")
            ))
            .with_help("e.g. `parity db staging db --url`"));
        }
    };
    Ok(all.swap_remove(index))
}
