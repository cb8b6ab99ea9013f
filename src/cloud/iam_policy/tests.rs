//! The inventory against the source, and the policy's scoping, on projects
//! built in code. tests/it/iam.rs checks the same policy against parliament
//! and against moto with IAM authorization on.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::json;

use super::inventory::{Command, INVENTORY, Scope, Via};
use super::{Facts, Iam, Purpose, build, trust};
use crate::compose::model::{Build, Project, Service};
use crate::settings::parse;

/// The SDK clients `AwsContext` builds, by method, with the IAM prefix of their service.
const CLIENTS: &[(&str, &str)] = &[
    ("ssm", "ssm"),
    ("secretsmanager", "secretsmanager"),
    ("ecs", "ecs"),
    ("ecr", "ecr"),
    ("logs", "logs"),
    ("sts", "sts"),
    ("cloudformation", "cloudformation"),
    ("acm", "acm"),
    ("route53", "route53"),
    ("scheduler", "scheduler"),
    ("autoscaling", "application-autoscaling"),
    ("elbv2", "elasticloadbalancing"),
    ("iam", "iam"),
];

/// The SDK crates (`aws_sdk_<crate>`), with the IAM prefix of their service.
const CRATES: &[(&str, &str)] = &[
    ("ssm", "ssm"),
    ("secretsmanager", "secretsmanager"),
    ("ecs", "ecs"),
    ("ecr", "ecr"),
    ("cloudwatchlogs", "logs"),
    ("sts", "sts"),
    ("cloudformation", "cloudformation"),
    ("acm", "acm"),
    ("route53", "route53"),
    ("scheduler", "scheduler"),
    ("applicationautoscaling", "application-autoscaling"),
    ("elasticloadbalancingv2", "elasticloadbalancing"),
    ("iam", "iam"),
];

/// The operation (and IAM action) name of SDK method `snake`: its words
/// capitalized, but for the acronyms IAM spells in capitals.
fn camel(snake: &str) -> String {
    let name: String = snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    name.replace("OpenIdConnect", "OpenIDConnect")
        .replace("ClientIdTo", "ClientIDTo")
}

fn ident_at(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// Every `service:Operation` the adapters in src/aws call: a client method
/// (`ctx.ecs()`) followed by an operation (`.update_service(`), directly or
/// through a variable holding the client, or an operation handed to a macro
/// with its name (`put_schedule!(create_schedule, "CreateSchedule")`).
fn called_operations() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/aws");
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("src/aws") {
        let path = entry.expect("dir entry").path();
        let text = std::fs::read_to_string(&path).expect("read an adapter");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        for (method, prefix) in CLIENTS {
            let client = format!(".{method}()");
            let mut holders = Vec::new();
            for (at, _) in code.match_indices(&client) {
                let after = &code[at + client.len()..];
                if let Some(rest) = after.strip_prefix('.') {
                    let op = ident_at(rest);
                    if rest[op.len()..].starts_with("()") && op != "interceptor" {
                        found.insert(format!("{prefix}:{}", camel(op)));
                    }
                }
                // `let client = ctx.ecs();`
                if after.starts_with(';')
                    && let Some(start) = code[..at].rfind("let")
                {
                    let name = code[start + 3..at].split('=').next().unwrap_or_default();
                    if !name.is_empty() {
                        holders.push(name.to_owned());
                    }
                }
            }
            for holder in holders {
                let call = format!("{holder}.");
                for (at, _) in code.match_indices(&call) {
                    let op = ident_at(&code[at + call.len()..]);
                    if code[at + call.len() + op.len()..].starts_with("()") {
                        found.insert(format!("{prefix}:{}", camel(op)));
                    }
                }
            }
        }
        // A struct holding a client: `client: aws_sdk_ssm::Client`, then `self.client.put_parameter(`.
        for (krate, prefix) in CRATES {
            let field = format!(":aws_sdk_{krate}::Client,");
            for (at, _) in code.match_indices(&field) {
                let start = code[..at]
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(0, |i| i + 1);
                let call = format!(".{}.", &code[start..at]);
                for (at, _) in code.match_indices(&call) {
                    let op = ident_at(&code[at + call.len()..]);
                    if code[at + call.len() + op.len()..].starts_with("()") {
                        found.insert(format!("{prefix}:{}", camel(op)));
                    }
                }
            }
        }
        // put_schedule!(create_schedule,"CreateSchedule")
        for (at, _) in code.match_indices("!(") {
            let op = ident_at(&code[at + 2..]);
            let named = format!("{op},\"{}\"", camel(op));
            if !op.is_empty() && code[at + 2..].starts_with(&named) {
                let service = code[at + 2..]
                    .split("Service::")
                    .nth(1)
                    .map(ident_at)
                    .unwrap_or_default();
                let prefix = match service {
                    "Scheduler" => "scheduler",
                    other => panic!("a macro-made call of {other}: teach this test its prefix"),
                };
                found.insert(format!("{prefix}:{}", camel(op)));
            }
        }
    }
    found
}

#[test]
fn every_sdk_operation_parity_calls_is_in_the_inventory_and_nothing_else_is() {
    let called = called_operations();
    assert!(
        called.len() > 40,
        "the source scan found too little: {called:?}"
    );
    let inventory: BTreeSet<String> = INVENTORY
        .iter()
        .filter(|e| e.via == Via::Sdk)
        .map(|e| e.action.to_owned())
        .collect();
    let missing: Vec<_> = called.difference(&inventory).collect();
    assert!(
        missing.is_empty(),
        "src/aws calls these, src/cloud/iam_policy/inventory.rs does not list them: {missing:?}"
    );
    let stale: Vec<_> = inventory.difference(&called).collect();
    assert!(
        stale.is_empty(),
        "the inventory lists SDK calls src/aws no longer makes (mark registry/implied ones with `via`): {stale:?}"
    );
}

#[test]
fn every_command_is_listed_and_the_ones_left_out_are_env_apply_destroy_and_iam_apply() {
    for command in Command::ALL {
        assert!(
            INVENTORY.iter().any(|e| e.commands.contains(command)),
            "{} has no action",
            command.label()
        );
    }
    let admin: Vec<_> = Command::ALL
        .iter()
        .filter(|c| c.is_admin())
        .map(|c| c.label())
        .collect();
    assert_eq!(admin, ["env apply", "env destroy", "iam --apply"]);
}

/// The roles' logical ids the policy's default role ARNs use are the stack's.
#[test]
fn role_patterns_use_the_stacks_logical_ids() {
    let roles = include_str!("../../../templates/environment/roles.yaml");
    for id in [
        super::arns::EXECUTION_ROLE,
        super::arns::TASK_ROLE,
        super::arns::SCHEDULER_ROLE,
    ] {
        assert!(
            roles.contains(&format!("\n  {id}:\n")),
            "{id} is not a resource of templates/environment/roles.yaml"
        );
    }
}

const TOML: &str = r#"
app = "shop"
[environments.staging]
region = "eu-west-1"
account_id = "123456789012"
execution_role_arn = "arn:aws:iam::123456789012:role/exec"
task_role_arn = "arn:aws:iam::123456789012:role/app"
[environments.prod]
region = "eu-west-1"
account_id = "123456789012"
promotes_from = "staging"
"#;

fn project(job: bool) -> Project {
    let built = |x: serde_json::Value| Service {
        build: Some(Build {
            context: "/app".into(),
            dockerfile: "Dockerfile".into(),
            ..Build::default()
        }),
        x_parity: crate::compose::x_parity::tests::from_json("service", &x)
            .unwrap_or_else(|e| panic!("{e}")),
        ..Service::default()
    };
    let mut services = vec![("web", built(json!({"secrets": ["API_KEY"]})))];
    if job {
        services.push(("nightly", built(json!({"schedule": "rate(1 day)"}))));
    }
    Project {
        working_dir: "/app".into(),
        ..crate::cloud::plan_tests::project(services)
    }
}

fn iam(project: &Project, env: &str, purpose: &Purpose) -> Iam {
    let settings = parse(TOML, Path::new("parity.toml")).unwrap_or_else(|e| panic!("{e}"));
    let facts = Facts {
        ecr: true,
        account: None,
    };
    build(project, &settings, env, purpose, &facts).unwrap_or_else(|e| panic!("{e}"))
}

fn statement<'a>(iam: &'a Iam, sid: &str) -> &'a super::Statement {
    iam.policy
        .statements
        .iter()
        .find(|s| s.sid == sid)
        .unwrap_or_else(|| panic!("no statement {sid}"))
}

#[test]
fn only_actions_without_a_resource_type_get_star() {
    let iam = iam(&project(false), "staging", &Purpose::Deploy);
    for statement in &iam.policy.statements {
        let star = statement
            .resources
            .iter()
            .any(|r| r.contains('*') && r.len() == 1);
        let star_scopes = [Scope::Anything, Scope::ClusterListing].map(super::arns::sid);
        if statement.effect == "Deny" {
            continue;
        }
        assert_eq!(
            star,
            star_scopes.contains(&statement.sid.as_str()),
            "{statement:?}"
        );
    }
    let unscoped: Vec<_> = iam.unscoped.iter().map(|u| u.action.as_str()).collect();
    assert_eq!(
        unscoped,
        [
            "application-autoscaling:DescribeScalingPolicies",
            "ecr:GetAuthorizationToken",
            "ecs:DeregisterTaskDefinition",
            "ecs:DescribeTaskDefinition",
            "ecs:ListServices",
            "ecs:ListTaskDefinitionFamilies",
            "ecs:ListTaskDefinitions",
            "ecs:ListTasks",
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeTargetGroups",
            "scheduler:ListSchedules",
            "ssm:DescribeParameters",
            "sts:GetCallerIdentity",
        ]
    );
    assert!(iam.unscoped.iter().all(|u| !u.why.is_empty()));
    assert_eq!(
        statement(&iam, "ListingInTheClusterOnly").condition,
        Some(
            json!({"ArnEquals": {"ecs:cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/shop-staging"}})
        )
    );
}

#[test]
fn resources_are_the_apps_own() {
    let iam = iam(&project(false), "staging", &Purpose::Deploy);
    let resources = |sid: &str| statement(&iam, sid).resources.clone();
    assert_eq!(
        resources("TheCluster"),
        ["arn:aws:ecs:eu-west-1:123456789012:cluster/shop-staging"]
    );
    assert_eq!(
        resources("TheAppsServices"),
        ["arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/shop-*"]
    );
    assert_eq!(
        resources("TheEnvironmentsTaskDefinitionFamilies"),
        ["arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-staging-*:*"]
    );
    assert_eq!(
        resources("TheDeployLock"),
        ["arn:aws:ssm:eu-west-1:123456789012:parameter/parity-locks/shop/staging"]
    );
    assert_eq!(
        resources("TheEnvironmentsParameters"),
        ["arn:aws:ssm:eu-west-1:123456789012:parameter/shop/staging/*"]
    );
    assert_eq!(
        resources("TheRepositories"),
        ["arn:aws:ecr:eu-west-1:123456789012:repository/shop"]
    );
    assert_eq!(
        resources("TheLogGroup"),
        [
            "arn:aws:logs:eu-west-1:123456789012:log-group:/shop/staging",
            "arn:aws:logs:eu-west-1:123456789012:log-group:/shop/staging:*"
        ]
    );
    // Exactly the two task roles, passed only to ECS tasks.
    let pass = statement(&iam, "PassTheExecutionAndTaskRolesToEcs");
    assert_eq!(pass.actions, ["iam:PassRole"]);
    assert_eq!(
        pass.resources,
        [
            "arn:aws:iam::123456789012:role/exec",
            "arn:aws:iam::123456789012:role/app"
        ]
    );
    assert_eq!(
        pass.condition,
        Some(json!({"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}))
    );
    // Nothing of env apply/destroy, jobs or promotion.
    let actions: BTreeSet<&str> = iam
        .policy
        .statements
        .iter()
        .flat_map(|s| s.actions.iter().map(String::as_str))
        .collect();
    for absent in [
        "cloudformation:CreateChangeSet",
        "cloudformation:DeleteStack",
        "iam:CreateRole",
        "scheduler:CreateSchedule",
        "secretsmanager:CreateSecret",
    ] {
        assert!(!actions.contains(absent), "{absent}");
    }
    assert!(
        iam.policy
            .statements
            .iter()
            .all(|s| !s.sid.contains("Source"))
    );
}

#[test]
fn jobs_add_the_schedules_and_the_scheduler_role_only() {
    let iam = iam(&project(true), "staging", &Purpose::Deploy);
    assert_eq!(
        statement(&iam, "TheJobsSchedules").resources,
        ["arn:aws:scheduler:eu-west-1:123456789012:schedule/default/parity-shop-staging-*"]
    );
    assert_eq!(
        statement(&iam, "PassTheSchedulerRoleToEventBridge").resources,
        ["arn:aws:iam::123456789012:role/parity-shop-staging-SchedulerRole-*"]
    );
}

#[test]
fn a_promoted_environment_reads_its_source_and_uses_the_stacks_roles() {
    let iam = iam(&project(false), "prod", &Purpose::Deploy);
    assert_eq!(
        statement(&iam, "TheSourceEnvironmentsServices").resources,
        ["arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/shop-*"]
    );
    assert_eq!(
        statement(&iam, "TheSourceEnvironmentsRepositories").actions,
        [
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer"
        ]
    );
    assert_eq!(
        statement(&iam, "PassTheExecutionAndTaskRolesToEcs").resources,
        [
            "arn:aws:iam::123456789012:role/parity-shop-prod-ExecutionRole-*",
            "arn:aws:iam::123456789012:role/parity-shop-prod-TaskRole-*"
        ]
    );
}

#[test]
fn ci_trusts_the_repositorys_branch_or_its_github_environment() {
    let github = trust::GitHub {
        repository: "acme/shop".into(),
        branch: "main".into(),
        review_apps: false,
    };
    let staging = iam(&project(false), "staging", &Purpose::Ci(github.clone()));
    assert_eq!(staging.subjects, ["repo:acme/shop:ref:refs/heads/main"]);
    let prod = iam(&project(false), "prod", &Purpose::Ci(github.clone()));
    assert_eq!(prod.subjects, ["repo:acme/shop:environment:production"]);
    let review_apps = trust::GitHub {
        review_apps: true,
        ..github
    };
    let staging = iam(&project(false), "staging", &Purpose::Ci(review_apps));
    assert_eq!(
        staging.subjects,
        [
            "repo:acme/shop:ref:refs/heads/main",
            "repo:acme/shop:pull_request"
        ]
    );
    let trust = serde_json::to_value(prod.trust_policy.expect("trust policy")).expect("json");
    assert_eq!(
        trust["Statement"][0]["Principal"]["Federated"],
        "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    );
    assert_eq!(
        trust["Statement"][0]["Action"],
        json!(["sts:AssumeRoleWithWebIdentity"])
    );
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:aud"],
        "sts.amazonaws.com"
    );
}

#[test]
fn github_remotes_name_their_repository() {
    for url in [
        "git@github.com:acme/shop.git",
        "https://github.com/acme/shop",
        "https://github.com/acme/shop.git\n",
        "ssh://git@github.com/acme/shop.git",
    ] {
        assert_eq!(
            trust::repository_of_remote(url).as_deref(),
            Some("acme/shop"),
            "{url}"
        );
    }
    for url in [
        "https://gitlab.com/acme/shop",
        "git@github.com:acme",
        "/srv/git/shop",
    ] {
        assert_eq!(trust::repository_of_remote(url), None, "{url}");
    }
}

/// IAM's wildcard match of a `Resource` pattern: `*` any run of characters,
/// `?` one character.
fn matches(pattern: &str, arn: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), arn.as_bytes())
}

/// Whether a statement of `iam` with `effect` grants `action` on `arn`.
fn names(iam: &Iam, effect: &str, action: &str, arn: &str) -> bool {
    iam.policy.statements.iter().any(|s| {
        s.effect == effect
            && s.actions.iter().any(|a| a == action)
            && s.resources.iter().any(|r| matches(r, arn))
    })
}

/// Allowed and not denied.
fn allows(iam: &Iam, action: &str, arn: &str) -> bool {
    names(iam, "Allow", action, arn) && !names(iam, "Deny", action, arn)
}

fn public_project() -> Project {
    let mut project = project(false);
    let web = project.services.get_mut("web").expect("web");
    web.ports.push(crate::compose::model::Port {
        mode: "ingress".into(),
        target: 3000,
        protocol: "tcp".into(),
        ..Default::default()
    });
    project
}

/// Review apps' resources, named by the functions `review deploy` names
/// them with, are each allowed; the other environments' families and locks,
/// which the review patterns would also cover, are denied.
#[test]
fn review_apps_resources_are_the_names_review_deploy_uses_and_no_other_environments() {
    use crate::cloud::review::Review;
    let project = public_project();
    let iam = iam(&project, "staging", &Purpose::Deploy);
    let settings = parse(TOML, Path::new("parity.toml")).unwrap_or_else(|e| panic!("{e}"));
    let staging = settings.environment("staging").expect("staging");
    let review = Review::new(&settings, "staging", "pr-42").expect("a review app");
    let (ecs, elb, ssm) = (
        "arn:aws:ecs:eu-west-1:123456789012",
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012",
        "arn:aws:ssm:eu-west-1:123456789012:parameter",
    );
    let family = format!("{ecs}:task-definition/{}:7", review.service_name("web"));
    for action in [
        "ecs:RegisterTaskDefinition",
        "ecs:RunTask",
        "ecs:TagResource",
        "ecs:DeleteTaskDefinitions",
    ] {
        assert!(allows(&iam, action, &family), "{action} on {family}");
    }
    let service = format!(
        "{ecs}:service/{}/{}",
        staging.cluster(),
        review.service_name("web")
    );
    for action in [
        "ecs:CreateService",
        "ecs:UpdateService",
        "ecs:DeleteService",
    ] {
        assert!(allows(&iam, action, &service), "{action} on {service}");
    }
    let target_group = format!(
        "{elb}:targetgroup/{}/0123456789abcdef",
        review.target_group_name("web")
    );
    for action in [
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:AddTags",
    ] {
        assert!(
            allows(&iam, action, &target_group),
            "{action} on {target_group}"
        );
    }
    // Another app's, or another base's, target group of the same review name is not.
    let other = Review {
        app: "other".into(),
        ..review.clone()
    };
    let foreign = format!(
        "{elb}:targetgroup/{}/0123456789abcdef",
        other.target_group_name("web")
    );
    assert!(!allows(
        &iam,
        "elasticloadbalancing:DeleteTargetGroup",
        &foreign
    ));
    let lock = format!(
        "{ssm}{}",
        crate::cloud::deploy_lock::parameter_name(&review.app, &review.name)
    );
    for action in [
        "ssm:PutParameter",
        "ssm:GetParameter",
        "ssm:DeleteParameter",
    ] {
        assert!(allows(&iam, action, &lock), "{action} on {lock}");
    }
    let secret = format!("{ssm}{}API_KEY", review.ssm_prefix(staging));
    for action in [
        "ssm:PutParameter",
        "ssm:GetParametersByPath",
        "ssm:DeleteParameters",
    ] {
        assert!(allows(&iam, action, &secret), "{action} on {secret}");
    }
    // Listener rules: made only tagged as this app's review apps of staging.
    let rules = statement(&iam, "ReviewAppsOwnListenerRules");
    assert_eq!(rules.actions, ["elasticloadbalancing:DeleteRule"]);
    assert_eq!(
        rules.condition,
        Some(json!({"StringEquals": {
            "aws:ResourceTag/parity:app": "shop",
            "aws:ResourceTag/parity:review-of": "staging"
        }}))
    );
    let tags = crate::cloud::review::tags(&review, "https://x", None, 0);
    for key in ["parity:app", "parity:review-of"] {
        assert!(
            tags.iter().any(|(k, _)| *k == key),
            "review apps carry {key}"
        );
    }
    // prod's family and lock match the review patterns, and are denied.
    let prod = settings.environment("prod").expect("prod");
    let prod_family = format!("{ecs}:task-definition/{}:3", prod.family("web"));
    let prod_lock = format!(
        "{ssm}{}",
        crate::cloud::deploy_lock::parameter_name("shop", "prod")
    );
    assert!(names(&iam, "Allow", "ecs:RunTask", &prod_family));
    assert!(!allows(&iam, "ecs:RunTask", &prod_family));
    assert!(!allows(&iam, "ecs:RegisterTaskDefinition", &prod_family));
    assert!(!allows(&iam, "ssm:DeleteParameter", &prod_lock));
    // Staging's own stay allowed.
    let staging_family = format!("{ecs}:task-definition/{}:3", staging.family("web"));
    assert!(allows(&iam, "ecs:RunTask", &staging_family));
}

/// prod (promoted into) hosts no review apps: nothing of them in its policy.
#[test]
fn an_environment_that_cannot_host_review_apps_gets_none_of_their_statements() {
    let iam = iam(&public_project(), "prod", &Purpose::Deploy);
    assert!(
        iam.policy
            .statements
            .iter()
            .all(|s| !s.sid.starts_with("Review") && s.effect == "Allow")
    );
    assert!(iam.commands.iter().all(|c| c.command != "review"));
}

/// `up --like ENV --secrets-from-aws` reads each secret where it lives: the
/// environment's own parameters and the parameters the compose file references.
#[test]
fn up_like_reads_the_environments_parameters_and_the_referenced_ones() {
    let mut project = project(false);
    let web = project.services.get_mut("web").expect("web");
    web.x_parity = crate::compose::x_parity::tests::from_json(
        "service",
        &json!({"secrets": {"API_KEY": true, "DATABASE_URL": "ssm:/shared/db-url"}}),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let iam = iam(&project, "staging", &Purpose::Deploy);
    let like = iam
        .commands
        .iter()
        .find(|c| c.command == "up --like --secrets-from-aws")
        .expect("up --like is listed");
    assert_eq!(like.actions, ["ssm:GetParameter"]);
    for arn in [
        "arn:aws:ssm:eu-west-1:123456789012:parameter/shared/db-url",
        "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/staging/API_KEY",
    ] {
        assert!(allows(&iam, "ssm:GetParameter", arn), "{arn}");
    }
    assert_eq!(
        statement(&iam, "TheReferencedParameters").resources,
        ["arn:aws:ssm:eu-west-1:123456789012:parameter/shared/db-url"]
    );
}
