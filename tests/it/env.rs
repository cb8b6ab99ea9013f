//! `parity env apply|show|destroy` end to end: the real template rendered
//! from templates/, applied through change sets to moto's CloudFormation
//! (which creates the VPC, security groups, ECR, ECS, ELBv2, IAM and Logs
//! resources), behind the ECS fixture, which adds what moto leaves out of
//! CloudFormation (outputs after a change set, resource events, termination
//! protection) and scripts the failure paths moto never takes (rollbacks).
//!
//! One fixture serves every test of the binary; each test uses its own app
//! name, so its stacks, clusters and repositories are its own.

use serde_json::{Value, json};

use crate::support::Test;
use crate::support::ecs_fixture::EcsFixture;

use crate::support::ACCOUNT;

const COMPOSE: &str = r#"
services:
  web:
    build: .
    ports: ["8000:8000"]
  worker:
    build: .
    command: ["/app", "work"]
"#;

/// The same project with a second public service.
const COMPOSE_WITH_API: &str = r#"
services:
  web:
    build: .
    ports: ["8000:8000"]
  worker:
    build: .
    command: ["/app", "work"]
  webhooks:
    build: ./webhooks
    ports: ["9000:9000"]
"#;

/// A project of `app` whose parity.toml holds only what a new user writes.
fn project(app: &str, fixture: &EcsFixture) -> Test {
    let toml = format!(
        "app = \"{app}\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nendpoint = \"{endpoint}\"\n\n\
         [environments.prod]\nregion = \"eu-west-1\"\nendpoint = \"{endpoint}\"\npromotes_from = \"staging\"\n",
        endpoint = fixture.endpoint()
    );
    Test::new()
        .compose(COMPOSE)
        .toml(&toml)
        .file("Dockerfile", "FROM scratch\n")
        .file("webhooks/Dockerfile", "FROM scratch\n")
        .aws_fixture(fixture)
}

impl Test {
    /// Dummy credentials for the fixture; the endpoint comes from parity.toml.
    fn aws_fixture(self, fixture: &EcsFixture) -> Self {
        let mut test = self.env_remove("AWS_PROFILE");
        for (key, value) in fixture.aws_env() {
            test = test.env(key, &value);
        }
        test
    }

    #[track_caller]
    fn parity(&self, args: &[&str]) -> crate::support::Run {
        let mut cmd = self.command();
        cmd.args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let output = cmd.output().expect("run parity");
        crate::support::Run::new(output)
    }
}

/// The stack as DescribeStacks reports it, or None.
pub(crate) fn stack(fixture: &EcsFixture, name: &str) -> Option<Value> {
    fixture
        .boto(
            "cloudformation",
            "describe_stacks",
            json!({"StackName": name}),
        )
        .ok()
        .and_then(|out| out["Stacks"].get(0).cloned())
        .filter(|s| s["StackStatus"] != "DELETE_COMPLETE")
}

pub(crate) fn output(stack: &Value, key: &str) -> String {
    stack["Outputs"]
        .as_array()
        .and_then(|outputs| outputs.iter().find(|o| o["OutputKey"] == key))
        .and_then(|o| o["OutputValue"].as_str())
        .unwrap_or_else(|| panic!("stack output {key} missing: {stack:#}"))
        .to_owned()
}

fn change_sets(fixture: &EcsFixture, name: &str) -> Vec<Value> {
    fixture
        .boto(
            "cloudformation",
            "list_change_sets",
            json!({"StackName": name}),
        )
        .map(|out| out["Summaries"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c["StackName"] == name)
        .collect()
}

/// The stack's newest event (CloudFormation lists newest first): an executed
/// change set adds events.
fn newest_stack_event(fixture: &EcsFixture, stack: &str) -> serde_json::Value {
    fixture
        .boto(
            "cloudformation",
            "describe_stack_events",
            json!({"StackName": stack}),
        )
        .unwrap()["StackEvents"][0]["EventId"]
        .clone()
}

#[test]
fn apply_creates_the_environment_then_is_up_to_date_and_destroy_keeps_the_repositories() {
    let fixture = EcsFixture::shared();
    let test = project("envbasic", fixture);
    let name = "parity-envbasic-staging";

    let run = test.parity(&["env", "apply", "staging", "--yes"]).status(0);
    let stdout = run.stdout();
    assert!(stdout.contains("(create,"), "{stdout}");
    assert!(stdout.contains("TaskSecurityGroup"), "{stdout}");
    // Events stream to stderr, ending with the stack's own completion.
    run.stderr_contains("CREATE_COMPLETE")
        .stderr_contains("AWS::ECS::Cluster");

    let created = stack(fixture, name).expect("the stack exists");
    assert_eq!(created["StackStatus"], "CREATE_COMPLETE");
    let tags: Vec<(String, String)> = created["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["Key"].as_str().unwrap().into(),
                t["Value"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        tags.contains(&("parity:app".into(), "envbasic".into())),
        "{tags:?}"
    );
    assert!(
        tags.contains(&("parity:environment".into(), "staging".into())),
        "{tags:?}"
    );

    // The cluster exists in ECS.
    let cluster = output(&created, "ClusterName");
    let clusters = fixture.ecs("DescribeClusters", json!({"clusters": [cluster]}));
    assert_eq!(clusters["clusters"][0]["status"], "ACTIVE", "{clusters:#}");

    // The task security group admits nothing from the internet.
    let group = output(&created, "TaskSecurityGroup");
    let groups = fixture
        .boto(
            "ec2",
            "describe_security_groups",
            json!({"GroupIds": [group]}),
        )
        .unwrap();
    let ingress = &groups["SecurityGroups"][0]["IpPermissions"];
    let open: Vec<&Value> = ingress
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["IpRanges"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r["CidrIp"] == "0.0.0.0/0"))
                || p["Ipv6Ranges"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|r| r["CidrIpv6"] == "::/0"))
        })
        .collect();
    assert!(
        open.is_empty(),
        "task security group open to the internet: {ingress:#}"
    );
    assert!(
        !ingress.as_array().unwrap().is_empty(),
        "the load balancer and the tasks reach the tasks: {ingress:#}"
    );

    // The execution role may read exactly this environment's parameters.
    let role_arn = output(&created, "ExecutionRoleArn");
    let role = role_arn.rsplit('/').next().unwrap();
    let policies = fixture
        .boto("iam", "list_role_policies", json!({"RoleName": role}))
        .unwrap();
    let mut ssm_resources = Vec::new();
    for policy in policies["PolicyNames"].as_array().unwrap() {
        let document = fixture
            .boto(
                "iam",
                "get_role_policy",
                json!({"RoleName": role, "PolicyName": policy}),
            )
            .unwrap();
        for statement in document["PolicyDocument"]["Statement"].as_array().unwrap() {
            let actions = statement["Action"].to_string();
            if actions.contains("ssm:") {
                ssm_resources.push(statement["Resource"].clone());
            }
        }
    }
    assert_eq!(
        ssm_resources,
        [json!(format!(
            "arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/envbasic/staging/*"
        ))],
        "the SSM statement is scoped to the environment's prefix"
    );

    // `env show` reads the stack.
    let shown = test
        .parity(&["env", "show", "staging", "--format", "json"])
        .status(0)
        .stderr_empty()
        .json();
    assert_eq!(shown["status"], "CREATE_COMPLETE");
    assert!(
        shown["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://")),
        "{shown:#}"
    );
    assert!(
        shown["services"]["web"]
            .as_str()
            .unwrap()
            .starts_with("public: http://"),
        "{shown:#}"
    );
    assert_eq!(
        shown["services"]["worker"],
        "inside the environment: http://worker"
    );

    // A second apply changes nothing and leaves no change set behind. The
    // fixture's call counter is shared by every test of this binary, so
    // "nothing executed" is read off this stack's own events.
    let events = newest_stack_event(fixture, name);
    assert!(events.is_string(), "the created stack has events: {events}");
    test.parity(&["env", "apply", "staging"])
        .status(0)
        .stdout_contains("parity-envbasic-staging is up to date")
        .stderr_empty();
    assert_eq!(
        newest_stack_event(fixture, name),
        events,
        "nothing executed"
    );
    assert!(
        change_sets(fixture, name).is_empty(),
        "{:#?}",
        change_sets(fixture, name)
    );

    // destroy removes the stack and keeps the image repositories.
    let kept: Vec<String> = created["Outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["OutputKey"].as_str().unwrap().starts_with("Repository"))
        .map(|o| {
            let uri = o["OutputValue"].as_str().unwrap();
            uri.split_once('/').unwrap().1.to_owned()
        })
        .collect();
    assert!(!kept.is_empty(), "{created:#}");
    test.parity(&["env", "destroy", "staging", "--yes"])
        .status(0)
        .stdout_contains("parity-envbasic-staging deleted")
        .stdout_contains("AWS::ECR::Repository")
        .stderr_contains("DELETE_COMPLETE");
    assert!(stack(fixture, name).is_none(), "the stack is gone");
    let repositories = fixture
        .boto("ecr", "describe_repositories", json!({}))
        .unwrap();
    let names: Vec<&str> = repositories["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["repositoryName"].as_str())
        .collect();
    for repository in &kept {
        assert!(
            names.contains(&repository.as_str()),
            "{repository} kept: {names:?}"
        );
    }
}

#[test]
fn dry_run_and_a_missing_terminal_leave_nothing_behind() {
    let fixture = EcsFixture::shared();
    let test = project("envdry", fixture);
    let name = "parity-envdry-staging";
    let run = test
        .parity(&["env", "apply", "staging", "--dry-run", "--format", "json"])
        .status(0)
        .stderr_empty();
    let document = run.json();
    assert_eq!(document["result"], "dry_run");
    assert_eq!(document["kind"], "create");
    assert!(
        document["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["action"] == "add"),
        "{document:#}"
    );
    assert!(stack(fixture, name).is_none(), "a dry run leaves no stack");

    // Without a terminal and without --yes: exit 2, nothing created.
    test.parity(&["env", "apply", "staging"])
        .status(2)
        .stdout_contains("Change set for stack parity-envdry-staging (create,")
        .stderr_contains("stdin is not a terminal")
        .stderr_contains("--yes");
    assert!(stack(fixture, name).is_none(), "nothing was created");

    // Nothing to show or destroy yet.
    test.parity(&["env", "show", "staging"])
        .status(1)
        .stdout_empty()
        .stderr_contains("parity env apply staging");
    test.parity(&["env", "destroy", "staging", "--yes"])
        .status(0)
        .stdout_empty()
        .stderr_contains("nothing to destroy");
}

#[test]
fn a_domain_gets_a_certificate_and_a_new_public_service_is_an_update() {
    let fixture = EcsFixture::shared();
    fixture
        .boto(
            "route53",
            "create_hosted_zone",
            json!({"Name": "envupdate.test", "CallerReference": "envupdate"}),
        )
        .unwrap();
    let test = project("envupdate", fixture);
    let toml = format!(
        "app = \"envupdate\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nendpoint = \"{}\"\n\
         domain = \"staging.envupdate.test\"\nhosted_zone = \"envupdate.test\"\n",
        fixture.endpoint()
    );
    std::fs::write(test.dir().join("parity.toml"), toml).unwrap();
    test.parity(&["env", "apply", "staging", "--yes"])
        .status(0)
        .stdout_contains("(create,")
        .stderr_contains("wrote the certificate's DNS validation record(s) into Route 53 zone")
        .stderr_contains("certificate for staging.envupdate.test issued");
    // The certificate was requested through ACM, validated by DNS.
    let certificates = fixture.boto("acm", "list_certificates", json!({})).unwrap();
    let arn = certificates["CertificateSummaryList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["DomainName"] == "staging.envupdate.test")
        .and_then(|c| c["CertificateArn"].as_str())
        .expect("a certificate for the domain")
        .to_owned();
    let detail = fixture
        .boto(
            "acm",
            "describe_certificate",
            json!({"CertificateArn": arn}),
        )
        .unwrap();
    let record = &detail["Certificate"]["DomainValidationOptions"][0]["ResourceRecord"];
    let zones = fixture
        .boto(
            "route53",
            "list_hosted_zones_by_name",
            json!({"DNSName": "envupdate.test."}),
        )
        .unwrap();
    let zone = zones["HostedZones"][0]["Id"].as_str().unwrap().to_owned();
    let records = fixture
        .boto(
            "route53",
            "list_resource_record_sets",
            json!({"HostedZoneId": zone}),
        )
        .unwrap();
    assert!(
        records["ResourceRecordSets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["Name"] == record["Name"] && r["Type"] == "CNAME"),
        "validation record {record} in {records:#}"
    );
    // A second apply reuses the certificate.
    test.parity(&["env", "apply", "staging"])
        .status(0)
        .stdout_contains("up to date")
        .stderr_contains("certificate for staging.envupdate.test issued");
    let again = fixture.boto("acm", "list_certificates", json!({})).unwrap();
    let count = again["CertificateSummaryList"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["DomainName"] == "staging.envupdate.test")
        .count();
    assert_eq!(count, 1, "one certificate, reused");
    std::fs::write(test.dir().join("compose.yaml"), COMPOSE_WITH_API).unwrap();

    let plan = test
        .parity(&["env", "apply", "staging", "--dry-run", "--format", "json"])
        .status(0)
        .stderr_contains(
            "certificate for staging.envupdate.test, webhooks.staging.envupdate.test issued",
        )
        .json();
    assert_eq!(plan["kind"], "update");
    let added: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "add")
        .map(|c| c["logical_id"].as_str().unwrap())
        .collect();
    assert!(added.contains(&"TargetGroupWebhooks"), "{plan:#}");
    assert!(added.contains(&"RepositoryWebhooks"), "{plan:#}");
    assert!(change_sets(fixture, "parity-envupdate-staging").is_empty());

    test.parity(&["env", "apply", "staging", "--yes"])
        .status(0)
        .stdout_contains("(update,")
        .stderr_contains("UPDATE_COMPLETE");
    let updated = stack(fixture, "parity-envupdate-staging").unwrap();
    assert_eq!(updated["StackStatus"], "UPDATE_COMPLETE");
    assert!(output(&updated, "TargetGroupWebhooks").starts_with("arn:aws:elasticloadbalancing:"));
}

#[test]
fn a_failed_resource_exits_1_naming_it_its_reason_and_the_rollback_state() {
    let fixture = EcsFixture::shared();
    let test = project("envfail", fixture);
    let name = "parity-envfail-staging";
    fixture.fail_stack(
        name,
        "Cluster",
        "Resource handler returned message: \"quota reached\"",
    );
    let run = test
        .parity(&["env", "apply", "staging", "--yes"])
        .status(1)
        .stdout_contains("Change set for stack parity-envfail-staging");
    let stderr = run.stderr_flat();
    assert!(
        stderr.contains("Cluster (AWS::ECS::Cluster) failed: Resource handler returned message: \"quota reached\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("the stack is ROLLBACK_COMPLETE"),
        "{stderr}"
    );
    assert_eq!(
        stack(fixture, name).unwrap()["StackStatus"],
        "ROLLBACK_COMPLETE"
    );

    // The next apply replaces the empty, rolled-back stack.
    test.parity(&["env", "apply", "staging", "--yes"])
        .status(0)
        .stdout_contains("(create,")
        .stderr_contains("deleting the empty stack");
    assert_eq!(
        stack(fixture, name).unwrap()["StackStatus"],
        "CREATE_COMPLETE"
    );

    // A failed update rolls back to the previous template.
    let toml = std::fs::read_to_string(test.dir().join("parity.toml")).unwrap();
    let toml = toml.replacen(
        "[environments.staging]\n",
        "[environments.staging]\nlog_retention_days = 90\n",
        1,
    );
    std::fs::write(test.dir().join("parity.toml"), toml).unwrap();
    fixture.fail_stack(
        name,
        "LogGroup",
        "Resource handler returned message: \"Rate exceeded\"",
    );
    let run = test
        .parity(&["env", "apply", "staging", "--yes"])
        .status(1)
        .stdout_contains("Change set for stack parity-envfail-staging");
    let stderr = run.stderr_flat();
    assert!(
        stderr.contains("LogGroup (AWS::Logs::LogGroup) failed: Resource handler returned message: \"Rate exceeded\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("the stack is UPDATE_ROLLBACK_COMPLETE"),
        "{stderr}"
    );
    // The previous state is intact: the same change is still to apply.
    let plan = test
        .parity(&["env", "apply", "staging", "--dry-run", "--format", "json"])
        .status(0)
        .stderr_empty()
        .json();
    assert_eq!(plan["kind"], "update");
}

#[test]
fn an_environment_promoted_to_is_protected_from_destroy_without_a_terminal() {
    let fixture = EcsFixture::shared();
    let test = project("envprot", fixture);
    test.parity(&["env", "apply", "prod", "--yes"])
        .status(0)
        .stdout_contains("(create,")
        .stderr_contains("CREATE_COMPLETE");
    let prod = stack(fixture, "parity-envprot-prod").unwrap();
    assert_eq!(prod["EnableTerminationProtection"], true, "{prod:#}");
    test.parity(&["env", "destroy", "prod", "--yes"])
        .status(2)
        .stdout_empty()
        .stderr_contains("protected")
        .stderr_contains("type the environment's name");
    assert!(
        stack(fixture, "parity-envprot-prod").is_some(),
        "still there"
    );
    // CloudFormation itself refuses too.
    let refused = fixture.boto(
        "cloudformation",
        "delete_stack",
        json!({"StackName": "parity-envprot-prod"}),
    );
    assert!(refused.is_err_and(|e| e.contains("TerminationProtection")));
}

#[test]
fn bad_input_is_exit_2_naming_the_key_and_nothing_is_created() {
    let fixture = EcsFixture::shared();
    let test = project("envbad", fixture);
    let toml = format!(
        "app = \"envbad\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nendpoint = \"{}\"\nnetwork = \"mesh\"\n",
        fixture.endpoint()
    );
    std::fs::write(test.dir().join("parity.toml"), toml).unwrap();
    test.parity(&["env", "apply", "staging", "--yes"])
        .status(2)
        .stdout_empty()
        .stderr_contains("parity.toml:6:")
        .stderr_contains("mesh");
    assert!(stack(fixture, "parity-envbad-staging").is_none());
}

/// The path a new team takes, with a parity.toml of `app`, `region`, the
/// emulator's endpoint and the test registries only: every id deploy needs
/// comes from the stacks `env apply` built.
#[test]
fn from_an_empty_account_to_prod_env_apply_secrets_deploy_promote() {
    let fixture = EcsFixture::shared();
    let staging_registry = crate::support::registry::Registry::start();
    let prod_registry = crate::support::registry::Registry::start();
    let compose = r#"
services:
  migrate:
    build: .
    command: ["/app", "migrate"]
    x-parity:
      release: true
  web:
    build: .
    command: ["/app", "serve"]
    ports: ["3000:3000"]
    environment:
      API_KEY: local-only-value
    x-parity:
      secrets: [API_KEY]
"#;
    let toml = format!(
        "app = \"envpath\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nendpoint = \"{endpoint}\"\nregistry = \"{staging}\"\n\n\
         [environments.prod]\nregion = \"eu-west-1\"\nendpoint = \"{endpoint}\"\nregistry = \"{prod}\"\npromotes_from = \"staging\"\n",
        endpoint = fixture.endpoint(),
        staging = staging_registry.host(),
        prod = prod_registry.host(),
    );
    let test = Test::new()
        .compose(compose)
        .toml(&toml)
        .file(
            "Dockerfile",
            "FROM scratch\nCOPY version.txt /version.txt\n",
        )
        .file("version.txt", "v1\n")
        .file(".env.staging", "API_KEY=s3cret-canary\n")
        .file(".env.prod", "API_KEY=s3cret-canary-prod\n")
        .aws_fixture(fixture);

    // Before the environment exists, deploy says what to run.
    test.parity(&["deploy", "staging"])
        .status(2)
        .stdout_empty()
        .stderr_says("parity env apply staging");

    test.parity(&["env", "apply", "staging", "--yes"])
        .status(0)
        .stdout_contains("(create,")
        .stderr_contains("CREATE_COMPLETE");
    test.parity(&["secrets", "sync", "staging"])
        .status(0)
        .never_prints("s3cret-canary");
    test.parity(&["deploy", "staging"])
        .status(0)
        .never_prints("s3cret-canary");
    test.parity(&["env", "apply", "prod", "--yes"])
        .status(0)
        .stdout_contains("(create,")
        .stderr_contains("CREATE_COMPLETE");
    test.parity(&["secrets", "sync", "prod"])
        .status(0)
        .stdout_contains("Wrote 1 parameter")
        .never_prints("s3cret-canary-prod");
    test.parity(&["promote"])
        .status(0)
        .stdout_contains("prod runs the identical digests staging runs")
        .never_prints("s3cret-canary");

    // Each environment's service runs in its stack's network, behind its target group.
    for env in ["staging", "prod"] {
        let stack = stack(fixture, &format!("parity-envpath-{env}")).unwrap();
        let cluster = output(&stack, "ClusterName");
        let services = fixture.ecs(
            "DescribeServices",
            json!({"cluster": cluster, "services": ["envpath-web"]}),
        );
        let service = &services["services"][0];
        let network = &service["networkConfiguration"]["awsvpcConfiguration"];
        let subnets: Vec<String> = output(&stack, "Subnets")
            .split(',')
            .map(str::to_owned)
            .collect();
        assert_eq!(network["subnets"], json!(subnets), "{env}: {service:#}");
        assert_eq!(
            network["securityGroups"],
            json!([output(&stack, "TaskSecurityGroup")]),
            "{env}"
        );
        assert_eq!(
            network["assignPublicIp"], "ENABLED",
            "{env}: public network mode"
        );
        assert_eq!(
            service["loadBalancers"][0]["targetGroupArn"],
            output(&stack, "TargetGroupWeb"),
            "{env}: {service:#}"
        );
        let task = fixture.ecs(
            "DescribeTaskDefinition",
            json!({"taskDefinition": service["taskDefinition"]}),
        );
        assert_eq!(
            task["taskDefinition"]["executionRoleArn"],
            output(&stack, "ExecutionRoleArn"),
            "{env}"
        );
    }
}

/// `env apply` → `env destroy` → `env apply`: the repositories and log group
/// the destroy kept are adopted by the new stack (CloudFormation's
/// auto-import, `ImportExistingResources`), not created a second time (which
/// fails: the names exist).
#[test]
fn apply_after_destroy_adopts_the_retained_repositories_and_log_group() {
    let fixture = EcsFixture::shared();
    let test = project("envagain", fixture);
    let name = "parity-envagain-staging";
    test.parity(&["env", "apply", "staging", "--yes"])
        .status(0)
        .stdout_contains("(create,")
        .stderr_contains("CREATE_COMPLETE");
    test.parity(&["env", "destroy", "staging", "--yes"])
        .status(0)
        .stdout_contains("AWS::Logs::LogGroup")
        .stderr_contains("DELETE_COMPLETE");
    assert!(stack(fixture, name).is_none());

    let run = test.parity(&["env", "apply", "staging", "--yes"]).status(0);
    let stdout = run.stdout();
    for retained in ["RepositoryEnvagain", "LogGroup"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains("import") && l.contains(retained)),
            "{retained} imported:\n{stdout}"
        );
    }
    run.stderr_contains("IMPORT_COMPLETE");
    let again = stack(fixture, name).expect("created again");
    assert_eq!(again["StackStatus"], "CREATE_COMPLETE");
    assert!(output(&again, "RepositoryEnvagain").ends_with("/envagain"));
    assert_eq!(output(&again, "LogGroupName"), "/envagain/staging");
}

/// A public service added in front of the others (it sorts first and takes
/// the domain) is an update that goes through: every listener rule keeps its
/// priority, so the new rule never lands on one still in use (ELB refuses
/// that with PriorityInUse, and so does moto).
#[test]
fn a_public_service_added_in_front_keeps_every_rule_priority() {
    let fixture = EcsFixture::shared();
    let test = project("envorder", fixture);
    let toml = format!(
        "app = \"envorder\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nendpoint = \"{}\"\n\
         domain = \"staging.envorder.test\"\n",
        fixture.endpoint()
    );
    std::fs::write(test.dir().join("parity.toml"), toml).unwrap();
    std::fs::write(test.dir().join("compose.yaml"), COMPOSE_WITH_API).unwrap();
    test.parity(&["env", "apply", "staging", "--yes"])
        .status(0)
        .stdout_contains("(create,")
        .stderr_contains("CREATE_COMPLETE");
    let rules = |stack: &Value| -> Vec<(String, String)> {
        let listener = fixture
            .boto(
                "elbv2",
                "describe_listeners",
                json!({"LoadBalancerArn": load_balancer_arn(fixture, stack)}),
            )
            .unwrap()["Listeners"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["Port"] == 443)
            .expect("the HTTPS listener")["ListenerArn"]
            .clone();
        let mut rules: Vec<(String, String)> = fixture
            .boto("elbv2", "describe_rules", json!({"ListenerArn": listener}))
            .unwrap()["Rules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["Priority"] != "default")
            .map(|r| {
                (
                    r["Conditions"][0]["HostHeaderConfig"]["Values"][0]
                        .as_str()
                        .or_else(|| r["Conditions"][0]["Values"][0].as_str())
                        .unwrap_or_default()
                        .to_owned(),
                    r["Priority"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        rules.sort();
        rules
    };
    let before = rules(&stack(fixture, "parity-envorder-staging").unwrap());
    assert_eq!(before.len(), 2, "{before:?}");

    let in_front = COMPOSE_WITH_API.replacen(
        "services:\n",
        "services:\n  api:\n    build: ./webhooks\n    ports: [\"8080:8080\"]\n",
        1,
    );
    std::fs::write(test.dir().join("compose.yaml"), in_front).unwrap();
    test.parity(&["env", "apply", "staging", "--yes"])
        .status(0)
        .stdout_contains("(update,")
        .stderr_contains("UPDATE_COMPLETE");
    let after = rules(&stack(fixture, "parity-envorder-staging").unwrap());
    assert_eq!(after.len(), 3, "{after:?}");
    let priorities: std::collections::BTreeSet<&String> = after.iter().map(|(_, p)| p).collect();
    assert_eq!(priorities.len(), 3, "distinct priorities: {after:?}");
    let webhooks = |rules: &[(String, String)]| {
        rules
            .iter()
            .find(|(host, _)| host.starts_with("webhooks."))
            .cloned()
            .expect("the webhooks rule")
    };
    assert_eq!(
        webhooks(&before),
        webhooks(&after),
        "{before:?} -> {after:?}"
    );
}

fn load_balancer_arn(fixture: &EcsFixture, stack: &Value) -> String {
    let dns = output(stack, "LoadBalancerDnsName");
    fixture
        .boto("elbv2", "describe_load_balancers", json!({}))
        .unwrap()["LoadBalancers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|lb| lb["DNSName"] == dns.as_str())
        .expect("the stack's load balancer")["LoadBalancerArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `env apply` runs through the pipeline every change to an environment
/// takes: it holds the environment's deploy lock (a second one is refused
/// while it is held, naming the holder) and honours `--break-lock`.
#[test]
fn apply_and_destroy_take_the_environments_deploy_lock() {
    let fixture = EcsFixture::shared();
    let test = project("envlock", fixture);
    let record = json!({"holder": "someone@elsewhere (pid 1)", "operation": "deploy staging",
                        "since": 1, "token": "t0"});
    fixture
        .boto(
            "ssm",
            "put_parameter",
            json!({"Name": "/parity-locks/envlock/staging", "Value": record.to_string(),
                   "Type": "String"}),
        )
        .unwrap();
    test.parity(&["env", "apply", "staging", "--yes"])
        .status(1)
        .stdout_empty()
        .stderr_contains("someone@elsewhere")
        .stderr_contains("--break-lock");
    assert!(
        stack(fixture, "parity-envlock-staging").is_none(),
        "nothing created"
    );
    test.parity(&["env", "apply", "staging", "--yes", "--break-lock"])
        .status(0)
        .stdout_contains("(create,")
        .stderr_contains("broke the staging deploy lock held by someone@elsewhere");
    // Released afterwards: the lock parameter is gone.
    assert!(
        fixture
            .boto(
                "ssm",
                "get_parameter",
                json!({"Name": "/parity-locks/envlock/staging"})
            )
            .is_err()
    );
    test.parity(&["env", "destroy", "staging", "--yes"])
        .status(0)
        .stdout_contains("parity-envlock-staging deleted")
        .stderr_contains("DELETE_COMPLETE");
}
