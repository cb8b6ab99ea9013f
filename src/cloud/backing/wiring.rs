//! Wiring: the variables of cloud services that point at a compose service a
//! managed service replaces (`cloud: rds|elasticache`), rewritten for the
//! cloud. Pure: which variables, in which form, and what each becomes given
//! the endpoint (from the stack's outputs) and the master password (from the
//! store); the adapters fetch both and write the composed secrets.
//!
//! Forms parity rewrites, with `db` the local host:
//! - the host alone (`DB_HOST=db`) -> the endpoint, a plain variable;
//! - `host:port` (`db:5432`) -> `endpoint:engine port`, plain;
//! - a URL (`postgres://app:app@db:5432/app`, `redis://cache:6379/0`) -> the
//!   same URL with the endpoint as host (and the engine port where a port was
//!   written). To an RDS instance the URL carries the master user and
//!   password, so it becomes a secret: parity composes it and keeps it in the
//!   environment's store (`Environment::parity_secret_name`:
//!   `<prefix>parity/<service>/<VARIABLE>` in SSM), and ECS injects it by
//!   `valueFrom`. To a cache (no AUTH in the stack) it stays plain, without
//!   any password it had;
//! - a variable whose name looks secret and whose value is the local
//!   database's password (`DB_PASSWORD=app`, with `POSTGRES_PASSWORD: app` on
//!   `db`) -> the master password, a secret as above.
//!
//! Any other value that names the host (a libpq `host=db ...` string, a list
//! of hosts, the host inside a path) is refused: parity cannot know what to
//! put there, and a task pointing at a host that does not exist in the cloud
//! fails only at run time.
//!
//! Only compose-sourced values are rewritten: a variable parity.toml sets, or
//! one in `x-parity.secrets` or `local_only`, is the user's own cloud value.

use indexmap::IndexMap;

use super::Backing;
use crate::cloud::variables::{looks_secret, mentions_host};
use crate::compose::model::{Project, Service};
use crate::error::Result;
use crate::settings::Environment;

/// How a variable names the local service.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Form {
    /// `db`
    Host,
    /// `db:5432`
    HostPort,
    /// `scheme://[userinfo@]db[:port]<rest>`; `rest` is path, query and fragment.
    Url {
        scheme: String,
        port: bool,
        rest: String,
        had_password: bool,
    },
    /// The local database's password, under a secret-looking name.
    Password,
}

/// One variable of one cloud service, rewritten for the cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rewrite {
    /// The cloud (compose) service whose container gets the variable.
    pub(crate) service: String,
    pub(crate) variable: String,
    /// The compose service the managed service replaces.
    pub(crate) backing: String,
    /// Kept in the store and injected by `valueFrom` (it carries the password).
    pub(crate) secret: bool,
    /// The SSM parameter or Secrets Manager secret holding the composed
    /// value (secrets only).
    pub(crate) parameter: Option<String>,
    /// The store's name in messages (`SSM`, `Secrets Manager`).
    pub(crate) store: &'static str,
    form: Form,
}

/// Every rewrite of an environment, in compose order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Wiring {
    pub(crate) rewrites: Vec<Rewrite>,
}

/// What a rewritten variable is in a task definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Wired {
    /// A plain value (the endpoint in place of the host).
    Plain(String),
    /// A secret read from this SSM parameter or Secrets Manager secret.
    Secret(String),
}

/// Where parity keeps a composed value of `service`, in the environment's store.
pub(crate) fn parameter_name(environment: &Environment, service: &str, variable: &str) -> String {
    environment.parity_secret_name(&format!("{service}/{variable}"))
}

/// Finds the variables of the environment's cloud services that point at a
/// managed service. Exit 2 for a value that names it in a form parity cannot rewrite.
pub(crate) fn wiring(
    project: &Project,
    environment: &Environment,
    backing: &[Backing],
) -> Result<Wiring> {
    let mut out = Wiring::default();
    if backing.is_empty() {
        return Ok(out);
    }
    let targets: Vec<Target<'_>> = backing.iter().map(|b| Target::of(project, b)).collect();
    for (name, service) in &project.services {
        let x = &service.x_parity;
        if !x.cloud {
            continue;
        }
        let overridden: Vec<String> = environment
            .variables_for(name)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        for (variable, value) in &service.environment {
            let Some(value) = value else { continue };
            if x.local_only.contains(variable)
                || x.secrets.contains(variable)
                || overridden.contains(variable)
            {
                continue;
            }
            for target in &targets {
                let Some(form) = target.form(service, variable, value)? else {
                    continue;
                };
                let secret = match &form {
                    Form::Password => true,
                    Form::Url { .. } => target.backing.kind == "rds",
                    Form::Host | Form::HostPort => false,
                };
                out.rewrites.push(Rewrite {
                    service: name.clone(),
                    variable: variable.clone(),
                    backing: target.backing.service.clone(),
                    secret,
                    parameter: secret.then(|| parameter_name(environment, name, variable)),
                    store: environment.secrets_store().label(),
                    form,
                });
                break;
            }
        }
    }
    Ok(out)
}

/// One managed service as the app's variables can name it.
struct Target<'a> {
    backing: &'a Backing,
    /// The service name, its `container_name` and `hostname`.
    hosts: Vec<&'a str>,
    /// The local password(s) the compose service sets (RDS only), by variable.
    passwords: Vec<(&'a str, &'a str)>,
}

impl<'a> Target<'a> {
    fn of(project: &'a Project, backing: &'a Backing) -> Self {
        let service = &project.services[&backing.service];
        let mut hosts = vec![backing.service.as_str()];
        hosts.extend(service.container_name.as_deref());
        hosts.extend(service.hostname.as_deref());
        let passwords = if backing.kind == "rds" {
            [
                "POSTGRES_PASSWORD",
                "MYSQL_PASSWORD",
                "MYSQL_ROOT_PASSWORD",
                "MARIADB_PASSWORD",
                "MARIADB_ROOT_PASSWORD",
            ]
            .iter()
            .filter_map(|k| {
                let value = service.environment.get(*k)?.as_deref()?;
                Some((*k, value))
            })
            .filter(|(_, v)| !v.is_empty())
            .collect()
        } else {
            Vec::new()
        };
        Self {
            backing,
            hosts,
            passwords,
        }
    }

    /// The form in which `value` names this service, `None` when it does not.
    fn form(&self, service: &Service, variable: &str, value: &str) -> Result<Option<Form>> {
        if !self.hosts.iter().any(|h| mentions_host(value, h)) {
            let password =
                looks_secret(variable) && self.passwords.iter().any(|(_, p)| *p == value);
            return Ok(password.then_some(Form::Password));
        }
        if self.hosts.contains(&value) {
            return Ok(Some(Form::Host));
        }
        if let Some((host, port)) = value.rsplit_once(':')
            && self.hosts.contains(&host)
            && !port.is_empty()
            && port.chars().all(|c| c.is_ascii_digit())
        {
            return Ok(Some(Form::HostPort));
        }
        if let Some((scheme, after)) = value.split_once("://")
            && !scheme.is_empty()
            && !scheme.contains(['/', '@'])
        {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            let (authority, rest) = after.split_at(end);
            let (userinfo, hostport) = match authority.rsplit_once('@') {
                Some((userinfo, hostport)) => (Some(userinfo), hostport),
                None => (None, authority),
            };
            let (host, port) = match hostport.rsplit_once(':') {
                Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => {
                    (host, !port.is_empty())
                }
                _ => (hostport, false),
            };
            // The host must be the only place the service is named.
            if self.hosts.contains(&host) && !self.hosts.iter().any(|h| mentions_host(rest, h)) {
                return Ok(Some(Form::Url {
                    scheme: scheme.to_owned(),
                    port,
                    rest: rest.to_owned(),
                    had_password: userinfo
                        .and_then(|u| u.split_once(':'))
                        .is_some_and(|(_, p)| !p.is_empty()),
                }));
            }
        }
        let name = &self.backing.service;
        let port = self.backing.engine.port;
        let example = match self.backing.engine.name {
            "postgres" => format!("postgres://user:password@{name}:{port}/app"),
            "mysql" | "mariadb" => format!("mysql://user:password@{name}:{port}/app"),
            _ => format!("redis://{name}:{port}/0"),
        };
        // The refusal points at the variable's own line, whose value may carry
        // the local password: the value (and the service's passwords) are
        // recorded as secret, so the snippet shows `<secret VARIABLE>` there.
        crate::redact::secret_value(variable, value);
        for (key, password) in &self.passwords {
            crate::redact::secret_value(key, password);
        }
        let cloud_service = &service.name;
        Err(service
            .error_at(
                &format!("environment.{variable}"),
                format!(
                    "service `{cloud_service}`: variable {variable} points at `{name}` in a form parity cannot rewrite for the managed service that replaces it"
                ),
            )
            .with_help(format!(
                "write it as the host alone (`{name}`), `{name}:{port}` or a URL (`{example}`); or set its cloud value in parity.toml ([environments.<env>.services.{cloud_service}.variables]) or x-parity.secrets, or list it in x-parity.local_only"
            )))
    }
}

impl Rewrite {
    /// The cloud value, given the managed service's endpoint host and (RDS)
    /// master password.
    pub(crate) fn value(&self, backing: &Backing, endpoint: &str, password: &str) -> String {
        let port = backing.engine.port;
        match &self.form {
            Form::Host => endpoint.to_owned(),
            Form::HostPort => format!("{endpoint}:{port}"),
            Form::Password => password.to_owned(),
            Form::Url {
                scheme,
                port: with_port,
                rest,
                ..
            } => {
                let userinfo = match (&backing.user, self.secret) {
                    (Some(user), true) => format!("{user}:{password}@"),
                    _ => String::new(),
                };
                let port = if *with_port {
                    format!(":{port}")
                } else {
                    String::new()
                };
                format!("{scheme}://{userinfo}{endpoint}{port}{rest}")
            }
        }
    }

    /// The plan's note: what the variable becomes, by name, never by value.
    pub(crate) fn note(&self, backing: &Backing) -> String {
        let what = if backing.kind == "rds" {
            format!("RDS {}", backing.engine.name)
        } else {
            format!("ElastiCache {}", backing.engine.name)
        };
        let Self {
            service,
            variable,
            backing: local,
            store,
            ..
        } = self;
        let becomes = match (&self.form, &self.parameter) {
            (Form::Password, Some(parameter)) => format!(
                "the master password of the {what} replacing `{local}`, as a secret ({store} {parameter})"
            ),
            (Form::Url { .. }, Some(parameter)) => format!(
                "a URL to the {what} replacing `{local}` with its master user and password, as a secret ({store} {parameter}, written by `parity env apply`)"
            ),
            (Form::Url { had_password, .. }, None) => format!(
                "a URL to the endpoint of the {what} replacing `{local}`{}",
                if *had_password {
                    " (without the local password: the cache has no AUTH; only the environment's tasks reach it)"
                } else {
                    ""
                }
            ),
            (Form::HostPort, _) => {
                format!("the endpoint and port of the {what} replacing `{local}`")
            }
            _ => format!("the endpoint of the {what} replacing `{local}`"),
        };
        format!("service `{service}`: variable {variable} -> {becomes}")
    }
}

impl Wiring {
    /// What each rewritten variable is in the task definitions, by (service,
    /// variable). `endpoints` (service -> host) come from the stack's
    /// outputs; `None` when no stack was read (`plan --offline`), and then a
    /// plain value shows a placeholder (the caller warns).
    pub(crate) fn wired(
        &self,
        backing: &[Backing],
        endpoints: Option<&IndexMap<String, String>>,
    ) -> IndexMap<(String, String), (Wired, String)> {
        let mut out = IndexMap::new();
        for rewrite in &self.rewrites {
            let Some(managed) = backing.iter().find(|b| b.service == rewrite.backing) else {
                continue;
            };
            let wired = match &rewrite.parameter {
                Some(parameter) => Wired::Secret(parameter.clone()),
                None => {
                    let endpoint = endpoints
                        .and_then(|e| e.get(&rewrite.backing))
                        .cloned()
                        .unwrap_or_else(|| placeholder(&rewrite.backing));
                    Wired::Plain(rewrite.value(managed, &endpoint, ""))
                }
            };
            out.insert(
                (rewrite.service.clone(), rewrite.variable.clone()),
                (wired, rewrite.note(managed)),
            );
        }
        out
    }

    /// The managed services some plain rewrite needs the endpoint of.
    pub(crate) fn needs_endpoint(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for rewrite in self.rewrites.iter().filter(|r| !r.secret) {
            if !out.contains(&rewrite.backing.as_str()) {
                out.push(&rewrite.backing);
            }
        }
        out
    }
}

/// What a plain rewritten value holds when the endpoint is not known.
pub(crate) fn placeholder(service: &str) -> String {
    format!("<endpoint of {service}>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::backing::backing_services;

    fn load(compose: &str) -> (Project, crate::settings::Settings) {
        let project = crate::compose::load_text(compose, "shop");
        let text = "app = \"shop\"\n[environments.staging]\nregion = \"eu-west-1\"\n[environments.staging.services.web.variables]\nOVERRIDDEN = \"db\"\n";
        let settings = crate::settings::parse(text, std::path::Path::new("parity.toml")).unwrap();
        (project, settings)
    }

    const COMPOSE: &str = r#"
services:
  web:
    image: app
    environment:
      DATABASE_URL: postgres://app:CANARY@db:5432/app
      DB_HOST: db
      DB_ADDR: "db:5432"
      DB_PASSWORD: CANARY
      DB_NAME: app
      REDIS_URL: redis://:pw@cache:6379/0
      OVERRIDDEN: db
      PLAIN: hello
  db:
    image: postgres:16
    environment: {POSTGRES_USER: app, POSTGRES_PASSWORD: CANARY, POSTGRES_DB: app}
    x-parity: {cloud: rds}
  cache:
    image: redis:7
    x-parity: {cloud: elasticache}
"#;

    fn rewrites(compose: &str) -> Result<(Vec<Backing>, Wiring)> {
        let (project, settings) = load(compose);
        let environment = settings.environment("staging").unwrap();
        let backing = backing_services(&project, environment)?;
        let wiring = wiring(&project, environment, &backing)?;
        Ok((backing, wiring))
    }

    #[test]
    fn each_form_is_rewritten_and_passwords_become_secrets() {
        let (backing, wiring) = rewrites(COMPOSE).unwrap();
        let found: Vec<(&str, bool)> = wiring
            .rewrites
            .iter()
            .map(|r| (r.variable.as_str(), r.secret))
            .collect();
        assert_eq!(
            found,
            [
                ("DATABASE_URL", true),
                ("DB_HOST", false),
                ("DB_ADDR", false),
                ("DB_PASSWORD", true),
                ("REDIS_URL", false),
            ]
        );
        let named = |n: &str| backing.iter().find(|b| b.service == n).unwrap();
        let (db, cache) = (named("db"), named("cache"));
        let value = |variable: &str, b: &Backing| {
            let r = wiring
                .rewrites
                .iter()
                .find(|r| r.variable == variable)
                .unwrap();
            r.value(b, "db.x.rds.amazonaws.com", "S3CRET")
        };
        assert_eq!(
            value("DATABASE_URL", db),
            "postgres://app:S3CRET@db.x.rds.amazonaws.com:5432/app"
        );
        assert_eq!(value("DB_HOST", db), "db.x.rds.amazonaws.com");
        assert_eq!(value("DB_ADDR", db), "db.x.rds.amazonaws.com:5432");
        assert_eq!(value("DB_PASSWORD", db), "S3CRET");
        assert_eq!(
            value("REDIS_URL", cache),
            "redis://db.x.rds.amazonaws.com:6379/0"
        );
        let secret = &wiring.rewrites[0];
        assert_eq!(
            secret.parameter.as_deref(),
            Some("/shop/staging/parity/web/DATABASE_URL")
        );
        // Notes name variables, never values.
        for rewrite in &wiring.rewrites {
            let b = backing
                .iter()
                .find(|b| b.service == rewrite.backing)
                .unwrap();
            let note = rewrite.note(b);
            assert!(!note.contains("CANARY") && !note.contains("pw"), "{note}");
        }
    }

    #[test]
    fn the_plan_sees_endpoints_or_a_placeholder() {
        let (backing, wiring) = rewrites(COMPOSE).unwrap();
        let wired = wiring.wired(&backing, None);
        let key = |v: &str| ("web".to_owned(), v.to_owned());
        assert_eq!(
            wired[&key("DB_HOST")].0,
            Wired::Plain("<endpoint of db>".into())
        );
        assert_eq!(
            wired[&key("DATABASE_URL")].0,
            Wired::Secret("/shop/staging/parity/web/DATABASE_URL".into())
        );
        let endpoints: IndexMap<String, String> =
            [("db".to_owned(), "h".to_owned())].into_iter().collect();
        let wired = wiring.wired(&backing, Some(&endpoints));
        assert_eq!(wired[&key("DB_HOST")].0, Wired::Plain("h".into()));
        assert_eq!(
            wiring.needs_endpoint(),
            ["db", "cache"],
            "in variable order"
        );
    }

    #[test]
    fn a_form_parity_cannot_rewrite_is_refused_at_the_variable_its_value_hidden() {
        for value in [
            "host=db port=5432 dbname=app password=local-pw",
            "db,other",
            "postgres://other/db",
        ] {
            let compose = format!(
                "services:\n  web:\n    image: app\n    environment:\n      DSN: \"{value}\"\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: local-pw\n    x-parity:\n      cloud: rds\n"
            );
            let err = rewrites(&compose).unwrap_err();
            let message = err.to_string();
            assert!(
                message.contains("service `web`: variable DSN points at `db`")
                    && message.contains("cannot rewrite"),
                "{value}: {message}"
            );
            let at = err.location().expect("located");
            assert_eq!((at.line, at.column), (5, 7), "{value}: at DSN's own line");
            // The snippet there shows the variable, never its value.
            let shown = crate::redact::scrub(&compose);
            assert_eq!(shown.matches("<secret DSN>").count(), 1, "{shown}");
            assert!(!shown.contains("local-pw"), "{shown}");
        }
    }

    #[test]
    fn unrelated_words_and_user_owned_values_are_left_alone() {
        let compose = "services:\n  web:\n    image: app\n    environment:\n      ENGINE: django.db.backends.postgresql\n      HOST: dbhost\n      OVERRIDDEN: db\n      LOCAL: db\n    x-parity: {local_only: [LOCAL]}\n  db:\n    image: postgres:16\n    x-parity: {cloud: rds}\n";
        let (_, wiring) = rewrites(compose).unwrap();
        assert!(wiring.rewrites.is_empty(), "{:?}", wiring.rewrites);
    }
}
