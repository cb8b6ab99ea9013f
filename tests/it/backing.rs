//! Managed services (`x-parity: {cloud: rds}`) end to end: `env apply` on
//! the ECS fixture (moto's CloudFormation, RDS and SSM) creates the master
//! password, the RDS instance and the `DATABASE_URL` parity composes; the
//! plan carries it by `valueFrom` and the endpoint in place of the host; a
//! second apply changes nothing; `parity db --url --reveal` is the only
//! output that holds the password. And the real-world compose files
//! (fixtures/plan/backing-*) plan offline with each rewrite named.

use std::os::unix::fs::PermissionsExt;

use serde_json::{Value, json};

use crate::support::ecs_fixture::EcsFixture;
use crate::support::{Run, Test, repo_path};

use crate::support::ACCOUNT;

/// Every canary (the compose file's local password, values left in a store)
/// begins with this; seeing it in any output is a leak.
const CANARY: &str = "CANARY-";

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
    project_with(app, fixture, "")
}

/// [`project`] with more lines under `[environments.staging]`.
fn project_with(app: &str, fixture: &EcsFixture, settings: &str) -> Test {
    let mut test = Test::new()
        .compose(COMPOSE)
        .toml(&format!(
            "app = \"{app}\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nendpoint = \"{}\"\n{settings}",
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
    Run::new(output)
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
    // At -vvv (the SDK's own trace logging too): the second apply reads the
    // password to compare the composed URL, and prints it nowhere.
    let second = parity(&test, &["-vvv", "env", "apply", "staging", "--yes"])
        .status(0)
        .stdout_contains("is up to date")
        .never_prints(&password)
        .never_prints("written to SSM")
        .never_prints("created the master password");
    // The trace shows the calls: values were read, none written but the lock's.
    assert!(
        second.stderr().contains("ssm:GetParameter"),
        "{}",
        second.stderr()
    );
    assert_eq!(parameter(fixture, url_name)["Version"], url_version);
    assert_eq!(
        parameter(fixture, password_name)["Value"],
        password.as_str()
    );

    // `db --url` masks the password; `--reveal` is the one way to see it.
    parity(&test, &["-vvv", "db", "staging", "--url"])
        .status(0)
        .stdout_contains(&format!("postgres://app:********@{endpoint}:5432/app"))
        .stderr_contains("--reveal")
        .never_prints(&password)
        .never_prints(CANARY);
    let revealed = parity(&test, &["db", "staging", "--url", "--reveal"]).status(0);
    assert_eq!(
        revealed.stdout().trim(),
        format!("postgres://app:{password}@{endpoint}:5432/app")
    );
    assert!(revealed.stderr().is_empty(), "{}", revealed.stderr());

    // Without --url: psql in a one-off task of the compose image, through ECS
    // Exec; the stand-in plugin records what it was handed and exits 7.
    client_session(fixture, &test, stack, &endpoint, &password);
    client_interrupted(fixture, &test, &password);
    client_interrupted_while_waiting(fixture, &test, &password);

    // Destroy deletes what parity made for the database, and only that: a
    // parameter without parity's tags (here the password, untagged by hand) stays.
    fixture
        .boto(
            "ssm",
            "remove_tags_from_resource",
            json!({"ResourceType": "Parameter", "ResourceId": password_name,
                   "TagKeys": ["parity:app", "parity:environment"]}),
        )
        .unwrap();
    parity(&test, &["-vvv", "env", "destroy", "staging", "--yes"])
        .status(0)
        .never_prints(CANARY)
        .stdout_contains(&format!("{stack} deleted"))
        .stdout_contains(&format!(
            "deleted SSM {url_name} (made by parity for a managed service)"
        ))
        .stdout_lacks(&format!("deleted SSM {password_name}"))
        .never_prints(&password);
    assert!(
        fixture
            .boto("ssm", "get_parameter", json!({"Name": url_name}))
            .is_err(),
        "the composed DATABASE_URL is gone"
    );
    assert_eq!(
        parameter(fixture, password_name)["Value"],
        password.as_str(),
        "a parameter without parity's tags is left alone"
    );
}

/// `parity db staging`: the client task (the compose image, PGPASSWORD by
/// valueFrom, ECS Exec on), psql opened in it through the plugin, the task
/// stopped after the session; the password in no request body or output.
fn client_session(fixture: &EcsFixture, test: &Test, stack: &str, endpoint: &str, password: &str) {
    let recorded = test.dir().join("plugin-args");
    let path = stand_in_plugin(
        test,
        "bin",
        &format!("printf '%s\\n' \"$@\" > '{}'\nexit 7", recorded.display()),
    );
    let before = fixture.requests().len();
    let output = db_command(test, &path).output().expect("run parity");
    let run = Run::new(output)
        .status(7)
        .stdout_empty()
        .stderr_contains("db: task ")
        .stderr_contains(&format!("db: psql -h {endpoint} -p 5432 -U app -d app"))
        .stderr_contains("db: stopped task")
        .never_prints(password)
        .never_prints(CANARY);
    drop(run);

    let requests: Vec<Value> = fixture.requests().split_off(before);
    let of = |operation: &str| sent_since(fixture, before, operation);
    let run_task = of("RunTask");
    let run_task = run_task
        .iter()
        .find(|r| {
            r["taskDefinition"]
                .as_str()
                .is_some_and(|t| t.contains(":task-definition/bkrds-staging-db-db:"))
        })
        .unwrap_or_else(|| panic!("no RunTask of the client task: {requests:#?}"));
    assert_eq!(run_task["enableExecuteCommand"], true);
    assert_eq!(run_task["launchType"], "FARGATE");
    let subnets = stack_output(fixture, stack, "Subnets");
    assert_eq!(
        run_task["networkConfiguration"]["awsvpcConfiguration"]["subnets"],
        json!(subnets.split(',').collect::<Vec<_>>())
    );
    let exec = of("ExecuteCommand");
    assert_eq!(exec.len(), 1, "{requests:#?}");
    assert_eq!(exec[0]["container"], "db");
    assert_eq!(exec[0]["interactive"], true);
    assert_eq!(
        exec[0]["command"],
        format!("psql -h {endpoint} -p 5432 -U app -d app").as_str()
    );
    let stopped = of("StopTask");
    assert_eq!(stopped.len(), 1, "{requests:#?}");
    assert_eq!(
        stopped[0]["task"], exec[0]["task"],
        "the session's task is stopped"
    );
    assert_eq!(stopped[0]["reason"], "parity db session ended");

    // The task definition: the compose image, idle, PGPASSWORD by valueFrom.
    let definition = fixture.ecs(
        "DescribeTaskDefinition",
        json!({"taskDefinition": run_task["taskDefinition"]}),
    );
    let container = &definition["taskDefinition"]["containerDefinitions"][0];
    assert_eq!(container["image"], "postgres:16");
    assert_eq!(container["entryPoint"], json!(["sleep"]));
    assert_eq!(
        container["secrets"],
        json!([{"name": "PGPASSWORD", "valueFrom": format!("arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/bkrds/staging/parity/db/master-password")}])
    );
    assert!(!definition.to_string().contains(password));
    assert!(!serde_json::to_string(&requests).unwrap().contains(password));

    // The plugin got the session and the task's container as its target.
    let args = std::fs::read_to_string(&recorded).expect("the plugin ran");
    let lines: Vec<&str> = args.lines().collect();
    assert_eq!(lines[1], "eu-west-1");
    assert_eq!(lines[2], "StartSession");
    let task_id = exec[0]["task"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        lines[4].contains(&format!("_{task_id}_{task_id}-")),
        "target: {args}"
    );
    assert!(lines[0].contains("fixture-session-token"), "{args}");
    assert!(!args.contains(password));
}

/// With `secrets_store = "secretsmanager"` the master password and the
/// composed DATABASE_URL are Secrets Manager secrets: the instance reads the
/// password through `{{resolve:secretsmanager:...}}`, the plan's valueFrom is
/// the secret's ARN, a second apply writes nothing, and `env destroy`
/// deletes both (they are tagged as parity's).
#[test]
fn with_secrets_manager_as_the_store_the_password_and_the_url_are_secrets_there() {
    let fixture = EcsFixture::shared();
    let test = project_with("bksm", fixture, "secrets_store = \"secretsmanager\"\n");
    let stack = "parity-bksm-staging";
    let password_name = "bksm/staging/parity/db/master-password";
    let url_name = "bksm/staging/parity/web/DATABASE_URL";
    let secret = |name: &str| {
        fixture.boto(
            "secretsmanager",
            "get_secret_value",
            json!({"SecretId": name}),
        )
    };

    let first = parity(&test, &["env", "apply", "staging", "--yes"])
        .status(0)
        .stderr_contains(&format!(
            "created the master password in Secrets Manager {password_name}"
        ))
        .stderr_contains(&format!(
            "DATABASE_URL of `web`: composed for the managed `db` and written to Secrets Manager {url_name}"
        ));
    let password = secret(password_name).unwrap()["SecretString"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(password.len(), 32);
    let _ = first
        .never_prints(&password)
        .never_prints("CANARY-local-pw");
    assert!(
        fixture
            .boto(
                "ssm",
                "get_parameter",
                json!({"Name": "/bksm/staging/parity/db/master-password"})
            )
            .is_err(),
        "nothing in SSM"
    );
    let tags = fixture
        .boto(
            "secretsmanager",
            "describe_secret",
            json!({"SecretId": url_name}),
        )
        .unwrap()["Tags"]
        .clone();
    assert!(
        tags.as_array()
            .unwrap()
            .contains(&json!({"Key": "parity:environment", "Value": "staging"})),
        "{tags}"
    );

    // The template hands the instance a reference, never the password.
    let template = fixture
        .boto(
            "cloudformation",
            "get_template",
            json!({"StackName": stack}),
        )
        .unwrap()
        .to_string();
    assert!(
        template.contains(&format!("{{{{resolve:secretsmanager:{password_name}}}}}")),
        "{template}"
    );
    assert!(!template.contains(&password));

    let endpoint = stack_output(fixture, stack, "DatabaseDbAddress");
    let url = secret(url_name).unwrap();
    assert_eq!(
        url["SecretString"],
        format!("postgres://app:{password}@{endpoint}:5432/app").as_str()
    );
    let plan = parity(&test, &["plan", "staging", "--format", "json"])
        .status(0)
        .never_prints(&password);
    let web = &plan.json()["taskDefinitions"][0]["containerDefinitions"][0];
    assert_eq!(
        web["secrets"],
        json!([{"name": "DATABASE_URL", "valueFrom": format!("arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:{url_name}")}]),
        "{web:#}"
    );

    // A second apply writes nothing: the URL's version is the same. At -vvv:
    // it reads the password from Secrets Manager to compare, and prints it nowhere.
    parity(&test, &["-vvv", "env", "apply", "staging", "--yes"])
        .status(0)
        .never_prints(CANARY)
        .stdout_contains("is up to date")
        .never_prints("written to")
        .never_prints("created the master password")
        .never_prints(&password);
    assert_eq!(secret(url_name).unwrap()["VersionId"], url["VersionId"]);

    // `db --url` with this store too, at -vvv: it reads the password from
    // Secrets Manager to compose the URL, and prints it masked. (The plugin
    // session is the same with either store: the password reaches the task
    // by valueFrom; the SSM test above runs it, alone on the shared fixture's
    // exec scenario.)
    parity(&test, &["-vvv", "db", "staging", "--url"])
        .status(0)
        .stdout_contains(&format!("postgres://app:********@{endpoint}:5432/app"))
        .stderr_contains("--reveal")
        .never_prints(&password)
        .never_prints(CANARY);

    parity(&test, &["-vvv", "env", "destroy", "staging", "--yes"])
        .status(0)
        .never_prints(CANARY)
        .stdout_contains(&format!("deleted Secrets Manager {url_name}"))
        .stdout_contains(&format!("deleted Secrets Manager {password_name}"))
        .never_prints(&password);
    assert!(secret(url_name).is_err() && secret(password_name).is_err());
}

/// The master password is created under the environment's deploy lock: an
/// apply refused because another change holds the lock creates nothing.
#[test]
fn a_locked_environment_gets_no_master_password() {
    let fixture = EcsFixture::shared();
    let test = project("bklock", fixture);
    let record = json!({"holder": "someone@elsewhere (pid 1)", "operation": "env apply staging",
                        "since": 1, "token": "t0"});
    fixture
        .boto(
            "ssm",
            "put_parameter",
            json!({"Name": "/parity-locks/bklock/staging", "Value": record.to_string(), "Type": "String"}),
        )
        .unwrap();
    parity(&test, &["env", "apply", "staging", "--yes"])
        .status(1)
        .stdout_empty()
        .stderr_contains("someone@elsewhere")
        .stderr_contains("--break-lock");
    assert!(
        fixture
            .boto(
                "ssm",
                "get_parameter",
                json!({"Name": "/bklock/staging/parity/db/master-password"})
            )
            .is_err(),
        "no password was created outside the lock"
    );
}

#[test]
fn deploy_before_env_apply_names_the_composed_secret_missing_and_changes_nothing() {
    let fixture = EcsFixture::shared();
    // The network set in parity.toml: no stack to read it from.
    let test = project_with(
        "bkdeploy",
        fixture,
        "subnets = [\"subnet-1\"]\nsecurity_groups = [\"sg-1\"]\nexecution_role_arn = \"arn:aws:iam::123456789012:role/exec\"\n",
    );
    fixture.ecs("CreateCluster", json!({"clusterName": "bkdeploy-staging"}));
    let before = fixture.requests().len();
    parity(&test, &["-vvv", "deploy", "staging"])
        .status(1)
        .never_prints(CANARY)
        .stdout_empty()
        .stderr_contains("1 secret(s) parity composes for managed services missing for staging: DATABASE_URL of `web` (/bkdeploy/staging/parity/web/DATABASE_URL). Nothing was changed.")
        .stderr_contains("run `parity env apply staging`")
        .never_prints("CANARY-local-pw");
    for operation in ["RegisterTaskDefinition", "CreateService", "UpdateService"] {
        assert!(
            sent_since(fixture, before, operation).is_empty(),
            "deploy sent {operation}"
        );
    }
}

#[test]
fn env_destroy_without_a_stack_still_deletes_the_secrets_parity_left_behind() {
    let fixture = EcsFixture::shared();
    let test = project("bkgone", fixture);
    let tags = json!([{"Key": "parity:app", "Value": "bkgone"},
                      {"Key": "parity:environment", "Value": "staging"}]);
    let url_name = "/bkgone/staging/parity/web/DATABASE_URL";
    let password_name = "/bkgone/staging/parity/db/master-password";
    fixture
        .boto(
            "ssm",
            "put_parameter",
            json!({"Name": url_name, "Value": "CANARY-left-url", "Type": "SecureString", "Tags": tags}),
        )
        .unwrap();
    // Not tagged as parity's: someone else's, even under parity's prefix.
    fixture
        .boto(
            "ssm",
            "put_parameter",
            json!({"Name": password_name, "Value": "CANARY-left-pw", "Type": "SecureString"}),
        )
        .unwrap();
    parity(&test, &["-vvv", "env", "destroy", "staging", "--yes"])
        .status(0)
        .stderr_contains("environment `staging` has no stack parity-bkgone-staging; deleting the secrets parity left behind for it")
        .stdout_contains(&format!(
            "deleted SSM {url_name} (made by parity for a managed service)"
        ))
        .stdout_lacks(password_name)
        .never_prints("CANARY-left");
    assert!(
        fixture
            .boto("ssm", "get_parameter", json!({"Name": url_name}))
            .is_err(),
        "the leftover composed DATABASE_URL is gone"
    );
    assert!(
        fixture
            .boto("ssm", "get_parameter", json!({"Name": password_name}))
            .is_ok(),
        "a parameter without parity's tags is left alone"
    );
    // Nothing left: said so, nothing printed on stdout.
    parity(&test, &["env", "destroy", "staging", "--yes"])
        .status(0)
        .stdout_empty()
        .stderr_contains(
            "environment `staging` has no stack parity-bkgone-staging; nothing to destroy",
        );
}

/// `parity db staging` with `path` as PATH, its streams piped.
fn db_command(test: &Test, path: &str) -> std::process::Command {
    let mut command = test.command();
    command
        .args(["-vvv", "db", "staging"])
        .env("PATH", path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    command
}

/// The bodies of the fixture's `operation` requests after the first `before`.
fn sent_since(fixture: &EcsFixture, before: usize, operation: &str) -> Vec<Value> {
    fixture.requests()[before..]
        .iter()
        .filter(|r| r["operation"] == operation)
        .map(|r| r["body"].clone())
        .collect()
}

/// Waits up to a minute for `done`.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} never happened"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Sends SIGINT to `target` (a pid, or `-pgid` for a process group).
fn interrupt(target: &str) {
    let sent = std::process::Command::new("kill")
        .args(["-s", "INT", "--", target])
        .status()
        .expect("kill -INT");
    assert!(sent.success());
}

/// A stand-in `session-manager-plugin` running `script` (sh), in `dir`
/// under the test's directory; the PATH that finds it first.
fn stand_in_plugin(test: &Test, dir: &str, script: &str) -> String {
    let bin = test.dir().join(dir);
    std::fs::create_dir_all(&bin).unwrap();
    let plugin = bin.join("session-manager-plugin");
    std::fs::write(&plugin, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Ctrl-C on the terminal reaches parity and the session's plugin alike
/// (one process group): parity outlives it, and when the plugin ends the
/// client task is stopped.
fn client_interrupted(fixture: &EcsFixture, test: &Test, password: &str) {
    use std::os::unix::process::CommandExt;
    let started = test.dir().join("plugin-started");
    let path = stand_in_plugin(
        test,
        "bin-interrupted",
        &format!("touch '{}'\nsleep 60", started.display()),
    );
    let before = fixture.requests().len();
    let child = db_command(test, &path)
        .process_group(0)
        .spawn()
        .expect("spawn parity");
    wait_for("the plugin's start", || started.exists());
    // As a terminal's Ctrl-C: SIGINT to the whole foreground process group.
    interrupt(&format!("-{}", child.id()));
    let run = Run::new(child.wait_with_output().expect("wait for parity"))
        .status(1)
        .stdout_empty()
        .stderr_contains("db: stopped task")
        .never_prints(password)
        .never_prints(CANARY);
    drop(run);
    let exec = sent_since(fixture, before, "ExecuteCommand");
    let stopped = sent_since(fixture, before, "StopTask");
    assert_eq!((exec.len(), stopped.len()), (1, 1));
    assert_eq!(stopped[0]["task"], exec[0]["task"]);
}

/// Ctrl-C while the client task is still PENDING: parity stops the task,
/// opens no session and exits 130.
fn client_interrupted_while_waiting(fixture: &EcsFixture, test: &Test, password: &str) {
    let started = test.dir().join("plugin-never-started");
    let path = stand_in_plugin(
        test,
        "bin-waiting",
        &format!("touch '{}'", started.display()),
    );
    // Exec tasks stay PENDING (only `parity db` starts them on this fixture).
    fixture.scenario(json!({"exec_pending": 100_000}));
    let before = fixture.requests().len();
    let child = db_command(test, &path).spawn().expect("spawn parity");
    wait_for("the client task's RunTask", || {
        !sent_since(fixture, before, "RunTask").is_empty()
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    interrupt(&child.id().to_string());
    let run = Run::new(child.wait_with_output().expect("wait for parity"));
    fixture.scenario(json!({"exec_pending": 0}));
    let run = run
        .status(130)
        .stdout_empty()
        .stderr_contains("db: stopped task")
        .never_prints(password)
        .never_prints(CANARY);
    drop(run);
    let stopped = sent_since(fixture, before, "StopTask");
    assert_eq!(stopped.len(), 1);
    assert_eq!(stopped[0]["reason"], "parity db interrupted (Ctrl-C)");
    assert!(
        sent_since(fixture, before, "ExecuteCommand").is_empty(),
        "no session"
    );
    assert!(!started.exists(), "the plugin never ran");
}

/// `parity db` refuses before any AWS call: without a managed service
/// (exit 2), and without the Session Manager plugin (exit 1, how to install it).
#[test]
fn db_without_a_managed_service_or_the_plugin_says_so_before_any_aws_call() {
    // Nothing listens on the discard port: an AWS call would fail differently.
    let toml = "app = \"bkplain\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nendpoint = \"http://127.0.0.1:9\"\n";
    Test::new()
        .compose("services:\n  web:\n    image: nginx:1.27\n")
        .toml(toml)
        .args(["-vvv", "db", "staging"])
        .run()
        .status(2)
        .never_prints(CANARY)
        .stdout_empty()
        .stderr_says("no compose service is replaced by a managed service")
        .stderr_says("x-parity: {cloud: rds}");
    let test = Test::new().compose(COMPOSE).toml(toml);
    let empty = test.dir().join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let output = test
        .command()
        .args(["-vvv", "db", "staging"])
        .env("PATH", &empty)
        .output()
        .expect("run parity");
    Run::new(output)
        .status(1)
        .never_prints(CANARY)
        .stdout_empty()
        .stderr_says("the Session Manager plugin (`session-manager-plugin`) is not installed")
        .stderr_lacks("cannot reach");
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
