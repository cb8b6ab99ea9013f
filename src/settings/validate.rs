//! Cross-field checks on a parsed `parity.toml` that serde's types cannot
//! express: name syntax, the promotion pipeline, Fargate's limits on the deploy
//! knobs, and that no two environments drive the same ECS service.

use std::collections::HashMap;

use toml::Spanned;

use super::{Environment, Settings};
use crate::error::{Error, Result};

/// Fargate's ceiling for `stopTimeout` and `startTimeout` (ECS ContainerDefinition).
const FARGATE_MAX_TIMEOUT: u64 = 120;

/// Runs every check that needs only the file itself.
pub(crate) fn check(settings: &Settings) -> Result<()> {
    check_name(settings, &settings.app, "app")?;
    if settings.environments.is_empty() {
        return Err(Error::input(format!(
            "{} defines no environments",
            settings.path.display()
        ))
        .with_help("add one, e.g. `[environments.staging]` with region, cluster, subnets, ..."));
    }
    for (name, environment) in &settings.environments {
        check_name(settings, name, "environment name")?;
        check_environment(settings, environment)?;
    }
    check_pipeline(settings)?;
    check_explicit_service_names(settings)
}

/// Lowercase letters, digits, `-` and `_`: valid in task families, ECS service
/// names, ECR repositories and SSM paths alike.
fn check_name(settings: &Settings, name: &Spanned<String>, what: &str) -> Result<()> {
    let text = name.get_ref();
    let valid = !text.is_empty()
        && text.len() <= 64
        && text.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid {
        return Ok(());
    }
    Err(Error::input(format!(
        "invalid {what} `{text}`: expected 1-64 lowercase letters, digits, `-` or `_`, starting with a letter or digit"
    ))
    .at(settings.location(name.span()))
    .with_help("it becomes part of ECS family and service names, ECR repositories and SSM paths"))
}

fn check_environment(settings: &Settings, environment: &Environment) -> Result<()> {
    let region = environment.region.get_ref();
    let region_ok = region.split('-').count() >= 3
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && region.ends_with(|c: char| c.is_ascii_digit());
    if !region_ok {
        return Err(Error::input(format!(
            "environment `{}`: invalid region `{region}`: expected an AWS region like `eu-west-1`",
            environment.name
        ))
        .at(settings.location(environment.region.span())));
    }
    if let Some(account) = &environment.account_id {
        let text = account.get_ref();
        if text.len() != 12 || !text.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::input(format!(
                "environment `{}`: invalid account_id `{text}`: expected 12 digits",
                environment.name
            ))
            .at(settings.location(account.span()))
            .with_help("write it as a string: account_id = \"123456789012\""));
        }
    }
    if let Some(prefix) = &environment.ssm_prefix {
        let text = prefix.get_ref();
        let valid = text.starts_with('/')
            && !text.contains("//")
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_.-".contains(c));
        if !valid {
            return Err(Error::input(format!(
                "environment `{}`: invalid ssm_prefix `{text}`: expected an SSM path like `/shop/staging/` (starts with `/`, no `//`, letters, digits, `/_.-`)",
                environment.name
            ))
            .at(settings.location(prefix.span())));
        }
    }
    if let Some(architecture) = &environment.architecture
        && !matches!(architecture.get_ref().as_str(), "X86_64" | "ARM64")
    {
        return Err(Error::input(format!(
            "environment `{}`: invalid architecture `{}`: expected `X86_64` or `ARM64`",
            environment.name,
            architecture.get_ref()
        ))
        .at(settings.location(architecture.span())));
    }
    check_deploy_knobs(settings, environment)?;
    super::stack_keys::check(settings, environment)?;
    for settings_service in environment.services.values() {
        if let Some(lb) = &settings_service.load_balancer
            && *lb.container_port.get_ref() == 0
        {
            return Err(Error::input(format!(
                "environment `{}`: load_balancer.container_port must be 1-65535",
                environment.name
            ))
            .at(settings.location(lb.container_port.span())));
        }
    }
    Ok(())
}

fn check_deploy_knobs(settings: &Settings, environment: &Environment) -> Result<()> {
    let knobs = &environment.deploy;
    for (field, value) in [
        ("stop_timeout", &knobs.stop_timeout),
        ("start_timeout", &knobs.start_timeout),
    ] {
        if let Some(value) = value
            && value.get_ref().get() > FARGATE_MAX_TIMEOUT
        {
            return Err(Error::input(format!(
                "environment `{}`: deploy.{field} is {} s; Fargate allows at most {FARGATE_MAX_TIMEOUT} s",
                environment.name,
                value.get_ref().get()
            ))
            .at(settings.location(value.span())));
        }
    }
    if let Some(min) = &knobs.minimum_healthy_percent
        && *min.get_ref() > 100
    {
        return Err(Error::input(format!(
            "environment `{}`: deploy.minimum_healthy_percent is {}; expected 0-100",
            environment.name,
            min.get_ref()
        ))
        .at(settings.location(min.span())));
    }
    if let Some(max) = &knobs.maximum_percent
        && (*max.get_ref() < 100 || *max.get_ref() < knobs.minimum_healthy_percent())
    {
        return Err(Error::input(format!(
            "environment `{}`: deploy.maximum_percent is {}; expected at least 100 and at least minimum_healthy_percent",
            environment.name,
            max.get_ref()
        ))
        .at(settings.location(max.span())));
    }
    Ok(())
}

/// `promotes_from` names another, known environment and the chain has no cycle.
fn check_pipeline(settings: &Settings) -> Result<()> {
    for environment in settings.environments.values() {
        let Some(from) = &environment.promotes_from else {
            continue;
        };
        let known: Vec<&str> = settings.environment_names().collect();
        if from.get_ref() == &environment.name {
            return Err(Error::input(format!(
                "environment `{}` promotes from itself",
                environment.name
            ))
            .at(settings.location(from.span())));
        }
        if !known.contains(&from.get_ref().as_str()) {
            return Err(Error::input(format!(
                "environment `{}`: promotes_from names unknown environment `{}`; known: {}",
                environment.name,
                from.get_ref(),
                known.join(", ")
            ))
            .at(settings.location(from.span())));
        }
        // Walk the chain; more steps than environments means a cycle.
        let mut current = environment;
        for _ in 0..=settings.environments.len() {
            match current.promotes_from() {
                Some(next) => match settings.environments.get(next) {
                    Some(next) => current = next,
                    None => break,
                },
                None => break,
            }
            if current.name == environment.name {
                return Err(Error::input(format!(
                    "environment `{}`: promotes_from forms a cycle",
                    environment.name
                ))
                .at(settings.location(from.span()))
                .with_help(
                    "the pipeline must start somewhere: one environment has no promotes_from",
                ));
            }
        }
    }
    Ok(())
}

/// One ECS service's identity: endpoint, region, account, cluster, service name.
type ServiceKey<'a> = (Option<&'a str>, &'a str, Option<&'a str>, String, String);

/// Where an ECS service lives: endpoint, region, account, cluster.
fn target(environment: &Environment) -> (Option<&str>, &str, Option<&str>, String) {
    (
        environment.endpoint(),
        environment.region(),
        environment.account_id(),
        environment.cluster(),
    )
}

/// Explicit `name = ...` values must not resolve to the same ECS service twice.
fn check_explicit_service_names(settings: &Settings) -> Result<()> {
    let mut seen: HashMap<ServiceKey<'_>, (&str, &str)> = HashMap::new();
    for environment in settings.environments.values() {
        for (service, service_settings) in &environment.services {
            let Some(name) = &service_settings.name else {
                continue;
            };
            let (endpoint, region, account, cluster) = target(environment);
            let key = (
                endpoint,
                region,
                account,
                cluster.clone(),
                name.get_ref().clone(),
            );
            if let Some((other_env, other_service)) =
                seen.insert(key, (&environment.name, service.get_ref()))
            {
                return Err(Error::input(format!(
                    "ECS service `{}` in cluster `{cluster}` is claimed twice: by `{other_service}` in environment `{other_env}` and by `{}` in environment `{}`",
                    name.get_ref(),
                    service.get_ref(),
                    environment.name
                ))
                .at(settings.location(name.span()))
                .with_help("give each environment its own cluster or its own service names"));
            }
        }
    }
    Ok(())
}

impl Settings {
    /// Checks that no two (environment, compose service) pairs resolve to the
    /// same ECS service in the same cluster, counting the default names
    /// `<app>-<service>` too. Needs the compose service names, so commands call
    /// it once the project is loaded.
    pub(crate) fn check_service_names<'a>(
        &self,
        services: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Result<()> {
        let mut seen: HashMap<ServiceKey<'_>, (&str, String)> = HashMap::new();
        for environment in self.environments.values() {
            for service in services.clone() {
                let (endpoint, region, account, cluster) = target(environment);
                let name = environment.service_name(service);
                let key = (endpoint, region, account, cluster.clone(), name.clone());
                if let Some((other_env, other_service)) =
                    seen.insert(key, (&environment.name, service.to_owned()))
                {
                    let mut err = Error::input(format!(
                        "ECS service `{name}` in cluster `{cluster}` would run both `{other_service}` of environment `{other_env}` and `{service}` of environment `{}`",
                        environment.name
                    ))
                    .with_help(format!(
                        "give the environments different clusters, or set `[environments.{}.services.{service}] name = \"...\"`",
                        environment.name
                    ));
                    if let Some(span) = environment.cluster.as_ref().map(Spanned::span) {
                        err = err.at(self.location(span));
                    }
                    return Err(err);
                }
            }
        }
        Ok(())
    }
}
