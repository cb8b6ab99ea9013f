//! The translation on projects built in code: the shapes `plan` produces and
//! the inputs it refuses (every refusal names the service and the field).

use std::path::Path;

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::plan::{ImageInput, PlanInputs, plan};
use crate::compose::model::{
    Condition, Dependency, Deploy, Duration, Healthcheck, Port, Project, ResourceAmounts,
    Resources, Service, VolumeMount,
};
use crate::error::{Error, ErrorKind};
use crate::settings::{Settings, parse};

const SETTINGS: &str = r#"
app = "shop"
[environments.staging]
region = "eu-west-1"
account_id = "123456789012"
subnets = ["subnet-1"]
security_groups = ["sg-1"]
execution_role_arn = "arn:aws:iam::123456789012:role/exec"
"#;

pub(super) fn settings() -> Settings {
    parse(SETTINGS, Path::new("parity.toml")).unwrap()
}

pub(super) fn inputs() -> PlanInputs {
    PlanInputs {
        account_id: "123456789012".into(),
        compose_hash: "abc".into(),
        ..PlanInputs::default()
    }
}

pub(super) fn service(image: &str) -> Service {
    Service {
        image: Some(image.into()),
        ..Service::default()
    }
}

pub(super) fn project(services: Vec<(&str, Service)>) -> Project {
    Project {
        name: "shop".into(),
        services: services
            .into_iter()
            .map(|(n, mut s)| {
                n.clone_into(&mut s.name);
                (n.to_owned(), s)
            })
            .collect(),
        ..Project::default()
    }
}

pub(super) fn x(service: &mut Service, value: Value) {
    service.x_parity = crate::compose::x_parity::tests::from_json(&service.name.clone(), &value)
        .expect("a valid x-parity block");
}

pub(super) fn refused(project: &Project) -> Error {
    match plan(project, &settings(), "staging", &inputs()) {
        Ok(p) => panic!(
            "accepted: {}",
            serde_json::to_string_pretty(&p.to_json()).unwrap()
        ),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Input, "{e}");
            e
        }
    }
}

#[test]
fn a_web_service_becomes_one_fargate_task_definition() {
    let mut web = service("nginx:1.27");
    web.ports.push(Port {
        target: 80,
        published: Some("80".into()),
        protocol: "tcp".into(),
        mode: "ingress".into(),
        ..Port::default()
    });
    let plan = plan(
        &project(vec![("web", web)]),
        &settings(),
        "staging",
        &inputs(),
    )
    .unwrap();
    let td = &plan.task_definitions[0].request;
    assert_eq!(td["family"], "shop-staging-web");
    assert_eq!(td["networkMode"], "awsvpc");
    assert_eq!(td["requiresCompatibilities"], json!(["FARGATE"]));
    assert_eq!(
        (td["cpu"].as_str(), td["memory"].as_str()),
        (Some("256"), Some("512"))
    );
    let container = &td["containerDefinitions"][0];
    assert_eq!(
        container["portMappings"],
        json!([{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}])
    );
    assert_eq!(
        container["logConfiguration"]["options"]["awslogs-group"],
        "/shop/staging"
    );
    let service = &plan.services[0].request;
    assert_eq!(service["serviceName"], "shop-web");
    assert_eq!(
        service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"],
        "DISABLED"
    );
}

#[test]
fn secrets_become_ssm_value_from_without_double_slash() {
    let mut web = service("app");
    web.environment
        .insert("API_KEY".into(), Some("local-canary".into()));
    x(&mut web, json!({"secrets": ["API_KEY"]}));
    let plan = plan(
        &project(vec![("web", web)]),
        &settings(),
        "staging",
        &inputs(),
    )
    .unwrap();
    let container = &plan.task_definitions[0].request["containerDefinitions"][0];
    assert_eq!(
        container["secrets"],
        json!([{"name": "API_KEY", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/staging/API_KEY"}])
    );
    assert!(container.get("environment").is_none());
    assert!(!plan.to_json().to_string().contains("local-canary"));
}

#[test]
fn sidecars_join_the_task_with_depends_on() {
    let mut web = service("app");
    web.depends_on.insert(
        "proxy".into(),
        Dependency {
            condition: Condition::Started,
            restart: false,
            required: true,
        },
    );
    let mut proxy = service("envoy");
    x(&mut proxy, json!({"sidecar_of": "web"}));
    let plan = plan(
        &project(vec![("proxy", proxy), ("web", web)]),
        &settings(),
        "staging",
        &inputs(),
    )
    .unwrap();
    assert_eq!(plan.task_definitions.len(), 1);
    let containers = &plan.task_definitions[0].request["containerDefinitions"];
    assert_eq!(containers[0]["name"], "web");
    assert_eq!(
        containers[0]["dependsOn"],
        json!([{"containerName": "proxy", "condition": "START"}])
    );
    assert_eq!(containers[1]["essential"], false);
}

#[test]
fn an_essential_sidecar_is_essential_in_the_task_definition() {
    let web = service("app");
    let mut proxy = service("envoy");
    x(&mut proxy, json!({"sidecar_of": "web", "essential": true}));
    let mut agent = service("agent");
    x(&mut agent, json!({"sidecar_of": "web"}));
    let plan = plan(
        &project(vec![("web", web), ("proxy", proxy), ("agent", agent)]),
        &settings(),
        "staging",
        &inputs(),
    )
    .unwrap();
    let containers = &plan.task_definitions[0].request["containerDefinitions"];
    let essential: Vec<(&Value, &Value)> = containers
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (&c["name"], &c["essential"]))
        .collect();
    assert_eq!(
        essential,
        [
            (&json!("web"), &json!(true)),
            (&json!("proxy"), &json!(true)),
            (&json!("agent"), &json!(false))
        ]
    );
}

#[test]
fn digests_passed_in_are_what_the_task_runs() {
    let mut web = service("app");
    web.build = Some(crate::compose::model::Build::default());
    let mut inputs = inputs();
    let pinned = format!("reg.example/shop/web@sha256:{}", "a".repeat(64));
    inputs.images.insert(
        "web".into(),
        ImageInput {
            reference: pinned.clone(),
            architecture: Some("arm64".into()),
            has_healthcheck: true,
        },
    );
    let plan = plan(
        &project(vec![("web", web)]),
        &settings(),
        "staging",
        &inputs,
    )
    .unwrap();
    let td = &plan.task_definitions[0].request;
    assert_eq!(td["containerDefinitions"][0]["image"], json!(pinned));
    assert_eq!(td["runtimePlatform"]["cpuArchitecture"], "ARM64");
    assert!(
        plan.warnings.iter().any(|w| w.contains("HEALTHCHECK")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn output_is_deterministic() {
    let mut web = service("app");
    web.environment.insert("B".into(), Some("2".into()));
    web.environment.insert("A".into(), Some("1".into()));
    let p = project(vec![("web", web)]);
    let a = plan(&p, &settings(), "staging", &inputs())
        .unwrap()
        .to_json()
        .to_string();
    let b = plan(&p, &settings(), "staging", &inputs())
        .unwrap()
        .to_json()
        .to_string();
    assert_eq!(a, b);
    assert!(a.find("\"A\"").unwrap() < a.find("\"B\"").unwrap());
}

#[test]
fn tmpfs_is_refused_naming_service_and_field() {
    let mut web = service("app");
    web.tmpfs.push("/tmp".into());
    let err = refused(&project(vec![("web", web)]));
    assert!(
        err.message().starts_with("service `web`: tmpfs"),
        "{}",
        err.message()
    );
}

#[test]
fn cloud_ignore_turns_a_refusal_into_a_note() {
    let mut web = service("app");
    web.volumes.push(VolumeMount {
        kind: "bind".into(),
        source: Some("/src".into()),
        target: "/app".into(),
        ..VolumeMount::default()
    });
    x(&mut web, json!({"cloud_ignore": ["volumes"]}));
    let plan = plan(
        &project(vec![("web", web)]),
        &settings(),
        "staging",
        &inputs(),
    )
    .unwrap();
    assert!(
        plan.notes.iter().any(|n| n.contains("volumes left out")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn healthcheck_interval_of_one_second_is_brought_within_bounds_and_noted() {
    let mut web = service("app");
    web.healthcheck = Some(Healthcheck {
        test: vec!["CMD".into(), "true".into()],
        interval: Some(Duration(1000)),
        timeout: Some(Duration(1000)),
        ..Healthcheck::default()
    });
    let plan = plan(
        &project(vec![("web", web)]),
        &settings(),
        "staging",
        &inputs(),
    )
    .unwrap();
    let check = &plan.task_definitions[0].request["containerDefinitions"][0]["healthCheck"];
    assert_eq!(
        (check["interval"].as_u64(), check["retries"].as_u64()),
        (Some(5), Some(1))
    );
    assert!(
        plan.notes
            .iter()
            .any(|n| n.starts_with("service `web`: healthcheck: every 1s × 3 retries")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn seventeen_vcpu_is_refused() {
    let mut web = service("app");
    web.deploy = Some(Deploy {
        resources: Some(Resources {
            limits: Some(ResourceAmounts {
                cpus: Some("17".into()),
                ..ResourceAmounts::default()
            }),
            reservations: None,
        }),
        ..Deploy::default()
    });
    let err = refused(&project(vec![("web", web)]));
    assert!(
        err.message()
            .contains("service `web`: deploy.resources.cpus"),
        "{}",
        err.message()
    );
}

#[test]
fn local_only_hosts_in_cloud_values_are_warnings() {
    let mut web = service("app");
    web.environment
        .insert("DATABASE_HOST".into(), Some("db".into()));
    let mut db = service("postgres:16");
    x(&mut db, json!({"cloud": false}));
    let plan = plan(
        &project(vec![("db", db), ("web", web)]),
        &settings(),
        "staging",
        &inputs(),
    )
    .unwrap();
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("DATABASE_HOST points at `db`")),
        "{:?}",
        plan.warnings
    );
    assert_eq!(plan.task_definitions.len(), 1);
}

#[test]
fn release_service_gets_a_task_definition_but_no_ecs_service() {
    let mut migrate = service("app");
    x(&mut migrate, json!({"release": true}));
    let web = service("app");
    let plan = plan(
        &project(vec![("migrate", migrate), ("web", web)]),
        &settings(),
        "staging",
        &inputs(),
    )
    .unwrap();
    assert_eq!(plan.task_definitions.len(), 2);
    assert_eq!(plan.services.len(), 1);
    assert_eq!(
        plan.release.as_ref().unwrap().family,
        "shop-staging-migrate"
    );
}

#[test]
fn unknown_environment_is_bad_input() {
    let err = plan(&project(vec![]), &settings(), "prod", &inputs()).unwrap_err();
    assert!(err.message().contains("staging"));
    let _: IndexMap<String, String> = IndexMap::new();
}

#[test]
fn services_sharing_a_build_run_one_image_named_for_it_and_the_plan_says_so() {
    let build = crate::compose::model::Build {
        context: "/src/shop".into(),
        dockerfile: "Dockerfile".into(),
        ..Default::default()
    };
    let built = Service {
        build: Some(build),
        ..Service::default()
    };
    let mut project = project(vec![("migrate", built.clone()), ("web", built)]);
    project.working_dir = "/src/shop".into();
    let plan = plan(&project, &settings(), "staging", &inputs()).unwrap();
    let images: Vec<&Value> = plan
        .task_definitions
        .iter()
        .map(|t| &t.request["containerDefinitions"][0]["image"])
        .collect();
    let repository = json!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop");
    assert_eq!(images, [&repository, &repository]);
    assert!(
        plan.notes.iter().any(|n| n
            == "services `migrate`, `web` share one image, built once from . and pushed to 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop"),
        "{:?}",
        plan.notes
    );
}

/// With a Service Connect namespace every service joins it; one with ports
/// is published under its compose name, its ports named for ECS.
#[test]
fn with_a_namespace_services_are_reachable_by_their_compose_names() {
    let text = format!(
        "{SETTINGS}service_connect_namespace = \"arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-1\"\n"
    );
    let settings = parse(&text, Path::new("parity.toml")).unwrap();
    let mut api = service("example/api:1");
    api.ports = vec![Port {
        target: 8080,
        protocol: "tcp".into(),
        ..Port::default()
    }];
    let worker = service("example/worker:1");
    let project = project(vec![("api", api), ("worker", worker)]);
    let plan = plan(&project, &settings, "staging", &inputs()).unwrap();
    let api_task = &plan.task_definition("api").unwrap().request;
    assert_eq!(
        api_task["containerDefinitions"][0]["portMappings"][0]["name"],
        "api-8080"
    );
    let config = |name: &str| {
        plan.services
            .iter()
            .find(|s| s.service == name)
            .unwrap()
            .request["serviceConnectConfiguration"]
            .clone()
    };
    assert_eq!(
        config("api"),
        json!({
            "enabled": true,
            "namespace": "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-1",
            "services": [{"portName": "api-8080", "discoveryName": "api-8080",
                          "clientAliases": [{"port": 8080, "dnsName": "api"}]}]
        })
    );
    assert_eq!(
        config("worker"),
        json!({"enabled": true, "namespace": "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-1"})
    );
    // Without one (the default settings), nothing of it.
    let plain = plan_of(&project);
    assert!(
        plain
            .services
            .iter()
            .all(|s| s.request.get("serviceConnectConfiguration").is_none())
    );
}

fn plan_of(project: &Project) -> super::Plan {
    plan(project, &settings(), "staging", &inputs()).unwrap()
}
