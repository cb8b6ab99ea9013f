//! The environment stack's data on projects built in code: which services are
//! public and on which hosts, which builds share a repository, which ARNs the
//! execution role may touch. Every rendered variant is pinned by the goldens
//! and cfn-lint in tests/it/env_template.rs.

use std::path::Path;

use serde_json::json;

use super::{StackData, render, stack_data};
use crate::compose::model::{Build, Port, Project, Service};
use crate::error::ErrorKind;
use crate::settings::{Settings, parse};

fn settings(extra: &str) -> Settings {
    let text = format!("app = \"shop\"\n[environments.staging]\nregion = \"eu-west-1\"\n{extra}\n");
    parse(&text, Path::new("parity.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn built(context: &str, port: Option<u16>) -> Service {
    Service {
        build: Some(Build {
            context: context.into(),
            dockerfile: "Dockerfile".into(),
            ..Build::default()
        }),
        ports: port
            .map(|target| Port {
                target,
                protocol: "tcp".into(),
                ..Port::default()
            })
            .into_iter()
            .collect(),
        ..Service::default()
    }
}

fn x(block: &serde_json::Value) -> crate::compose::x_parity::XParity {
    crate::compose::x_parity::tests::from_json("service", block).unwrap_or_else(|e| panic!("{e}"))
}

fn project(services: Vec<(&str, Service)>) -> Project {
    Project {
        working_dir: "/app".into(),
        ..crate::cloud::plan_tests::project(services)
    }
}

fn data(project: &Project, extra: &str) -> StackData {
    stack_data(project, &settings(extra), "staging").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn services_sharing_a_build_share_one_repository() {
    let mut migrate = built("/app", None);
    migrate.x_parity = x(&json!({"release": true}));
    let project = project(vec![
        ("migrate", migrate),
        ("web", built("/app", Some(3000))),
        ("worker", built("/app/worker", None)),
    ]);
    let data = data(&project, "");
    let repositories: Vec<(&str, Vec<&str>, bool)> = data
        .repositories
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.services.iter().map(String::as_str).collect(),
                r.create,
            )
        })
        .collect();
    assert_eq!(
        repositories,
        [
            ("shop", vec!["migrate", "web"], true),
            ("shop/worker", vec!["worker"], true)
        ]
    );
    assert_eq!(
        data.execution_policy.repository_arns,
        [
            "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/shop",
            "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/shop/worker"
        ]
    );
}

#[test]
fn only_cloud_services_publishing_a_port_are_public() {
    let mut local = built("/db", Some(5432));
    local.x_parity = x(&json!({"cloud": false}));
    let mut release = built("/app", Some(3000));
    release.x_parity = x(&json!({"release": true}));
    let project = project(vec![
        ("db", local),
        ("migrate", release),
        ("web", built("/app", Some(3000))),
        ("worker", built("/worker", None)),
    ]);
    let data = data(&project, "");
    let lb = data.load_balancer.expect("a load balancer");
    let public: Vec<&str> = lb.services.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(public, ["web"]);
    assert_eq!(lb.ports, [3000]);
    assert!(!lb.https);
    assert!(lb.services[0].hosts.is_empty());
    assert_eq!(lb.services[0].health_check_path, "/");
}

#[test]
fn no_public_service_means_no_load_balancer() {
    let project = project(vec![("worker", built("/worker", None))]);
    let data = data(&project, "");
    assert!(data.load_balancer.is_none());
    assert!(!data.needs_certificate());
    let template = render(&data).unwrap();
    assert!(!template.contains("AWS::ElasticLoadBalancingV2"));
    assert!(!template.contains("CertificateArn"));
}

#[test]
fn with_a_domain_the_first_public_service_takes_it_and_the_others_a_subdomain() {
    let project = project(vec![
        ("api_v2", built("/api", Some(8080))),
        ("web", built("/web", Some(3000))),
    ]);
    let data = data(&project, "domain = \"staging.example.com\"");
    assert!(data.needs_certificate());
    assert_eq!(
        data.hosts(),
        ["staging.example.com", "web.staging.example.com"]
    );
}

#[test]
fn listener_rule_priorities_follow_the_service_not_its_position() {
    let priorities = |project: &Project| -> Vec<(String, u32)> {
        data(project, "domain = \"staging.example.com\"")
            .load_balancer
            .expect("a load balancer")
            .services
            .iter()
            .map(|s| (s.service.clone(), s.priority))
            .collect()
    };
    let before = priorities(&project(vec![
        ("web", built("/web", Some(3000))),
        ("webhooks", built("/hooks", Some(9000))),
    ]));
    // A service sorted in front of them, the first public one, takes the domain.
    let after = priorities(&project(vec![
        ("api", built("/api", Some(8080))),
        ("web", built("/web", Some(3000))),
        ("webhooks", built("/hooks", Some(9000))),
    ]));
    for (service, priority) in &before {
        assert!(
            after.contains(&(service.clone(), *priority)),
            "{service} keeps {priority}: {after:?}"
        );
    }
    let mut values: Vec<u32> = after.iter().map(|(_, p)| *p).collect();
    values.sort_unstable();
    values.dedup();
    assert_eq!(values.len(), 3, "distinct: {after:?}");
    assert!(values.iter().all(|p| (1..=50_000).contains(p)), "{after:?}");
}

#[test]
fn a_second_public_service_without_a_domain_is_refused_naming_it() {
    let project = project(vec![
        ("api", built("/api", Some(8080))),
        ("web", built("/web", Some(3000))),
    ]);
    let err = stack_data(&project, &settings(""), "staging").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Input);
    assert!(err.message().contains("service `web`"), "{err}");
}

#[test]
fn the_execution_role_reads_exactly_the_environments_parameters_and_key() {
    let project = project(vec![("web", built("/web", Some(3000)))]);
    let data = data(
        &project,
        "ssm_prefix = \"/custom/path\"\nkms_key_id = \"alias/shop\"\nlog_group = \"/custom/logs\"",
    );
    let policy = &data.execution_policy;
    assert_eq!(
        policy.parameters_arn,
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/custom/path/*"
    );
    assert_eq!(
        policy.log_group_arn,
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/custom/logs:*"
    );
    let kms = policy.kms.as_ref().expect("a kms grant");
    assert_eq!(kms.alias.as_deref(), Some("alias/shop"));
    let by_id = data_kms("1234abcd-12ab-34cd-56ef-1234567890ab");
    assert_eq!(
        (by_id.resource.as_str(), by_id.alias),
        (
            "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            None
        )
    );
    let arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    assert_eq!(data_kms(arn).resource, arn);
    let alias_arn = data_kms("arn:aws:kms:eu-west-1:123456789012:alias/shop");
    assert_eq!(alias_arn.alias.as_deref(), Some("alias/shop"));
    assert!(data.execution_policy.kms.is_some());
    assert!(data_without_key().execution_policy.kms.is_none());
    assert_eq!(kms.via, ["ssm"]);
}

#[test]
fn the_environments_key_decrypts_through_secrets_manager_when_secrets_are_read_there() {
    let project = project(vec![("web", built("/web", Some(3000)))]);
    let data = data(
        &project,
        "kms_key_id = \"alias/shop\"\nsecrets_store = \"secretsmanager\"",
    );
    let kms = data.execution_policy.kms.as_ref().expect("a kms grant");
    assert_eq!(kms.via, ["ssm", "secretsmanager"]);
    let rendered = super::render::render(&data).expect("render");
    assert!(
        rendered.contains(
            "kms:ViaService:\n                      - !Sub \"ssm.${AWS::Region}.${AWS::URLSuffix}\"\n                      - !Sub \"secretsmanager.${AWS::Region}.${AWS::URLSuffix}\""
        ),
        "{rendered}"
    );
}

#[test]
fn the_execution_role_reads_exactly_the_referenced_secrets_and_the_own_store() {
    let mut web = built("/web", Some(3000));
    web.x_parity = x(&json!({"secrets": {
        "OWN": true,
        "DB": "secretsmanager:rds!db-1:password",
        "FULL": "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf:k",
        "K": "ssm:/shared/k"
    }}));
    let project = project(vec![("web", web)]);
    let ssm = data(&project, "");
    assert_eq!(ssm.execution_policy.own_secrets_arn, None);
    assert_eq!(
        ssm.execution_policy.referenced_secret_arns,
        [
            "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:rds!db-1-??????",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf",
        ]
    );
    assert_eq!(
        ssm.execution_policy.referenced_parameter_arns,
        ["arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/shared/k"]
    );
    let manager = data(&project, "secrets_store = \"secretsmanager\"");
    assert_eq!(
        manager.execution_policy.own_secrets_arn.as_deref(),
        Some(
            "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:shop/staging/*"
        )
    );
}

fn data_kms(key: &str) -> super::iam::KmsGrant {
    let project = project(vec![("web", built("/web", Some(3000)))]);
    data(&project, &format!("kms_key_id = \"{key}\""))
        .execution_policy
        .kms
        .expect("a kms grant")
}

fn data_without_key() -> StackData {
    data(&project(vec![("web", built("/web", Some(3000)))]), "")
}

#[test]
fn a_promoted_environment_in_the_same_account_reuses_the_repositories_and_is_protected() {
    let text = "app = \"shop\"\n[environments.staging]\nregion = \"eu-west-1\"\n[environments.prod]\nregion = \"eu-west-1\"\npromotes_from = \"staging\"\n[environments.other]\nregion = \"us-east-1\"\npromotes_from = \"staging\"\n";
    let settings = parse(text, Path::new("parity.toml")).unwrap();
    let project = project(vec![("web", built("/web", Some(3000)))]);
    let staging = stack_data(&project, &settings, "staging").unwrap();
    let prod = stack_data(&project, &settings, "prod").unwrap();
    let other = stack_data(&project, &settings, "other").unwrap();
    assert!(staging.repositories[0].create && !staging.termination_protection);
    assert!(!prod.repositories[0].create && prod.termination_protection);
    assert!(
        other.repositories[0].create,
        "another region has its own registry"
    );
    let template = render(&prod).unwrap();
    assert!(!template.contains("AWS::ECR::Repository"));
    assert!(template.contains("/shop/web\""), "the URI output stays");
}

#[test]
fn names_that_collapse_to_one_logical_id_are_refused() {
    let project = project(vec![
        ("web-api", built("/app/a", Some(80))),
        ("web_api", built("/app/b", Some(80))),
    ]);
    let err = stack_data(&project, &settings("domain = \"example.com\""), "staging").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Input);
    assert!(err.message().contains("TargetGroupWebApi"), "{err}");
}

#[test]
fn network_modes_decide_vpc_nat_and_public_ip() {
    let project = project(vec![("worker", built("/w", None))]);
    let public = data(&project, "").network;
    assert!(public.create_vpc && !public.nat && public.assign_public_ip);
    let private = data(&project, "network = \"private\"").network;
    assert!(private.create_vpc && private.nat && !private.assign_public_ip);
    let existing = data(
        &project,
        "network = { vpc = \"vpc-0a1b2c3d\", subnets = [\"subnet-0a1b2c3d\"] }",
    )
    .network;
    assert!(!existing.create_vpc && !existing.nat && !existing.assign_public_ip);
    assert_eq!(existing.public_subnets, ["subnet-0a1b2c3d"]);
    assert!(
        !render(&data(
            &project,
            "network = { vpc = \"vpc-0a1b2c3d\", subnets = [\"subnet-0a1b2c3d\"] }"
        ))
        .unwrap()
        .contains("AWS::EC2::VPC\n")
    );
}

#[test]
fn x_parity_chooses_public_services_hosts_and_health_check_paths() {
    let mut internal = built("/app/internal", Some(9000));
    internal.x_parity = x(&json!({"public": false}));
    let mut api = built("/app/api", Some(8080));
    api.x_parity = x(&json!({"host": "api.example.org", "health_check_path": "/healthz"}));
    let mut admin = built("/app/admin", Some(8000));
    admin.x_parity = x(&json!({"host": "admin"}));
    let project = project(vec![
        ("admin", admin),
        ("api", api),
        ("internal", internal),
        ("web", built("/app", Some(3000))),
    ]);
    let lb = data(&project, "domain = \"staging.example.com\"")
        .load_balancer
        .expect("a load balancer");
    let routes: Vec<(&str, Vec<&str>, &str)> = lb
        .services
        .iter()
        .map(|s| {
            (
                s.service.as_str(),
                s.hosts.iter().map(|h| h.name.as_str()).collect(),
                s.health_check_path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            ("admin", vec!["admin.staging.example.com"], "/"),
            ("api", vec!["api.example.org"], "/healthz"),
            ("web", vec!["staging.example.com"], "/"),
        ]
    );
    assert_eq!(lb.default_target_group, "TargetGroupWeb");
    assert_eq!(lb.url.as_deref(), Some("https://staging.example.com"));
    assert_eq!(lb.ports, [3000, 8000, 8080]);
}

#[test]
fn a_public_service_without_a_port_is_refused_at_its_x_parity() {
    let mut worker = built("/app", None);
    worker.x_parity = x(&json!({"public": true}));
    let err = stack_data(&project(vec![("worker", worker)]), &settings(""), "staging").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Input);
    assert!(
        err.message()
            .contains("service `worker` is public but publishes no TCP port"),
        "{err}"
    );
    assert!(err.location().is_some());
}

#[test]
fn a_host_label_needs_the_environments_domain() {
    let mut api = built("/app", Some(8080));
    api.x_parity = x(&json!({"host": "api"}));
    let err = stack_data(&project(vec![("api", api)]), &settings(""), "staging").unwrap_err();
    assert!(err.message().contains("has no domain"), "{err}");
}

/// CloudFormation takes at most 51,200 bytes inline: the largest template
/// is accepted, one byte more is bad input naming the size and the limit.
#[test]
fn a_template_over_cloudformations_inline_limit_is_refused_at_the_boundary() {
    use super::check_size;
    use super::render::MAX_TEMPLATE_BODY;
    let many: Vec<(String, Service)> = (0..20)
        .map(|i| {
            (
                format!("svc{i:02}"),
                built(&format!("/s{i:02}"), Some(3000 + i)),
            )
        })
        .collect();
    let project = project(many.iter().map(|(n, s)| (n.as_str(), s.clone())).collect());
    let data = data(&project, "domain = \"staging.example.com\"");
    let body = render(&data).unwrap();
    assert!(body.len() > MAX_TEMPLATE_BODY, "{} bytes", body.len());
    let err = check_size(&data, &body).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Input);
    assert!(err.to_string().contains("51200-byte limit"), "{err}");
    assert!(err.to_string().contains("20 public services"), "{err}");
    assert!(check_size(&data, &body[..MAX_TEMPLATE_BODY]).is_ok());
    assert!(check_size(&data, &body[..=MAX_TEMPLATE_BODY]).is_err());
}

#[test]
fn the_task_role_may_open_exec_sessions_only_when_a_cloud_service_has_exec_on() {
    let plain = project(vec![("web", built("/app", Some(3000)))]);
    assert!(!data(&plain, "").task_exec);
    assert!(
        data(&plain, "exec = true").task_exec,
        "the environment's setting"
    );
    let mut web = built("/app", Some(3000));
    web.x_parity = x(&json!({"exec": true}));
    assert!(
        data(&project(vec![("web", web)]), "").task_exec,
        "x-parity on one service"
    );
    let mut local = built("/app", None);
    local.x_parity = x(&json!({"exec": true, "cloud": false}));
    assert!(
        !data(&project(vec![("tool", local)]), "").task_exec,
        "a local-only service has no task"
    );
    let rendered = render::render(&data(&plain, "exec = true")).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        rendered.contains("ssmmessages:OpenDataChannel"),
        "{rendered}"
    );
    let rendered = render::render(&data(&plain, "")).unwrap_or_else(|e| panic!("{e}"));
    assert!(!rendered.contains("ssmmessages"), "{rendered}");
}
