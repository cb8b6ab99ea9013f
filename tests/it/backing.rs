//! Managed services (`x-parity: {cloud: rds}`) end to end: `env apply` on
//! the ECS fixture (moto's CloudFormation, RDS and SSM) creates the master
//! password, the RDS instance and the `DATABASE_URL` parity composes; the
//! plan carries it by `valueFrom` and the endpoint in place of the host; a
//! second apply changes nothing; `parity db --url --reveal` is the only
//! output that holds the password. And the real-world compose files
//! (fixtures/plan/backing-*) plan offline with each rewrite named.

use serde_json::{Value, json};

use crate::support::ecs_fixture::EcsFixture;
use crate::support::{Run, Test, repo_path};

const ACCOUNT: &str = "123456789012";

const COMPOSE: &str = r#"
services:
  web:
    build: .
    ports: ["8000:8000"]
    environment:
      DATABASE_URL: postgres://app:CANARY-local-pw@db:5432/app
      DB_HOST: db
    depends_on: [db]
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: CANARY-local-pw
      POSTGRES_DB: app
    x-parity: {cloud: rds}
"#;

fn project(app: &str, fixture: &EcsFixture) -> Test {
    let mut test = Test::new()
        .compose(COMPOSE)
        .toml(&format!(
            "app = \"{app}\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nendpoint = \"{}\"\n",
            fixture.endpoint()
        ))
        .file("Dockerfile", "FROM scratch\n")
        .env_remove("AWS_PROFILE");
    for (key, value) in fixture.aws_env() {
        test = test.env(key, &value);
    }
    test
}

/// One parity run in the project, with its output kept for assertions.
fn parity(test: &Test, args: &[&str]) -> Run {
    let output = test.command().args(args).output().expect("run parity");
    Run { output }
}

fn parameter(fixture: &EcsFixture, name: &str) -> Value {
    fixture.ssm(
        "GetParameter",
        json!({"Name": name, "WithDecryption": true}),
    )["Parameter"]
        .clone()
}

fn stack_output(fixture: &EcsFixture, stack: &str, key: &str) -> String {
    let stacks = fixture
        .boto(
            "cloudformation",
            "describe_stacks",
            json!({"StackName": stack}),
        )
        .unwrap();
    stacks["Stacks"][0]["Outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["OutputKey"] == key)
        .and_then(|o| o["OutputValue"].as_str())
        .unwrap_or_else(|| panic!("no output {key}: {stacks:#}"))
        .to_owned()
}

fn physical_id(fixture: &EcsFixture, stack: &str, logical: &str) -> String {
    let resources = fixture
        .boto(
            "cloudformation",
            "describe_stack_resources",
            json!({"StackName": stack}),
        )
        .unwrap();
    resources["StackResources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["LogicalResourceId"] == logical)
        .and_then(|r| r["PhysicalResourceId"].as_str())
        .unwrap_or_else(|| panic!("no resource {logical}: {resources:#}"))
        .to_owned()
}

#[test]
fn env_apply_creates_rds_and_the_composed_database_url_and_the_password_is_never_printed() {
    let fixture = EcsFixture::shared();
    let test = project("bkrds", fixture);
    let stack = "parity-bkrds-staging";
    let password_name = "/bkrds/staging/parity/db/master-password";
    let url_name = "/bkrds/staging/parity/web/DATABASE_URL";

    let first = parity(&test, &["env", "apply", "staging", "--yes"]).status(0);
    let stderr = first.stderr();
    assert!(
        stderr.contains(&format!(
            "created the master password in SSM {password_name}"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "DATABASE_URL of `web`: composed for the managed `db` and written to SSM {url_name}"
        )),
        "{stderr}"
    );
    assert!(first.stdout().contains("DatabaseDb"), "{}", first.stdout());

    // The password: generated, a SecureString, never in any output.
    let stored = parameter(fixture, password_name);
    assert_eq!(stored["Type"], "SecureString");
    let password = stored["Value"].as_str().unwrap().to_owned();
    assert_eq!(password.len(), 32, "a 32-character password");
    let _ = first
        .never_prints(&password)
        .never_prints("CANARY-local-pw");

    // The instance: mapped engine version, private, in the stack's subnet group.
    let endpoint = stack_output(fixture, stack, "DatabaseDbAddress");
    let instances = fixture
        .boto("rds", "describe_db_instances", json!({}))
        .unwrap();
    let instance = instances["DBInstances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["Endpoint"]["Address"] == endpoint.as_str())
        .unwrap_or_else(|| panic!("no instance at {endpoint}: {instances:#}"))
        .clone();
    assert_eq!(instance["Engine"], "postgres");
    assert_eq!(instance["EngineVersion"], "16.13");
    assert_eq!(instance["PubliclyAccessible"], false);
    assert_eq!(instance["StorageEncrypted"], true);
    assert_eq!(instance["DBName"], "app");
    assert_eq!(instance["MasterUsername"], "app");
    // moto gives the stack's subnet group no physical id: found by name and description.
    let groups = fixture
        .boto("rds", "describe_db_subnet_groups", json!({}))
        .unwrap();
    let group_name = instance["DBSubnetGroup"]["DBSubnetGroupName"].clone();
    let described = groups["DBSubnetGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["DBSubnetGroupName"] == group_name)
        .unwrap_or_else(|| panic!("no subnet group {group_name}: {groups:#}"));
    assert_eq!(
        described["DBSubnetGroupDescription"],
        "Databases of bkrds staging: the task subnets"
    );
    let mut subnets: Vec<String> = instance["DBSubnetGroup"]["Subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["SubnetIdentifier"].as_str().unwrap().to_owned())
        .collect();
    subnets.sort();
    let mut task_subnets: Vec<String> = stack_output(fixture, stack, "Subnets")
        .split(',')
        .map(str::to_owned)
        .collect();
    task_subnets.sort();
    assert_eq!(
        subnets, task_subnets,
        "the subnet group spans the task subnets"
    );

    // Its security group admits the tasks' group on 5432, nothing else.
    let group = physical_id(fixture, stack, "DatabaseDbSecurityGroup");
    let task_group = stack_output(fixture, stack, "TaskSecurityGroup");
    let groups = fixture
        .boto(
            "ec2",
            "describe_security_groups",
            json!({"GroupIds": [group]}),
        )
        .unwrap();
    let rules = groups["SecurityGroups"][0]["IpPermissions"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rules.len(), 1, "{rules:#?}");
    assert_eq!(rules[0]["FromPort"], 5432);
    assert_eq!(rules[0]["ToPort"], 5432);
    assert_eq!(rules[0]["IpRanges"], json!([]));
    assert_eq!(
        rules[0]["UserIdGroupPairs"][0]["GroupId"],
        task_group.as_str()
    );

    // The composed DATABASE_URL points at the endpoint moto reports.
    let url = parameter(fixture, url_name);
    assert_eq!(url["Type"], "SecureString");
    assert_eq!(
        url["Value"],
        format!("postgres://app:{password}@{endpoint}:5432/app").as_str()
    );
    let url_version = url["Version"].clone();

    // The plan: DATABASE_URL by valueFrom, DB_HOST the endpoint; no value printed.
    let plan = parity(&test, &["plan", "staging", "--format", "json"])
        .status(0)
        .never_prints(&password)
        .never_prints("CANARY-local-pw");
    let document = plan.json();
    let web = &document["taskDefinitions"][0]["containerDefinitions"][0];
    assert_eq!(
        web["secrets"],
        json!([{"name": "DATABASE_URL", "valueFrom": format!("arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter{url_name}")}]),
        "{web:#}"
    );
    assert_eq!(
        web["environment"],
        json!([{"name": "DB_HOST", "value": endpoint}]),
        "{web:#}"
    );
    parity(&test, &["plan", "staging"])
        .status(0)
        .stdout_contains("service `web`: variable DATABASE_URL -> a URL to the RDS postgres replacing `db` with its master user and password, as a secret")
        .stdout_contains("service `web`: variable DB_HOST -> the endpoint of the RDS postgres replacing `db`")
        .never_prints(&password)
        .never_prints("CANARY-local-pw");

    // A second apply changes nothing: no change set run, no password, no secret written.
    let second = parity(&test, &["env", "apply", "staging", "--yes"])
        .status(0)
        .stdout_contains("is up to date")
        .never_prints(&password)
        .never_prints("written to SSM")
        .never_prints("created the master password");
    assert!(!second.stderr().contains("SSM"), "{}", second.stderr());
    assert_eq!(parameter(fixture, url_name)["Version"], url_version);
    assert_eq!(
        parameter(fixture, password_name)["Value"],
        password.as_str()
    );

    // `db --url` masks the password; `--reveal` is the one way to see it.
    parity(&test, &["db", "staging", "--url"])
        .status(0)
        .stdout_contains(&format!("postgres://app:********@{endpoint}:5432/app"))
        .stderr_contains("--reveal")
        .never_prints(&password);
    let revealed = parity(&test, &["db", "staging", "--url", "--reveal"]).status(0);
    assert_eq!(
        revealed.stdout().trim(),
        format!("postgres://app:{password}@{endpoint}:5432/app")
    );
    assert!(revealed.stderr().is_empty(), "{}", revealed.stderr());
    // Without --url a client would need ECS Exec, which parity lacks yet: exit 2, said so.
    parity(&test, &["db", "staging"])
        .status(2)
        .stderr_contains("ECS Exec")
        .stderr_contains("--url --reveal")
        .never_prints(&password);
}

/// The real-world compose files plan offline with every rewrite named, the
/// local passwords nowhere in the output.
#[test]
fn django_and_rails_apps_plan_with_each_rewrite_shown() {
    for (case, rewrites, canaries) in [
        (
            "backing-django-postgres-redis",
            &[
                "service `web`: variable DATABASE_URL -> a URL to the RDS postgres replacing `db` with its master user and password, as a secret (SSM /shop/staging/parity/web/DATABASE_URL",
                "service `web`: variable REDIS_URL -> a URL to the endpoint of the ElastiCache redis replacing `cache`",
                "service `web`: variable CELERY_BROKER_URL -> a URL to the endpoint of the ElastiCache redis replacing `cache`",
                "service `worker`: variable DATABASE_URL -> a URL to the RDS postgres replacing `db`",
                "service `migrate`: variable DATABASE_URL -> a URL to the RDS postgres replacing `db`",
                "service `db`: replaced by a managed service",
            ][..],
            &["CANARY-django-local"][..],
        ),
        (
            "backing-rails-postgres",
            &[
                "service `web`: variable DATABASE_HOST -> the endpoint of the RDS postgres replacing `db`",
                "service `web`: variable DATABASE_PASSWORD -> the master password of the RDS postgres replacing `db`, as a secret (SSM /shop/staging/parity/web/DATABASE_PASSWORD)",
            ][..],
            &["CANARY-rails-local", "CANARY-rails-secret-key-base"][..],
        ),
    ] {
        let dir = repo_path(&format!("fixtures/plan/{case}"));
        let test = Test::new()
            .compose(&std::fs::read_to_string(dir.join("compose.yaml")).unwrap())
            .toml(&std::fs::read_to_string(dir.join("parity.toml")).unwrap())
            .args(["plan", "staging", "--offline"]);
        let mut run = test.run().status(0);
        for line in rewrites {
            run = run.stdout_contains(line);
        }
        run = run.stderr_contains("is known only from the environment stack");
        for canary in canaries {
            run = run.never_prints(canary);
        }
    }
}
