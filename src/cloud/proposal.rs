//! What `parity init` proposes for a compose project: which services stay
//! local or become a managed service, which one is the release phase, and
//! which variables should come from a secret. Pure: the compose model in,
//! proposals out; `commands::init` prints them or writes them into the file.
//!
//! The rules reuse the ones the cloud translation enforces, so a proposal
//! is exactly what `parity plan` would otherwise refuse or need:
//! `backing::engine_of` decides whether a database image maps to a managed
//! engine, and `variables::looks_secret`/`url_with_password` whether a
//! variable would be refused as a plain value. A variable parity wires to a
//! managed service itself (`backing::wired_variables`: the database URL, the
//! password) is never proposed as a secret: it is composed from the stack.

use crate::cloud::backing::engine::{Unmapped, engine_of};
use crate::cloud::variables::{looks_secret, mentions_host, url_with_password};
use crate::compose::model::{Project, Service};
use crate::compose::x_parity::Placement;
use crate::settings::Environment;

/// Image names (the repository's last path segment) of services that are
/// local infrastructure: databases, caches, queues, mail catchers, emulators.
const LOCAL_INFRASTRUCTURE: &[&str] = &[
    "postgres",
    "postgis",
    "mysql",
    "mariadb",
    "redis",
    "valkey",
    "memcached",
    "rabbitmq",
    "mongo",
    "mongodb",
    "elasticsearch",
    "opensearch",
    "minio",
    "mailhog",
    "mailpit",
    "localstack",
];

/// The `x-parity` keys proposed for one service, each with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proposal {
    pub(crate) service: String,
    /// `cloud:` to write (`false`, `rds`, `elasticache`), when proposed.
    pub(crate) cloud: Option<&'static str>,
    /// `release: true` proposed.
    pub(crate) release: bool,
    /// Variables proposed for `x-parity.secrets`, in the compose order.
    pub(crate) secrets: Vec<String>,
    /// One line per proposed key, saying why (never a value).
    pub(crate) reasons: Vec<String>,
    /// The service already has an `x-parity` block these keys must join.
    pub(crate) has_block: bool,
}

impl Proposal {
    /// The block as one YAML flow mapping: `{cloud: rds}`, `{release: true, secrets: [A, B]}`.
    pub(crate) fn flow(&self) -> String {
        let mut keys = Vec::new();
        if let Some(cloud) = self.cloud {
            keys.push(format!("cloud: {cloud}"));
        }
        if self.release {
            keys.push("release: true".to_owned());
        }
        if !self.secrets.is_empty() {
            keys.push(format!("secrets: [{}]", self.secrets.join(", ")));
        }
        format!("{{{}}}", keys.join(", "))
    }
}

/// The proposals for every service that needs one, in the compose order.
/// Keys a service's existing block already decides are never proposed again.
/// `environment` is the one init writes (staging): the wiring to managed
/// services is computed for it.
pub(crate) fn propose(project: &Project, environment: &Environment) -> Vec<Proposal> {
    let placements: Vec<(&Service, Option<(&'static str, String)>)> = project
        .services
        .values()
        .map(|service| (service, placement(project, service, environment)))
        .collect();
    // Hosts that will be managed services: variables naming them are wired by parity.
    let managed: Vec<&str> = placements
        .iter()
        .filter(|(service, proposed)| {
            service.x_parity.placement.is_managed()
                || proposed
                    .as_ref()
                    .is_some_and(|(cloud, _)| *cloud != "false")
        })
        .map(|(service, _)| service.name.as_str())
        .collect();
    let wired = wired(project, &placements, environment);
    let mut release_taken = project.services.values().any(|s| s.x_parity.release);
    let mut out = Vec::new();
    for (service, proposed) in placements {
        let mut proposal = Proposal {
            service: service.name.clone(),
            cloud: None,
            release: false,
            secrets: Vec::new(),
            reasons: Vec::new(),
            has_block: !service.x_parity.is_absent(),
        };
        if let Some((cloud, why)) = proposed {
            proposal.cloud = Some(cloud);
            proposal.reasons.push(why);
        } else if service.x_parity.cloud {
            if !release_taken && migrates(service) {
                release_taken = true;
                proposal.release = true;
                proposal
                    .reasons
                    .push("release: a one-shot service whose command migrates".to_owned());
            }
            for (key, value) in &service.environment {
                let is_wired = match &wired {
                    Some(wired) => wired.contains_key(&(service.name.clone(), key.clone())),
                    // The wiring refused a form: stay clear of anything naming a managed host.
                    None => value
                        .as_deref()
                        .is_some_and(|v| managed.iter().any(|host| mentions_host(v, host))),
                };
                if is_wired {
                    continue;
                }
                if let Some(why) = secret_reason(service, key, value.as_deref()) {
                    proposal.secrets.push(key.clone());
                    proposal.reasons.push(format!("secrets: {key} {why}"));
                }
            }
        }
        if proposal.cloud.is_some() || proposal.release || !proposal.secrets.is_empty() {
            out.push(proposal);
        }
    }
    out
}

/// The variables parity would wire to managed services once the proposed
/// placements are written; `None` when the wiring refuses the project.
fn wired(
    project: &Project,
    placements: &[(&Service, Option<(&'static str, String)>)],
    environment: &Environment,
) -> Option<crate::cloud::backing::WiredMap> {
    let mut proposed = project.clone();
    for (service, placement) in placements {
        let placement = match placement.as_ref().map(|(cloud, _)| *cloud) {
            Some("rds") => Placement::Rds,
            Some("elasticache") => Placement::Elasticache,
            _ => continue,
        };
        let x = &mut proposed.services[&service.name].x_parity;
        x.placement = placement;
        x.cloud = false;
    }
    crate::cloud::backing::wired_variables(&proposed, environment)
        .ok()
        .map(|(wired, _)| wired)
}

/// `cloud:` for a service running a local-infrastructure image whose block
/// does not say already: the managed engine when parity maps the tag and
/// the environment stack accepts the service as written (a MySQL database
/// needs `MYSQL_DATABASE`, ...), else `false`.
fn placement(
    project: &Project,
    service: &Service,
    environment: &Environment,
) -> Option<(&'static str, String)> {
    let (cloud, why) = local_infrastructure(service)?;
    let placement = match cloud {
        "rds" => Placement::Rds,
        "elasticache" => Placement::Elasticache,
        _ => return Some((cloud, why)),
    };
    // The stack's own rules decide, on the project with only this service managed.
    let mut alone = project.clone();
    alone.services.retain(|name, _| *name == service.name);
    let x = &mut alone.services[&service.name].x_parity;
    x.placement = placement;
    x.cloud = false;
    match crate::cloud::backing::backing_services(&alone, environment) {
        Ok(_) => Some((cloud, why)),
        Err(err) => Some((
            "false",
            format!(
                "cloud: `cloud: {cloud}` would be refused as the service is written ({}), so it stays local",
                // Without the `services.<name>.x-parity.cloud: ` the error is located by.
                err.message()
                    .split_once(": ")
                    .map_or(err.message(), |(_, message)| message)
            ),
        )),
    }
}

/// The `cloud:` proposal from the image alone.
fn local_infrastructure(service: &Service) -> Option<(&'static str, String)> {
    // `cloud:` is decided already (even as `true`: the user keeps a task).
    if service.x_parity.placement != Placement::Task || service.x_parity.writes("cloud") {
        return None;
    }
    let image = service.image.as_deref()?;
    let (name, _) = crate::cloud::backing::engine::name_and_tag(image);
    if !LOCAL_INFRASTRUCTURE.contains(&name) {
        return None;
    }
    for (placement, cloud, what) in [
        (Placement::Rds, "rds", "RDS"),
        (Placement::Elasticache, "elasticache", "ElastiCache"),
    ] {
        match engine_of(image, placement) {
            Ok(engine) => {
                return Some((
                    cloud,
                    format!(
                        "cloud: {image} becomes {what} {} {}",
                        engine.name, engine.major
                    ),
                ));
            }
            Err(Unmapped::Version { offered, .. }) => {
                return Some((
                    "false",
                    format!(
                        "cloud: {image} is local infrastructure; its tag names no version {what} offers ({}), so it stays local",
                        offered.join(", ")
                    ),
                ));
            }
            Err(Unmapped::Image(_)) => {}
        }
    }
    Some((
        "false",
        format!("cloud: {image} is local infrastructure with no managed counterpart in parity"),
    ))
}

/// A one-shot service (no published port) whose command runs migrations
/// (`manage.py migrate`, `rails db:migrate`, `npm run migrate`, `prisma migrate deploy`).
fn migrates(service: &Service) -> bool {
    if !service.ports.is_empty() || service.x_parity.is_job() {
        return false;
    }
    service
        .command
        .iter()
        .chain(service.entrypoint.iter())
        .flatten()
        .flat_map(|arg| arg.split(|c: char| !c.is_ascii_alphanumeric()))
        .any(|word| word.to_ascii_lowercase().starts_with("migrat"))
}

/// Why a variable should be a secret, or `None`: the same look-alike rule
/// the translation refuses a plain value by, minus what the block settles.
fn secret_reason(service: &Service, key: &str, value: Option<&str>) -> Option<&'static str> {
    let x = &service.x_parity;
    if x.secrets.contains(key)
        || x.plain.iter().any(|k| k == key)
        || x.local_only.iter().any(|k| k == key)
    {
        return None;
    }
    if looks_secret(key) {
        Some("has a name that looks secret")
    } else if value.is_some_and(url_with_password) {
        Some("is a URL with a password in it")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(yaml: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("compose.yaml"), yaml).unwrap();
        let options = crate::compose::LoadOptions {
            files: Vec::new(),
            project_name: Some("shop".into()),
            project_directory: None,
            env_files: Vec::new(),
            profiles: Vec::new(),
            services: Vec::new(),
            environment: Default::default(),
            cwd: dir.path().to_path_buf(),
        };
        crate::compose::load(&options).unwrap()
    }

    /// The environment `parity init` writes.
    fn staging() -> Environment {
        let text = "app = \"shop\"\n[environments.staging]\nregion = \"eu-west-1\"\n";
        let settings = crate::settings::parse(text, std::path::Path::new("parity.toml")).unwrap();
        settings.environment("staging").unwrap().clone()
    }

    fn propose(project: &Project) -> Vec<Proposal> {
        super::propose(project, &staging())
    }

    fn flows(project: &Project) -> Vec<(String, String)> {
        propose(project)
            .into_iter()
            .map(|p| (p.service.clone(), p.flow()))
            .collect()
    }

    #[test]
    fn databases_with_a_mapped_tag_become_managed_services() {
        let p = project(
            "services:\n  db: {image: 'postgres:16-alpine'}\n  cache: {image: 'redis:7'}\n  my: {image: 'mysql:8.0', environment: {MYSQL_DATABASE: app}}\n  kv: {image: 'valkey/valkey:8.0'}\n",
        );
        assert_eq!(
            flows(&p),
            [
                ("cache".into(), "{cloud: elasticache}".into()),
                ("db".into(), "{cloud: rds}".into()),
                ("kv".into(), "{cloud: elasticache}".into()),
                ("my".into(), "{cloud: rds}".into()),
            ]
        );
    }

    #[test]
    fn unmapped_tags_and_other_infrastructure_stay_local() {
        let p = project(
            "services:\n  db: {image: postgres}\n  nodb: {image: 'mariadb:11.4'}\n  my: {image: 'mysql:8'}\n  q: {image: 'rabbitmq:3-management'}\n  m: {image: 'mongo:7'}\n  mail: {image: axllent/mailpit}\n  s3: {image: 'minio/minio:latest'}\n  es: {image: 'docker.elastic.co/elasticsearch/elasticsearch:8.13.0'}\n  app: {image: 'nginx:1.27'}\n",
        );
        let flows = flows(&p);
        assert_eq!(flows.len(), 8, "{flows:?}");
        assert!(
            flows.iter().all(|(_, f)| f == "{cloud: false}"),
            "{flows:?}"
        );
        assert!(!flows.iter().any(|(s, _)| s == "app"));
        let nodb = propose(&p)
            .into_iter()
            .find(|p| p.service == "nodb")
            .unwrap();
        assert!(
            nodb.reasons[0].contains("`cloud: rds` would be refused")
                && nodb.reasons[0].contains("names no database"),
            "{:?}",
            nodb.reasons
        );
    }

    #[test]
    fn a_one_shot_migrating_service_is_the_release() {
        let p = project(
            "services:\n  api: {image: app, command: npm run migrate-and-serve, ports: ['3000:3000']}\n  migrate: {image: app, command: bin/rails db:migrate}\n  worker: {image: app, command: sidekiq}\n",
        );
        assert_eq!(flows(&p), [("migrate".into(), "{release: true}".into())]);
    }

    #[test]
    fn no_release_is_proposed_when_one_is_declared() {
        let p = project(
            "services:\n  m1: {image: app, command: migrate, x-parity: {release: true}}\n  m2: {image: app, command: python manage.py migrate}\n",
        );
        assert_eq!(flows(&p), []);
    }

    #[test]
    fn secret_looking_variables_are_proposed_except_those_wired_to_a_managed_service() {
        let p = project(
            "services:\n  web:\n    image: app\n    environment:\n      SECRET_KEY_BASE: x\n      LOG_LEVEL: info\n      DATABASE_URL: postgres://u:pw@db/app\n      DB_PASSWORD: pw\n      UPSTREAM: https://u:pw@example.com/\n      STRIPE_API_KEY:\n  db: {image: 'postgres:16', environment: {POSTGRES_USER: u, POSTGRES_PASSWORD: pw}}\n",
        );
        let proposals = propose(&p);
        let web = proposals.iter().find(|p| p.service == "web").unwrap();
        assert_eq!(
            web.secrets,
            ["SECRET_KEY_BASE", "UPSTREAM", "STRIPE_API_KEY"]
        );
        assert!(
            web.reasons.iter().all(|r| !r.contains("pw")),
            "{:?}",
            web.reasons
        );
    }

    #[test]
    fn local_only_services_get_no_secret_proposals_and_existing_keys_are_kept() {
        let p = project(
            "services:\n  db: {image: 'postgres:16', environment: {POSTGRES_PASSWORD: x}}\n  web: {image: app, environment: {API_TOKEN: x, DB_PASSWORD: y}, x-parity: {secrets: [API_TOKEN]}}\n  kept: {image: 'redis:7', x-parity: {cloud: true}}\n",
        );
        let proposals = propose(&p);
        assert_eq!(proposals.len(), 2, "{proposals:?}");
        assert_eq!(proposals[0].flow(), "{cloud: rds}");
        assert!(!proposals[0].has_block);
        assert_eq!(proposals[1].flow(), "{secrets: [DB_PASSWORD]}");
        assert!(proposals[1].has_block);
    }
}
