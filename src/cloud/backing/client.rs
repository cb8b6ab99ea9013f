//! `parity db ENV` without `--url`: the database's own client (`psql`,
//! `mysql`, `mariadb`, `redis-cli`, `valkey-cli`) run inside the environment,
//! where the managed service is reachable, through ECS Exec in a one-off task.
//!
//! Pure: the task definition of that task and the command the session runs.
//! The task runs the compose service's own image (`postgres:16` has `psql`,
//! matching the server's major version), idle (`sleep`) until parity opens
//! the session and stops it afterwards, at most [`IDLE_SECONDS`] if parity
//! cannot stop it. The master password reaches the client only as the
//! variable the client reads it from (`PGPASSWORD`, `MYSQL_PWD`), which ECS
//! injects from the store by `valueFrom`; the command line names the host,
//! port, user and database, never the password.

use serde_json::{Value, json};

use super::Backing;
use crate::cloud::tags;
use crate::settings::Environment;

/// How long the idle task lives at most (12 hours): the bound on a task
/// parity could not stop (killed, lost its connection).
pub(crate) const IDLE_SECONDS: u32 = 43_200;

/// The client of one engine: the program and the variable it reads the password from.
struct Client {
    program: &'static str,
    password_variable: Option<&'static str>,
}

fn client(backing: &Backing) -> Client {
    let (program, password_variable) = match backing.engine.name {
        "postgres" => ("psql", Some("PGPASSWORD")),
        "mysql" => ("mysql", Some("MYSQL_PWD")),
        // MariaDB 11 images ship `mariadb` only (no `mysql` alias).
        "mariadb" => ("mariadb", Some("MYSQL_PWD")),
        "valkey" => ("valkey-cli", None),
        _ => ("redis-cli", None),
    };
    Client {
        program,
        password_variable,
    }
}

/// The task definition family: `<app>-<env>-db-<service>`.
pub(crate) fn family(environment: &Environment, backing: &Backing) -> String {
    format!(
        "{}-{}-db-{}",
        environment.app,
        environment.name(),
        backing.service
    )
}

/// The RegisterTaskDefinition request of the client task. `image` is the
/// compose service's; `account_id` places the password's ARN.
pub(crate) fn task_definition(
    environment: &Environment,
    backing: &Backing,
    image: &str,
    account_id: &str,
) -> Value {
    let mut container = json!({
        "name": backing.service,
        "image": image,
        "essential": true,
        // Past the image's entrypoint (which would start a server): idle.
        "entryPoint": ["sleep"],
        "command": [IDLE_SECONDS.to_string()],
        // ECS Exec's recommendation: an init process reaps what sessions leave.
        "linuxParameters": {"initProcessEnabled": true},
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": environment.log_group(),
                "awslogs-region": environment.region(),
                "awslogs-stream-prefix": "db",
            }
        },
    });
    if let (Some(variable), Some(name)) =
        (client(backing).password_variable, &backing.password_secret)
    {
        container["secrets"] = json!([{
            "name": variable,
            "valueFrom": environment.parity_secret_arn(account_id, name),
        }]);
    }
    let mut request = json!({
        "family": family(environment, backing),
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [container],
        "tags": [
            {"key": tags::APP, "value": environment.app},
            {"key": tags::ENVIRONMENT, "value": environment.name()},
            {"key": tags::SERVICE, "value": backing.service},
        ],
    });
    if let Some(role) = &environment.execution_role_arn {
        request["executionRoleArn"] = json!(role);
    }
    if let Some(role) = &environment.task_role_arn {
        request["taskRoleArn"] = json!(role);
    }
    request
}

/// The words the ECS Exec session runs: the client against `endpoint`.
pub(crate) fn command(backing: &Backing, endpoint: &str) -> Vec<String> {
    let port = backing.engine.port.to_string();
    let program = client(backing).program.to_owned();
    let user = backing.user.clone().unwrap_or_default();
    let database = backing.database.clone().unwrap_or_default();
    match backing.engine.name {
        "postgres" => vec![
            program,
            "-h".into(),
            endpoint.to_owned(),
            "-p".into(),
            port,
            "-U".into(),
            user,
            "-d".into(),
            database,
        ],
        "mysql" | "mariadb" => vec![
            program,
            "-h".into(),
            endpoint.to_owned(),
            "-P".into(),
            port,
            "-u".into(),
            user,
            database,
        ],
        _ => vec![program, "-h".into(), endpoint.to_owned(), "-p".into(), port],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::backing::backing_services;

    /// A compose service: name, image, environment.
    type Compose = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );

    /// The managed services of `services`, for an environment parsed from `toml`.
    fn services(services: &[Compose], toml: &str) -> (Vec<Backing>, crate::settings::Settings) {
        let mut project = crate::compose::model::Project::default();
        for (name, image, environment) in services {
            let cloud = if image.starts_with("redis") {
                "elasticache"
            } else {
                "rds"
            };
            let service = crate::compose::model::Service {
                name: (*name).to_owned(),
                image: Some((*image).to_owned()),
                environment: environment
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned())))
                    .collect(),
                x_parity: crate::compose::x_parity::tests::from_json(
                    name,
                    &json!({"cloud": cloud}),
                )
                .unwrap(),
                ..Default::default()
            };
            project.services.insert((*name).to_owned(), service);
        }
        let settings = crate::settings::parse(toml, std::path::Path::new("parity.toml")).unwrap();
        let backing = backing_services(&project, settings.environment("staging").unwrap()).unwrap();
        (backing, settings)
    }

    const POSTGRES: Compose = (
        "db",
        "postgres:16",
        &[
            ("POSTGRES_USER", "app"),
            ("POSTGRES_PASSWORD", "CANARY"),
            ("POSTGRES_DB", "shop"),
        ],
    );
    const REDIS: Compose = ("cache", "redis:7", &[]);

    #[test]
    fn the_client_task_injects_the_password_by_value_from_and_runs_idle() {
        for (store, arn) in [
            (
                "",
                "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/staging/parity/db/master-password",
            ),
            (
                "secrets_store = \"secretsmanager\"\n",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/staging/parity/db/master-password",
            ),
        ] {
            let toml = format!(
                "app = \"shop\"\n[environments.staging]\nregion = \"eu-west-1\"\n{store}execution_role_arn = \"arn:aws:iam::123456789012:role/x\"\n"
            );
            let (backing, settings) = services(&[POSTGRES, REDIS], &toml);
            let environment = settings.environment("staging").unwrap();
            let request = task_definition(environment, &backing[0], "postgres:16", "123456789012");
            let container = &request["containerDefinitions"][0];
            assert_eq!(request["family"], "shop-staging-db-db");
            assert_eq!(container["name"], "db");
            assert_eq!(container["image"], "postgres:16");
            assert_eq!(container["entryPoint"], json!(["sleep"]));
            assert_eq!(
                container["secrets"],
                json!([{"name": "PGPASSWORD", "valueFrom": arn}])
            );
            assert_eq!(
                request["executionRoleArn"],
                "arn:aws:iam::123456789012:role/x"
            );
            assert!(!request.to_string().contains("CANARY"));
            // The cache has no password: nothing to inject.
            let cache = task_definition(environment, &backing[1], "redis:7", "123456789012");
            assert!(cache["containerDefinitions"][0].get("secrets").is_none());
        }
    }

    #[test]
    fn the_session_runs_the_engines_client_without_the_password() {
        let toml = "app = \"shop\"\n[environments.staging]\nregion = \"eu-west-1\"\n";
        let (backing, _) = services(&[POSTGRES, REDIS], toml);
        assert_eq!(
            command(&backing[0], "db.x.rds.amazonaws.com"),
            [
                "psql",
                "-h",
                "db.x.rds.amazonaws.com",
                "-p",
                "5432",
                "-U",
                "app",
                "-d",
                "shop"
            ]
        );
        assert_eq!(
            command(&backing[1], "cache.x.cache.amazonaws.com"),
            [
                "redis-cli",
                "-h",
                "cache.x.cache.amazonaws.com",
                "-p",
                "6379"
            ]
        );
        let mysql: Compose = (
            "db",
            "mysql:8.0",
            &[("MYSQL_USER", "app"), ("MYSQL_DATABASE", "shop")],
        );
        let (backing, _) = services(&[mysql], toml);
        assert_eq!(
            command(&backing[0], "h"),
            ["mysql", "-h", "h", "-P", "3306", "-u", "app", "shop"]
        );
    }
}
