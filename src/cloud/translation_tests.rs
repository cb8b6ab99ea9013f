//! Field fates on projects built in code: what Fargate can express is
//! translated (ports, memory, cpus, sysctls, scale), what ECS rejects is
//! refused before any AWS call (names, protocols, secret names), and what is
//! left out is noted.

use serde_json::{Value, json};

use super::plan::{Plan, plan};
use super::plan_tests::{inputs, project, refused, service, settings, x};
use crate::compose::model::{Port, Service, ServiceFileRef};

fn planned(services: Vec<(&str, Service)>) -> Plan {
    plan(&project(services), &settings(), "staging", &inputs()).unwrap()
}

fn container(plan: &Plan) -> &Value {
    &plan.task_definitions[0].request["containerDefinitions"][0]
}

fn port(target: u16, published: Option<&str>, protocol: &str) -> Port {
    Port {
        target,
        published: published.map(str::to_owned),
        protocol: protocol.into(),
        mode: "ingress".into(),
        ..Port::default()
    }
}

fn other(service: &mut Service, value: Value) {
    let Value::Object(map) = value else {
        panic!("not an object")
    };
    service.other.extend(map);
}

#[test]
fn a_published_host_port_becomes_the_container_port_with_a_note() {
    let mut web = service("app");
    web.ports.push(port(8000, Some("10000"), "tcp"));
    let plan = planned(vec![("web", web)]);
    assert_eq!(
        container(&plan)["portMappings"],
        json!([{"containerPort": 8000, "hostPort": 8000, "protocol": "tcp"}])
    );
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("service `web`: ports: published port 10000 is a local choice")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn ports_differing_only_by_protocol_are_two_mappings() {
    let mut dns = service("dns");
    dns.ports.push(port(53, Some("53"), "tcp"));
    dns.ports.push(port(53, Some("53"), "udp"));
    let plan = planned(vec![("dns", dns)]);
    assert_eq!(
        container(&plan)["portMappings"],
        json!([
            {"containerPort": 53, "hostPort": 53, "protocol": "tcp"},
            {"containerPort": 53, "hostPort": 53, "protocol": "udp"}
        ])
    );
}

#[test]
fn protocols_other_than_tcp_and_udp_are_refused_or_left_out() {
    let mut web = service("app");
    web.ports.push(port(80, None, "tcp"));
    web.ports.push(port(9899, None, "sctp"));
    let err = refused(&project(vec![("web", web.clone())]));
    assert!(
        err.message()
            .contains("service `web`: ports: port 9899/sctp: ECS port mappings are tcp or udp"),
        "{}",
        err.message()
    );
    x(&mut web, json!({"cloud_ignore": ["ports"]}));
    let plan = planned(vec![("web", web)]);
    assert_eq!(
        container(&plan)["portMappings"],
        json!([{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}])
    );
}

#[test]
fn service_level_cpus_and_memory_size_the_container_and_the_task() {
    let mut web = service("app");
    other(
        &mut web,
        json!({"cpus": 1.5, "mem_limit": 3_221_225_472_u64, "mem_reservation": 1_073_741_824_u64}),
    );
    let plan = planned(vec![("web", web)]);
    let td = &plan.task_definitions[0].request;
    assert_eq!(
        (td["cpu"].as_str(), td["memory"].as_str()),
        (Some("2048"), Some("4096"))
    );
    assert_eq!(container(&plan)["memory"], 3072);
    assert_eq!(container(&plan)["memoryReservation"], 1024);
}

#[test]
fn net_sysctls_become_system_controls_and_others_are_refused() {
    let mut web = service("app");
    other(
        &mut web,
        json!({"sysctls": {"net.ipv4.tcp_keepalive_time": "200", "net.core.somaxconn": "1024"}}),
    );
    let plan = planned(vec![("web", web.clone())]);
    assert_eq!(
        container(&plan)["systemControls"],
        json!([
            {"namespace": "net.core.somaxconn", "value": "1024"},
            {"namespace": "net.ipv4.tcp_keepalive_time", "value": "200"}
        ])
    );
    other(&mut web, json!({"sysctls": {"kernel.shmmax": "1"}}));
    let err = refused(&project(vec![("web", web)]));
    assert!(
        err.message()
            .contains("service `web`: sysctls: Fargate sets only net.*"),
        "{}",
        err.message()
    );
}

#[test]
fn scale_is_the_desired_count() {
    let mut web = service("app");
    other(&mut web, json!({"scale": 3}));
    let plan = planned(vec![("web", web)]);
    assert_eq!(plan.services[0].request["desiredCount"], 3);
}

#[test]
fn names_ecs_refuses_are_refused_before_any_call() {
    let err = refused(&project(vec![("web.api", service("app"))]));
    assert!(
        err.message().contains(
            "service `web.api`: the task definition family would be `shop-staging-web.api`"
        ),
        "{}",
        err.message()
    );
    let err = refused(&project(vec![("web", service("Acme/web:1"))]));
    assert!(
        err.message()
            .contains("image `Acme/web:1`: the repository `Acme/web`"),
        "{}",
        err.message()
    );
}

#[test]
fn two_secrets_with_one_name_are_refused() {
    let mut web = service("app");
    web.secrets.push(ServiceFileRef {
        source: "stripe".into(),
        target: Some("API_KEY".into()),
        ..ServiceFileRef::default()
    });
    x(&mut web, json!({"secrets": ["API_KEY"]}));
    let err = refused(&project(vec![("web", web)]));
    assert!(
        err.message().contains(
            "two secrets are named API_KEY (x-parity.secrets and compose secret `stripe`)"
        ),
        "{}",
        err.message()
    );
}

#[test]
fn a_name_both_secret_and_plain_is_refused() {
    let mut web = service("app");
    web.secrets.push(ServiceFileRef {
        source: "TOKEN_FILE".into(),
        ..ServiceFileRef::default()
    });
    web.environment
        .insert("TOKEN_FILE".into(), Some("/run/secrets/token".into()));
    x(&mut web, json!({"plain": ["TOKEN_FILE"]}));
    let err = refused(&project(vec![("web", web)]));
    assert!(
        err.message().contains(
            "TOKEN_FILE is both a secret (compose secret `TOKEN_FILE`) and a plain variable"
        ),
        "{}",
        err.message()
    );
}

#[test]
fn noted_fields_are_noted_and_absent_from_the_request() {
    let mut web = service("app");
    other(
        &mut web,
        json!({"annotations": {"a": "b"}, "post_start": [{"command": ["x"]}], "pids_limit": 10}),
    );
    let plan = planned(vec![("web", web)]);
    for field in ["annotations", "post_start", "pids_limit"] {
        assert!(
            plan.notes
                .iter()
                .any(|n| n.starts_with(&format!("service `web`: {field} left out: "))),
            "{field}: {:?}",
            plan.notes
        );
    }
}

#[test]
fn every_refused_or_noted_field_of_the_inventory_is_refused_or_noted() {
    use super::fields::{FIELDS, Fate};
    for field in FIELDS.iter().filter(|f| !f.path.contains('.')) {
        let mut web = service("app");
        web.other.insert(field.path.into(), json!("set"));
        let note = format!("service `web`: {} left out", field.path);
        match field.fate {
            Fate::Refused(why) => {
                let err = refused(&project(vec![("web", web.clone())]));
                assert!(
                    err.message()
                        .contains(&format!("service `web`: {}: {why}", field.path)),
                    "{}",
                    err.message()
                );
                x(&mut web, json!({"cloud_ignore": [field.path]}));
                let plan = planned(vec![("web", web)]);
                assert!(
                    plan.notes.iter().any(|n| n.starts_with(&note)),
                    "{}: {:?}",
                    field.path,
                    plan.notes
                );
            }
            Fate::Noted(why) => {
                let plan = planned(vec![("web", web)]);
                assert!(
                    plan.notes.contains(&format!("{note}: {why}")),
                    "{}: {:?}",
                    field.path,
                    plan.notes
                );
            }
            Fate::Ecs(_) | Fate::Local(_) | Fate::Parts => {}
        }
    }
}

#[test]
fn a_sidecar_setting_another_value_for_a_shared_sysctl_is_a_warning() {
    let mut web = service("app");
    other(&mut web, json!({"sysctls": {"net.core.somaxconn": "1024"}}));
    let mut proxy = service("proxy");
    other(
        &mut proxy,
        json!({"sysctls": {"net.core.somaxconn": "4096"}}),
    );
    x(&mut proxy, json!({"sidecar_of": "web"}));
    let plan = planned(vec![("web", web), ("proxy", proxy)]);
    assert!(
        plan.warnings.iter().any(|w| w.contains(
            "`web` sets net.core.somaxconn=1024 and `proxy` sets net.core.somaxconn=4096"
        )),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn more_than_ten_containers_or_64_kib_in_one_task_are_refused() {
    let mut services = vec![("web", service("app"))];
    let names: Vec<String> = (0..10).map(|i| format!("side{i}")).collect();
    for name in &names {
        let mut sidecar = service("side");
        x(&mut sidecar, json!({"sidecar_of": "web"}));
        services.push((name.as_str(), sidecar));
    }
    let err = refused(&project(services));
    assert!(
        err.message()
            .contains("service `web`: its task would hold 11 containers"),
        "{}",
        err.message()
    );
    let mut web = service("app");
    web.command = Some(vec!["x".repeat(70 * 1024)]);
    let err = refused(&project(vec![("web", web)]));
    assert!(
        err.message().contains("ECS accepts at most 65536"),
        "{}",
        err.message()
    );
}

#[test]
fn an_anonymous_volume_is_the_tasks_ephemeral_storage() {
    let mut web = service("app");
    web.volumes.push(crate::compose::model::VolumeMount {
        kind: "volume".into(),
        target: "/cache".into(),
        ..Default::default()
    });
    let plan = planned(vec![("web", web.clone())]);
    let td = &plan.task_definitions[0].request;
    assert_eq!(td["volumes"], json!([{"name": "web-anonymous-1"}]));
    assert_eq!(
        container(&plan)["mountPoints"],
        json!([{"sourceVolume": "web-anonymous-1", "containerPath": "/cache", "readOnly": false}])
    );
    // A named volume promises persistence: refused.
    web.volumes[0].source = Some("cache".into());
    let err = refused(&project(vec![("web", web)]));
    assert!(
        err.message()
            .contains("service `web`: volumes: volume `cache`"),
        "{}",
        err.message()
    );
}
