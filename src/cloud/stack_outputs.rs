//! How the environment stack's outputs become an environment's settings:
//! the one place `plan`, `deploy`, `promote`, `rollback` and `status` learn
//! the subnets, security group, roles and target groups `parity env apply`
//! created. A value set explicitly in parity.toml wins (teams whose
//! infrastructure comes from Terraform keep working); an output fills only
//! what the file leaves unset.
//!
//! The output keys are the contract with the template (`templates/`,
//! documented in `cloud::stack`); they are read here, once.

use indexmap::IndexMap;
use toml::Spanned;

use crate::cloud::stack::StackData;
use crate::settings::{Environment, LoadBalancer};

/// Output keys the template provides (see `cloud::stack`'s module doc).
pub(crate) mod keys {
    pub(crate) const CLUSTER: &str = "ClusterName";
    /// Comma-separated subnet ids the tasks run in.
    pub(crate) const SUBNETS: &str = "Subnets";
    /// `ENABLED` or `DISABLED`: whether tasks need a public IP (public network mode).
    pub(crate) const ASSIGN_PUBLIC_IP: &str = "AssignPublicIp";
    pub(crate) const TASK_SECURITY_GROUP: &str = "TaskSecurityGroup";
    pub(crate) const EXECUTION_ROLE: &str = "ExecutionRoleArn";
    pub(crate) const TASK_ROLE: &str = "TaskRoleArn";
    pub(crate) const LOG_GROUP: &str = "LogGroupName";
    /// The role EventBridge Scheduler runs the jobs with (only with a job).
    pub(crate) const SCHEDULER_ROLE: &str = "SchedulerRoleArn";
    /// The application load balancer's ARN (only with a public service).
    pub(crate) const LOAD_BALANCER_ARN: &str = "LoadBalancerArn";
    /// The Cloud Map namespace's ARN (absent when Service Connect is disabled).
    pub(crate) const SERVICE_CONNECT_NAMESPACE: &str = "ServiceConnectNamespace";
    /// `http://<dns name>`, or `https://<domain>` with a domain (absent without a public service).
    pub(crate) const LOAD_BALANCER_URL: &str = "LoadBalancerUrl";
}

/// `environment` with every unset value the stack provides filled in. The
/// public services and their container ports come from `data` (the stack
/// parity renders for this environment), their target group ARNs from the outputs.
pub(crate) fn fill(
    environment: &Environment,
    outputs: &IndexMap<String, String>,
    data: &StackData,
) -> Environment {
    let mut filled = environment.clone();
    let get = |key: &str| outputs.get(key).filter(|v| !v.is_empty()).cloned();
    if filled.cluster.is_none()
        && let Some(cluster) = get(keys::CLUSTER)
    {
        filled.cluster = Some(Spanned::new(0..0, cluster));
    }
    // The network is one decision: subnets, security group and public IP go together.
    if filled.subnets.is_empty()
        && let Some(subnets) = get(keys::SUBNETS)
    {
        filled.subnets = subnets.split(',').map(|s| s.trim().to_owned()).collect();
        filled.assign_public_ip = get(keys::ASSIGN_PUBLIC_IP).as_deref() == Some("ENABLED");
        if filled.security_groups.is_empty() {
            filled.security_groups = get(keys::TASK_SECURITY_GROUP).into_iter().collect();
        }
    }
    if filled.execution_role_arn.is_none() {
        filled.execution_role_arn = get(keys::EXECUTION_ROLE);
    }
    if filled.task_role_arn.is_none() {
        filled.task_role_arn = get(keys::TASK_ROLE);
    }
    if filled.log_group.is_none() {
        filled.log_group = get(keys::LOG_GROUP);
    }
    if filled.scheduler_role_arn.is_none() {
        filled.scheduler_role_arn = get(keys::SCHEDULER_ROLE);
    }
    // `arn:…:loadbalancer/app/<name>/<id>` -> `app/<name>/<id>`.
    filled.load_balancer_full_name = get(keys::LOAD_BALANCER_ARN).and_then(|arn| {
        arn.split_once(":loadbalancer/")
            .map(|(_, name)| name.to_owned())
    });
    if filled.service_connect_namespace.is_none() {
        filled.service_connect_namespace = get(keys::SERVICE_CONNECT_NAMESPACE);
    }
    if !data.backing.is_empty() {
        filled.backing_endpoints = Some(
            data.backing
                .iter()
                .filter_map(|b| Some((b.service.clone(), get(&b.address_output)?)))
                .collect(),
        );
    }
    for public in data.load_balancer.iter().flat_map(|lb| &lb.services) {
        if filled.load_balancer(&public.service).is_some() {
            continue;
        }
        if let Some(target_group_arn) = get(&public.target_group) {
            let settings = filled
                .services
                .entry(Spanned::new(0..0, public.service.clone()))
                .or_default();
            settings.load_balancer = Some(LoadBalancer {
                target_group_arn,
                container_port: Spanned::new(0..0, public.port),
                container_name: None,
                grace_period: None,
            });
        }
    }
    filled
}

/// Whether `environment` lacks what Fargate needs and parity.toml does not
/// give: then the stack's outputs are read (otherwise parity.toml is the
/// whole truth, as for teams whose infrastructure comes from Terraform).
pub(crate) fn needs_stack(environment: &Environment) -> bool {
    environment.subnets.is_empty() || environment.execution_role_arn.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPOSE: &str =
        "services:\n  api-v2:\n    build: .\n    ports: [\"8080:8080\"]\n  worker:\n    build: .\n";

    fn inputs(extra: &str) -> (crate::compose::model::Project, crate::settings::Settings) {
        let project = crate::compose::load_text(COMPOSE, "shop");
        let text =
            format!("app = \"shop\"\n[environments.staging]\nregion = \"eu-west-1\"\n{extra}");
        let settings = crate::settings::parse(&text, std::path::Path::new("parity.toml")).unwrap();
        (project, settings)
    }

    fn outputs() -> IndexMap<String, String> {
        [
            ("ClusterName", "shop-staging"),
            ("Subnets", "subnet-a,subnet-b"),
            ("TaskSecurityGroup", "sg-task"),
            ("AssignPublicIp", "ENABLED"),
            ("ExecutionRoleArn", "arn:aws:iam::1:role/exec"),
            ("TaskRoleArn", "arn:aws:iam::1:role/task"),
            ("TargetGroupApiV2", "arn:aws:elasticloadbalancing:tg/api"),
            ("ServiceConnectNamespace", "shop-staging"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn outputs_fill_what_the_file_leaves_unset() {
        let (project, settings) = inputs("");
        let data = crate::cloud::stack::stack_data(&project, &settings, "staging").unwrap();
        let environment = settings.environment("staging").unwrap();
        assert!(needs_stack(environment));
        let filled = fill(environment, &outputs(), &data);
        assert_eq!(filled.subnets, ["subnet-a", "subnet-b"]);
        assert_eq!(filled.security_groups, ["sg-task"]);
        assert!(filled.assign_public_ip);
        assert_eq!(
            filled.execution_role_arn.as_deref(),
            Some("arn:aws:iam::1:role/exec")
        );
        assert_eq!(
            filled.task_role_arn.as_deref(),
            Some("arn:aws:iam::1:role/task")
        );
        let lb = filled.load_balancer("api-v2").unwrap();
        assert_eq!(lb.target_group_arn, "arn:aws:elasticloadbalancing:tg/api");
        assert_eq!(*lb.container_port.get_ref(), 8080);
        assert!(filled.load_balancer("worker").is_none());
        assert_eq!(
            filled.service_connect_namespace.as_deref(),
            Some("shop-staging")
        );
        assert!(!needs_stack(&filled));
    }

    #[test]
    fn values_set_in_the_file_win() {
        let (project, settings) = inputs(
            "subnets = [\"subnet-mine\"]\nsecurity_groups = [\"sg-mine\"]\nexecution_role_arn = \"arn:aws:iam::1:role/mine\"\n",
        );
        let data = crate::cloud::stack::stack_data(&project, &settings, "staging").unwrap();
        let environment = settings.environment("staging").unwrap();
        assert!(!needs_stack(environment));
        let filled = fill(environment, &outputs(), &data);
        assert_eq!(filled.subnets, ["subnet-mine"]);
        assert_eq!(filled.security_groups, ["sg-mine"]);
        assert!(!filled.assign_public_ip);
        assert_eq!(
            filled.execution_role_arn.as_deref(),
            Some("arn:aws:iam::1:role/mine")
        );
        // What the file does not set still comes from the stack.
        assert_eq!(
            filled.task_role_arn.as_deref(),
            Some("arn:aws:iam::1:role/task")
        );
    }
}
