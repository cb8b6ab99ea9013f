//! ECS Service Connect: a cloud service reaches another by its compose name
//! and container port (`http://api:8080`), as it does under `parity up`.
//!
//! The environment stack creates a Cloud Map namespace and makes it the
//! cluster's Service Connect default; its name reaches the plan as the
//! environment's `service_connect_namespace` (the stack output, or
//! parity.toml). With one, every ECS service of the plan gets a
//! `serviceConnectConfiguration`: enabled in the namespace (so its tasks
//! resolve the others' names), and, for each TCP port its own container
//! maps, published under the compose name: port mapping `<service>-<port>`
//! (named here when compose gave it no name; ECS needs a name to refer to),
//! discovery name the same, client alias `<service>:<port>` (lowercase: ECS
//! takes no other DNS name, and DNS ignores case). Without a
//! namespace (an emulator: Cloud Map is not there) nothing changes.

use serde_json::{Map, Value, json};

/// The longest port-mapping name ECS accepts.
const MAX_PORT_NAME: usize = 64;

/// Names every unnamed TCP port mapping of `container` in the
/// RegisterTaskDefinition request `task` (`<container>-<port>`, in ECS's
/// alphabet: lowercase, `.` as `-`).
pub(crate) fn name_ports(task: &mut Value, container: &str) {
    let Some(definitions) = task["containerDefinitions"].as_array_mut() else {
        return;
    };
    for definition in definitions.iter_mut().filter(|d| d["name"] == container) {
        // `get_mut`, not indexing: indexing would add `"portMappings": null`.
        let mappings = definition
            .get_mut("portMappings")
            .and_then(Value::as_array_mut);
        for mapping in mappings.into_iter().flatten() {
            if is_tcp(mapping) && mapping.get("name").is_none() {
                let name = port_name(container, &mapping["containerPort"]);
                mapping["name"] = Value::String(name);
            }
        }
    }
}

/// The `serviceConnectConfiguration` of the ECS service running
/// `container` from `task` (whose ports [`name_ports`] named).
pub(crate) fn configuration(namespace: &str, task: &Value, container: &str) -> Value {
    let services: Vec<Value> = task["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["name"] == container)
        .flat_map(|d| d["portMappings"].as_array().into_iter().flatten())
        .filter(|m| is_tcp(m))
        .filter_map(|m| {
            let name = m["name"].as_str()?;
            Some(json!({
                "portName": name,
                "discoveryName": name,
                "clientAliases": [{"port": m["containerPort"], "dnsName": dns_name(container)}],
            }))
        })
        .collect();
    let mut config = Map::new();
    config.insert("enabled".into(), json!(true));
    config.insert("namespace".into(), json!(namespace));
    if !services.is_empty() {
        config.insert("services".into(), Value::Array(services));
    }
    Value::Object(config)
}

/// What other services reach this one as, from its configuration:
/// `http://api:8080`, one per client alias.
pub(crate) fn aliases(config: &Value) -> Vec<String> {
    config["services"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["clientAliases"].as_array().into_iter().flatten())
        .filter_map(|a| Some(format!("http://{}:{}", a["dnsName"].as_str()?, a["port"])))
        .collect()
}

/// ECS takes lowercase DNS names only; DNS itself ignores case, so `Api`
/// still resolves.
fn dns_name(container: &str) -> String {
    container.to_ascii_lowercase()
}

fn is_tcp(mapping: &Value) -> bool {
    mapping["protocol"]
        .as_str()
        .is_none_or(|p| p.is_empty() || p == "tcp")
}

fn port_name(container: &str, port: &Value) -> String {
    let suffix = format!("-{port}");
    let mut base: String = container
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_' | '-') => c,
            _ => '-',
        })
        .collect();
    base.truncate(MAX_PORT_NAME - suffix.len());
    base + &suffix
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> Value {
        json!({"containerDefinitions": [
            {"name": "Api.V2", "portMappings": [
                {"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"},
                {"containerPort": 9000, "hostPort": 9000, "protocol": "tcp", "name": "metrics"},
                {"containerPort": 5353, "hostPort": 5353, "protocol": "udp"}
            ]},
            {"name": "proxy", "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]}
        ]})
    }

    #[test]
    fn the_services_tcp_ports_are_named_and_published_under_its_compose_name() {
        let mut task = task();
        name_ports(&mut task, "Api.V2");
        let mappings = &task["containerDefinitions"][0]["portMappings"];
        assert_eq!(mappings[0]["name"], "api-v2-8080");
        assert_eq!(mappings[1]["name"], "metrics", "a compose name is kept");
        assert!(
            mappings[2].get("name").is_none(),
            "UDP is not Service Connect's"
        );
        assert!(
            task["containerDefinitions"][1]["portMappings"][0]
                .get("name")
                .is_none(),
            "a sidecar's ports stay private"
        );
        let config = configuration("shop-staging", &task, "Api.V2");
        assert_eq!(
            config,
            json!({
                "enabled": true,
                "namespace": "shop-staging",
                "services": [
                    {"portName": "api-v2-8080", "discoveryName": "api-v2-8080",
                     "clientAliases": [{"port": 8080, "dnsName": "api.v2"}]},
                    {"portName": "metrics", "discoveryName": "metrics",
                     "clientAliases": [{"port": 9000, "dnsName": "api.v2"}]}
                ]
            })
        );
        assert_eq!(
            aliases(&config),
            ["http://api.v2:8080", "http://api.v2:9000"]
        );
    }

    #[test]
    fn a_service_without_ports_is_a_client_only() {
        let mut task = json!({"containerDefinitions": [{"name": "worker"}]});
        name_ports(&mut task, "worker");
        assert_eq!(task, json!({"containerDefinitions": [{"name": "worker"}]}));
        let config = configuration("ns", &task, "worker");
        assert_eq!(config, json!({"enabled": true, "namespace": "ns"}));
        assert!(aliases(&config).is_empty());
    }

    #[test]
    fn long_names_fit_ecs_limit() {
        let name = port_name(&"a".repeat(80), &json!(65535));
        assert_eq!(name.len(), MAX_PORT_NAME);
        assert!(name.ends_with("-65535"));
    }
}
