//! Backing services: compose services marked `x-parity: { cloud: rds }` or
//! `{ cloud: elasticache }` become an RDS instance or an ElastiCache
//! replication group in the environment stack. Pure: from the compose
//! service (image, `POSTGRES_USER`/`POSTGRES_DB`/`MYSQL_DATABASE`/...) this
//! computes what the stack creates and what the app's variables are rewritten
//! to; no AWS call, no password (parity generates the master password before
//! `env apply`'s change set and keeps it at [`Backing::password_secret`] in
//! the environment's store; the template holds only a `{{resolve:...}}`
//! reference to it).

pub(crate) mod client;
pub(crate) mod engine;
pub(crate) mod wiring;

use indexmap::IndexMap;
use serde::Serialize;

pub(crate) use engine::Engine;
use engine::{Unmapped, engine_of};

use crate::cloud::stack::logical_id;
use crate::compose::model::{Project, Service};
use crate::compose::x_parity::Placement;
use crate::error::{Error, Result};
use crate::settings::{Environment, SecretsStore};

/// One managed service replacing a compose service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Backing {
    /// The compose service it replaces (its name is the host the app uses locally).
    pub(crate) service: String,
    /// `rds` or `elasticache`.
    pub(crate) kind: &'static str,
    pub(crate) engine: Engine,
    /// The CloudFormation logical id (`DatabaseDb`, `CacheCache`).
    pub(crate) logical_id: String,
    /// The stack output holding the endpoint's host name (`<logical_id>Address`).
    pub(crate) address_output: String,
    /// The master user (RDS only).
    pub(crate) user: Option<String>,
    /// The database RDS creates (RDS only).
    pub(crate) database: Option<String>,
    /// Where the master password is kept (RDS only), in the environment's
    /// store ([`Environment::parity_secret_name`]): the SSM SecureString
    /// `<prefix>parity/<service>/master-password`, or the Secrets Manager
    /// secret `<app>/<env>/parity/<service>/master-password`.
    pub(crate) password_secret: Option<String>,
    /// `{{resolve:ssm-secure:<name>}}` or `{{resolve:secretsmanager:<name>}}`:
    /// CloudFormation reads the password at apply time; the template holds
    /// only this reference.
    pub(crate) password_reference: Option<String>,
}

/// The managed services of `environment`, in compose order.
pub(crate) fn backing_services(
    project: &Project,
    environment: &Environment,
) -> Result<Vec<Backing>> {
    let mut out = Vec::new();
    for (name, service) in &project.services {
        let placement = service.x_parity.placement;
        if !placement.is_managed() {
            continue;
        }
        out.push(backing(name, service, placement, environment)?);
    }
    crate::cloud::stack::check_distinct(
        "backing services",
        out.iter()
            .map(|b| (b.service.as_str(), b.logical_id.clone())),
    )?;
    Ok(out)
}

/// Rewritten variables by (service, variable): what each is in the task
/// definition, and the plan's note about it (names only).
pub(crate) type WiredMap = IndexMap<(String, String), (wiring::Wired, String)>;

/// The environment's rewritten variables as the plan puts them in task
/// definitions, and warnings. The endpoints come from the stack
/// ([`Environment::backing_endpoints`]): with no stack read (`plan
/// --offline`) a plain value holds a placeholder and a warning says so; with
/// a stack that lacks an endpoint (applied before the service became
/// managed) the plan stops, since a deploy would ship the placeholder.
pub(crate) fn wired_variables(
    project: &Project,
    environment: &Environment,
) -> Result<(WiredMap, Vec<String>)> {
    let backing = backing_services(project, environment)?;
    let wiring = wiring::wiring(project, environment, &backing)?;
    let needs = wiring.needs_endpoint();
    let mut warnings = Vec::new();
    match &environment.backing_endpoints {
        None if !needs.is_empty() => warnings.push(format!(
            "the endpoint of {} is known only from the environment stack; the plan shows `{}` in its place",
            needs
                .iter()
                .map(|s| format!("`{s}`'s managed service"))
                .collect::<Vec<_>>()
                .join(", "),
            wiring::placeholder(needs[0]),
        )),
        None => {}
        Some(endpoints) => {
            if let Some(missing) = needs.iter().find(|s| !endpoints.contains_key(**s)) {
                return Err(Error::input(format!(
                    "environment `{}`: its stack has no endpoint for the managed service replacing `{missing}` yet",
                    environment.name()
                ))
                .with_help(format!(
                    "run `parity env apply {}` to create it",
                    environment.name()
                )));
            }
        }
    }
    Ok((
        wiring.wired(&backing, environment.backing_endpoints.as_ref()),
        warnings,
    ))
}

fn backing(
    name: &str,
    service: &Service,
    placement: Placement,
    environment: &Environment,
) -> Result<Backing> {
    let x = &service.x_parity;
    let kind = if placement == Placement::Rds {
        "rds"
    } else {
        "elasticache"
    };
    let image = service.image.as_deref().ok_or_else(|| {
        x.error("cloud", format!("`cloud: {kind}` needs the service's `image` to choose the engine and version, and it has none"))
            .with_help("set image: to the engine's official image with its version, e.g. postgres:16")
    })?;
    let engine = engine_of(image, placement).map_err(|why| match why {
        Unmapped::Image(images) => x
            .error("cloud", format!("`cloud: {kind}` replaces {} images, not `{image}`", images.join(", ")))
            .with_help("use the engine's official image, or `cloud: false` and give the cloud value in parity.toml"),
        Unmapped::Version { engine, offered } => x
            .error(
                "cloud",
                format!("service `{name}`: image `{image}` does not name a {engine} version AWS offers (offered: {})", offered.join(", ")),
            )
            .with_help(format!(
                "pin the image to one of them, e.g. `{}:{}`",
                image.split(':').next().unwrap_or(image),
                offered.last().copied().unwrap_or_default()
            )),
    })?;
    let prefix = if kind == "rds" { "Database" } else { "Cache" };
    let logical_id = logical_id(prefix, name);
    let variable = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| service.environment.get(*n).cloned().flatten())
            .filter(|v| !v.is_empty())
    };
    let (user, database) = match engine.name {
        "postgres" => {
            let user = variable(&["POSTGRES_USER"]).unwrap_or_else(|| "postgres".to_owned());
            // The image creates POSTGRES_DB, defaulting to the user's name.
            let database = variable(&["POSTGRES_DB"]).unwrap_or_else(|| user.clone());
            (Some(user), Some(database))
        }
        "mysql" | "mariadb" => {
            let user =
                variable(&["MYSQL_USER", "MARIADB_USER"]).unwrap_or_else(|| "admin".to_owned());
            let database = variable(&["MYSQL_DATABASE", "MARIADB_DATABASE"]).ok_or_else(|| {
                x.error("cloud", format!("service `{name}` names no database: RDS {} creates one only when told its name", engine.name))
                    .with_help("set MYSQL_DATABASE (or MARIADB_DATABASE) in the service's environment, e.g. MYSQL_DATABASE: app")
            })?;
            (Some(user), Some(database))
        }
        _ => (None, None),
    };
    for (what, value, limit) in [("user", &user, 16), ("database name", &database, 63)] {
        if let Some(value) = value
            && !is_identifier(value, limit)
        {
            return Err(x.error(
                "cloud",
                format!("service `{name}`: {what} `{value}` is not one RDS accepts (a letter, then letters, digits or `_`, at most {limit})"),
            ));
        }
    }
    let password_secret =
        (kind == "rds").then(|| environment.parity_secret_name(&format!("{name}/master-password")));
    let resolver = match environment.secrets_store() {
        SecretsStore::Ssm => "ssm-secure",
        SecretsStore::Secretsmanager => "secretsmanager",
    };
    let password_reference = password_secret
        .as_ref()
        .map(|name| format!("{{{{resolve:{resolver}:{name}}}}}"));
    Ok(Backing {
        password_reference,
        service: name.to_owned(),
        kind,
        address_output: format!("{logical_id}Address"),
        logical_id,
        engine,
        user,
        database,
        password_secret,
    })
}

impl Backing {
    /// The connection string a client takes, given the endpoint host and
    /// (RDS) the master password: `postgres://user:password@host:5432/db`,
    /// `mysql://...`, `redis://host:6379`.
    pub(crate) fn url(&self, endpoint: &str, password: &str) -> String {
        let port = self.engine.port;
        let scheme = match self.engine.name {
            "postgres" => "postgres",
            "mysql" | "mariadb" => "mysql",
            _ => "redis",
        };
        match (&self.user, &self.database) {
            (Some(user), Some(database)) => {
                format!("{scheme}://{user}:{password}@{endpoint}:{port}/{database}")
            }
            _ => format!("{scheme}://{endpoint}:{port}"),
        }
    }
}

fn is_identifier(value: &str, limit: usize) -> bool {
    value.len() <= limit
        && value.starts_with(|c: char| c.is_ascii_alphabetic())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
